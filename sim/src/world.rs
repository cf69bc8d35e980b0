//! The World: one simulated environment around one or more terminals — one seed, one clock,
//! one name table, services on loopback started on first use and stopped on drop.

use crate::clock::{DEFAULT_START, SimClock};
use crate::distro::DistroServer;
use crate::names::{NameTable, hosts};
use crate::net::fault::FaultProxy;
use crate::net::ntp::NtpPool;
use crate::net::proxy::HttpProxy;
use crate::qualification::registry::{Registry, Site, SiteSpec};
use crate::qualification::{QualificationServer, SharedRegistry};
use crate::reader::device::SimReaders;
use crate::reader::mynumber::{CardContents, FormFactor, Holder, MyNumberCard};
use crate::windows::FakeTerminal;
use oqs_certs::Pki;
use oqs_host::Clock;
use oqs_proto::institution::{InstitutionCode, InstitutionKind};
use oqs_proto::profile::{Profile, ServerProfile};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use time::OffsetDateTime;

/// The institution every World has unless the builder names others.
pub const DEFAULT_INSTITUTION: &str = "1312345678";
pub const DEFAULT_INSTITUTION_NAME: &str = "オンライン資格確認テスト診療所";

pub struct WorldBuilder {
    seed: u64,
    start: OffsetDateTime,
    sites: Vec<SiteSpec>,
    server: ServerProfile,
}

impl WorldBuilder {
    /// Every random choice of the World (master IDs, passwords, insured persons…) follows it.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    pub fn start_at(mut self, at: OffsetDateTime) -> Self {
        self.start = at;
        self
    }

    /// Registers a site (利用申請 done, master account issued).
    pub fn institution(mut self, code: InstitutionCode, name: &str, kind: InstitutionKind) -> Self {
        self.sites.push(SiteSpec {
            code,
            name: name.into(),
            kind,
            emergency_authorized: false,
        });
        self
    }

    /// A hospital authorised for 救急時医療情報.
    pub fn emergency_hospital(mut self, code: InstitutionCode, name: &str) -> Self {
        self.sites.push(SiteSpec {
            code,
            name: name.into(),
            kind: InstitutionKind::Hospital,
            emergency_authorized: true,
        });
        self
    }

    /// The qualification server's network limits (timeouts, connection caps); the profile's
    /// `[server]` values by default.
    pub fn server_limits(mut self, limits: ServerProfile) -> Self {
        self.server = limits;
        self
    }

    pub fn build(self) -> io::Result<World> {
        let clock = SimClock::new(self.start);
        let mut registry = Registry::new(ChaCha8Rng::seed_from_u64(self.seed), self.start.date());
        let mut sites = self.sites;
        if sites.is_empty() {
            sites.push(SiteSpec {
                code: DEFAULT_INSTITUTION.parse().expect("10 digits"),
                name: DEFAULT_INSTITUTION_NAME.into(),
                kind: InstitutionKind::Clinic,
                emergency_authorized: false,
            });
        }
        for s in sites {
            registry.register_site(s, self.start);
        }
        registry.set_limits(self.server.clone());
        Ok(World {
            seed: self.seed,
            clock,
            names: NameTable::new(),
            registry: Arc::new(Mutex::new(registry)),
            qualification: tokio::sync::OnceCell::new(),
            ntp: OnceLock::new(),
            proxy: tokio::sync::OnceCell::new(),
            distro: tokio::sync::OnceCell::new(),
            readers: SimReaders::default(),
            dir: tempfile::Builder::new().prefix("oqs-world-").tempdir()?,
            server: self.server,
            qualification_relay: tokio::sync::OnceCell::new(),
            distro_relay: tokio::sync::OnceCell::new(),
        })
    }
}

pub struct World {
    seed: u64,
    clock: SimClock,
    names: NameTable,
    registry: SharedRegistry,
    qualification: tokio::sync::OnceCell<QualificationServer>,
    ntp: OnceLock<NtpPool>,
    proxy: tokio::sync::OnceCell<HttpProxy>,
    distro: tokio::sync::OnceCell<DistroServer>,
    readers: SimReaders,
    dir: tempfile::TempDir,
    server: ServerProfile,
    qualification_relay: tokio::sync::OnceCell<FaultProxy>,
    distro_relay: tokio::sync::OnceCell<FaultProxy>,
}

/// A card as handed to a scenario: the state machine, shared with whatever reader holds it.
pub type IssuedCard = Arc<Mutex<MyNumberCard>>;

impl World {
    pub fn builder() -> WorldBuilder {
        WorldBuilder {
            seed: 0,
            start: DEFAULT_START,
            sites: Vec::new(),
            server: Profile::builtin().server.clone(),
        }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn clock(&self) -> &SimClock {
        &self.clock
    }

    pub fn names(&self) -> &NameTable {
        &self.names
    }

    pub fn pki(&self) -> &'static Pki {
        Pki::shared()
    }

    /// The World's own folder (terminals' disks live under it); removed on drop.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Ends the World but keeps its folder (requests not answered yet, results not taken):
    /// its path. A person stopping `cargo xtask sim` keeps what the terminals held.
    pub fn keep_dir(self) -> PathBuf {
        self.dir.keep()
    }

    /// The qualification server's state, for setting up and checking scenarios.
    pub fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The registered site of `code`, through `f`.
    pub fn with_site<R>(&self, code: &InstitutionCode, f: impl FnOnce(&Site) -> R) -> Option<R> {
        self.registry().site(code).map(f)
    }

    /// The qualification server, started on first use. Its production and verification-environment
    /// names then lead to it on port 443.
    pub async fn qualification(&self) -> io::Result<&QualificationServer> {
        self.qualification
            .get_or_try_init(|| async {
                let clock: Arc<dyn Clock> = Arc::new(self.clock.clone());
                let server = QualificationServer::start(
                    self.registry.clone(),
                    clock,
                    Pki::shared(),
                    self.server.clone(),
                )
                .await?;
                for h in [hosts::QUALIFICATION, hosts::VERIFICATION] {
                    self.names.insert(h, 443, vec![server.addr()]);
                }
                Ok(server)
            })
            .await
    }

    /// A fault relay in front of the qualification server, started on first use: from then on
    /// its names lead to the relay, whose toxics a scenario switches.
    pub async fn qualification_relay(&self) -> io::Result<&FaultProxy> {
        let upstream = self.qualification().await?.addr();
        let names = [hosts::QUALIFICATION, hosts::VERIFICATION];
        self.relay(&self.qualification_relay, upstream, names).await
    }

    /// A fault relay in front of the distribution server (both its names), as
    /// [`Self::qualification_relay`].
    pub async fn distro_relay(&self) -> io::Result<&FaultProxy> {
        let upstream = self.distro().await?.addr();
        let names = [hosts::DISTRO_BASE, hosts::DISTRO_CLOUD];
        self.relay(&self.distro_relay, upstream, names).await
    }

    async fn relay<'a>(
        &self,
        cell: &'a tokio::sync::OnceCell<FaultProxy>,
        upstream: std::net::SocketAddr,
        names: [&str; 2],
    ) -> io::Result<&'a FaultProxy> {
        cell.get_or_try_init(|| async {
            let relay = FaultProxy::start(upstream).await?;
            for h in names {
                self.names.insert(h, 443, vec![relay.addr()]);
            }
            Ok(relay)
        })
        .await
    }

    /// 配信拠点のNTPサーバー, started on first use: `ntp.base.oqs-pdl.org` port 123 then
    /// resolves to the pool's addresses, in turn.
    pub fn ntp(&self) -> io::Result<&NtpPool> {
        if let Some(p) = self.ntp.get() {
            return Ok(p);
        }
        let pool = NtpPool::start(Arc::new(self.clock.clone()))?;
        let addrs = pool.addrs();
        // two first users at once: only the pool that is kept gets the name
        if self.ntp.set(pool).is_ok() {
            self.names.insert(hosts::NTP, 123, addrs);
        }
        Ok(self.ntp.get().expect("set by us or by the other caller"))
    }

    /// 配信拠点のプロキシ, started on first use at `proxy.base.oqs-pdl.org:8080`.
    pub async fn proxy(&self) -> io::Result<&HttpProxy> {
        self.proxy
            .get_or_try_init(|| async {
                let p =
                    HttpProxy::start(Arc::new(self.names.gateway()), Arc::new(self.clock.clone()))
                        .await?;
                self.names.insert(hosts::PROXY, 8080, vec![p.addr()]);
                Ok(p)
            })
            .await
    }

    /// 配信サーバー, started on first use: `pweb.base.oqs-pdl.org` (closed network) and
    /// `d2vhvuj0j7c8bh.cloudfront.net` (internet: through the proxy only) lead to it.
    pub async fn distro(&self) -> io::Result<&DistroServer> {
        self.distro
            .get_or_try_init(|| async {
                let d = DistroServer::start(Arc::new(self.clock.clone()), Pki::shared()).await?;
                self.names.insert(hosts::DISTRO_BASE, 443, vec![d.addr()]);
                self.names.insert(hosts::DISTRO_CLOUD, 443, vec![d.addr()]);
                self.names.put_beyond_proxy(hosts::DISTRO_CLOUD);
                Ok(d)
            })
            .await
    }

    /// What the World's services recorded, for a person reading a failure: the time, the
    /// name table, the qualification server's refused connections, the proxy's access log
    /// and the distribution server's 接続確認 — of the services this World started only.
    pub fn service_log(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let rfc = oqs_host::clock::rfc3339;
        let _ = writeln!(out, "時刻（World の時計）: {}", rfc(self.clock.now()));
        let _ = writeln!(out, "名前表:");
        for (host, port, addrs) in self.names.entries() {
            let a: Vec<String> = addrs.iter().map(ToString::to_string).collect();
            let _ = writeln!(out, "  {host}:{port} → {}", a.join(" "));
        }
        if let Some(q) = self.qualification.get() {
            let all = q.rejections().all();
            let _ = writeln!(out, "資格確認サーバーが拒否した接続: {} 件", all.len());
            for r in all {
                let _ = writeln!(out, "  [{}] {}", r.code(), r.message());
            }
        }
        if let Some(p) = self.proxy.get() {
            let log = p.log();
            let _ = writeln!(out, "プロキシのアクセスログ: {} 件", log.len());
            for a in log {
                let _ = writeln!(
                    out,
                    "  {} {} {} {} → {}",
                    rfc(a.at),
                    a.client,
                    a.method,
                    a.target,
                    a.status
                );
            }
        }
        if let Some(d) = self.distro.get() {
            let pings = d.pings();
            let _ = writeln!(out, "配信サーバーへの接続確認: {} 件", pings.len());
            for (code, host) in pings {
                let _ = writeln!(out, "  {code} via {host}");
            }
        }
        out
    }

    /// The card readers attached to the terminal(s) of this World.
    pub fn readers(&self) -> &SimReaders {
        &self.readers
    }

    /// Issues insured person `person` a My Number Card (or puts it on a smartphone) with
    /// authentication PIN `auth_pin`, and tells the server (J-LIS's part) whose it is.
    pub fn issue_card(&self, person: usize, form: FormFactor, auth_pin: &str) -> IssuedCard {
        let mut reg = self.registry();
        let (name, birthdate, sex, address) = reg
            .insured
            .card_face(person)
            .unwrap_or_else(|| panic!("no insured person {person} in this World"));
        let card_number = u32::try_from(person).unwrap_or(u32::MAX);
        let certs = oqs_certs::jpki::JpkiCa::shared()
            .issue(&oqs_certs::jpki::CardHolderSpec {
                card_number,
                name: name.clone(),
            })
            .expect("card certificates from the test JPKI");
        reg.cards.register(&certs.auth_cert, person);
        let holder = Holder {
            my_number: crate::reader::mynumber::my_number(u64::from(card_number) + 3_141_592_653),
            name,
            address,
            birthdate,
            sex,
        };
        let surface = self.card_surface(person, &holder.birthdate);
        Arc::new(Mutex::new(MyNumberCard::new(CardContents::issued(
            form, holder, surface, certs, auth_pin,
        ))))
    }

    /// The seed of person `person`'s face in this World ([`crate::reader::face::Face::of`]):
    /// their card's photo, and what a face reader's camera sees when they stand before it.
    pub fn face_seed(&self, person: usize) -> u64 {
        self.seed
            .rotate_left(17)
            .wrapping_add((person as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// What person `person`'s card face prints besides the 4 items: valid until the 10th
    /// birthday after issue (today), a 4-digit security code, their photo.
    fn card_surface(&self, person: usize, birthdate: &str) -> crate::reader::mynumber::Surface {
        let today = oqs_host::Clock::now(&self.clock);
        let month_day = match birthdate.get(4..8) {
            Some("0229") => "0228",
            Some(md) => md,
            None => "0101",
        };
        // the first birthday after issue is this year's when it is still to come
        let issued = format!("{:02}{:02}", u8::from(today.month()), today.day());
        let year = today.year() + if month_day > issued.as_str() { 9 } else { 10 };
        let face_seed = self.face_seed(person);
        crate::reader::mynumber::Surface {
            expiry: format!("{year}{month_day}"),
            security_code: format!("{:04}", (face_seed >> 20) % 10_000),
            face_seed,
        }
    }

    /// A fake terminal (コンピューター名 `name`) whose disk lives in this World.
    pub fn terminal(&self, name: &str) -> io::Result<FakeTerminal> {
        FakeTerminal::open(
            name,
            &self.dir.path().join("terminals").join(name),
            Arc::new(self.clock.clone()),
            Arc::new(self.names.clone()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_world_leaves_its_folder_and_a_dropped_one_does_not() {
        let w = World::builder().seed(1).build().unwrap();
        std::fs::write(w.dir().join("OQSsiquc01req_1.xml"), b"<XmlMsg/>").unwrap();
        let kept = w.keep_dir();
        assert!(kept.join("OQSsiquc01req_1.xml").exists());
        std::fs::remove_dir_all(&kept).unwrap();
        let w = World::builder().seed(1).build().unwrap();
        let gone = w.dir().to_path_buf();
        drop(w);
        assert!(!gone.exists());
    }
}
