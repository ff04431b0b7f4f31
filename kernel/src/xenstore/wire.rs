//! The XenStore wire format: the messages (xs_wire.h's `xsd_sockmsg`, shared with the host
//! tools through `clickos_protocol::xenstore`) and the 1 KiB request/response rings of the
//! domain interface, which only the guest uses.

pub use clickos_protocol::xenstore::*;

/// Size of each ring of `struct xenstore_domain_interface`.
pub const RING_SIZE: u32 = 1024;

/// Free-running ring indices of one XenStore ring (`MASK_XENSTORE_IDX`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingState {
    /// Consumer index.
    pub cons: u32,
    /// Producer index.
    pub prod: u32,
}

impl RingState {
    /// Bytes produced and not consumed, or `None` if the indices are inconsistent (more
    /// than a ring's worth apart: the other end is broken or hostile).
    pub fn used(&self) -> Option<u32> {
        let used = self.prod.wrapping_sub(self.cons);
        (used <= RING_SIZE).then_some(used)
    }

    /// The contiguous run of ring offsets from index `at` on, at most `n` long:
    /// `(offset, length)`. Copies are done in at most two such runs.
    pub fn run(at: u32, n: u32) -> (usize, usize) {
        let offset = at & (RING_SIZE - 1);
        let len = n.min(RING_SIZE - offset);
        (offset as usize, len as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_state_checks_and_runs() {
        assert_eq!(RingState { cons: 5, prod: 5 }.used(), Some(0));
        assert_eq!(
            RingState {
                cons: u32::MAX - 1,
                prod: 3
            }
            .used(),
            Some(5)
        );
        assert_eq!(
            RingState {
                cons: 0,
                prod: 1025
            }
            .used(),
            None
        );
        assert_eq!(RingState { cons: 10, prod: 0 }.used(), None);
        assert_eq!(RingState::run(1020, 10), (1020, 4));
        assert_eq!(RingState::run(1024, 10), (0, 10));
    }
}
