//! CPU helpers.

use core::sync::atomic::{AtomicU64, Ordering};

/// The TSC read by the first instructions of `_start` (written by the entry assembly).
#[no_mangle]
static CLICKOS_ENTRY_TSC: AtomicU64 = AtomicU64::new(0);

/// Reads the time-stamp counter.
pub fn rdtsc() -> u64 {
    // SAFETY: rdtsc only reads the counter; Xen lets PV guests execute it.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// The TSC value at entry.
pub fn entry_tsc() -> u64 {
    CLICKOS_ENTRY_TSC.load(Ordering::Relaxed)
}
