//! The host's heap, counted: a global allocator over the system's that keeps the bytes in
//! use, so that `click-run` can hold a router's build to a memory budget (the same check the
//! guest makes against its own heap) instead of being killed by the kernel or aborting.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use click_elements::BuildMonitor;

/// The system allocator, counting the bytes it has handed out and not yet been given back.
pub struct CountingAlloc {
    in_use: AtomicUsize,
}

impl CountingAlloc {
    /// A counter at zero; install it with `#[global_allocator]`.
    pub const fn new() -> CountingAlloc {
        CountingAlloc {
            in_use: AtomicUsize::new(0),
        }
    }

    /// Bytes allocated and not freed.
    pub fn in_use(&self) -> usize {
        self.in_use.load(Ordering::Relaxed)
    }
}

impl Default for CountingAlloc {
    fn default() -> Self {
        CountingAlloc::new()
    }
}

// SAFETY: every call is forwarded to `System` with the caller's own arguments, so `System`'s
// guarantees hold unchanged; the counter is only arithmetic on the sizes.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `alloc`'s contract (non-zero size), which `System` needs.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            self.in_use.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            self.in_use.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by this allocator (so by `System`) with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        self.in_use.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` and `layout` come from this allocator, `new_size` is the caller's
        // valid request; `System` is the allocator that made `ptr`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            self.in_use.fetch_add(new_size, Ordering::Relaxed);
            self.in_use.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}

/// Holds a router's build to `budget` bytes of heap growth, checked at the build's safe
/// points: `configuration needs more than N KiB` once it has grown past the budget.
pub struct BuildBudget<'a> {
    heap: &'a CountingAlloc,
    start: usize,
    budget: usize,
}

impl<'a> BuildBudget<'a> {
    /// Starts counting from the heap's current use.
    pub fn new(heap: &'a CountingAlloc, budget: usize) -> BuildBudget<'a> {
        BuildBudget {
            heap,
            start: heap.in_use(),
            budget,
        }
    }
}

impl BuildMonitor for BuildBudget<'_> {
    fn checkpoint(&mut self) -> Result<(), String> {
        if self.heap.in_use().saturating_sub(self.start) > self.budget {
            Err(format!(
                "configuration needs more than {} KiB of memory to build",
                self.budget / 1024
            ))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_counts_growth_since_the_start() {
        let heap = CountingAlloc::new();
        heap.in_use.store(1000, Ordering::Relaxed);
        let mut b = BuildBudget::new(&heap, 4096);
        assert!(b.checkpoint().is_ok());
        heap.in_use.store(1000 + 4097, Ordering::Relaxed);
        assert_eq!(
            b.checkpoint(),
            Err("configuration needs more than 4 KiB of memory to build".to_string())
        );
    }
}
