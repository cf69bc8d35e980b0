//! Card readers and the cards in them: the My Number Card as a sans-I/O APDU state machine
//! ([`mynumber`]), face and generic reader devices with the in-process transport ([`device`]),
//! the card side of vsmartcard's vpcd protocol ([`vpcd`]), and a real pcscd to plug it into
//! ([`pcscd`]).

pub mod apdu;
pub mod device;
pub mod face;
pub mod mynumber;
pub mod pcscd;
pub mod vpcd;
