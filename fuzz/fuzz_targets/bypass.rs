//! The proxy bypass list (例外), and routing a host through it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oqs_proto::bypass::BypassList;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (list, host) = text.split_once('\n').unwrap_or((text, "oqs.example.jp"));
    let l = BypassList::parse(list);
    let _ = l.route("https", host, 443);
    let _ = l.route("http", host, 8080);
});
