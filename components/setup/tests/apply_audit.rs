//! `apply` then `audit` on a fresh terminal: every line ✓. Then each single mistake from the
//! manuals, made by hand in the terminal's state, turns exactly its own line ✗.

use oqs_host::Host;
use oqs_host::windows::{Access, DeviceKind, Trigger, WindowsState};
use oqs_proto::site::SiteProfile;
use oqs_sim::World;
use oqs_sim::certs::{ClientSpec, Pki, Validity};
use oqs_sim::windows::FakeTerminal;

const CODE: &str = "1312345678";

fn example(p12: &std::path::Path) -> SiteProfile {
    SiteProfile::example(CODE, &p12.display().to_string())
}

fn profile(p12: &std::path::Path) -> String {
    example(p12).to_toml()
}

fn fresh(world: &World, dir: &tempfile::TempDir, validity: Validity) -> FakeTerminal {
    let t = world.terminal("OQS-PC01").unwrap();
    let p12 = dir.path().join("cert.p12");
    let spec = ClientSpec::new(CODE, "OQS-PC01").validity(validity);
    std::fs::write(&p12, Pki::shared().client(&spec).to_pkcs12("1357")).unwrap();
    let steps = oqs_setup::apply(&t, &profile(&p12)).unwrap();
    assert!(steps.len() >= 8, "{steps:?}");
    t
}

fn failing(t: &FakeTerminal) -> Vec<&'static str> {
    oqs_setup::audit(t)
        .into_iter()
        .filter(|l| !l.ok)
        .map(|l| l.id)
        .collect()
}

#[test]
fn applied_terminal_passes_every_item() {
    let world = World::builder().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let t = fresh(&world, &dir, Validity::Current);
    let lines = oqs_setup::audit(&t);
    for l in &lines {
        assert!(l.ok, "{l}");
    }
    assert!(lines.len() >= 25, "{}", lines.len());
    // a fresh terminal, never set up, fails with the reason and the remedy
    let untouched = world.terminal("OTHER-PC").unwrap();
    let lines = oqs_setup::audit(&untouched);
    let fast = lines.iter().find(|l| l.id == "fast_startup").unwrap();
    assert!(
        !fast.ok && fast.to_string().contains("チェックを外して"),
        "{fast}"
    );
}

type Mistake = (&'static str, fn(&mut WindowsState));

// Longer than 80 lines: the table of the manuals' mistakes, one row each.
#[test]
fn each_mistake_turns_exactly_its_line() {
    let mistakes: Vec<Mistake> = vec![
        ("user", |w| {
            w.users.iter_mut().for_each(|u| {
                if u.name == "OqsComApp" {
                    u.name = "oqscomapp".into()
                }
            })
        }),
        ("dotnet", |w| w.dotnet48 = false),
        ("certprop", |w| w.cert_propagation_disabled = false),
        ("edge_extensions", |w| {
            w.edge.extensions.retain(|e| e != "pinauth.crx")
        }),
        ("edge_developer_mode", |w| w.edge.developer_mode = true),
        // a wrong port typed, then imported into WinHTTP as the manual says
        ("proxy", |w| {
            w.proxy.port = 8081;
            w.import_winhttp_from_ie();
        }),
        ("bypass", |w| {
            // the separator after *.rece forgotten, in the user setting and WinHTTP alike
            w.proxy.bypass = w.proxy.bypass.replace("*.rece;", "*.rece");
            if let Some(h) = w.winhttp.as_mut() {
                h.bypass = w.proxy.bypass.clone();
            }
        }),
        ("winhttp", |w| w.winhttp = None),
        ("sleep", |w| w.power.sleep_on_ac = Some(30)),
        ("fast_startup", |w| w.power.fast_startup = true),
        ("certprop", |w| {
            w.pending_restart
                .push(oqs_host::windows::CERTPROP_POLICY.into())
        }),
        ("edge_sync", |w| w.edge.sync = true),
        ("edge_extensions", |w| {
            w.edge
                .added_from
                .insert("pinauth.crx".into(), "2.2.0".into());
        }),
        ("time_server", |w| w.time.server = "time.windows.com".into()),
        ("time_server", |w| {
            w.time.last_update = Some(
                "ntp.base.oqs-pdl.org と同期中にエラーが発生しました。ピアは解決されていません。"
                    .into(),
            )
        }),
        ("scaling", |w| w.display_scaling = 125),
        ("restart_task", |w| {
            for t in &mut w.tasks {
                if t.name == "定刻に再起動" {
                    t.triggers = vec![Trigger::Daily { at: "04:00".into() }];
                }
            }
        }),
        ("update_policy", |w| w.windows_update.time = "09:00".into()),
        ("active_hours", |w| w.active_hours.auto_adjust = true),
        ("share_face", |w| {
            w.shares.retain(|s| !s.path.ends_with("face"))
        }),
        ("share_req", |w| {
            for s in &mut w.shares {
                if s.path.ends_with("req") {
                    s.access = Access::Read;
                }
            }
        }),
        ("face_reader_software", |w| {
            for a in &mut w.apps {
                if a.name.starts_with("顔認証付きカードリーダーソフトウェア") {
                    a.installed_by = Some("admin".into());
                }
            }
        }),
        ("distro_task", |w| {
            w.tasks.retain(|t| t.name != "OQS_exec_distroappstart")
        }),
        ("linkage_tasks", |w| {
            for t in &mut w.tasks {
                if t.name == "OQS_exec_comappstart" {
                    t.run_as = "admin".into();
                }
            }
        }),
        ("battery", |w| {
            w.power.device = DeviceKind::Laptop;
            w.power.on_battery = true;
        }),
        ("ports", |w| w.blocked_ports.push(123)),
    ];
    let world = World::builder().build().unwrap();
    for (id, mistake) in mistakes {
        let dir = tempfile::tempdir().unwrap();
        let t = fresh(&world, &dir, Validity::Current);
        // by hand, in the state file a person can edit
        let mut w = t.system().load().unwrap();
        mistake(&mut w);
        t.system().save(&w).unwrap();
        assert_eq!(failing(&t), vec![id], "mistake for «{id}»");
        std::fs::remove_dir_all(t.root()).unwrap();
    }
}

#[test]
fn certificate_and_credential_mistakes() {
    let world = World::builder().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // an expired certificate
    let t = fresh(&world, &dir, Validity::Expired);
    assert_eq!(failing(&t), vec!["certificate"]);
    let line = oqs_setup::audit(&t)
        .into_iter()
        .find(|l| l.id == "certificate")
        .unwrap();
    assert!(line.to_string().contains("有効期限外"), "{line}");
    std::fs::remove_dir_all(t.root()).unwrap();
    // OQS_CRYPT_PASS with a symbol
    let t = fresh(&world, &dir, Validity::Current);
    use oqs_host::credentials::GenericCredential;
    t.credentials()
        .write_generic(GenericCredential {
            target: "OQS_CRYPT_PASS".into(),
            user: "OQS_Admin".into(),
            password: "Crypt#2025".into(),
        })
        .unwrap();
    assert_eq!(failing(&t), vec!["credentials"]);
}

#[test]
fn forbidden_profiles_are_refused_before_anything_changes() {
    let world = World::builder().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let t = world.terminal("OQS-PC02").unwrap();
    let before = t.system().load().unwrap();
    let mut p = example(&dir.path().join("none.p12"));
    p.restart_at = Some("04:05".into());
    let e = oqs_setup::apply(&t, &p.to_toml()).unwrap_err();
    assert!(e.to_string().contains("3:50〜4:10"), "{e}");
    assert_eq!(t.system().load().unwrap(), before);
}
