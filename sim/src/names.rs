//! The World's name table: the manual's host names mapped to services on loopback.
//! Services bind `127.0.0.1:0`; the table says where `hweb.oqs.onshikaku.org:443` really is.

use oqs_host::Resolver;
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

/// Host names of the manuals [000 op3, op6, op7; 002].
pub mod hosts {
    /// オンライン資格確認等システム (production)
    pub const QUALIFICATION: &str = "hweb.oqs.onshikaku.org";
    /// The verification environment (接続検証環境): what a mistyped shortcut reaches.
    pub const VERIFICATION: &str = "hweb.oqs-st.onshikaku.org";
    pub const PROXY: &str = "proxy.base.oqs-pdl.org";
    pub const NTP: &str = "ntp.base.oqs-pdl.org";
    /// 配信拠点 distribution server.
    pub const DISTRO_BASE: &str = "pweb.base.oqs-pdl.org";
    /// クラウド distribution server.
    pub const DISTRO_CLOUD: &str = "d2vhvuj0j7c8bh.cloudfront.net";
    /// Certificate request (`/p/rcr`) and download (`/p/rcd`) site.
    pub const CERTIFICATE_SITE: &str = "cert.obn.managedpki.ne.jp";
}

/// `(host, port)` → addresses.
type Table = BTreeMap<(String, u16), Vec<SocketAddr>>;

#[derive(Debug)]
struct Inner {
    table: RwLock<Table>,
    /// Turns of the round robin so far: each answer starts one address further on.
    turns: std::sync::Mutex<BTreeMap<(String, u16), usize>>,
    /// Whether the site's network device passes answers with several addresses through.
    round_robin_supported: AtomicBool,
    /// Internet hosts: the terminal reaches them only through the proxy.
    beyond_proxy: RwLock<BTreeSet<String>>,
    /// Hosts the site's network has no route to (e.g. the distribution base from a carrier's
    /// network).
    cut_off: RwLock<BTreeSet<String>>,
}

impl Default for Inner {
    fn default() -> Self {
        Self {
            table: RwLock::default(),
            turns: std::sync::Mutex::default(),
            round_robin_supported: AtomicBool::new(true),
            beyond_proxy: RwLock::default(),
            cut_off: RwLock::default(),
        }
    }
}

/// Shared, cheap to clone.
#[derive(Clone, Default, Debug)]
pub struct NameTable(Arc<Inner>);

impl NameTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// `host:port` now leads to `addrs` (several = DNS round robin).
    pub fn insert(&self, host: &str, port: u16, addrs: Vec<SocketAddr>) {
        let mut t = write(&self.0.table);
        t.insert((host.to_ascii_lowercase(), port), addrs);
    }

    pub fn remove(&self, host: &str, port: u16) -> bool {
        let mut t = write(&self.0.table);
        t.remove(&(host.to_ascii_lowercase(), port)).is_some()
    }

    /// Every entry, for printing.
    pub fn entries(&self) -> Vec<(String, u16, Vec<SocketAddr>)> {
        let t = read(&self.0.table);
        t.iter()
            .map(|((h, p), a)| (h.clone(), *p, a.clone()))
            .collect()
    }

    /// A site whose network device does not support DNS round robin [000 op3 こんなときは]:
    /// names with several addresses then do not resolve at all on the terminal.
    pub fn set_round_robin_supported(&self, on: bool) {
        self.0.round_robin_supported.store(on, Ordering::SeqCst);
    }
}

impl NameTable {
    /// `host` is on the internet: the terminal can only reach it through the proxy.
    pub fn put_beyond_proxy(&self, host: &str) {
        let mut b = write(&self.0.beyond_proxy);
        b.insert(host.to_ascii_lowercase());
    }

    /// The site's network has (`false`) or regains (`true`) a route to `host`.
    pub fn set_reachable(&self, host: &str, on: bool) {
        let mut c = write(&self.0.cut_off);
        if on {
            c.remove(&host.to_ascii_lowercase());
        } else {
            c.insert(host.to_ascii_lowercase());
        }
    }

    /// The names as the proxy sees them: internet hosts too, and no site device in the way.
    pub fn gateway(&self) -> Gateway {
        Gateway(self.clone())
    }

    fn lookup(&self, host: &str, port: u16, from_terminal: bool) -> io::Result<Vec<SocketAddr>> {
        let name = host.to_ascii_lowercase();
        let refuse = |why: String| Err(io::Error::new(io::ErrorKind::NotFound, why));
        if from_terminal {
            if read(&self.0.cut_off).contains(&name) {
                return refuse(format!(
                    "名前「{host}」を解決できません（このネットワーク構成からは到達できないサーバーです）"
                ));
            }
            if read(&self.0.beyond_proxy).contains(&name) {
                return refuse(format!(
                    "名前「{host}」を解決できません（インターネット上のサーバーで、端末からはプロキシ経由でのみ到達できます）"
                ));
            }
        }
        let t = read(&self.0.table);
        match t.get(&(name, port)) {
            Some(a)
                if from_terminal
                    && a.len() > 1
                    && !self.0.round_robin_supported.load(Ordering::SeqCst) =>
            {
                Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!(
                        "名前「{host}」は複数のアドレス（DNS ラウンドロビン）で応答されますが、ネットワーク機器がラウンドロビンに対応していないため解決できません"
                    ),
                ))
            }
            Some(a) if !a.is_empty() => {
                let mut a = a.clone();
                // each name takes its own turns, whatever else was looked up in between
                let turn = {
                    let mut t = self.0.turns.lock().unwrap_or_else(|e| e.into_inner());
                    let n = t.entry((host.to_ascii_lowercase(), port)).or_insert(0);
                    *n += 1;
                    *n - 1
                };
                let n = a.len();
                a.rotate_left(turn % n);
                Ok(a)
            }
            _ => Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "名前「{host}」(port {port}) を解決できません (no such name in the World's name table)"
                ),
            )),
        }
    }
}

/// The terminal's view: what its own DNS answers.
impl Resolver for NameTable {
    fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        self.lookup(host, port, true)
    }
}

/// The proxy's view of the names (see [`NameTable::gateway`]).
#[derive(Clone, Debug)]
pub struct Gateway(NameTable);

impl Resolver for Gateway {
    fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        self.0.lookup(host, port, false)
    }
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_case_insensitive_and_unknown_names_fail() {
        let n = NameTable::new();
        let a = SocketAddr::from(([127, 0, 0, 1], 4000));
        n.insert("HWEB.oqs.onshikaku.org", 443, vec![a]);
        assert_eq!(n.resolve(hosts::QUALIFICATION, 443).unwrap(), vec![a]);
        assert!(n.resolve(hosts::QUALIFICATION, 80).is_err());
        let e = n.resolve("hweb.oqs.onshikaku.com", 443).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert!(e.to_string().contains("hweb.oqs.onshikaku.com"));
    }

    #[test]
    fn internet_hosts_resolve_only_for_the_proxy_and_cut_off_hosts_for_nobody_on_site() {
        let n = NameTable::new();
        let a = SocketAddr::from(([127, 0, 0, 1], 4443));
        n.insert(hosts::DISTRO_CLOUD, 443, vec![a]);
        n.insert(hosts::DISTRO_BASE, 443, vec![a]);
        n.put_beyond_proxy(hosts::DISTRO_CLOUD);
        let e = n.resolve(hosts::DISTRO_CLOUD, 443).unwrap_err();
        assert!(e.to_string().contains("プロキシ経由"), "{e}");
        assert_eq!(
            n.gateway().resolve(hosts::DISTRO_CLOUD, 443).unwrap(),
            vec![a]
        );
        n.set_reachable(hosts::DISTRO_BASE, false);
        assert!(n.resolve(hosts::DISTRO_BASE, 443).is_err());
        n.set_reachable(hosts::DISTRO_BASE, true);
        assert_eq!(n.resolve(hosts::DISTRO_BASE, 443).unwrap(), vec![a]);
    }

    #[test]
    fn several_addresses_take_turns_unless_the_device_cannot_pass_them() {
        let n = NameTable::new();
        let a: Vec<SocketAddr> = (1..=3)
            .map(|p| SocketAddr::from(([127, 0, 0, 1], 4000 + p)))
            .collect();
        n.insert(hosts::NTP, 123, a.clone());
        let firsts: Vec<_> = (0..3)
            .map(|_| n.resolve(hosts::NTP, 123).unwrap()[0])
            .collect();
        assert_eq!(firsts, a, "each answer starts one address further on");
        n.set_round_robin_supported(false);
        let e = n.resolve(hosts::NTP, 123).unwrap_err();
        assert!(e.to_string().contains("ラウンドロビン"), "{e}");
        // a name with one address is unaffected
        n.insert(hosts::PROXY, 8080, vec![a[0]]);
        assert_eq!(n.resolve(hosts::PROXY, 8080).unwrap(), vec![a[0]]);
    }
}
