//! `cargo xtask sim`: a World on loopback for people — curl, a browser, a vendor's build.

use oqs_certs::{ClientSpec, Pki};
use oqs_host::{Host, WinPath};
use oqs_proto::account::reset_id_of;
use oqs_proto::institution::{InstitutionCode, InstitutionKind};
use oqs_proto::linkage::config::EncryptConf;
use oqs_proto::linkage::crypt::{self, CryptPass};
use oqs_proto::linkage::message::Request;
use oqs_proto::qualification::ALL_VALIDITIES;
use oqs_proto::settings::CharacterCode;
use oqs_sim::World;
use oqs_sim::provision::{LINKAGE_PASSWORD, LINKAGE_USER, LinkageTerminal};
use oqs_sim::reader::mynumber::FormFactor;
use oqs_sim::reader::pcscd::Pcscd;
use oqs_sim::reader::vpcd::{Removal, SharedCard};
use std::path::PathBuf;
use std::sync::Arc;

/// Which terminal certificate to write, and where.
#[derive(clap::Args)]
pub struct CertArgs {
    /// 医療機関コード in the client certificate's subject (and the registered site of `sim`).
    #[arg(long, default_value = oqs_sim::world::DEFAULT_INSTITUTION)]
    institution: String,
    /// コンピューター名 in the client certificate's OU.
    #[arg(long, default_value = "RECEPTION-01")]
    terminal: String,
    /// Output folder [default: target/oqs-certs, or target/oqs-sim for `sim`].
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Password of the .p12 file (the manual's 4 digits).
    #[arg(long, default_value = "1357")]
    p12_password: String,
}

#[derive(clap::Args)]
pub struct SimArgs {
    /// Seed of the World (master IDs, passwords, insured persons). Random when left out.
    #[arg(long)]
    seed: Option<u64>,
    /// Request kinds the linkage app exchanges encrypted (encrypt.conf `<prefix>=e`), e.g.
    /// `--encrypt OQSsiquc01`. Password: the printed OQS_CRYPT_PASS.
    #[arg(long)]
    encrypt: Vec<String>,
    /// Also start a real pcscd with a vsmartcard-vpcd reader and leave a virtual My Number Card
    /// in it (needs root, pcscd and vsmartcard-vpcd; see README "PC/SC").
    #[arg(long)]
    pcsc: bool,
    /// Keep the World's clock standing still (as scenarios have it); by default it runs at
    /// real pace, so the manual's time rules happen for a person too.
    #[arg(long)]
    frozen: bool,
    /// The World's clock starts at this instant (RFC 3339, e.g. 2025-04-01T09:00:00+09:00);
    /// the test certificates are valid around the default.
    #[arg(long, value_parser = parse_instant)]
    start: Option<time::OffsetDateTime>,
    /// Delete the World's folder on Ctrl-C (by default it is kept, with any request not yet
    /// answered and any result not yet taken).
    #[arg(long)]
    delete_on_exit: bool,
    #[command(flatten)]
    cert: CertArgs,
}

fn parse_instant(s: &str) -> Result<time::OffsetDateTime, String> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("{e} (例: 2025-04-01T09:00:00+09:00)"))
}

pub fn certs(args: CertArgs) -> i32 {
    let go = || -> anyhow::Result<()> {
        let code: InstitutionCode = args.institution.parse()?;
        let dir = args.dir.unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/oqs-certs")
        });
        std::fs::create_dir_all(&dir)?;
        let dir = dir.canonicalize()?;
        let spec = ClientSpec::new(code.as_str(), &args.terminal);
        let f = Pki::shared().write_files(&dir, &spec, &args.p12_password)?;
        for (what, p) in [
            ("CA bundle (web root + common root)", &f.ca),
            ("server certificate", &f.server_cert),
            ("server key", &f.server_key),
            ("client certificate", &f.client_cert),
            ("client key", &f.client_key),
            ("client PKCS#12", &f.client_p12),
        ] {
            println!("{what:<36} {}", p.display());
        }
        println!("PKCS#12 password: {}", args.p12_password);
        Ok(())
    };
    match go() {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    }
}

pub fn run(args: SimArgs) -> i32 {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "oqs_sim=info,oqs_linkage=info".into()),
        )
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tokio: {e}");
            return 1;
        }
    };
    match rt.block_on(serve(args)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    }
}

async fn serve(args: SimArgs) -> anyhow::Result<()> {
    let SimArgs {
        seed,
        encrypt,
        pcsc,
        frozen,
        start,
        delete_on_exit,
        cert: args,
    } = args;
    let seed = seed.unwrap_or_else(|| std::process::id() as u64 ^ 0x9e37_79b9_7f4a_7c15);
    let code: InstitutionCode = args.institution.parse()?;
    let world = World::builder()
        .seed(seed)
        .start_at(start.unwrap_or(oqs_sim::clock::DEFAULT_START))
        .institution(
            code.clone(),
            oqs_sim::world::DEFAULT_INSTITUTION_NAME,
            InstitutionKind::Clinic,
        )
        .build()?;
    let server = world.qualification().await?;
    let ntp = world.ntp()?.addrs();
    let proxy = world.proxy().await?.addr();
    world.distro().await?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/oqs-sim"));
    std::fs::create_dir_all(&dir)?;
    let dir = dir.canonicalize()?;
    let files = Pki::shared().write_files(
        &dir,
        &ClientSpec::new(code.as_str(), &args.terminal),
        &args.p12_password,
    )?;
    println!("oqs-kit sim: seed {seed}");
    let _ticking = clock(&world, frozen)?;
    names(&world);
    certificates(&dir, &files, &args.p12_password);
    accounts(&world, &code);
    tries(&files, &args.p12_password, server.addr(), proxy, ntp[0]);
    let (terminal, req, res, app) = linkage(&world, &code, &args.terminal, &encrypt, &dir).await?;
    linkage_help(&args.terminal, &req, &res, &encrypt, &dir);
    let _reader = if pcsc {
        Some(pcsc_reader(&world, &terminal).await?)
    } else {
        None
    };
    println!("running until Ctrl-C");
    tokio::signal::ctrl_c().await?;
    app.stop().await;
    drop(_reader);
    if delete_on_exit {
        drop(world);
        println!("stopped; the World's folder is deleted (--delete-on-exit)");
    } else {
        let kept = world.keep_dir();
        println!(
            "stopped; the World's folder is kept: {} (requests not answered and results not taken are still in req and res; delete it when done, or use --delete-on-exit)",
            kept.display()
        );
    }
    Ok(())
}

/// The sim clock: standing still, or running at real pace (the task moving it on).
fn clock(world: &World, frozen: bool) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    let now = oqs_host::Clock::now(world.clock())
        .format(&time::format_description::well_known::Rfc3339)?;
    Ok(if frozen {
        println!("clock: {now}, standing still (--frozen)");
        None
    } else {
        println!("clock: {now}, running at real pace (--frozen stops it, --start sets it)");
        Some(world.clock().run_at_real_pace())
    })
}

fn names(world: &World) {
    println!("World folder: {}", world.dir().display());
    println!("names:");
    for (host, port, addrs) in world.names().entries() {
        let a: Vec<String> = addrs.iter().map(ToString::to_string).collect();
        println!("  {host}:{port} -> {}", a.join(", "));
    }
}

fn certificates(dir: &std::path::Path, files: &oqs_certs::PkiFiles, p12_password: &str) {
    println!("certificates ({}):", dir.display());
    println!("  CA bundle         {}", files.ca.display());
    println!("  client cert       {}", files.client_cert.display());
    println!("  client key        {}", files.client_key.display());
    println!(
        "  client PKCS#12    {} (password {p12_password})",
        files.client_p12.display(),
    );
}

/// The site's master account and its reset ID, as the server issued them.
fn accounts(world: &World, code: &InstitutionCode) {
    let issued = world.with_site(code, |s| {
        let password = s.current_password(&s.master_id).unwrap_or_default();
        (
            s.master_id.clone(),
            password.to_owned(),
            reset_id_of(&s.master_id),
            s.secret_number.clone(),
        )
    });
    let (master, master_pw, reset, secret) = issued.expect("the World registers this site");
    println!("accounts of {code}:");
    println!("  master            {master} / {master_pw}");
    println!("  master reset ID   {reset} / 秘密の番号 {secret}");
}

/// Commands to try the servers with: curl, a browser with the client certificate, chrony.
fn tries(
    files: &oqs_certs::PkiFiles,
    p12_password: &str,
    addr: std::net::SocketAddr,
    proxy: std::net::SocketAddr,
    ntp: std::net::SocketAddr,
) {
    let (ca, cert, key) = (
        files.ca.display(),
        files.client_cert.display(),
        files.client_key.display(),
    );
    let (host, port) = (oqs_sim::names::hosts::QUALIFICATION, addr.port());
    println!("try:");
    println!("  curl --cacert {ca} --cert {cert} --key {key} https://{addr}/web/api/institution");
    println!(
        "  curl --cacert {ca} --cert-type P12 --cert {}:{p12_password} --resolve {host}:{port}:127.0.0.1 https://{host}:{port}/web/",
        files.client_p12.display(),
    );
    println!("the portal's screens in a browser (ログイン → パスワード変更 → メニュー):");
    println!(
        "  mkdir -p ~/.pki/nssdb && certutil -N -d sql:$HOME/.pki/nssdb --empty-password   (once; Debian libnss3-tools)"
    );
    println!(
        "  pk12util -i {} -d sql:$HOME/.pki/nssdb -W {p12_password}",
        files.client_p12.display(),
    );
    println!("  certutil -A -d sql:$HOME/.pki/nssdb -n oqs-kit-test-root -t C,, -a -i {ca}");
    println!(
        "  chromium --host-resolver-rules='MAP {host} 127.0.0.1' https://{host}:{port}/web/   (choose the certificate when asked)"
    );
    println!(
        "  curl -x http://{proxy} --cacert {ca} --cert {cert} --key {key} https://{}/distro/api/ping   (cloud distribution through the proxy)",
        oqs_sim::names::hosts::DISTRO_CLOUD
    );
    println!(
        "  chronyd -Q -t 10 -f /dev/null 'server {} port {} iburst maxsamples 1'   (NTP: offset to the sim clock)",
        ntp.ip(),
        ntp.port()
    );
}

/// Where the linkage app reads and answers, its credentials, and a request to try.
fn linkage_help(
    terminal: &str,
    req: &std::path::Path,
    res: &std::path::Path,
    encrypt: &[String],
    dir: &std::path::Path,
) {
    println!("linkage app (連携アプリケーション) on terminal {terminal}:");
    println!("  req (要求フォルダ)   {}", req.display());
    println!("  res (結果フォルダ)   {}", res.display());
    println!("  OQS_LOGIN_KEY       {LINKAGE_USER} / {LINKAGE_PASSWORD}");
    println!("  OQS_CRYPT_PASS      {CRYPT_PASS}");
    if !encrypt.is_empty() {
        println!("  encrypted kinds     {}", encrypt.join(", "));
    }
    let samples = dir.join("samples");
    println!(
        "  sample requests     {} (one per QualificationValidity 1-5; encrypted/ holds them as ZIPs)",
        samples.display()
    );
    println!("try:");
    println!(
        "  cp {}/OQSsiquc01req_V1.xml {}/ && sleep 1 && cat {}/OQSsiquc01res_V1.xml",
        samples.display(),
        req.display(),
        res.display()
    );
}

const CRYPT_PASS: &str = "Crypt2025";

/// pcscd with one vpcd reader and person 0's card in it (PIN 1234); dropped → pcscd stops.
async fn pcsc_reader(
    world: &World,
    terminal: &std::path::Path,
) -> anyhow::Result<(Pcscd, oqs_sim::reader::vpcd::Inserted)> {
    let pcscd = tokio::task::spawn_blocking(|| Pcscd::start("oqs-kit Reader"))
        .await?
        .map_err(|why| anyhow::anyhow!("--pcsc: {why}"))?;
    let card: SharedCard = world.issue_card(0, FormFactor::Card, "1234");
    let inserted = pcscd.insert(0, card, Removal::OnRequest).await?;
    let at = oqs_host::Clock::now(world.clock())
        .format(&time::format_description::well_known::Rfc3339)?;
    println!(
        "PC/SC (pcscd + vsmartcard-vpcd on 127.0.0.1:{}):",
        pcscd.port
    );
    println!("  reader            oqs-kit Reader 00 00 (pcscd numbers readers in order)");
    println!("  card              My Number Card of insured person 0, 利用者証明用 PIN 1234");
    println!("try:");
    println!("  pcsc_scan                          (Debian pcsc-tools)");
    println!("  pkcs15-tool --list-certificates    (OpenSC's JPKI driver)");
    println!(
        "  cargo run -q -p oqs-driver --features pcsc -- check --terminal {} --at {at} --reader 'oqs-kit Reader 00 00' --serial GR-0001 --method 暗証番号 --pin 1234 --user {} --password '{}'",
        terminal.display(),
        oqs_sim::provision::OPERATOR_USER,
        oqs_sim::provision::OPERATOR_PASSWORD
    );
    Ok((pcscd, inserted))
}

/// A terminal ready for the linkage app and the reader driver, the linkage app running on it,
/// and sample request files.
async fn linkage(
    world: &World,
    code: &InstitutionCode,
    terminal: &str,
    encrypt: &[String],
    dir: &std::path::Path,
) -> anyhow::Result<(PathBuf, PathBuf, PathBuf, oqs_linkage::LinkageApp)> {
    let mut spec = LinkageTerminal::new(terminal, code);
    spec.crypt_pass = Some(CRYPT_PASS.into());
    let t = Arc::new(oqs_sim::provision::reader_terminal(world, &spec).await?);
    let folder = |win: &str| -> anyhow::Result<PathBuf> {
        let p = t.files().resolve(&WinPath::parse(win)?)?;
        std::fs::create_dir_all(&p)?;
        Ok(p)
    };
    if !encrypt.is_empty() {
        let mut conf = EncryptConf::default();
        for prefix in encrypt {
            conf.set(prefix, true);
        }
        std::fs::write(
            folder(r"C:\ProgramData\OQS\OQSComApp\config")?.join("encrypt.conf"),
            conf.to_bytes(),
        )?;
    }
    let samples = dir.join("samples");
    std::fs::create_dir_all(samples.join("encrypted"))?;
    for v in ALL_VALIDITIES {
        let request = Request::qualification_check(
            code.as_str(),
            "20250401",
            Some(&format!("SAMPLE-V{}", v as u8)),
            world.registry().insured.example(v),
        );
        let name = format!("OQSsiquc01req_V{}.xml", v as u8);
        let xml = request.to_bytes(CharacterCode::Utf8)?;
        // the same request as an encrypted kind would carry it (for those without 7-Zip)
        let pass: CryptPass = CRYPT_PASS.parse()?;
        std::fs::write(
            samples.join("encrypted").join(name.replace(".xml", ".zip")),
            crypt::seal(&name, &xml, &pass),
        )?;
        std::fs::write(samples.join(name), xml)?;
    }
    let app = oqs_linkage::LinkageApp::start(t.clone(), oqs_linkage::Options::default()).await?;
    Ok((
        t.root().to_path_buf(),
        folder(&oqs_proto::profile::Profile::builtin().linkage.request_dir)?,
        folder(&oqs_proto::profile::Profile::builtin().linkage.result_dir)?,
        app,
    ))
}
