//! Guest memory: PFN/MFN translation, the page tables (changed only through `mmu_update` and
//! `update_va_mapping`, since PV page tables are read-only to the guest), the frame allocator
//! and the heap.
//!
//! Xen maps the bootstrap region (image, P2M list, start_info, rings, page tables, stack, then
//! padding to a 4 MiB boundary) at virtual address = `VIRT_BASE` + pseudo-physical address.
//! `init` extends that mapping to every page of the domain, so `va == pfn_to_va(pfn)` holds
//! for all memory.

use super::abi::*;
use super::hypercall::{check, hypercall, Errno};
use crate::mm::frames::{FrameAllocator, Pfn};
use crate::mm::{pfn_to_va, va_to_pfn, PAGE_SIZE, VIRT_BASE};
use core::ops::Range;
use linked_list_allocator::LockedHeap;
use spin::{Mutex, Once};

#[global_allocator]
static HEAP: LockedHeap = LockedHeap::empty();

/// The free frames kept out of the heap (`FRAME_RESERVE` of them), for `alloc_frame`.
static FRAMES: Mutex<FrameAllocator> = Mutex::new(FrameAllocator::new(0, 0));

static P2M: Once<&'static [u64]> = Once::new();
static PT_BASE: Once<u64> = Once::new();

/// Page-table entry flags of intermediate levels: present, writable, user, accessed, dirty.
const TABLE_FLAGS: u64 = 0x67;
/// Updates queued before an `mmu_update` hypercall.
const BATCH: usize = 64;
/// Free frames kept out of the heap for `alloc_frame`; everything else is heap (rings,
/// grants and packet buffers are allocated there).
const FRAME_RESERVE: u64 = 16;

/// Why memory could not be set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemError {
    /// A hypercall failed.
    Xen(Errno),
    /// Ran out of frames for page tables or the heap.
    OutOfFrames,
    /// A PFN has no machine frame in the P2M list.
    NoMachineFrame(Pfn),
    /// A frame needed early is outside the region Xen mapped at boot.
    Unmapped(Pfn),
}

impl From<Errno> for MemError {
    fn from(e: Errno) -> Self {
        MemError::Xen(e)
    }
}

/// What `init` found and did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemInfo {
    /// Pages the domain has.
    pub nr_pages: u64,
    /// Pages Xen had mapped at boot.
    pub bootstrap_pages: u64,
    /// Page-table frames added to map the rest.
    pub tables_added: u64,
    /// The heap's frames.
    pub heap: Range<Pfn>,
    /// Frames left to the frame allocator.
    pub free_frames: u64,
}

/// The machine frame of `pfn`.
pub fn pfn_to_mfn(pfn: Pfn) -> Option<u64> {
    P2M.get().and_then(|p2m| p2m.get(pfn as usize).copied())
}

/// The pseudo-physical frame of machine frame `mfn`, from Xen's read-only M2P table.
pub fn mfn_to_pfn(mfn: u64) -> Pfn {
    let m2p = MACH2PHYS_VIRT_START as *const u64;
    // SAFETY: Xen maps the M2P table read-only at MACH2PHYS_VIRT_START in every 64-bit PV
    // guest; it covers every machine frame the guest can name.
    unsafe { m2p.add(mfn as usize).read_volatile() }
}

/// The virtual address of machine frame `mfn` of this domain.
pub fn mfn_to_va(mfn: u64) -> u64 {
    pfn_to_va(mfn_to_pfn(mfn))
}

fn read_entry(table_va: u64, index: u64) -> u64 {
    // SAFETY: `table_va` is a page table of this domain, mapped (read-only) at the address of
    // its frame, and `index` < 512.
    unsafe { ((table_va + index * 8) as *const u64).read_volatile() }
}

fn mmu_update(updates: &[MmuUpdate]) -> Result<(), Errno> {
    let mut done = 0u32;
    // SAFETY: every update targets an entry of this domain's page tables with a frame of this
    // domain, checked by Xen; `updates` and `done` outlive the call.
    check(unsafe {
        hypercall(
            HYPERVISOR_MMU_UPDATE,
            updates.as_ptr() as u64,
            updates.len() as u64,
            &mut done as *mut u32 as u64,
            DOMID_SELF,
            0,
        )
    })
    .map(|_| ())
}

fn update_va_mapping(va: u64, pte: u64) -> Result<(), Errno> {
    // SAFETY: callers only remap pages that nothing holds references into.
    check(unsafe { hypercall(HYPERVISOR_UPDATE_VA_MAPPING, va, pte, UVMF_INVLPG, 0, 0) })
        .map(|_| ())
}

/// The L1 entry mapping `va`, or `None` if an upper level is missing. Returns the L1 table's
/// machine frame and the entry.
fn lookup(l4_va: u64, va: u64) -> Option<(u64, u64)> {
    let mut table_va = l4_va;
    let mut table_mfn = 0;
    for level in (1..=4).rev() {
        let entry = read_entry(table_va, (va >> (12 + 9 * (level - 1))) & 511);
        if level == 1 {
            return Some((table_mfn, entry));
        }
        if entry & PTE_PRESENT == 0 {
            return None;
        }
        table_mfn = (entry & PTE_ADDR_MASK) >> 12;
        table_va = mfn_to_va(table_mfn);
    }
    None
}

struct Mapper<'a> {
    l4_va: u64,
    l4_mfn: u64,
    bootstrap_end: Pfn,
    frames: &'a mut FrameAllocator,
    queue: heapless::Vec<MmuUpdate, BATCH>,
    tables_added: u64,
}

impl Mapper<'_> {
    fn flush(&mut self) -> Result<(), MemError> {
        if !self.queue.is_empty() {
            mmu_update(&self.queue)?;
            self.queue.clear();
        }
        Ok(())
    }

    fn queue(&mut self, update: MmuUpdate) -> Result<(), MemError> {
        if self.queue.is_full() {
            self.flush()?;
        }
        // Cannot fail: the queue was flushed when full.
        let _ = self.queue.push(update);
        Ok(())
    }

    /// A zeroed frame, mapped read-only at its own address, ready to become a page table.
    fn new_table(&mut self) -> Result<u64, MemError> {
        let pfn = self.frames.alloc().ok_or(MemError::OutOfFrames)?;
        if pfn >= self.bootstrap_end {
            return Err(MemError::Unmapped(pfn));
        }
        let mfn = pfn_to_mfn(pfn).ok_or(MemError::NoMachineFrame(pfn))?;
        // SAFETY: a free frame inside the bootstrap mapping (checked above), mapped writable,
        // that nothing else uses.
        unsafe { core::ptr::write_bytes(pfn_to_va(pfn) as *mut u8, 0, PAGE_SIZE as usize) };
        update_va_mapping(pfn_to_va(pfn), (mfn << 12) | PTE_PRESENT | PTE_ACCESSED)?;
        self.tables_added += 1;
        Ok(mfn)
    }

    /// Maps `va` to machine frame `mfn` with L1 flags `flags`, adding missing tables.
    fn map(&mut self, va: u64, mfn: u64, flags: u64) -> Result<(), MemError> {
        let mut table_va = self.l4_va;
        let mut table_mfn = self.l4_mfn;
        for level in (2..=4).rev() {
            let index = (va >> (12 + 9 * (level - 1))) & 511;
            let mut entry = read_entry(table_va, index);
            if entry & PTE_PRESENT == 0 {
                // Earlier L1 updates must land before a table they might depend on changes.
                self.flush()?;
                let new = self.new_table()?;
                entry = (new << 12) | TABLE_FLAGS;
                mmu_update(&[MmuUpdate {
                    ptr: ((table_mfn << 12) + index * 8) | MMU_NORMAL_PT_UPDATE,
                    val: entry,
                }])?;
            }
            table_mfn = (entry & PTE_ADDR_MASK) >> 12;
            table_va = mfn_to_va(table_mfn);
        }
        let index = (va >> 12) & 511;
        if read_entry(table_va, index) & PTE_PRESENT == 0 {
            self.queue(MmuUpdate {
                ptr: ((table_mfn << 12) + index * 8) | MMU_NORMAL_PT_UPDATE,
                val: (mfn << 12) | flags,
            })?;
        }
        Ok(())
    }
}

/// Sets up memory: P2M access, a mapping of every page at `va == pfn_to_va(pfn)`, the frame
/// allocator over the free pages (from virtual address `free_start` on) and a heap of all of
/// them but `FRAME_RESERVE`.
pub fn init(si: &'static StartInfo, free_start: u64) -> Result<MemInfo, MemError> {
    let nr_pages = si.nr_pages;
    // SAFETY: Xen maps the P2M list (one u64 per page) at start_info.mfn_list for the whole
    // life of the domain, and nothing writes to it.
    let p2m = unsafe { core::slice::from_raw_parts(si.mfn_list as *const u64, nr_pages as usize) };
    P2M.call_once(|| p2m);

    let l4_va = si.pt_base;
    PT_BASE.call_once(|| l4_va);
    let l4_pfn = va_to_pfn(l4_va);
    let l4_mfn = pfn_to_mfn(l4_pfn).ok_or(MemError::NoMachineFrame(l4_pfn))?;
    let bootstrap_end = (0..nr_pages)
        .find(|&pfn| lookup(l4_va, pfn_to_va(pfn)).is_none_or(|(_, e)| e & PTE_PRESENT == 0))
        .unwrap_or(nr_pages);
    let first_free = va_to_pfn(free_start + PAGE_SIZE - 1);
    // Map new pages like the first free one: an ordinary writable page of the bootstrap region.
    let l1_flags = match lookup(l4_va, pfn_to_va(first_free)) {
        Some((_, e)) if e & PTE_PRESENT != 0 => (e & PTE_FLAGS_MASK) | PTE_WRITABLE,
        _ => return Err(MemError::Unmapped(first_free)),
    };

    let mut frames = FrameAllocator::new(first_free, nr_pages);
    let mut mapper = Mapper {
        l4_va,
        l4_mfn,
        bootstrap_end,
        frames: &mut frames,
        queue: heapless::Vec::new(),
        tables_added: 0,
    };
    for pfn in bootstrap_end..nr_pages {
        let mfn = pfn_to_mfn(pfn).ok_or(MemError::NoMachineFrame(pfn))?;
        mapper.map(pfn_to_va(pfn), mfn, l1_flags)?;
    }
    mapper.flush()?;
    let tables_added = mapper.tables_added;

    let heap = frames
        .alloc_contiguous(frames.available().saturating_sub(FRAME_RESERVE))
        .ok_or(MemError::OutOfFrames)?;
    // SAFETY: the heap frames are mapped writable (just above) and handed out by nothing else.
    unsafe {
        HEAP.lock().init(
            pfn_to_va(heap.start) as *mut u8,
            ((heap.end - heap.start) * PAGE_SIZE) as usize,
        )
    };
    let free_frames = frames.available();
    *FRAMES.lock() = frames;
    Ok(MemInfo {
        nr_pages,
        bootstrap_pages: bootstrap_end,
        tables_added,
        heap,
        free_frames,
    })
}

/// Unmaps the page at `va` (the stack's guard page): any later access faults. Its frame is
/// left unused.
pub fn unmap_page(va: u64) -> Result<(), MemError> {
    update_va_mapping(va, 0)?;
    Ok(())
}

/// One free frame (mapped at `pfn_to_va(pfn)`), for rings, grants and buffers.
pub fn alloc_frame() -> Option<Pfn> {
    FRAMES.lock().alloc()
}

/// `SIF_MOD_START_PFN`: `start_info.mod_start` is a frame number, not an address.
const SIF_MOD_START_PFN: u32 = 1 << 3;

/// The boot module Xen loaded for the domain (xl `ramdisk=`), if any. It lies in the bootstrap
/// region below the page tables, which the frame allocator and the heap never hand out.
pub fn boot_module(si: &StartInfo) -> Option<&'static [u8]> {
    if si.mod_start == 0 || si.mod_len == 0 {
        return None;
    }
    let va = if si.flags & SIF_MOD_START_PFN != 0 {
        si.mod_start
            .checked_mul(PAGE_SIZE)?
            .checked_add(VIRT_BASE)?
    } else {
        si.mod_start
    };
    let end = va.checked_add(si.mod_len)?;
    let l4_va = *PT_BASE.get()?;
    let mapped = |addr: u64| lookup(l4_va, addr).is_some_and(|(_, e)| e & PTE_PRESENT != 0);
    if end > si.pt_base || !mapped(va) || !mapped(end - 1) {
        return None;
    }
    // SAFETY: [va, end) is mapped (checked above; the bootstrap mapping is contiguous), lies
    // below the bootstrap page tables where nothing is allocated, and is never written.
    Some(unsafe { core::slice::from_raw_parts(va as *const u8, si.mod_len as usize) })
}

/// Bytes in use on the heap and bytes free.
pub fn heap_usage() -> (usize, usize) {
    let heap = HEAP.lock();
    (heap.used(), heap.free())
}

/// Reads the 8 bytes at `va` if it is *not* mapped, which must fault: the fault self-test
/// uses it to check that the trap handler reports and crashes. Returns `None` without
/// touching anything if `va` is mapped (or memory is not set up).
pub fn touch_unmapped(va: u64) -> Option<u64> {
    let l4_va = *PT_BASE.get()?;
    if lookup(l4_va, va).is_some_and(|(_, e)| e & PTE_PRESENT != 0) {
        return None;
    }
    // SAFETY: `va` is not mapped (checked just above), so this read cannot alias any object:
    // it faults, and the trap handler crashes the domain.
    Some(unsafe { (va as *const u64).read_volatile() })
}
