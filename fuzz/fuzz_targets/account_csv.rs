//! The account CSV of 一括登録, as the portal reads an upload.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = oqs_proto::account_csv::parse(data) {
        // every refusal names a status the result screen can show
        let _ = e.is_csv_format();
        assert!(!e.to_string().is_empty());
    }
});
