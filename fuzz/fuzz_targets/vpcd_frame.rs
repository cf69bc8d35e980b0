//! The vpcd byte stream a card receives from pcscd: frames of control bytes and APDUs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oqs_proto::reader::FormFactor;
use oqs_sim::reader::mynumber::{CardContents, MyNumberCard};
use oqs_sim::reader::vpcd::{Card, frame, reply};

fuzz_target!(|data: &[u8]| {
    let mut card = MyNumberCard::new(CardContents::transport_sample(FormFactor::Card));
    let mut rest = data;
    while let Some((payload, tail)) = frame(rest) {
        if let Some(r) = reply(&mut card as &mut dyn Card, payload) {
            assert!(u16::try_from(r.len()).is_ok(), "an answer fits one frame");
        }
        rest = tail;
    }
});
