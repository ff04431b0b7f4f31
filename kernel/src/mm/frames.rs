//! Allocator of pseudo-physical frames (PFNs).
//!
//! The free frames of a PV guest start as one range, from the end of the bootstrap region Xen
//! built to the last page the domain owns. Frames are taken from the low end (so the first
//! ones are inside the region Xen mapped at boot, which the page-table code relies on), and
//! freed frames are recycled first.

use heapless::Vec;

/// How many freed frames are remembered for reuse.
pub const RECYCLE_CAPACITY: usize = 256;

/// A pseudo-physical frame number.
pub type Pfn = u64;

/// Hands out free pseudo-physical frames.
#[derive(Debug)]
pub struct FrameAllocator {
    next: Pfn,
    end: Pfn,
    recycled: Vec<Pfn, RECYCLE_CAPACITY>,
}

/// A freed frame that could not be remembered because the recycle list is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecycleFull(pub Pfn);

impl FrameAllocator {
    /// An allocator over the frames `first..end` (empty if `end <= first`).
    pub const fn new(first: Pfn, end: Pfn) -> Self {
        FrameAllocator {
            next: first,
            end: if end < first { first } else { end },
            recycled: Vec::new(),
        }
    }

    /// One frame: a recycled one if there is one, else the lowest never-used frame.
    pub fn alloc(&mut self) -> Option<Pfn> {
        if let Some(pfn) = self.recycled.pop() {
            return Some(pfn);
        }
        self.alloc_contiguous(1).map(|r| r.start)
    }

    /// `count` contiguous never-used frames (for the heap and multi-page buffers).
    pub fn alloc_contiguous(&mut self, count: u64) -> Option<core::ops::Range<Pfn>> {
        if count == 0 || self.end - self.next < count {
            return None;
        }
        let start = self.next;
        self.next += count;
        Some(start..self.next)
    }

    /// Returns a frame for reuse.
    pub fn free(&mut self, pfn: Pfn) -> Result<(), RecycleFull> {
        self.recycled.push(pfn).map_err(RecycleFull)
    }

    /// How many frames can still be allocated.
    pub fn available(&self) -> u64 {
        self.end - self.next + self.recycled.len() as u64
    }

    /// The first frame never handed out: every frame below it has been allocated at least once.
    pub fn watermark(&self) -> Pfn {
        self.next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocates_upwards_and_recycles_first() {
        let mut f = FrameAllocator::new(0x25, 0x30);
        assert_eq!(f.available(), 11);
        assert_eq!(f.alloc(), Some(0x25));
        assert_eq!(f.alloc(), Some(0x26));
        f.free(0x25).unwrap();
        assert_eq!(f.available(), 10);
        assert_eq!(f.alloc(), Some(0x25));
        assert_eq!(f.watermark(), 0x27);
    }

    #[test]
    fn contiguous_ranges_and_exhaustion() {
        let mut f = FrameAllocator::new(10, 20);
        assert_eq!(f.alloc_contiguous(0), None);
        assert_eq!(f.alloc_contiguous(4), Some(10..14));
        assert_eq!(f.alloc_contiguous(7), None);
        assert_eq!(f.alloc_contiguous(6), Some(14..20));
        assert_eq!(f.alloc(), None);
        assert_eq!(f.available(), 0);
    }

    #[test]
    fn empty_and_inverted_ranges() {
        let mut f = FrameAllocator::new(5, 3);
        assert_eq!(f.available(), 0);
        assert_eq!(f.alloc(), None);
    }

    #[test]
    fn recycle_list_is_bounded() {
        let mut f = FrameAllocator::new(0, 0);
        for pfn in 0..RECYCLE_CAPACITY as u64 {
            f.free(pfn).unwrap();
        }
        assert_eq!(f.free(9999), Err(RecycleFull(9999)));
    }

    #[test]
    fn pages_for_rounds_up() {
        assert_eq!(crate::mm::pages_for(0), 0);
        assert_eq!(crate::mm::pages_for(1), 1);
        assert_eq!(crate::mm::pages_for(4096), 1);
        assert_eq!(crate::mm::pages_for(4097), 2);
    }
}
