//! What the guest and the host tools must agree on, in one `no_std` crate so that they cannot
//! drift apart: the XenStore message format ([`xenstore`]) and the ClickOS control protocol's
//! keys ([`clickos`]).
#![no_std]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod clickos;
pub mod xenstore;
