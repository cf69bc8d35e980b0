//! The terminal checked against the setup manual \[000\]: the settings of operations 1–12 and
//! the list of things that break a terminal after setup (an expired or missing certificate,
//! running on battery, closed ports, …). One line per item, with the manual's reference and
//! the remedy. Which items apply follows the profile the setup tool applied (A/B/C, power).

use crate::apply::{DISTRO_TASK, LINKAGE_TASKS};
use oqs_host::certificates::StoreName;
use oqs_host::windows::{Access, CERTPROP_POLICY, DeviceKind, Trigger, WindowsState};
use oqs_host::{Host, WinPath};
use oqs_proto::linkage::config::{OQS_CRYPT_PASS, OQS_LOGIN_KEY, OQS_MEDICAL_INSTITUTION_CODE};
use oqs_proto::site::{
    APPLIED_PROFILE, EXTENSIONS, OQS_USER, PORTS, PowerMode, RESTART_COMMAND, RESTART_TASK,
    SiteProfile, check_bypass, check_restart_time, minutes,
};
use serde::Serialize;

/// One checklist item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Line {
    /// Stable id for machines (`fast_startup`, `winhttp`, …).
    pub id: &'static str,
    pub ok: bool,
    /// The manual's place: 操作3, チェックリスト, …
    pub reference: &'static str,
    pub item: String,
    /// What was found.
    pub detail: String,
    /// What to do when it fails.
    pub remedy: &'static str,
}

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.ok {
            write!(f, "✓ [{}] {}: {}", self.reference, self.item, self.detail)
        } else {
            write!(
                f,
                "✗ [{}] {}: {} → {}",
                self.reference, self.item, self.detail, self.remedy
            )
        }
    }
}

struct Audit {
    lines: Vec<Line>,
}

impl Audit {
    fn add(
        &mut self,
        id: &'static str,
        reference: &'static str,
        item: impl Into<String>,
        result: Result<String, String>,
        remedy: &'static str,
    ) {
        let (ok, detail) = match result {
            Ok(d) => (true, d),
            Err(d) => (false, d),
        };
        self.lines.push(Line {
            id,
            ok,
            reference,
            item: item.into(),
            detail,
            remedy,
        });
    }
}

fn need(cond: bool, ok: impl Into<String>, bad: impl Into<String>) -> Result<String, String> {
    if cond { Ok(ok.into()) } else { Err(bad.into()) }
}

fn load_profile(host: &dyn Host) -> Result<SiteProfile, String> {
    let p = WinPath::parse(APPLIED_PROFILE).expect("constant path");
    match host.files().read_if_exists(&p) {
        Ok(Some(b)) => SiteProfile::parse(&String::from_utf8_lossy(&b)).map_err(|e| e.to_string()),
        Ok(None) => Err(format!("{APPLIED_PROFILE} がありません")),
        Err(e) => Err(e.to_string()),
    }
}

/// Every item, in the manual's order.
pub fn audit(host: &dyn Host) -> Vec<Line> {
    let mut a = Audit { lines: Vec::new() };
    let profile = load_profile(host);
    a.add(
        "profile",
        "セットアップ",
        "サイトのプロファイル",
        profile
            .as_ref()
            .map(|p| {
                format!(
                    "医療機関コード {}、{}",
                    p.institution_code,
                    p.network.label()
                )
            })
            .map_err(Clone::clone),
        "oqs-setup apply <端末> <profile.toml> でセットアップしてください",
    );
    let w = match host.system().load() {
        Ok(w) => w,
        Err(e) => {
            a.add(
                "windows_state",
                "セットアップ",
                "Windows の設定",
                Err(e.to_string()),
                "state/windows.json を確認してください",
            );
            return a.lines;
        }
    };
    let p = profile.ok();
    let face = p.as_ref().is_none_or(|p| p.face_reader);
    let his = p.as_ref().is_none_or(|p| p.his_linkage);
    let auto = p.as_ref().is_none_or(|p| p.power == PowerMode::Auto);
    windows_items(&mut a, &w, p.as_ref(), auto);
    share_items(&mut a, &w, p.as_ref(), face, his);
    certificate_item(&mut a, host, p.as_ref());
    if face {
        face_reader_software_item(&mut a, &w);
    }
    task_item(&mut a, &w, "distro_task", "操作11", DISTRO_TASK);
    if face || his {
        institution_code_item(&mut a, host, p.as_ref());
    }
    if his {
        credentials_item(&mut a, host);
        for t in LINKAGE_TASKS {
            task_item(&mut a, &w, "linkage_tasks", "操作12", t);
        }
    }
    breakers(&mut a, &w);
    a.lines
}

/// 操作4–5: the face result folder and req/res, shared with the HIS, at the folders the kit's
/// profile gives the linkage app and the face reader.
fn share_items(a: &mut Audit, w: &WindowsState, p: Option<&SiteProfile>, face: bool, his: bool) {
    let dirs = &oqs_proto::profile::Profile::builtin().linkage;
    if face {
        share_item(a, w, "share_face", "操作4", &dirs.face_dir, p);
    }
    if his {
        share_item(a, w, "share_req", "操作5", &dirs.request_dir, p);
        share_item(a, w, "share_res", "操作5", &dirs.result_dir, p);
    }
}

/// 操作10: the face reader vendor's software, installed while logged on as OqsComApp.
fn face_reader_software_item(a: &mut Audit, w: &WindowsState) {
    let sw: Vec<_> = w
        .apps
        .iter()
        .filter(|x| x.name.starts_with(oqs_proto::site::FACE_READER_SOFTWARE))
        .collect();
    a.add(
        "face_reader_software",
        "操作10",
        "顔認証付きカードリーダーのソフトウェア",
        match sw.as_slice() {
            [] => Err("インストールされていません".into()),
            s if s.iter().any(|x| x.installed_by.as_deref() != Some(OQS_USER)) => Err(format!(
                "{} でログオンしてインストールされています",
                s.iter()
                    .filter_map(|x| x.installed_by.clone())
                    .find(|u| u != OQS_USER)
                    .unwrap_or_else(|| "不明なユーザー".into())
            )),
            s => Ok(s.iter().map(|x| x.name.as_str()).collect::<Vec<_>>().join(", ")),
        },
        "OqsComApp でログオンし、メーカーのソフトウェアをインストールし直してください（実行権限は変更しないでください）",
    );
}

/// Several terminals of one site audited together: each terminal's own lines, plus the one
/// thing no single terminal can show — its client certificate also installed on another
/// terminal ("1つの電子証明書を複数の端末で使用" breaks the terminal [000 end]).
pub fn audit_site(terminals: &[(&str, &dyn Host)]) -> Vec<(String, Vec<Line>)> {
    let ours = |h: &dyn Host| -> Vec<(String, String)> {
        client_certificates(h)
            .into_iter()
            .map(|c| (c.thumbprint, c.issued_to))
            .collect()
    };
    let certs: Vec<_> = terminals.iter().map(|(_, h)| ours(*h)).collect();
    let certs = &certs;
    terminals
        .iter()
        .enumerate()
        .map(|(i, (name, host))| {
            let mut a = Audit { lines: audit(*host) };
            let shared: Vec<String> = certs[i]
                .iter()
                .flat_map(|(thumb, code)| {
                    terminals
                        .iter()
                        .enumerate()
                        .filter(move |(j, _)| *j != i && certs[*j].iter().any(|(t, _)| t == thumb))
                        .map(move |(_, (other, _))| format!("{code}（拇印 {thumb}）が {other} にもあります"))
                })
                .collect();
            a.add(
                "certificate_shared",
                "チェックリスト",
                "電子証明書は端末ごとに1つ",
                if shared.is_empty() {
                    Ok(format!("他の {} 台と共用していません", terminals.len() - 1))
                } else {
                    Err(shared.join("; "))
                },
                "電子証明書は端末ごとに発行を受けてください。共用している端末から証明書を削除し、その端末用の証明書をダウンロードしてインポートしてください（操作6）",
            );
            ((*name).to_owned(), a.lines)
        })
        .collect()
}

fn windows_items(a: &mut Audit, w: &WindowsState, p: Option<&SiteProfile>, auto: bool) {
    user_items(a, w);
    face_library_items(a, w);
    proxy_items(a, w, p);
    power_and_time_items(a, w, p);
    if auto {
        restart_items(a, w, p);
    }
}

/// 操作2: the face library's three Edge extensions: present, on, and added from the library
/// installed now.
fn edge_extensions_item(a: &mut Audit, w: &WindowsState) {
    let missing: Vec<&str> = EXTENSIONS
        .iter()
        .copied()
        .filter(|x| !w.edge.extensions.iter().any(|e| e == x))
        .collect();
    let off: Vec<&str> = EXTENSIONS
        .iter()
        .copied()
        .filter(|x| w.edge.disabled.iter().any(|e| e == x))
        .collect();
    let library = w
        .apps
        .iter()
        .find(|x| x.name == oqs_proto::distro::App::FaceLibrary.label())
        .map(|x| x.version.clone());
    let stale: Vec<String> = EXTENSIONS
        .iter()
        .filter_map(|x| {
            let from = w.edge.added_from.get(*x)?;
            // versions compare as versions: 2.3 is 2.3.0
            let same = |a: &str, b: &str| match (
                a.parse::<oqs_proto::distro::Version>(),
                b.parse::<oqs_proto::distro::Version>(),
            ) {
                (Ok(a), Ok(b)) => a == b,
                _ => a == b,
            };
            (!library.as_deref().is_some_and(|l| same(from, l))).then(|| format!("{x}（{from}）"))
        })
        .collect();
    a.add(
        "edge_extensions",
        "操作2",
        "Edge 拡張機能",
        if !missing.is_empty() {
            Err(format!("{} がありません", missing.join(", ")))
        } else if !off.is_empty() {
            Err(format!("{} が無効になっています", off.join(", ")))
        } else if !stale.is_empty() {
            Err(format!(
                "{} は更新前の顔認証ライブラリから追加したままです（現在 {}）",
                stale.join(", "),
                library.unwrap_or_default()
            ))
        } else {
            Ok(EXTENSIONS.join(", "))
        },
        "C:\\Program Files\\OQS-Auth\\ext の .crx を開発者モードで追加し、無効になった拡張機能はオンに戻してください（開発者モードの警告は × で閉じます）。顔認証ライブラリの更新後は、3つの拡張機能を削除してから追加し直してください",
    );
}

/// 操作1: the Windows user.
fn user_items(a: &mut Audit, w: &WindowsState) {
    let user = w.user(OQS_USER);
    a.add(
        "user",
        "操作1",
        "Windowsユーザー OqsComApp",
        need(
            user.is_some_and(|u| u.administrator) && w.logged_on.as_deref() == Some(OQS_USER),
            "管理者、ログオン中",
            match user {
                None => format!(
                    "「{OQS_USER}」がありません（ユーザー: {}）",
                    w.users.iter().map(|u| u.name.as_str()).collect::<Vec<_>>().join(", ")
                ),
                Some(u) if !u.administrator => "標準ユーザーです".into(),
                Some(_) => format!("ログオン中のユーザーは {:?} です", w.logged_on),
            },
        ),
        "ユーザー名「OqsComApp」（大文字・小文字を区別）を管理者で作成し、そのユーザーでログオンしてください",
    );
}

/// 操作2: .NET, the face library's policy and Edge.
fn face_library_items(a: &mut Audit, w: &WindowsState) {
    a.add(
        "dotnet",
        "操作2",
        ".NET Framework 4.8",
        need(w.dotnet48, "有効", "インストールされていないか無効です"),
        ".NET Framework 4.8 をインストールし、無効にしないでください",
    );
    a.add(
        "certprop",
        "操作2",
        "スマートカードの証明書の伝達（CertPropSvc）",
        if !w.cert_propagation_disabled {
            Err("有効のままです".to_owned())
        } else if w.pending_restart.iter().any(|c| c == CERTPROP_POLICY) {
            Err("ポリシーは設定済みですが、再起動していないためまだ有効になっていません".to_owned())
        } else {
            Ok("ポリシーで無効".to_owned())
        },
        "顔認証ライブラリのインストーラ（OqsInstall.exe）を実行し、Windows を再起動してください（シャットダウンでは高速スタートアップのため有効になりません）",
    );
    edge_extensions_item(a, w);
    a.add(
        "edge_sync",
        "操作2",
        "Edge の同期",
        need(!w.edge.sync, "オフ", "同期が有効です"),
        "「同期を有効にする」はクリックしないでください。「同期を有効にする」をクリックしてしまった場合は、サインイン画面が出てきますが、サインインせず「×」で閉じてください（手順書004）。[kit] サインインしてしまった場合は Edge の設定で同期をオフにしてください（手順書にこの場合の指示はありません）",
    );
    a.add(
        "edge_developer_mode",
        "操作2",
        "Edge 開発者モード",
        need(!w.edge.developer_mode, "オフ", "オンのままです"),
        "拡張機能を追加した後、開発者モードをオフにしてください",
    );
}

/// 操作3: the proxy, its exceptions and WinHTTP.
fn proxy_items(a: &mut Audit, w: &WindowsState, p: Option<&SiteProfile>) {
    let proxy = p.map(SiteProfile::proxy);
    let (want_addr, want_port) = proxy
        .as_ref()
        .map(|x| (x.address.clone(), x.port))
        .unwrap_or((
            oqs_proto::site::PROXY_ADDRESS.into(),
            oqs_proto::site::PROXY_PORT,
        ));
    a.add(
        "proxy",
        "操作3",
        "プロキシ（手動プロキシ セットアップ）",
        need(
            w.proxy.enabled && w.proxy.address == want_addr && w.proxy.port == want_port,
            format!("{}:{}", w.proxy.address, w.proxy.port),
            if w.proxy.enabled {
                format!(
                    "{}:{}（{}:{} であるべき）",
                    w.proxy.address, w.proxy.port, want_addr, want_port
                )
            } else {
                "プロキシサーバーを使う がオフです".into()
            },
        ),
        "設定 → ネットワークとインターネット → プロキシ で手動プロキシを設定してください",
    );
    let want_bypass = proxy
        .map(|x| x.bypass)
        .unwrap_or_else(|| oqs_proto::site::BYPASS.into());
    let bypass = match check_bypass(&w.proxy.bypass) {
        Err(e) => Err(e.to_string()),
        Ok(have) => {
            let missing: Vec<String> = want_bypass
                .split(';')
                .filter(|x| !x.is_empty() && !have.iter().any(|h| h == x))
                .map(str::to_owned)
                .collect();
            need(
                missing.is_empty(),
                format!("{} 件", have.len()),
                format!("{} がありません", missing.join(";")),
            )
        }
    };
    a.add(
        "bypass",
        "操作3",
        "プロキシの例外（バイパス一覧）",
        bypass,
        "アドレスごとにセミコロン（;）で区切って、マニュアルのアドレスをすべて入力してください",
    );
    let expected = format!("{}:{}", w.proxy.address, w.proxy.port);
    a.add(
        "winhttp",
        "操作3",
        "WinHTTP プロキシ",
        need(
            w.winhttp
                .as_ref()
                .is_some_and(|h| h.server == expected && h.bypass == w.proxy.bypass),
            format!("http://{expected}"),
            match &w.winhttp {
                None => "直接アクセス（プロキシ サーバーなし）".into(),
                Some(h) => format!("http://{}（ユーザーの設定と異なります）", h.server),
            },
        ),
        "管理者のコマンドプロンプトで netsh winhttp import proxy source=ie を実行してください",
    );
}

/// 操作3: sleep, fast startup, internet time and scaling.
fn power_and_time_items(a: &mut Audit, w: &WindowsState, p: Option<&SiteProfile>) {
    let laptop = w.power.device == DeviceKind::Laptop;
    a.add(
        "sleep",
        "操作3",
        "スリープ",
        need(
            w.power.sleep_on_ac.is_none() && (!laptop || w.power.sleep_on_battery.is_none()),
            "なし",
            format!(
                "電源に接続時 {:?} 分、バッテリー駆動時 {:?} 分",
                w.power.sleep_on_ac, w.power.sleep_on_battery
            ),
        ),
        "電源とスリープで、スリープを「なし」にしてください",
    );
    a.add(
        "fast_startup",
        "操作3",
        "高速スタートアップ",
        need(!w.power.fast_startup, "無効", "有効です"),
        "電源オプション → 電源ボタンの動作 で「高速スタートアップを有効にする」のチェックを外してください",
    );
    let want_ntp = p
        .and_then(|p| p.proxy().ntp)
        .unwrap_or_else(|| oqs_proto::site::NTP_SERVER.into());
    a.add(
        "time_server",
        "操作3",
        "インターネット時刻サーバー",
        match &w.time.last_update {
            _ if !(w.time.enabled && w.time.server == want_ntp) => {
                Err(format!("{}（{want_ntp} であるべき）", w.time.server))
            }
            // the dialog's last answer stays on record: a failed 今すぐ更新 is not done
            Some(m) if !m.contains("正常に同期しました") => Err(format!("前回の今すぐ更新: {m}")),
            _ => Ok(w.time.server.clone()),
        },
        "日付と時刻 → インターネット時刻 → 設定の変更 でサーバーを入力し、今すぐ更新で同期したことを確認してください（同期しないときは通信回線の設定を確認）",
    );
    a.add(
        "scaling",
        "操作3",
        "拡大縮小とレイアウト",
        need(
            w.display_scaling == 100,
            "100%",
            format!("{}%", w.display_scaling),
        ),
        "ディスプレイの拡大縮小を 100% にしてください",
    );
}

fn restart_items(a: &mut Audit, w: &WindowsState, p: Option<&SiteProfile>) {
    let t = w.task(RESTART_TASK);
    let daily = t.and_then(|t| {
        t.triggers.iter().find_map(|tr| match tr {
            Trigger::Daily { at } => Some(at.clone()),
            _ => None,
        })
    });
    let r = match (t, &daily) {
        (None, _) => Err(format!("タスク「{RESTART_TASK}」がありません")),
        (Some(_), None) => Err("毎日のトリガーがありません".into()),
        (Some(t), Some(at)) => restart_task(w, t, at),
    };
    a.add(
        "restart_task",
        "操作3",
        "定刻に再起動（タスクスケジューラ）",
        r,
        "タスク「定刻に再起動」を shutdown /r /t 0・毎日・OqsComApp・ログオンにかかわらず実行で作成し、時刻は 3:50〜4:10 以外かつ分の1の位が0・5以外にしてください",
    );
    let start = p.map(|p| p.business_hours.start.as_str());
    a.add(
        "update_policy",
        "操作3",
        "自動更新を構成する（グループポリシー）",
        update_policy(w, daily.as_deref(), start),
        "gpedit.msc で「自動更新を構成する」を有効、4・0 - 毎日、再起動の後・診療開始の前の時刻にしてください",
    );
    a.add(
        "active_hours",
        "操作3",
        "アクティブ時間",
        need(
            !w.active_hours.auto_adjust,
            format!("{}:00〜{}:00", w.active_hours.start, w.active_hours.end),
            "自動的に調整する がオンです",
        ),
        "Windows Update → アクティブ時間の変更 で自動調整をオフにし、時間を設定してください",
    );
}

/// The daily restart task as the manual draws it, at a time its rule allows.
fn restart_task(w: &WindowsState, t: &oqs_host::windows::Task, at: &str) -> Result<String, String> {
    if t.command != RESTART_COMMAND {
        Err(format!("操作が「{}」です", t.command))
    } else if !t.run_whether_logged_on || t.stored_password.is_none() {
        Err("「ユーザーがログオンしているかどうかにかかわらず実行する」ではありません".into())
    } else if t.run_as != OQS_USER {
        Err(format!("実行ユーザーが {} です", t.run_as))
    } else if !password_matches(w, t) {
        Err("保存された OqsComApp のパスワードが現在のものと違うため、再起動できません".into())
    } else {
        check_restart_time(at)
            .map(|_| format!("毎日 {at}"))
            .map_err(|e| e.to_string())
    }
}

/// The update policy: option 4, every day, installing after the restart (`daily`) and
/// before business starts (`start`).
fn update_policy(
    w: &WindowsState,
    daily: Option<&str>,
    start: Option<&str>,
) -> Result<String, String> {
    let u = &w.windows_update;
    if !u.enabled || u.option != 4 || u.day != 0 {
        return Err(format!(
            "有効 {}、オプション {}、日 {}",
            u.enabled, u.option, u.day
        ));
    }
    match (daily.map(minutes), minutes(&u.time), start.map(minutes)) {
        (_, Err(e), _) => Err(e.to_string()),
        (Some(Ok(r)), Ok(m), Some(Ok(s))) if !oqs_proto::site::update_in_window(r, m, s) => {
            Err(format!(
                "インストール時刻 {} が再起動（{}）の後・診療開始（{}）の前ではありません",
                u.time,
                daily.unwrap_or_default(),
                start.unwrap_or_default()
            ))
        }
        _ => Ok(format!(
            "4 - 自動ダウンロードしインストール日時を指定、毎日 {}",
            u.time
        )),
    }
}

fn share_item(
    a: &mut Audit,
    w: &WindowsState,
    id: &'static str,
    reference: &'static str,
    path: &str,
    p: Option<&SiteProfile>,
) {
    let account = p.map(|p| p.his_account.as_str()).unwrap_or("receiptcom");
    let s = w.shares.iter().find(|s| s.path.eq_ignore_ascii_case(path));
    a.add(
        id,
        reference,
        format!("共有フォルダ {path}"),
        match s {
            None => Err("共有されていません".into()),
            Some(s) if s.account != account => Err(format!("共有先が {} です", s.account)),
            Some(s) if s.access != Access::ReadWrite => Err("読み取りのみです".into()),
            Some(s) => Ok(format!("{} 読み取り/書き込み", s.account)),
        },
        "フォルダのプロパティ → 共有 → 詳細な共有 で、レセコンのアカウントに読み取り/書き込みを付けてください",
    );
}

/// The terminal's client certificates: from the common root, with their private key.
fn client_certificates(host: &dyn Host) -> Vec<oqs_host::certificates::StoredCertificate> {
    host.certificates()
        .list(StoreName::My)
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c.issued_by == oqs_proto::institution::ROOT_CA_NAME && c.private_key.is_some())
        .collect()
}

fn certificate_item(a: &mut Audit, host: &dyn Host, p: Option<&SiteProfile>) {
    let now = host.clock().now();
    let mine = client_certificates(host);
    let ours: Vec<_> = mine
        .iter()
        .filter(|c| p.is_none_or(|p| c.issued_to == p.institution_code))
        .collect();
    let r = if ours.is_empty() {
        Err("個人ストアに Online Billing NW Common Root CA 発行の電子証明書がありません".into())
    } else if let Some(c) = ours
        .iter()
        .find(|c| c.not_before <= now && now < c.not_after)
    {
        Ok(format!("{}（{} まで）", c.issued_to, c.not_after.date()))
    } else {
        Err(format!(
            "有効期限外です（{}）",
            ours.iter()
                .map(|c| format!("{}〜{}", c.not_before.date(), c.not_after.date()))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    };
    a.add(
        "certificate",
        "操作6",
        "電子証明書（個人）",
        r,
        "証明書発行サイトから電子証明書をダウンロードし、操作6のとおりインポートしてください（期限切れの証明書・他端末の証明書は使えません）",
    );
}

/// A task that runs whether the user is logged on or not holds the user's password; after the
/// Windows password changes it can no longer log on \[003\]. (A missing user is the user item's
/// finding, reported once there.)
fn password_matches(w: &WindowsState, t: &oqs_host::windows::Task) -> bool {
    !t.run_whether_logged_on
        || w.user(&t.run_as)
            .is_none_or(|u| t.stored_password.as_deref() == Some(u.password.as_str()))
}

fn task_item(
    a: &mut Audit,
    w: &WindowsState,
    id: &'static str,
    reference: &'static str,
    name: &str,
) {
    let t = w.task(name);
    a.add(
        id,
        reference,
        if id == "distro_task" {
            "タスク OQS_exec_distroappstart"
        } else {
            "連携アプリケーションのタスク"
        },
        match t {
            None => Err(format!("{name} がありません")),
            Some(t) if t.run_as != OQS_USER => {
                Err(format!("{name} の実行ユーザーが {} です", t.run_as))
            }
            Some(t) if !t.enabled => Err(format!("{name} が無効です")),
            Some(t) if !password_matches(w, t) => Err(format!(
                "{name} に保存された OqsComApp のパスワードが現在のものと違うため、タスクを実行できません（Windowsアカウントのパスワードを変更しないでください）"
            )),
            Some(_) => Ok(format!("{name}（OqsComApp）")),
        },
        "tools フォルダのタスク XML を OqsComApp でタスクスケジューラにインポートしてください（パスワードが変わった場合は、タスクのプロパティで OqsComApp の現在のパスワードを入力し直してください）",
    );
}

/// `OQS_MEDICAL_INSTITUTION_CODE`: the linkage app \[C\] and the face library \[A\] both read it.
fn institution_code_item(a: &mut Audit, host: &dyn Host, p: Option<&SiteProfile>) {
    let code = host
        .credentials()
        .read_generic(OQS_MEDICAL_INSTITUTION_CODE)
        .ok()
        .flatten();
    a.add(
        "institution_code",
        "操作12",
        "資格情報マネージャー OQS_MEDICAL_INSTITUTION_CODE",
        match code {
            None => Err("OQS_MEDICAL_INSTITUTION_CODE がありません".into()),
            Some(c) if p.is_some_and(|p| p.institution_code != c.password) => {
                Err(format!("OQS_MEDICAL_INSTITUTION_CODE が {} です", c.password))
            }
            Some(c) => Ok(c.password),
        },
        "汎用資格情報 OQS_MEDICAL_INSTITUTION_CODE（ユーザー名 OQS_Admin）のパスワードに10桁の医療機関コードを登録し、OQSComAppRestart を実行してください",
    );
}

/// \[C\] `OQS_LOGIN_KEY` and, when present, a valid `OQS_CRYPT_PASS`.
fn credentials_item(a: &mut Audit, host: &dyn Host) {
    let c = host.credentials();
    let read = |t| c.read_generic(t).ok().flatten();
    let r = match read(OQS_LOGIN_KEY) {
        None => Err("OQS_LOGIN_KEY がありません".into()),
        Some(login) => match read(OQS_CRYPT_PASS)
            .map(|x| x.password.parse::<oqs_proto::linkage::crypt::CryptPass>())
        {
            Some(Err(e)) => Err(format!("OQS_CRYPT_PASS: {e}")),
            _ => Ok(format!("OQS_LOGIN_KEY {}", login.user)),
        },
    };
    a.add(
        "credentials",
        "操作12",
        "資格情報マネージャー",
        r,
        "操作12の表のとおり汎用資格情報を登録し、OQSComAppRestart を実行してください",
    );
}

fn breakers(a: &mut Audit, w: &WindowsState) {
    a.add(
        "battery",
        "チェックリスト",
        "電源",
        need(!w.power.on_battery, "電源に接続", "バッテリー駆動です"),
        "電源ケーブルを接続してください（バッテリー駆動では配信アプリケーションが動きません）",
    );
    let blocked: Vec<String> = PORTS
        .iter()
        .filter(|p| w.blocked_ports.contains(p))
        .map(u16::to_string)
        .collect();
    a.add(
        "ports",
        "チェックリスト",
        "ポート 53・80・123・443・8080",
        need(
            blocked.is_empty(),
            "開いています",
            format!("{} が閉じています", blocked.join(", ")),
        ),
        "ファイアウォール・ネットワーク機器でポートを開けてください",
    );
}
