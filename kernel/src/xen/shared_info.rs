//! The shared info page: per-vCPU clock, event-channel pending and mask bits, fault address.
//!
//! Xen passes its machine address in start_info; the guest maps it over a page of its own
//! image (`update_va_mapping`) before it uses the clock or event channels.

use super::abi::*;
use super::hypercall::{check, hypercall, Errno};
use core::ptr::{addr_of, addr_of_mut};
use core::sync::atomic::{fence, AtomicBool, AtomicU64, Ordering};

#[repr(C, align(4096))]
struct Page([u8; 4096]);

/// The page whose virtual address is remapped onto shared info.
static mut PAGE: Page = Page([0; 4096]);
static MAPPED: AtomicBool = AtomicBool::new(false);

fn shared() -> Option<*mut SharedInfo> {
    if MAPPED.load(Ordering::Acquire) {
        Some(addr_of_mut!(PAGE) as *mut SharedInfo)
    } else {
        None
    }
}

/// Maps the shared info page (machine address `maddr`) and masks event upcalls of vCPU 0.
pub fn map(maddr: u64) -> Result<(), Errno> {
    let va = addr_of_mut!(PAGE) as u64;
    let pte = (maddr & PTE_ADDR_MASK) | PTE_PRESENT | PTE_WRITABLE | PTE_ACCESSED | PTE_DIRTY;
    // SAFETY: replaces the mapping of a page-aligned static that nothing else references; from
    // now on it is only accessed as `SharedInfo`.
    check(unsafe { hypercall(HYPERVISOR_UPDATE_VA_MAPPING, va, pte, UVMF_INVLPG, 0, 0) })?;
    MAPPED.store(true, Ordering::Release);
    if let Some(s) = shared() {
        // SAFETY: `s` is the mapped shared info page; the mask byte is ours to write.
        unsafe { addr_of_mut!((*s).vcpu_info[0].evtchn_upcall_mask).write_volatile(1) };
    }
    Ok(())
}

/// A consistent snapshot of vCPU 0's time record (all zero before `map`).
pub fn time_record() -> VcpuTimeInfo {
    let Some(s) = shared() else {
        return VcpuTimeInfo::default();
    };
    loop {
        // SAFETY: `s` is the mapped shared info page; Xen updates the record concurrently,
        // which the version protocol (odd = in progress, changed = retry) detects.
        let (v1, rec, v2) = unsafe {
            let t = addr_of!((*s).vcpu_info[0].time);
            let v1 = addr_of!((*t).version).read_volatile();
            fence(Ordering::Acquire);
            let rec = t.read_volatile();
            fence(Ordering::Acquire);
            (v1, rec, addr_of!((*t).version).read_volatile())
        };
        if v1 & 1 == 0 && v1 == v2 {
            return rec;
        }
    }
}

/// The faulting address of vCPU 0's last page fault (`arch.cr2`), if shared info is mapped.
pub fn fault_address() -> Option<u64> {
    // SAFETY: reading a field of the mapped shared info page.
    shared().map(|s| unsafe { addr_of!((*s).vcpu_info[0].cr2).read_volatile() })
}

fn bit_word(
    s: *mut SharedInfo,
    array_offset: usize,
    port: u32,
) -> Option<(&'static AtomicU64, u64)> {
    let word = port as usize / 64;
    if word >= 64 {
        return None;
    }
    // SAFETY: `array_offset` is the offset of a `[u64; 64]` inside the mapped page and
    // `word` < 64; Xen updates these words with atomic operations too.
    let atomic =
        unsafe { AtomicU64::from_ptr((s as *mut u8).add(array_offset).cast::<u64>().add(word)) };
    Some((atomic, 1 << (port % 64)))
}

/// Sets or clears `port`'s mask bit.
pub fn set_mask(port: u32, masked: bool) {
    let Some(s) = shared() else { return };
    if let Some((w, bit)) = bit_word(s, core::mem::offset_of!(SharedInfo, evtchn_mask), port) {
        if masked {
            w.fetch_or(bit, Ordering::SeqCst);
        } else {
            w.fetch_and(!bit, Ordering::SeqCst);
        }
    }
}

/// Clears `port`'s pending bit, returning whether it was set.
pub fn test_and_clear_pending(port: u32) -> bool {
    let Some(s) = shared() else { return false };
    match bit_word(s, core::mem::offset_of!(SharedInfo, evtchn_pending), port) {
        Some((w, bit)) => w.fetch_and(!bit, Ordering::SeqCst) & bit != 0,
        None => false,
    }
}
