//! Card readers and the cards in them (issue 4, in progress): the My Number Card as a sans-I/O
//! APDU state machine. Transports (in-process, vpcd), the face and generic reader models and the
//! driver come next.

pub mod apdu;
pub mod mynumber;
pub mod vpcd;
