//! A request file's bytes, as the linkage app reads them from `req`: parsed, then checked against every kind.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oqs_proto::linkage::file_name::ALL_KINDS;
use oqs_proto::linkage::message::Request;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = Request::from_bytes(data) {
        for kind in ALL_KINDS {
            let _ = r.check(kind);
        }
        // what the kit writes back out must read again
        let again = Request::from_xml(&r.to_xml()).expect("a parsed request renders readable XML");
        assert_eq!(again.to_xml(), r.to_xml());
    }
});
