//! ReaderInfo.ini as the reader driver and the kit read it; what parses renders and parses again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oqs_proto::reader::ReaderInfo;

fuzz_target!(|data: &[u8]| {
    if let Ok(info) = ReaderInfo::parse(data) {
        let bytes = info.to_bytes();
        let again = ReaderInfo::parse(&bytes).expect("rendered ReaderInfo.ini parses");
        assert_eq!(again.to_bytes(), bytes);
    }
});
