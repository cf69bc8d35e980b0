//! The person's browser as a real one: Debian's `chromium`, headless, driven through
//! `chromedriver` (WebDriver) for the `@browser` scenarios. It plays the terminal's Edge:
//!
//! - the client certificate is the terminal's: the 個人 store's certificate and key go into
//!   the browser's NSS database (`$HOME/.pki/nssdb`, with `pk12util`), the trusted roots with
//!   `certutil`; a terminal without a certificate gives a browser without one;
//! - 認証用の証明書の選択 is answered by the policy a managed terminal uses,
//!   `AutoSelectCertificateForUrls` for `https://[*.]onshikaku.org` and the issuer
//!   「Online Billing NW Common Root CA」 (`/etc/chromium/policies/managed/`, root only);
//! - names come from the World: every request goes through a proxy of the World's network
//!   (the terminal's line) that resolves them in the World's name table, so the manual's URLs
//!   (`https://hweb.oqs.onshikaku.org/web/`) are typed as they are.
//!
//! Every page is captured (PNG) after each action, for the report.

use anyhow::{Context, Result, anyhow, bail, ensure};
use fantoccini::{Client, ClientBuilder, Locator};
use oqs_host::Host;
use oqs_host::certificates::StoreName;
use oqs_sim::net::proxy::HttpProxy;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const POLICY_DIR: &str = "/etc/chromium/policies/managed";
const POLICY_FILE: &str = "oqs-kit-test-certificate.json";
/// The issuer the policy selects by: the common root CA of the terminals' certificates.
const ISSUER_CN: &str = oqs_proto::institution::ROOT_CA_NAME;

/// Why `@browser` scenarios cannot run here, if they cannot.
pub fn unavailable() -> Option<String> {
    for tool in ["chromium", "chromedriver", "certutil", "pk12util"] {
        if oqs_testkit::which(tool).is_none() {
            return Some(format!(
                "{tool} is not installed (apt-get install chromium chromium-driver libnss3-tools)"
            ));
        }
    }
    if let Err(e) = install_policy() {
        return Some(format!(
            "the certificate policy cannot be installed in {POLICY_DIR} ({e}); run as root"
        ));
    }
    None
}

/// The managed policy that answers 認証用の証明書の選択 (once per machine; the same file
/// every run).
fn install_policy() -> std::io::Result<()> {
    let rule = serde_json::json!({
        "pattern": "https://[*.]onshikaku.org",
        "filter": { "ISSUER": { "CN": ISSUER_CN } },
    });
    let policy = serde_json::json!({ "AutoSelectCertificateForUrls": [rule.to_string()] });
    std::fs::create_dir_all(POLICY_DIR)?;
    let path = Path::new(POLICY_DIR).join(POLICY_FILE);
    let text = serde_json::to_string_pretty(&policy).unwrap_or_default();
    if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
        std::fs::write(path, text)?;
    }
    Ok(())
}

/// Browsers running at once, at most: each is a handful of processes, and scenarios run
/// concurrently on few cores.
fn slots() -> &'static std::sync::Arc<tokio::sync::Semaphore> {
    static SLOTS: std::sync::OnceLock<std::sync::Arc<tokio::sync::Semaphore>> =
        std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        std::sync::Arc::new(tokio::sync::Semaphore::new(cores.clamp(1, 4)))
    })
}

/// A WebDriver command's time limit: a browser that stops answering fails the step.
const COMMAND_LIMIT: Duration = Duration::from_secs(30);

async fn limited<T, E: std::fmt::Display>(
    what: &str,
    f: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T> {
    match tokio::time::timeout(COMMAND_LIMIT, f).await {
        Ok(r) => r.map_err(|e| anyhow!("{what}: {e}")),
        Err(_) => bail!(
            "{what}: ブラウザが{}秒以内に応答しません",
            COMMAND_LIMIT.as_secs()
        ),
    }
}

/// chromedriver, leader of a process group that holds the browser's processes too: dropped,
/// the whole group ends (a `Child` alone would leave them running).
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.0.id()) {
            // SAFETY: kill(2) with a negative pid signals that process group; no memory is
            // touched
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
        let _ = self.0.wait();
    }
}

/// How long a scenario waits for a browser slot, and for a started browser to take commands.
const SLOT_LIMIT: Duration = Duration::from_secs(300);
const START_LIMIT: Duration = Duration::from_secs(30);

/// A running Chromium for one scenario.
pub struct Chromium {
    client: Client,
    _driver: Driver,
    _slot: tokio::sync::OwnedSemaphorePermit,
    _home: tempfile::TempDir,
    _line: HttpProxy,
    /// The last page as captured after an action (PNG).
    pub screenshot: Option<Vec<u8>>,
}

/// A page as the person sees it.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    pub url: String,
    pub title: String,
    /// The text of the page (`innerText` of the body): what a person reads.
    pub text: String,
}

/// What chromedriver starts: headless Chromium with its own profile, every request through the
/// terminal's line (`proxy`), downloads into the terminal's folder without asking.
fn capabilities(
    chromium: &Path,
    home: &Path,
    proxy: std::net::SocketAddr,
    downloads: &Path,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    let args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--no-first-run".into(),
        "--window-size=1024,768".into(),
        "--disable-crash-reporter".into(),
        format!("--user-data-dir={}", home.join("profile").display()),
        format!("--proxy-server=http://{proxy}"),
        // the proxy reaches everything, loopback included
        "--proxy-bypass-list=<-loopback>".into(),
    ];
    let caps = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": args,
            // a download goes to the folder without asking, as Edge's does
            "prefs": {
                "download.default_directory": downloads,
                "download.prompt_for_download": false,
                "download.directory_upgrade": true,
                "safebrowsing.enabled": false,
            },
        },
        "timeouts": { "pageLoad": 30_000, "script": 10_000, "implicit": 0 },
    });
    let serde_json::Value::Object(caps) = caps else {
        bail!("capabilities");
    };
    Ok(caps)
}

impl Chromium {
    /// Starts a browser with `host`'s certificates, reaching the World through `names`.
    /// `downloads`: the folder the browser saves files to (the terminal's ダウンロード).
    pub async fn start(host: &dyn Host, sim: &oqs_sim::World, downloads: &Path) -> Result<Self> {
        let slot = tokio::time::timeout(SLOT_LIMIT, slots().clone().acquire_owned())
            .await
            .map_err(|_| {
                anyhow!(
                    "{}秒待ってもブラウザの空きがありません",
                    SLOT_LIMIT.as_secs()
                )
            })??;
        let chromium = oqs_testkit::which("chromium").context("chromium がありません")?;
        let home = tempfile::tempdir()?;
        nss_database(host, home.path())?;
        // the terminal's line: every name resolved in the World's name table, nothing refused
        let line = HttpProxy::start(
            std::sync::Arc::new(sim.names().clone()),
            std::sync::Arc::new(sim.clock().clone()),
        )
        .await?;
        line.set_allow(&["*"]);
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let driver = {
            use std::os::unix::process::CommandExt;
            Driver(
                Command::new("chromedriver")
                    .arg(format!("--port={port}"))
                    .env("HOME", home.path())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .process_group(0)
                    .spawn()
                    .context("chromedriver を起動できません")?,
            )
        };
        let caps = capabilities(&chromium, home.path(), line.addr(), downloads)?;
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let url = format!("http://127.0.0.1:{port}");
        let mut last = String::new();
        // chromedriver listens a moment after it starts; a session that does not come within
        // the limit is a browser that will not start
        let deadline = tokio::time::Instant::now() + START_LIMIT;
        while tokio::time::Instant::now() < deadline {
            let mut builder = ClientBuilder::new(connector.clone());
            builder.capabilities(caps.clone());
            match tokio::time::timeout_at(deadline, builder.connect(&url)).await {
                Ok(Ok(client)) => {
                    return Ok(Self {
                        client,
                        _driver: driver,
                        _slot: slot,
                        _home: home,
                        _line: line,
                        screenshot: None,
                    });
                }
                Ok(Err(e)) => last = e.to_string(),
                Err(_) => last = "応答がありません".into(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // `driver` drops here: chromedriver and any browser it started end with it
        Err(anyhow!(
            "{}秒以内にブラウザを起動できません（chromedriver: {last}）",
            START_LIMIT.as_secs()
        ))
    }

    /// Types a URL into the address bar (or opens a shortcut) and waits for the page.
    pub async fn open(&mut self, url: &str) -> Result<()> {
        // a failed load shows the browser's error page, which is what the person sees
        let _ = tokio::time::timeout(COMMAND_LIMIT, self.client.goto(url)).await;
        self.capture().await
    }

    /// Clicks the link or button whose text is `text`.
    pub async fn click(&mut self, text: &str) -> Result<()> {
        let target = self.by_text(text).await?;
        limited("クリック", target.click()).await?;
        self.capture().await
    }

    /// The element the `<label>` reading `label` is for (what a person finds by its label).
    async fn labelled(&self, label: &str) -> Result<fantoccini::elements::Element> {
        for l in limited("入力欄", self.client.find_all(Locator::Css("label"))).await? {
            if limited("入力欄", l.text()).await?.trim() == label {
                let id = limited("入力欄", l.attr("for"))
                    .await?
                    .context("ラベルに対応する入力欄がありません")?;
                return limited("入力欄", self.client.find(Locator::Id(&id))).await;
            }
        }
        bail!("画面に入力欄「{label}」がありません")
    }

    /// Types `value` into the field labelled `label`.
    pub async fn type_into(&mut self, label: &str, value: &str) -> Result<()> {
        let input = self.labelled(label).await?;
        limited("入力", input.clear()).await?;
        limited("入力", input.send_keys(value)).await
    }

    /// Chooses the file at `path` in the file field labelled `label` (ファイルの選択).
    pub async fn choose_file(&mut self, label: &str, path: &Path) -> Result<()> {
        let input = self.labelled(label).await?;
        limited("ファイルの選択", input.send_keys(&path.to_string_lossy())).await
    }

    /// Ticks the check box labelled `label` (a box already ticked stays ticked).
    pub async fn tick(&mut self, label: &str) -> Result<()> {
        let b = self.labelled(label).await?;
        if !limited("チェック", b.is_selected()).await? {
            limited("チェック", b.click()).await?;
        }
        self.capture().await
    }

    /// Chooses `option` in the drop-down list labelled `label`.
    pub async fn choose(&mut self, label: &str, option: &str) -> Result<()> {
        let select = self.labelled(label).await?;
        for o in limited("選択欄", select.find_all(Locator::Css("option"))).await? {
            if limited("選択欄", o.text()).await?.trim() == option {
                return limited("選択", o.click()).await;
            }
        }
        bail!("「{label}」に「{option}」はありません")
    }

    /// The option shown in the drop-down list labelled `label`.
    pub async fn chosen(&self, label: &str) -> Result<String> {
        let select = self.labelled(label).await?;
        let o = limited("選択欄", select.find(Locator::Css("option:checked"))).await?;
        Ok(limited("選択欄", o.text()).await?.trim().to_owned())
    }

    /// The text of the first element `css` selects, as shown.
    pub async fn text_of(&self, css: &str) -> Result<String> {
        let e = limited("画面", self.client.find(Locator::Css(css))).await?;
        Ok(limited("画面", e.text()).await?.trim().to_owned())
    }

    /// The rows of the table `css` selects, each as its cells' texts.
    pub async fn rows(&self, css: &str) -> Result<Vec<Vec<String>>> {
        let mut out = Vec::new();
        let trs = limited(
            "表",
            self.client
                .find_all(Locator::Css(&format!("{css} tbody tr"))),
        )
        .await?;
        for tr in trs {
            let mut row = Vec::new();
            for td in limited("表", tr.find_all(Locator::Css("td"))).await? {
                row.push(limited("表", td.text()).await?.trim().to_owned());
            }
            out.push(row);
        }
        Ok(out)
    }

    /// What the person sees now.
    pub async fn seen(&self) -> Result<Seen> {
        let text = match limited("画面", self.client.find(Locator::Css("body"))).await {
            Ok(b) => limited("画面", b.text()).await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        Ok(Seen {
            url: limited("画面", self.client.current_url())
                .await?
                .to_string(),
            title: limited("画面", self.client.title())
                .await
                .unwrap_or_default(),
            text,
        })
    }

    /// The links and buttons whose text is `text`, the first one.
    async fn by_text(&self, text: &str) -> Result<fantoccini::elements::Element> {
        for css in ["a", "button", "input[type=submit]"] {
            for e in limited("画面", self.client.find_all(Locator::Css(css))).await? {
                if limited("画面", e.text()).await?.trim() == text {
                    return Ok(e);
                }
            }
        }
        let seen = self.seen().await?;
        bail!("画面に「{text}」がありません（{}）", seen.title)
    }

    /// Ends the WebDriver session, which closes the browser, then the driver.
    pub async fn quit(self) {
        let _ = limited("終了", self.client.clone().close()).await;
    }

    async fn capture(&mut self) -> Result<()> {
        self.screenshot = limited("画面の保存", self.client.screenshot()).await.ok();
        Ok(())
    }
}

/// The browser's NSS database from the terminal's stores: the 個人 certificates with their
/// keys (PKCS#12 through `pk12util`), the trusted roots (`certutil`).
fn nss_database(host: &dyn Host, home: &Path) -> Result<()> {
    let db = home.join(".pki/nssdb");
    std::fs::create_dir_all(&db)?;
    let sql = format!("sql:{}", db.display());
    run("certutil", &["-N", "-d", &sql, "--empty-password"])?;
    let stores = host.certificates();
    let tmp = home.join("import");
    std::fs::create_dir_all(&tmp)?;
    for (i, c) in stores.list(StoreName::My)?.into_iter().enumerate() {
        let Some(key) = c.private_key.clone() else {
            continue;
        };
        let id = oqs_certs::Identity {
            cert_der: c.der.clone(),
            cert_pem: String::new(),
            key_der: key,
            key_pem: String::new(),
            chain_der: Vec::new(),
        };
        let p12 = oqs_certs::pkcs12::export(&id, "kit", oqs_certs::pkcs12::Cipher::Aes256);
        let path = tmp.join(format!("my-{i}.p12"));
        std::fs::write(&path, p12)?;
        run(
            "pk12util",
            &["-i", &path.to_string_lossy(), "-d", &sql, "-W", "kit"],
        )?;
    }
    let roots = [StoreName::Root, StoreName::MachineRoot]
        .into_iter()
        .map(|s| stores.list(s))
        .collect::<std::io::Result<Vec<_>>>()?;
    for (i, c) in roots.into_iter().flatten().enumerate() {
        let path: PathBuf = tmp.join(format!("root-{i}.der"));
        std::fs::write(&path, &c.der)?;
        let nick = format!("root-{i} {}", c.issued_to);
        run(
            "certutil",
            &[
                "-A",
                "-d",
                &sql,
                "-n",
                &nick,
                "-t",
                "C,,",
                "-i",
                &path.to_string_lossy(),
            ],
        )?;
    }
    Ok(())
}

fn run(tool: &str, args: &[&str]) -> Result<()> {
    let out = Command::new(tool)
        .args(args)
        .output()
        .with_context(|| format!("{tool} を起動できません"))?;
    ensure!(
        out.status.success(),
        "{tool} {}: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout).trim(),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(())
}
