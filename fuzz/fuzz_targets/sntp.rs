//! SNTP packets: the server's answer to a request, and the client's reading of a reply.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oqs_proto::ntp::{Packet, Sample, ServerInfo, Timestamp, answer};

fuzz_target!(|data: &[u8]| {
    let _ = Packet::parse(data);
    let info = ServerInfo {
        stratum: 2,
        reference_id: *b"OQSK",
        reference: Timestamp(1 << 40),
        synchronised: true,
    };
    if let Ok(reply) = answer(data, &info, Timestamp(2 << 40), Timestamp(3 << 40)) {
        assert!(Packet::parse(&reply).is_ok(), "the server's answer parses");
    }
    let _ = Sample::from_reply(data, Timestamp(1 << 40), Timestamp(4 << 40));
});
