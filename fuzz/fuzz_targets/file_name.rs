//! Names found in `req` and `res`: parsed, and what parses prints back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oqs_proto::linkage::FileName;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(n) = text.parse::<FileName>() {
        assert_eq!(n.to_string().parse::<FileName>().ok(), Some(n.clone()));
        let _ = n.known_kind();
        let _ = n.prefix();
    }
});
