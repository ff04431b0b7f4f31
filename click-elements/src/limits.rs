//! What a configuration may ask for, checked before a router is built, and the safe points at
//! which a build can be watched (for a memory budget) or interleaved with forwarding.
//!
//! A configuration comes from outside the guest. Every size in it that turns into memory
//! (bursts, packet lengths, headroom, table capacities, the expanded text of variables, the
//! number of elements after compounds are expanded, the configuration's own bytes) is bounded
//! here, so that no single allocation of a build can be large, and a [`BuildMonitor`] sees the
//! build often enough to stop it when the total grows past what the heap can give.

use alloc::format;
use alloc::string::String;

/// Upper bounds on what a configuration may ask for. Errors name the bound and the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of configuration text.
    pub config_bytes: usize,
    /// Bytes of one element's configuration after its variables are expanded.
    pub expanded_bytes: usize,
    /// Elements after compounds are expanded.
    pub elements: usize,
    /// Packets per burst (`BURST` of sources and devices).
    pub burst: usize,
    /// Bytes of a packet an element makes (`LENGTH`, `DATA`).
    pub packet_length: usize,
    /// Bytes of headroom an element may ask for in front of a packet (`Unstrip`).
    pub headroom: usize,
    /// Entries of a table or queue (`CAPACITY`).
    pub capacity: usize,
    /// Elements in one chain of pull connections (a pull recurses once per element).
    pub pull_depth: usize,
    /// Input or output ports of one element.
    pub ports: usize,
}

impl Limits {
    /// Bounds for a host runner: generous, but no configuration can ask for gigabytes.
    pub const HOST: Limits = Limits {
        config_bytes: 16 << 20,
        expanded_bytes: 1 << 20,
        elements: 100_000,
        burst: 4096,
        packet_length: 65_535,
        headroom: 4096,
        capacity: 1 << 20,
        pull_depth: 256,
        ports: 4096,
    };

    /// Bounds for a guest whose heap holds `heap_bytes`: the configuration text, its element
    /// count and its capacities scale with the heap; bursts, lengths and depths are fixed.
    pub fn for_heap(heap_bytes: usize) -> Limits {
        let kib = heap_bytes / 1024;
        Limits {
            // An 8 MiB guest (about 7 MiB of heap) takes configurations up to ~890 KB.
            config_bytes: (heap_bytes / 8).max(16 << 10),
            expanded_bytes: (heap_bytes / 32).max(4 << 10),
            // A flattened element with its slot, ports and scratch batches is ~1 KiB.
            elements: (kib / 4).max(64),
            burst: 256,
            packet_length: 9_018,
            headroom: 256,
            // A queue of this many full-size packets still fits in the heap.
            capacity: (heap_bytes / 2048).max(64),
            pull_depth: 64,
            ports: 256,
        }
    }

    /// Checks `value` (of the argument `what`) against `max`.
    pub fn check(what: &str, value: usize, max: usize) -> Result<usize, String> {
        if value > max {
            Err(format!("{what}: {value} is more than the limit of {max}"))
        } else {
            Ok(value)
        }
    }

    /// Checks a burst size.
    pub fn check_burst(&self, what: &str, value: usize) -> Result<usize, String> {
        Self::check(what, value, self.burst)
    }

    /// Checks the length of a packet an element makes.
    pub fn check_packet_length(&self, what: &str, value: usize) -> Result<usize, String> {
        Self::check(what, value, self.packet_length)
    }

    /// Checks headroom an element asks for.
    pub fn check_headroom(&self, what: &str, value: usize) -> Result<usize, String> {
        Self::check(what, value, self.headroom)
    }

    /// Checks a table or queue capacity.
    pub fn check_capacity(&self, what: &str, value: usize) -> Result<usize, String> {
        Self::check(what, value, self.capacity)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::HOST
    }
}

/// Watches a build at its safe points: after each statement parsed, element expanded,
/// instantiated or configured. A guest uses it to keep forwarding with the running router
/// while a new one is built, and a runner to stop a build that outgrows its memory budget.
pub trait BuildMonitor {
    /// Called at a safe point; an error abandons the build with that message (e.g.
    /// `configuration needs more than 512 KiB`), reported at the place being built.
    fn checkpoint(&mut self) -> Result<(), String>;
}

/// A monitor that lets every build run to the end.
pub struct Unmonitored;

impl BuildMonitor for Unmonitored {
    fn checkpoint(&mut self) -> Result<(), String> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_scale_with_the_heap_and_name_the_bound() {
        let small = Limits::for_heap(1 << 20);
        let large = Limits::for_heap(4 << 20);
        assert!(small.config_bytes < large.config_bytes);
        assert!(small.elements < large.elements);
        assert_eq!(small.burst, large.burst);
        assert_eq!(
            small.check_burst("BURST", 1_000_000_000_000),
            Err(String::from(
                "BURST: 1000000000000 is more than the limit of 256"
            ))
        );
        assert_eq!(small.check_burst("BURST", 32), Ok(32));
    }
}
