//! The network around the terminal: the time servers (and, with the distribution issue, the
//! proxy). Names are in [`crate::names`].

pub mod ntp;
