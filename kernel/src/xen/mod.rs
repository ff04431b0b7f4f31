//! The Xen platform: ABI definitions and, on the guest, the services built on hypercalls.
//!
//! `abi`, the console ring arithmetic, grant reference bookkeeping and the clock scaling are
//! plain logic and build on the host too; everything that touches Xen is only built for the
//! guest.

pub mod abi;
pub mod console;
#[cfg(target_os = "none")]
pub mod events;
#[cfg(target_os = "none")]
pub mod grant;
pub mod grant_refs;
#[cfg(target_os = "none")]
pub mod hypercall;
#[cfg(target_os = "none")]
pub mod mm;
#[cfg(target_os = "none")]
pub mod platform;
#[cfg(target_os = "none")]
pub mod shared_info;
#[cfg(target_os = "none")]
pub mod shutdown;
#[cfg(target_os = "none")]
pub mod store;
pub mod time;
