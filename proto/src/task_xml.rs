//! Task Scheduler task definitions (`タスクのインポート`): the XML files the installers leave in
//! the `tools` folders — `OQS_exec_distroappstart.xml`, `OQS_exec_comappdelfile_periodic.xml`,
//! `OQS_exec_comappdelfile_running.xml`, `OQS_exec_comappstart.xml` — in the Task Scheduler
//! schema (`http://schemas.microsoft.com/windows/2004/02/mit/task`), UTF-16 with a BOM as
//! Windows writes them, or UTF-8. The real files are not public; the kit's (\[K\]) carry what
//! the manuals say of them: start-up triggers with a delay (the distro app 1 minute, then
//! hourly; forgotten-file deletion 30 s after start-up), no start on battery \[002\].

use serde::{Deserialize, Serialize};

pub const NAMESPACE: &str = "http://schemas.microsoft.com/windows/2004/02/mit/task";

/// When a task runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskTrigger {
    /// At start-up, after `delay_seconds`, then every `repeat_minutes` if set.
    Boot {
        delay_seconds: u32,
        repeat_minutes: Option<u32>,
    },
    /// Every day at HH:MM.
    Daily { at: String },
}

/// What a task XML says, in the terms the kit uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskDefinition {
    pub name: String,
    pub command: String,
    pub arguments: String,
    pub triggers: Vec<TaskTrigger>,
    /// The user the XML names (replaced by the one chosen at import).
    pub user: String,
    /// RunLevel HighestAvailable (最上位の特権で実行する)
    pub highest: bool,
    /// DisallowStartIfOnBatteries
    pub no_battery: bool,
    pub enabled: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TaskXmlError {
    #[error("タスクの XML「{file}」を読めません: {reason}")]
    Malformed { file: String, reason: String },
}

#[derive(Serialize, Deserialize, Default)]
#[serde(rename = "Task", rename_all = "PascalCase")]
struct TaskXml {
    #[serde(rename = "@version", default)]
    version: String,
    #[serde(rename = "@xmlns", default)]
    xmlns: String,
    #[serde(default)]
    registration_info: RegistrationInfo,
    #[serde(default)]
    triggers: Triggers,
    #[serde(default)]
    principals: Principals,
    #[serde(default)]
    settings: Settings,
    actions: Actions,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RegistrationInfo {
    #[serde(rename = "URI", default)]
    uri: String,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Triggers {
    #[serde(default)]
    boot_trigger: Vec<BootTrigger>,
    #[serde(default)]
    calendar_trigger: Vec<CalendarTrigger>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct BootTrigger {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    delay: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    repetition: Option<Repetition>,
    #[serde(default = "yes")]
    enabled: bool,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Repetition {
    interval: String,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct CalendarTrigger {
    start_boundary: String,
    /// Only daily schedules are the kit's; a weekly or monthly one is named as such.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    schedule_by_day: Option<ScheduleByDay>,
    #[serde(default = "yes")]
    enabled: bool,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct ScheduleByDay {
    days_interval: u32,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Principals {
    #[serde(default)]
    principal: Principal,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Principal {
    #[serde(rename = "@id", default)]
    id: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    logon_type: String,
    #[serde(default)]
    run_level: String,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Settings {
    #[serde(default)]
    disallow_start_if_on_batteries: bool,
    #[serde(default = "yes")]
    enabled: bool,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Actions {
    exec: Exec,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Exec {
    command: String,
    #[serde(default)]
    arguments: String,
}

fn yes() -> bool {
    true
}

/// ISO 8601 durations as Task Scheduler writes them: `PT30S`, `PT1M`, `PT1H`, `P1D`.
fn seconds(d: &str) -> Option<u32> {
    let rest = d.strip_prefix('P')?;
    let (days, time) = match rest.split_once('T') {
        Some((d, t)) => (d, t),
        None => (rest, ""),
    };
    let mut total = 0u32;
    if !days.is_empty() {
        total = days
            .strip_suffix('D')?
            .parse::<u32>()
            .ok()?
            .checked_mul(86_400)?;
    }
    let mut num = String::new();
    for c in time.chars() {
        match c {
            '0'..='9' => num.push(c),
            'H' | 'M' | 'S' => {
                let n: u32 = num.parse().ok()?;
                num.clear();
                let unit = match c {
                    'H' => 3600,
                    'M' => 60,
                    _ => 1,
                };
                total = total.checked_add(n.checked_mul(unit)?)?;
            }
            _ => return None,
        }
    }
    num.is_empty().then_some(total)
}

fn duration(secs: u32) -> String {
    match secs {
        0 => "PT0S".into(),
        s if s % 3600 == 0 => format!("PT{}H", s / 3600),
        s if s % 60 == 0 => format!("PT{}M", s / 60),
        s => format!("PT{s}S"),
    }
}

/// The text of a task file: UTF-16 (LE/BE by BOM) or UTF-8.
fn text_of(bytes: &[u8]) -> Option<String> {
    let (enc, bom) = encoding_rs::Encoding::for_bom(bytes).unwrap_or((encoding_rs::UTF_8, 0));
    let (text, _, bad) = enc.decode(&bytes[bom..]);
    (!bad).then(|| text.into_owned())
}

impl TaskDefinition {
    /// Parses a task XML; `file` names it in errors.
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Self, TaskXmlError> {
        let bad = |reason: String| TaskXmlError::Malformed {
            file: file.into(),
            reason,
        };
        let text = text_of(bytes).ok_or_else(|| bad("UTF-16 でも UTF-8 でもありません".into()))?;
        // the declaration says UTF-16 while the text is now a Rust string
        let body = match text.find("?>") {
            Some(i) if text.trim_start().starts_with("<?xml") => &text[i + 2..],
            _ => text.as_str(),
        };
        let x: TaskXml = quick_xml::de::from_str(body).map_err(|e| bad(e.to_string()))?;
        let mut triggers = Vec::new();
        for b in x.triggers.boot_trigger.iter().filter(|b| b.enabled) {
            let delay = match &b.delay {
                Some(d) => seconds(d).ok_or_else(|| bad(format!("Delay「{d}」")))?,
                None => 0,
            };
            let repeat = match &b.repetition {
                Some(r) => Some(
                    seconds(&r.interval)
                        .filter(|secs| *secs >= 60)
                        .ok_or_else(|| bad(format!("Interval「{}」（1分以上）", r.interval)))?
                        / 60,
                ),
                None => None,
            };
            triggers.push(TaskTrigger::Boot {
                delay_seconds: delay,
                repeat_minutes: repeat,
            });
        }
        for c in x.triggers.calendar_trigger.iter().filter(|c| c.enabled) {
            if c.schedule_by_day.is_none() {
                return Err(bad(
                    "毎日以外のスケジュール（毎週・毎月）には対応していません".into(),
                ));
            }
            // xs:dateTime; the daily time is its hh:mm (found by fuzzing: anything else here
            // used to be kept whole and exported as a different time)
            let at = c
                .start_boundary
                .split_once('T')
                .and_then(|(_, t)| t.get(..5))
                .filter(|hm| {
                    let b = hm.as_bytes();
                    b[2] == b':'
                        && hm[..2].parse::<u8>().is_ok_and(|h| h < 24)
                        && b[..2].iter().chain(&b[3..]).all(u8::is_ascii_digit)
                        && hm[3..].parse::<u8>().is_ok_and(|m| m < 60)
                })
                .map(str::to_owned)
                .ok_or_else(|| {
                    bad(format!(
                        "StartBoundary「{}」は日時（例: 2025-04-01T03:33:00）ではありません",
                        c.start_boundary
                    ))
                })?;
            triggers.push(TaskTrigger::Daily { at });
        }
        let name = x.registration_info.uri.trim_start_matches('\\').to_owned();
        Ok(Self {
            name: if name.is_empty() {
                file.trim_end_matches(".xml").to_owned()
            } else {
                name
            },
            command: x.actions.exec.command,
            arguments: x.actions.exec.arguments,
            triggers,
            user: x.principals.principal.user_id,
            highest: x.principals.principal.run_level == "HighestAvailable",
            no_battery: x.settings.disallow_start_if_on_batteries,
            enabled: x.settings.enabled,
        })
    }

    /// The file as Windows exports it: UTF-16LE with a BOM.
    pub fn to_utf16(&self) -> Vec<u8> {
        let mut boot = Vec::new();
        let mut calendar = Vec::new();
        for t in &self.triggers {
            match t {
                TaskTrigger::Boot {
                    delay_seconds,
                    repeat_minutes,
                } => boot.push(BootTrigger {
                    delay: Some(duration(*delay_seconds)),
                    repetition: repeat_minutes.map(|m| Repetition {
                        interval: duration(m * 60),
                    }),
                    enabled: true,
                }),
                TaskTrigger::Daily { at } => calendar.push(CalendarTrigger {
                    start_boundary: format!("2025-01-01T{at}:00"),
                    schedule_by_day: Some(ScheduleByDay { days_interval: 1 }),
                    enabled: true,
                }),
            }
        }
        let x = TaskXml {
            version: "1.2".into(),
            xmlns: NAMESPACE.into(),
            registration_info: RegistrationInfo {
                uri: format!("\\{}", self.name),
            },
            triggers: Triggers {
                boot_trigger: boot,
                calendar_trigger: calendar,
            },
            principals: Principals {
                principal: Principal {
                    id: "Author".into(),
                    user_id: self.user.clone(),
                    logon_type: "Password".into(),
                    run_level: if self.highest {
                        "HighestAvailable"
                    } else {
                        "LeastPrivilege"
                    }
                    .into(),
                },
            },
            settings: Settings {
                disallow_start_if_on_batteries: self.no_battery,
                enabled: self.enabled,
            },
            actions: Actions {
                exec: Exec {
                    command: self.command.clone(),
                    arguments: self.arguments.clone(),
                },
            },
        };
        let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n");
        let mut ser = quick_xml::se::Serializer::new(&mut xml);
        ser.indent(' ', 2);
        x.serialize(ser).expect("task XML serialises");
        let mut out = vec![0xFF, 0xFE];
        for u in xml.encode_utf16() {
            out.extend_from_slice(&u.to_le_bytes());
        }
        out
    }
}

/// The kit's task files of the installers (\[K\]: names and folders from the manuals, contents
/// from what they say the tasks do).
pub fn installer_tasks() -> Vec<(&'static str, TaskDefinition)> {
    let comapp = r"C:\Program Files\OQS\OQSComApp";
    let task = |name: &str, command: String, triggers: Vec<TaskTrigger>| TaskDefinition {
        name: name.into(),
        command,
        arguments: String::new(),
        triggers,
        user: "OqsComApp".into(),
        highest: true,
        no_battery: true,
        enabled: true,
    };
    vec![
        (
            r"C:\Program Files\OQS\OQSDistroApp\tools",
            task(
                "OQS_exec_distroappstart",
                r"C:\Program Files\OQS\OQSDistroApp\OQSDistroApp.exe".into(),
                vec![TaskTrigger::Boot {
                    delay_seconds: 60,
                    repeat_minutes: Some(60),
                }],
            ),
        ),
        (
            r"C:\Program Files\OQS\OQSComApp\tools",
            task(
                "OQS_exec_comappdelfile_periodic",
                format!(r"{comapp}\tools\OQSComAppDelFile.exe"),
                vec![TaskTrigger::Daily { at: "12:17".into() }],
            ),
        ),
        (
            r"C:\Program Files\OQS\OQSComApp\tools",
            task(
                "OQS_exec_comappdelfile_running",
                format!(r"{comapp}\tools\OQSComAppDelFile.exe"),
                vec![TaskTrigger::Boot {
                    delay_seconds: 30,
                    repeat_minutes: None,
                }],
            ),
        ),
        (
            r"C:\Program Files\OQS\OQSComApp\tools",
            task(
                "OQS_exec_comappstart",
                format!(r"{comapp}\OQSComApp.exe"),
                vec![TaskTrigger::Boot {
                    delay_seconds: 60,
                    repeat_minutes: Some(60),
                }],
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installer_tasks_round_trip_through_utf16() {
        for (_, t) in installer_tasks() {
            let bytes = t.to_utf16();
            assert_eq!(&bytes[..2], &[0xFF, 0xFE]);
            let back = TaskDefinition::parse(&format!("{}.xml", t.name), &bytes).unwrap();
            assert_eq!(back, t);
        }
    }

    #[test]
    fn a_windows_export_in_utf8_parses_and_broken_files_are_named() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo><URI>\定刻に再起動</URI></RegistrationInfo>
  <Triggers><CalendarTrigger><StartBoundary>2025-04-01T03:33:00</StartBoundary><ScheduleByDay><DaysInterval>1</DaysInterval></ScheduleByDay></CalendarTrigger></Triggers>
  <Principals><Principal id="Author"><UserId>OqsComApp</UserId><LogonType>Password</LogonType><RunLevel>LeastPrivilege</RunLevel></Principal></Principals>
  <Settings><DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries><Enabled>true</Enabled></Settings>
  <Actions Context="Author"><Exec><Command>shutdown</Command><Arguments>/r /t 0</Arguments></Exec></Actions>
</Task>"#;
        let t = TaskDefinition::parse("restart.xml", xml.as_bytes()).unwrap();
        assert_eq!(t.name, "定刻に再起動");
        assert_eq!(t.triggers, vec![TaskTrigger::Daily { at: "03:33".into() }]);
        assert_eq!(
            (t.command.as_str(), t.arguments.as_str()),
            ("shutdown", "/r /t 0")
        );
        let e = TaskDefinition::parse("x.xml", b"<Task><Actions>").unwrap_err();
        assert!(e.to_string().contains("x.xml"), "{e}");
        assert_eq!(seconds("PT1M"), Some(60));
        assert_eq!(seconds("PT1H30M"), Some(5400));
        assert_eq!(seconds("P1D"), Some(86400));
        assert_eq!(seconds("1M"), None);
        assert_eq!(seconds("P50000D"), None);
        assert_eq!(seconds("PT2000000H"), None);
        // found by `cargo xtask fuzz task_xml`: a time that is not hh:mm is refused by name
        for at in [
            "2025-01-01T12:1\u{3A00}\u{3000}07:00:00",
            "2025-01-01T25:00:00",
            "2025-01-01T1:00",
        ] {
            let broken = xml.replace("2025-04-01T03:33:00", at);
            let e = TaskDefinition::parse("restart.xml", broken.as_bytes()).unwrap_err();
            assert!(e.to_string().contains("StartBoundary"), "{e}");
        }
    }
}
