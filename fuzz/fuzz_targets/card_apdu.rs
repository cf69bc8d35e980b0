//! APDUs to the simulated My Number Card: the input is a sequence of commands (2-byte length, bytes).
#![no_main]

use libfuzzer_sys::fuzz_target;
use oqs_proto::reader::FormFactor;
use oqs_sim::reader::mynumber::{CardContents, MyNumberCard};

fuzz_target!(|data: &[u8]| {
    let form = match data.first() {
        Some(b) if b % 3 == 1 => FormFactor::Android,
        Some(b) if b % 3 == 2 => FormFactor::IPhone,
        _ => FormFactor::Card,
    };
    let mut card = MyNumberCard::new(CardContents::transport_sample(form));
    let mut rest = data.get(1..).unwrap_or_default();
    while let Some((len, tail)) = rest.split_first_chunk::<2>() {
        let n = usize::from(u16::from_be_bytes(*len)).min(tail.len());
        let (apdu, tail) = tail.split_at(n);
        let r = card.process(apdu);
        assert!(r.len() >= 2, "every command gets a status word");
        rest = tail;
    }
});
