//! Reading a certificate the way Windows' certificate dialog shows it: the components' reader,
//! [`oqs_host::pki`], shared here for the test PKI's own checks.

pub use oqs_host::pki::{CertInfo, InspectError, inspect, thumbprint};
