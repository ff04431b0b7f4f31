//! The Click modular router in `no_std` Rust: the configuration language, the router, packets
//! with lazy copy, and the elements.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod args;
pub mod device;
pub mod element;
pub mod elements;
pub mod packet;
pub mod registry;
