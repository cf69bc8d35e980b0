//! The AES ZIP reader: an encrypted request as the linkage app opens it (password Pass1234).
#![no_main]

use libfuzzer_sys::fuzz_target;
use oqs_proto::linkage::crypt::{CryptPass, open};

fuzz_target!(|data: &[u8]| {
    let pass: CryptPass = "Pass1234".parse().unwrap();
    let _ = open("OQSsiquc01req_F.zip", data, "OQSsiquc01req_F.xml", &pass, 1 << 20);
});
