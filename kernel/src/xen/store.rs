//! The XenStore ring shared with xenstored (`struct xenstore_domain_interface`) as a
//! [`Transport`] of the protocol client in [`crate::xenstore`].

use super::abi::{StartInfo, XenstoreInterface};
use super::{events, mm, time};
use crate::xenstore::wire::{RingState, RING_SIZE};
use crate::xenstore::{Client, Nanos, Transport};
use core::ptr::{addr_of, addr_of_mut};
use core::sync::atomic::{fence, Ordering};

/// How long a XenStore request may take before it fails.
pub const REQUEST_TIMEOUT_NS: u64 = 20_000_000_000;

/// The store ring page and its event channel.
pub struct StoreRing {
    iface: *mut XenstoreInterface,
    port: u32,
    /// Times xenstored's indices were inconsistent (ignored).
    pub bad_indices: u64,
}

impl StoreRing {
    /// The ring named in start_info (in the bootstrap region, mapped at its pfn address).
    pub fn from_start_info(si: &StartInfo) -> StoreRing {
        StoreRing {
            iface: mm::mfn_to_va(si.store_mfn) as *mut XenstoreInterface,
            port: si.store_evtchn,
            bad_indices: 0,
        }
    }

    /// The ring's event channel.
    pub fn port(&self) -> u32 {
        self.port
    }
}

/// A client over the domain's store ring.
pub fn client(si: &StartInfo) -> Client<StoreRing> {
    Client::new(StoreRing::from_start_info(si), REQUEST_TIMEOUT_NS)
}

impl Transport for StoreRing {
    fn send(&mut self, data: &[u8]) -> usize {
        // SAFETY: `iface` is this domain's store page, mapped writable for the domain's life;
        // xenstored changes req_cons concurrently, hence volatile reads.
        let st = unsafe {
            RingState {
                cons: addr_of!((*self.iface).req_cons).read_volatile(),
                prod: addr_of!((*self.iface).req_prod).read_volatile(),
            }
        };
        let Some(used) = st.used() else {
            self.bad_indices += 1;
            return 0;
        };
        fence(Ordering::Acquire);
        let mut n = (RING_SIZE - used).min(data.len() as u32);
        let total = n;
        let mut at = st.prod;
        let mut src = data;
        while n > 0 {
            let (offset, len) = RingState::run(at, n);
            for (i, &b) in src[..len].iter().enumerate() {
                // SAFETY: offset + i < RING_SIZE (RingState::run keeps runs inside the ring),
                // the size of `req`.
                unsafe { addr_of_mut!((*self.iface).req[offset + i]).write_volatile(b) };
            }
            src = &src[len..];
            at = at.wrapping_add(len as u32);
            n -= len as u32;
        }
        fence(Ordering::Release);
        // SAFETY: publishing the bytes written above; only the guest writes req_prod.
        unsafe { addr_of_mut!((*self.iface).req_prod).write_volatile(at) };
        total as usize
    }

    fn recv(&mut self, buf: &mut [u8]) -> usize {
        // SAFETY: as in `send`; xenstored changes rsp_prod concurrently.
        let st = unsafe {
            RingState {
                cons: addr_of!((*self.iface).rsp_cons).read_volatile(),
                prod: addr_of!((*self.iface).rsp_prod).read_volatile(),
            }
        };
        let Some(used) = st.used() else {
            self.bad_indices += 1;
            return 0;
        };
        fence(Ordering::Acquire);
        let mut n = used.min(buf.len() as u32);
        let total = n;
        let mut at = st.cons;
        let mut out = 0usize;
        while n > 0 {
            let (offset, len) = RingState::run(at, n);
            for i in 0..len {
                // SAFETY: offset + i < RING_SIZE, the size of `rsp`.
                buf[out + i] = unsafe { addr_of!((*self.iface).rsp[offset + i]).read_volatile() };
            }
            out += len;
            at = at.wrapping_add(len as u32);
            n -= len as u32;
        }
        fence(Ordering::Release);
        // SAFETY: releasing the bytes read above; only the guest writes rsp_cons.
        unsafe { addr_of_mut!((*self.iface).rsp_cons).write_volatile(at) };
        total as usize
    }

    fn notify(&mut self) {
        events::send(self.port);
    }

    fn wait(&mut self, deadline: Nanos) {
        // The pending bit is cleared only after the poll: an event that arrived since the
        // caller last looked at the ring makes the poll return at once.
        let _ = events::poll(&[self.port], deadline);
        events::take_pending(self.port);
    }

    fn now(&self) -> Nanos {
        time::now()
    }
}
