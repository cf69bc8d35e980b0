//! A result file's bytes, as a HIS (and the kit's inspector) reads them from `res`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oqs_proto::linkage::message::ResultMessage;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = ResultMessage::from_bytes(data) {
        let _ = m.to_xml();
    }
});
