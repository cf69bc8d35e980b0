//! Operations 1–12 of the setup manual \[000\], applied to a terminal from a site profile, in the
//! manual's order. Each step says what it did, in the manual's words; the profile is checked
//! first ([`SiteProfile::check`]), so nothing is half-applied because of a forbidden value.

use oqs_host::certificates::StoreName;
use oqs_host::credentials::GenericCredential;
use oqs_host::windows::{Access, InstalledApp, Share, Task, Trigger, User};
use oqs_host::{Host, WinPath, WindowsState};
use oqs_proto::linkage::config::{
    OQS_ADMIN, OQS_CRYPT_PASS, OQS_LOGIN_KEY, OQS_MEDICAL_INSTITUTION_CODE,
};
use oqs_proto::site::{
    APPLIED_PROFILE, EXTENSIONS, OQS_USER, PowerMode, RESTART_COMMAND, RESTART_TASK, SiteProfile,
};
use std::io;

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Profile(#[from] oqs_proto::site::ProfileError),
    #[error("端末の状態を読み書きできません: {0}")]
    Io(#[from] io::Error),
    #[error(transparent)]
    Task(#[from] crate::tasks::TaskImportError),
    #[error("電子証明書「{file}」をインポートできません: {reason}")]
    Certificate { file: String, reason: String },
}

/// The tasks the linkage app's installer leaves in `tools` [000 op12], and the distro app's.
pub const LINKAGE_TASKS: [&str; 3] = [
    "OQS_exec_comappdelfile_periodic",
    "OQS_exec_comappdelfile_running",
    "OQS_exec_comappstart",
];
pub const DISTRO_TASK: &str = "OQS_exec_distroappstart";
pub const DISTRO_TOOLS: &str = r"C:\Program Files\OQS\OQSDistroApp\tools";
pub const COMAPP_TOOLS: &str = r"C:\Program Files\OQS\OQSComApp\tools";

fn task(name: &str, command: &str, triggers: Vec<Trigger>, password: &str) -> Task {
    Task {
        name: name.into(),
        command: command.into(),
        run_as: OQS_USER.into(),
        run_whether_logged_on: true,
        stored_password: Some(password.into()),
        highest_privileges: true,
        triggers,
        ac_only: false,
        enabled: true,
    }
}

fn upsert_task(tasks: &mut Vec<Task>, t: Task) {
    tasks.retain(|x| x.name != t.name);
    tasks.push(t);
}

fn share(shares: &mut Vec<Share>, path: &str, account: &str) {
    shares.retain(|s| !s.path.eq_ignore_ascii_case(path));
    shares.push(Share {
        path: path.into(),
        account: account.into(),
        access: Access::ReadWrite,
    });
}

fn mkdir(host: &dyn Host, path: &str) -> io::Result<()> {
    let p = WinPath::parse(path).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    std::fs::create_dir_all(host.files().resolve(&p)?)
}

/// Applies the profile; returns the steps done, one line each.
pub fn apply(host: &dyn Host, profile_text: &str) -> Result<Vec<String>, ApplyError> {
    let p = SiteProfile::parse(profile_text)?;
    // the certificate file is the likeliest thing to be wrong (missing, wrong password): read it
    // before anything changes, so nothing is half-applied
    let certificate = match &p.certificate {
        Some(c) => Some(read_certificate(&c.file, &c.password)?),
        None => None,
    };
    let mut done = Vec::new();
    let mut w = host.system().load()?;
    op1_user(&mut w, &p, &mut done);
    op2_face_library(host, &mut w, &mut done)?;
    op3_windows(&mut w, &p, &mut done);
    op4_op5_shares(host, &mut w, &p, &mut done)?;
    // 6 client certificate (read and decoded before step 1)
    if let (Some(c), Some(cert)) = (&p.certificate, &certificate) {
        install_certificate(host, cert)?;
        done.push(format!(
            "操作6: 電子証明書「{}」を個人ストアにインポート",
            c.file
        ));
    }

    op10_face_reader_software(&mut w, &p, &mut done);
    op11_distro_app(host, &mut w, &p, &mut done)?;
    op12_credentials_and_tasks(host, &mut w, &p, &mut done)?;
    host.system().save(&w)?;
    write_bytes(host, APPLIED_PROFILE, profile_text.as_bytes())?;
    Ok(done)
}

/// 1 Windows user OqsComApp, administrator, logged on.
fn op1_user(w: &mut WindowsState, p: &SiteProfile, done: &mut Vec<String>) {
    w.users.retain(|u| u.name != OQS_USER);
    w.users.push(User {
        name: OQS_USER.into(),
        administrator: true,
        password: p.oqs_password.clone(),
    });
    w.logged_on = Some(OQS_USER.into());
    done.push(format!(
        "操作1: Windowsユーザー「{OQS_USER}」（管理者）を作成し、ログオン"
    ));
}

/// 2 .NET 4.8, face library (CertPropSvc policy), extensions with developer mode on → off.
fn op2_face_library(
    host: &dyn Host,
    w: &mut WindowsState,
    done: &mut Vec<String>,
) -> Result<(), ApplyError> {
    w.dotnet48 = true;
    w.cert_propagation_disabled = true;
    set_app(
        &mut w.apps,
        oqs_proto::distro::App::FaceLibrary.label(),
        "2.3.0",
    );
    for (path, bytes) in oqs_proto::site::face_library_files("2.3.0") {
        write_bytes(host, &path, &bytes)?;
    }
    w.edge.developer_mode = true;
    for crx in EXTENSIONS {
        if !w.edge.extensions.iter().any(|e| e == crx) {
            w.edge.extensions.push(crx.into());
        }
        w.edge.added_from.insert(crx.into(), "2.3.0".into());
    }
    w.edge.developer_mode = false;
    w.edge.sync = false;
    w.restart();
    done.push(
        "操作2: .NET Framework 4.8、顔認証ライブラリ（CertPropSvc 無効化）、拡張機能3つ（開発者モードはオフに戻す）、再起動".into(),
    );

    Ok(())
}

/// 3 proxy, WinHTTP, sleep, fast startup, time, scaling, restart task, update policy.
fn op3_windows(w: &mut WindowsState, p: &SiteProfile, done: &mut Vec<String>) {
    let proxy = p.proxy();
    w.proxy.enabled = true;
    w.proxy.address = proxy.address.clone();
    w.proxy.port = proxy.port;
    w.proxy.bypass = proxy.bypass.clone();
    // netsh winhttp import proxy source=ie
    w.import_winhttp_from_ie();
    w.power.sleep_on_ac = None;
    w.power.sleep_on_battery = None;
    w.power.fast_startup = false;
    if let Some(ntp) = &proxy.ntp {
        w.time.enabled = true;
        w.time.server = ntp.clone();
    }
    w.display_scaling = 100;
    done.push(format!(
        "操作3: プロキシ {}:{}、例外、netsh winhttp import proxy source=ie、スリープなし、高速スタートアップ無効、インターネット時刻、拡大縮小100%",
        proxy.address, proxy.port
    ));
    if p.power == PowerMode::Auto {
        let restart = p.restart_at.clone().unwrap_or_default();
        let update = p.update_at.clone().unwrap_or_default();
        upsert_task(
            &mut w.tasks,
            task(
                RESTART_TASK,
                RESTART_COMMAND,
                vec![Trigger::Daily {
                    at: restart.clone(),
                }],
                &p.oqs_password,
            ),
        );
        w.windows_update.enabled = true;
        w.windows_update.option = 4;
        w.windows_update.day = 0;
        w.windows_update.time = update.clone();
        if let Some(a) = &p.active_hours {
            w.active_hours.auto_adjust = false;
            w.active_hours.start = a.start;
            w.active_hours.end = a.end;
        }
        done.push(format!(
            "操作3: タスク「{RESTART_TASK}」毎日 {restart}、自動更新を構成する 4・毎日 {update}、アクティブ時間を手動設定"
        ));
    }
}

/// 4 \[A\] the face result folder and 5 \[C\] the linkage app's req/res, shared with the HIS.
fn op4_op5_shares(
    host: &dyn Host,
    w: &mut WindowsState,
    p: &SiteProfile,
    done: &mut Vec<String>,
) -> Result<(), ApplyError> {
    // the folders the kit's profile gives the linkage app and the face reader
    let dirs = &oqs_proto::profile::Profile::builtin().linkage;
    if p.face_reader {
        mkdir(host, &dirs.face_dir)?;
        share(&mut w.shares, &dirs.face_dir, &p.his_account);
        done.push(format!(
            "操作4: {} を「{}」に読み取り/書き込みで共有",
            dirs.face_dir, p.his_account
        ));
    }

    // 5 [C] linkage app, req/res shared with the HIS
    if p.his_linkage {
        for dir in [&dirs.request_dir, &dirs.result_dir] {
            mkdir(host, dir)?;
            share(&mut w.shares, dir, &p.his_account);
        }
        set_app(&mut w.apps, "連携アプリケーション", "2.2.0");
        write_bytes(
            host,
            oqs_proto::version_info::LINKAGE_APP,
            &oqs_proto::version_info::render("2.2.0"),
        )?;
        crate::tasks::write_installer_tasks(host, COMAPP_TOOLS)?;
        write_bytes(
            host,
            &format!("{COMAPP_TOOLS}\\OQSComAppRestart.bat"),
            "@rem 連携アプリケーションを再起動します（管理者として実行）\r\n".as_bytes(),
        )?;
        done.push(format!(
            "操作5: 連携アプリケーションをインストールし、{} と {} を「{}」に共有",
            dirs.request_dir, dirs.result_dir, p.his_account
        ));
    }

    Ok(())
}

/// 10 \[A\] the face reader vendor's software, logged on as OqsComApp.
fn op10_face_reader_software(w: &mut WindowsState, p: &SiteProfile, done: &mut Vec<String>) {
    if p.face_reader {
        set_app(
            &mut w.apps,
            &format!("{}{}", oqs_proto::site::FACE_READER_SOFTWARE, "Caora"),
            "1.0",
        );
        done.push(
            "操作10: 顔認証付きカードリーダーのソフトウェアを OqsComApp でログオンしてインストール"
                .into(),
        );
    }
}

/// 11 distribution app: the installer leaves its task XML in tools, imported as OqsComApp.
fn op11_distro_app(
    host: &dyn Host,
    w: &mut WindowsState,
    p: &SiteProfile,
    done: &mut Vec<String>,
) -> Result<(), ApplyError> {
    set_app(&mut w.apps, "配信アプリケーション", "1.0.4");
    write_bytes(
        host,
        oqs_proto::version_info::DISTRO_APP,
        &oqs_proto::version_info::render("1.0.4"),
    )?;
    // 設定の変更: 配信拠点(推奨) for base-origin sites, クラウド otherwise; advanced fields empty
    let distro = oqs_proto::distro::Settings {
        server: oqs_proto::distro::ServerChoice::from_label(p.network.distro_server())
            .unwrap_or(oqs_proto::distro::ServerChoice::Base),
        auto_update: p.stop_auto_update.is_none(),
        ..Default::default()
    };
    write_bytes(
        host,
        oqs_proto::distro::SETTINGS_FILE,
        distro.render().as_bytes(),
    )?;
    host.system().save(w)?;
    crate::tasks::write_installer_tasks(host, DISTRO_TOOLS)?;
    crate::tasks::import(
        host,
        &format!("{DISTRO_TOOLS}\\{DISTRO_TASK}.xml"),
        OQS_USER,
        &p.oqs_password,
    )?;
    *w = host.system().load()?;
    w.restart();
    done.push(format!(
        "操作11: 配信アプリケーション（{}）をインストールし、{DISTRO_TASK}.xml を OqsComApp でインポート、再起動",
        p.network.distro_server()
    ));

    Ok(())
}

/// 12 Credential Manager: the institution code for the linkage app \[C\] and the face library
/// \[A\] alike; the linkage account and the linkage app's tasks \[C\].
fn op12_credentials_and_tasks(
    host: &dyn Host,
    w: &mut WindowsState,
    p: &SiteProfile,
    done: &mut Vec<String>,
) -> Result<(), ApplyError> {
    if p.his_linkage || p.face_reader {
        host.credentials().write_generic(GenericCredential {
            target: OQS_MEDICAL_INSTITUTION_CODE.into(),
            user: OQS_ADMIN.into(),
            password: p.institution_code.clone(),
        })?;
    }
    if p.his_linkage {
        if let Some(l) = &p.linkage {
            let creds = host.credentials();
            creds.write_generic(GenericCredential {
                target: OQS_LOGIN_KEY.into(),
                user: l.user.clone(),
                password: l.password.clone(),
            })?;
            if let Some(cp) = &l.crypt_pass {
                creds.write_generic(GenericCredential {
                    target: OQS_CRYPT_PASS.into(),
                    user: OQS_ADMIN.into(),
                    password: cp.clone(),
                })?;
            }
            done.push(
                "操作12: 資格情報マネージャーに OQS_LOGIN_KEY・OQS_MEDICAL_INSTITUTION_CODE を登録"
                    .into(),
            );
        }
        host.system().save(w)?;
        for name in LINKAGE_TASKS {
            crate::tasks::import(
                host,
                &format!("{COMAPP_TOOLS}\\{name}.xml"),
                OQS_USER,
                &p.oqs_password,
            )?;
        }
        *w = host.system().load()?;
        done.push("操作12: 連携アプリケーションのタスク3つを OqsComApp でインポート".into());
    }

    Ok(())
}

/// A file the manuals name, written as its installer leaves it.
fn write_bytes(host: &dyn Host, path: &str, bytes: &[u8]) -> io::Result<()> {
    let p = WinPath::parse(path).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    host.files().write_file(&p, bytes)
}

/// An installer run as `OqsComApp` (every operation after 1 is done logged on as it).
fn set_app(apps: &mut Vec<InstalledApp>, name: &str, version: &str) {
    apps.retain(|a| a.name != name);
    apps.push(InstalledApp {
        name: name.into(),
        version: version.into(),
        installed_by: Some(OQS_USER.into()),
    });
}

fn read_certificate(
    file: &str,
    password: &str,
) -> Result<oqs_host::pki::pkcs12::Pkcs12Contents, ApplyError> {
    let err = |reason: String| ApplyError::Certificate {
        file: file.into(),
        reason,
    };
    let data = std::fs::read(file).map_err(|e| err(e.to_string()))?;
    oqs_host::pki::pkcs12::import(&data, password).map_err(|e| err(e.to_string()))
}

/// Operation 6 as the manual sets the wizard: current user, not exportable, no strong
/// protection, the issuer added to 信頼されたルート証明機関.
fn install_certificate(
    host: &dyn Host,
    p: &oqs_host::pki::pkcs12::Pkcs12Contents,
) -> Result<(), ApplyError> {
    let store = host.certificates();
    for ca in &p.chain_der {
        store.add(
            StoreName::Root,
            oqs_host::pki::stored(ca, None, false, false)?,
        )?;
    }
    store.add(
        StoreName::My,
        oqs_host::pki::stored(&p.cert_der, Some(p.key_der.clone()), false, false)?,
    )?;
    Ok(())
}
