//! Memory management that does not depend on Xen: the frame allocator over the guest's
//! pseudo-physical frames. Page tables, PFN/MFN translation and the heap are in `xen::mm`.

pub mod frames;

/// Size of a page and of a frame.
pub const PAGE_SIZE: u64 = 4096;

/// Number of pages needed to hold `bytes` bytes.
pub const fn pages_for(bytes: u64) -> u64 {
    bytes.div_ceil(PAGE_SIZE)
}
