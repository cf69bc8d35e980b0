//! What the linkage app's integration tests share: a World with one linkage terminal, and the
//! HIS's ways of handing over files.
#![allow(dead_code)]

use oqs_host::Host;
use oqs_linkage::{LinkageApp, Options};
use oqs_proto::linkage::message::Request;
use oqs_proto::qualification::{QualificationValidity, SearchInfo};
use oqs_sim::World;
use oqs_sim::provision::{LinkageTerminal, linkage_terminal};
use oqs_sim::windows::FakeTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub const CODE: &str = "1312345678";

pub fn fast() -> Options {
    Options {
        rescan: Duration::from_millis(25),
        settle: Duration::from_millis(40),
        ..Options::default()
    }
}

pub struct Kit {
    pub world: World,
    pub terminal: Arc<FakeTerminal>,
}

impl Kit {
    pub async fn new(seed: u64, crypt: Option<&str>) -> Self {
        let world = World::builder().seed(seed).build().unwrap();
        let mut spec = LinkageTerminal::new("RECEPTION-01", &CODE.parse().unwrap());
        spec.crypt_pass = crypt.map(str::to_owned);
        let terminal = Arc::new(linkage_terminal(&world, &spec).await.unwrap());
        Self { world, terminal }
    }

    pub fn dir(&self, win: &str) -> PathBuf {
        let p = self
            .terminal
            .files()
            .resolve(&oqs_host::WinPath::parse(win).unwrap())
            .unwrap();
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    pub fn req(&self) -> PathBuf {
        self.dir(&oqs_proto::profile::Profile::builtin().linkage.request_dir)
    }

    pub fn res(&self) -> PathBuf {
        self.dir(&oqs_proto::profile::Profile::builtin().linkage.result_dir)
    }

    pub async fn start(&self) -> LinkageApp {
        LinkageApp::start(self.terminal.clone(), fast())
            .await
            .unwrap()
    }

    pub fn search(&self, v: QualificationValidity) -> SearchInfo {
        self.world.registry().insured.example(v)
    }
}

pub fn check_request(s: SearchInfo, afi: &str) -> Request {
    Request::qualification_check(CODE, "20250401", Some(afi), s)
}

/// The HIS's way: write elsewhere, then move into `req`.
pub fn drop_file(req: &Path, name: &str, bytes: &[u8]) {
    let tmp = req.parent().unwrap().join(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(tmp, req.join(name)).unwrap();
}

/// Waits for a file to appear (a guard against hanging, not a timing assertion).
pub async fn wait_for(path: &Path) -> Vec<u8> {
    for _ in 0..1000 {
        if let Ok(b) = std::fs::read(path) {
            return b;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{} did not appear", path.display());
}

pub fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}
