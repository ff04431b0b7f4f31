//! The clickos-rs Xen x86_64 PV guest kernel.
//!
//! Built for `x86_64-unknown-none` this is a paravirtualised Xen guest: `arch` holds the entry
//! point, the ELF notes and the trap handlers, `xen` the hypercall layer and the platform
//! services (console, event channels, clock, memory), `sched` a cooperative run-to-completion
//! scheduler that blocks the domain when it is idle. On the host only the platform-independent
//! logic is built (scheduler, frame allocator, console ring arithmetic, clock scaling, command
//! line), so it is unit-tested with `cargo test`.
#![cfg_attr(target_os = "none", no_std)]
#![warn(missing_docs)]

extern crate alloc;

#[cfg(target_os = "none")]
pub mod arch;
#[cfg(target_os = "none")]
pub mod boot;
pub mod cmdline;
pub mod control;
pub mod image;
pub mod mm;
pub mod net;
pub mod sched;
pub mod selftest;
pub mod xen;
pub mod xenstore;

/// The kernel's version, printed in the boot banner.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
