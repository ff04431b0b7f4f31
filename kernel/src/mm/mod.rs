//! Memory management that does not depend on Xen: the frame allocator over the guest's
//! pseudo-physical frames. Page tables, PFN/MFN translation and the heap are in `xen::mm`.

pub mod frames;

use frames::Pfn;

/// Size of a page and of a frame.
pub const PAGE_SIZE: u64 = 4096;

/// The virtual address of pseudo-physical frame 0, where the image is linked
/// (`linker/clickos.ld` and the VIRT_BASE note in `arch::x86_64::entry` say the same).
///
/// Xen's domain builder maps the bootstrap region from here up to the next 4 MiB boundary of
/// the virtual address space and needs a domain page behind every mapped page. From 0 that
/// is 4 MiB, the smallest domain that could boot; from 2 MiB it is 2 MiB, so a 2 MiB domain
/// boots (the bootstrap region of this image takes well under 2 MiB).
pub const VIRT_BASE: u64 = 0x20_0000;

/// The virtual address of frame `pfn`: every frame is mapped at `VIRT_BASE + pfn * 4096`.
pub const fn pfn_to_va(pfn: Pfn) -> u64 {
    VIRT_BASE + pfn * PAGE_SIZE
}

/// The frame mapped at virtual address `va` (an address of the linear map of all frames).
pub const fn va_to_pfn(va: u64) -> Pfn {
    (va - VIRT_BASE) / PAGE_SIZE
}

/// Number of pages needed to hold `bytes` bytes.
pub const fn pages_for(bytes: u64) -> u64 {
    bytes.div_ceil(PAGE_SIZE)
}
