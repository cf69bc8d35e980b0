//! The proxy bypass list (プロキシサーバーを使わないアドレス) as WinINET reads it, and the choice
//! "direct or via the proxy" for a host [000 op3; 002].
//!
//! Entries are separated by `;` and kept exactly as typed: `*` matches any run of characters
//! (dots included), matching ignores case, an entry may carry a scheme (`https://*.rece`) or a
//! port (`*.rece:443`), and `<local>` means names without a dot. What the manual warns about
//! follows from that: with the `;` missing, `*.onshikaku.org*.flets-east.jp` is one pattern
//! that no real host of either domain matches, so both go to the proxy.

/// One entry of the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// As typed, trimmed.
    pub text: String,
    scheme: Option<String>,
    host: String,
    port: Option<u16>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BypassList {
    pub entries: Vec<Entry>,
    /// `<local>`: names without a dot go direct.
    pub local: bool,
}

/// Where a request goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Direct,
    Proxy,
}

impl BypassList {
    /// Never fails: WinINET takes whatever was typed; [`crate::site::check_bypass`] is where
    /// the kit refuses entries that run together.
    pub fn parse(list: &str) -> Self {
        let mut out = Self::default();
        for text in list.split(';').map(str::trim).filter(|e| !e.is_empty()) {
            if text.eq_ignore_ascii_case("<local>") {
                out.local = true;
                continue;
            }
            let (scheme, rest) = match text.split_once("://") {
                Some((s, r)) => (Some(s.to_ascii_lowercase()), r),
                None => (None, text),
            };
            // a trailing `:digits` is a port; anything else stays part of the pattern
            let (host, port) = match rest.rsplit_once(':') {
                Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                    (h, p.parse().ok())
                }
                _ => (rest, None),
            };
            out.entries.push(Entry {
                text: text.to_owned(),
                scheme,
                host: host.to_ascii_lowercase(),
                port,
            });
        }
        out
    }

    /// The entry that sends `host` direct, if any.
    pub fn matching(&self, scheme: &str, host: &str, port: u16) -> Option<&Entry> {
        let host = host.to_ascii_lowercase();
        self.entries.iter().find(|e| {
            e.scheme
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case(scheme))
                && e.port.is_none_or(|p| p == port)
                && wildcard(&e.host, &host)
        })
    }

    /// Direct when an entry (or `<local>`) matches, else via the proxy.
    pub fn route(&self, scheme: &str, host: &str, port: u16) -> Route {
        if (self.local && !host.contains('.')) || self.matching(scheme, host, port).is_some() {
            Route::Direct
        } else {
            Route::Proxy
        }
    }
}

/// Whether host pattern `pattern` (`*` wildcards, as in the bypass list) matches `host`,
/// ignoring case. Proxies' allow lists use the same patterns.
pub fn host_matches(pattern: &str, host: &str) -> bool {
    wildcard(&pattern.to_ascii_lowercase(), &host.to_ascii_lowercase())
}

/// `*` matches any run of characters; everything else matches itself. Both sides lower-case.
/// Greedy with one backtrack point, linear in practice.
fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() && p[i] == b'*' {
            star = Some((i, j));
            i += 1;
        } else if i < p.len() && p[i] == t[j] {
            i += 1;
            j += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&b| b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::BYPASS;
    use proptest::prelude::*;

    #[test]
    fn the_manuals_list_sends_the_terminals_hosts_direct_and_the_rest_via_the_proxy() {
        let l = BypassList::parse(BYPASS);
        assert_eq!(l.entries.len(), 9);
        for h in [
            "hweb.oqs.onshikaku.org",
            "HWEB.OQS.ONSHIKAKU.ORG",
            "cert.obn.managedpki.ne.jp",
            "pweb.base.oqs-pdl.org",
            "x.rece",
        ] {
            assert_eq!(l.route("https", h, 443), Route::Direct, "{h}");
        }
        for h in [
            "d2vhvuj0j7c8bh.cloudfront.net",
            "www.example.jp",
            "oqs-pdl.org",
        ] {
            assert_eq!(l.route("https", h, 443), Route::Proxy, "{h}");
        }
        // `*.onshikaku.org` needs something before the dot
        assert_eq!(l.route("https", "onshikaku.org", 443), Route::Proxy);
    }

    #[test]
    fn a_missing_semicolon_sends_both_domains_to_the_proxy() {
        let l = BypassList::parse("*.onshikaku.org*.flets-east.jp;*.rece");
        assert_eq!(l.entries.len(), 2);
        assert_eq!(
            l.route("https", "hweb.oqs.onshikaku.org", 443),
            Route::Proxy
        );
        assert_eq!(l.route("https", "a.flets-east.jp", 443), Route::Proxy);
        assert_eq!(l.route("https", "x.rece", 443), Route::Direct);
    }

    #[test]
    fn schemes_ports_and_local() {
        let l = BypassList::parse("https://*.rece; *.example.jp:8443 ;<local>");
        assert_eq!(l.route("https", "a.rece", 443), Route::Direct);
        assert_eq!(l.route("http", "a.rece", 80), Route::Proxy);
        assert_eq!(l.route("https", "a.example.jp", 8443), Route::Direct);
        assert_eq!(l.route("https", "a.example.jp", 443), Route::Proxy);
        assert!(l.local);
        assert_eq!(l.route("http", "receipt-pc", 80), Route::Direct);
        assert_eq!(l.route("http", "receipt-pc.local", 80), Route::Proxy);
        assert_eq!(
            BypassList::parse("").route("https", "a.rece", 443),
            Route::Proxy
        );
    }

    /// The obvious recursive definition, as the oracle.
    fn oracle(p: &[u8], t: &[u8]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some((b'*', rest)) => (0..=t.len()).any(|k| oracle(rest, &t[k..])),
            Some((c, rest)) => t.first() == Some(c) && oracle(rest, &t[1..]),
        }
    }

    fn host() -> impl Strategy<Value = String> {
        "[a-c]{1,4}(\\.[a-c]{1,4}){0,3}"
    }

    proptest! {
        #[test]
        fn wildcard_agrees_with_the_oracle(p in "[ab.*]{0,8}", t in "[ab.]{0,10}") {
            prop_assert_eq!(wildcard(&p, &t), oracle(p.as_bytes(), t.as_bytes()));
        }

        #[test]
        fn adding_entries_never_sends_a_direct_host_to_the_proxy(
            a in "[a-c.*]{1,8}", b in "[a-c.*]{1,8}", h in host()
        ) {
            let one = BypassList::parse(&a);
            let both = BypassList::parse(&format!("{a};{b}"));
            if one.route("https", &h, 443) == Route::Direct {
                prop_assert_eq!(both.route("https", &h, 443), Route::Direct);
            }
        }

        #[test]
        fn a_host_of_a_domain_goes_direct_only_with_the_semicolon(
            sub in "[a-z]{1,6}", d1 in "[a-z]{2,6}\\.(org|jp)", d2 in "[a-z]{2,6}\\.(net|mnw)"
        ) {
            let host = format!("{sub}.{d1}");
            let with = BypassList::parse(&format!("*.{d1};*.{d2}"));
            let without = BypassList::parse(&format!("*.{d1}*.{d2}"));
            prop_assert_eq!(with.route("https", &host, 443), Route::Direct);
            // the run-together pattern wants the second domain's text after the first's
            prop_assert_eq!(without.route("https", &host, 443), Route::Proxy);
        }

        #[test]
        fn matching_ignores_case(h in host()) {
            let l = BypassList::parse(&h.to_ascii_uppercase());
            prop_assert_eq!(l.route("https", &h, 443), Route::Direct);
        }
    }
}
