//! The network around the terminal: the time servers and the proxy. Names are in
//! [`crate::names`].

pub mod ntp;
pub mod proxy;
