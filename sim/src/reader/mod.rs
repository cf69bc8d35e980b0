//! Card readers and the cards in them: the My Number Card as a sans-I/O APDU state machine
//! ([`mynumber`]), face and generic reader devices with the in-process transport ([`device`]),
//! and the card side of vsmartcard's vpcd protocol for a real pcscd ([`vpcd`]).

pub mod apdu;
pub mod device;
pub mod mynumber;
pub mod vpcd;
