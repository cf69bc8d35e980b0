//! Certificates as a Windows certificate store lists them ([`oqs_host::pki::stored`]).

pub use oqs_host::pki::stored;
