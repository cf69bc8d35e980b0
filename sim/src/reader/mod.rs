//! Card readers and the cards in them: the My Number Card as a sans-I/O APDU state machine
//! ([`mynumber`]), face and generic reader devices with the in-process transport ([`device`]),
//! the card side of vsmartcard's vpcd protocol ([`vpcd`]), and a real pcscd to plug it into
//! ([`pcscd`]).

/// The APDU format, written once in oqs-proto for the card and the driver.
pub use oqs_proto::reader::apdu;
pub mod device;
pub mod face;
pub mod mynumber;
pub mod pcscd;
pub mod vpcd;
