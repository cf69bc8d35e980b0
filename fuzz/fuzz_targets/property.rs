//! The linkage app's `.property` files and encrypt.conf.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oqs_proto::linkage::config::{EncryptConf, FaceOutput, Properties};

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = Properties::parse("UserDefinition.property", data) {
        let _ = p.minutes("ResponseFileStayTime", 1440);
        let _ = p.flag("OutputFlg", false);
        let _ = FaceOutput::from_properties(&p, r"C:\OQS\face");
        let _ = p.to_bytes();
    }
    if let Ok(c) = EncryptConf::parse("encrypt.conf", data) {
        let _ = c.encrypts("OQSsiquc01");
        let _ = c.to_bytes();
    }
});
