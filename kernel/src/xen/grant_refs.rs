//! Grant reference bookkeeping (plain logic, host-tested): which entries of the grant table
//! are free. References below `GNTTAB_NR_RESERVED_ENTRIES` belong to the toolstack.

use alloc::vec::Vec;

/// Hands out grant references `first..limit`, reusing ended ones first.
#[derive(Debug)]
pub struct RefAllocator {
    next: u32,
    limit: u32,
    free: Vec<u32>,
    in_use: u32,
}

impl RefAllocator {
    /// References `first..limit`.
    pub fn new(first: u32, limit: u32) -> Self {
        RefAllocator {
            next: first,
            limit: limit.max(first),
            free: Vec::new(),
            in_use: 0,
        }
    }

    /// A free reference.
    pub fn alloc(&mut self) -> Option<u32> {
        let r = match self.free.pop() {
            Some(r) => r,
            None if self.next < self.limit => {
                self.next += 1;
                self.next - 1
            }
            None => return None,
        };
        self.in_use += 1;
        Some(r)
    }

    /// Returns `r` for reuse (ignored if it was never handed out or is already free).
    pub fn free(&mut self, r: u32) {
        if r < self.next && !self.free.contains(&r) {
            self.free.push(r);
            self.in_use -= 1;
        }
    }

    /// References currently handed out.
    pub fn in_use(&self) -> u32 {
        self.in_use
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_ended_refs_and_stops_at_the_limit() {
        let mut a = RefAllocator::new(8, 11);
        assert_eq!(a.alloc(), Some(8));
        assert_eq!(a.alloc(), Some(9));
        a.free(8);
        a.free(8);
        a.free(100);
        assert_eq!(a.in_use(), 1);
        assert_eq!(a.alloc(), Some(8));
        assert_eq!(a.alloc(), Some(10));
        assert_eq!(a.alloc(), None);
        assert_eq!(a.in_use(), 3);
    }
}
