//! The PV console: a byte ring shared with xenconsoled in dom0, with an event channel to
//! notify it. It is the backend of the `log` crate and of panic and fault reports.

/// Size of the output ring (`xencons_interface.out`).
pub const OUT_RING_SIZE: u32 = 2048;

/// Free-running ring indices (`MASK_XENCONS_IDX`): producer and consumer only grow, wrapping
/// at 2^32, and are masked with the ring size when used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingIndex {
    /// Consumer index.
    pub cons: u32,
    /// Producer index.
    pub prod: u32,
    /// Ring size, a power of two.
    pub size: u32,
}

impl RingIndex {
    /// Bytes written but not yet consumed (0 if the indices are inconsistent).
    pub fn used(&self) -> u32 {
        let used = self.prod.wrapping_sub(self.cons);
        if used > self.size {
            0
        } else {
            used
        }
    }

    /// Bytes that can be written now.
    pub fn free(&self) -> u32 {
        let used = self.prod.wrapping_sub(self.cons);
        self.size.saturating_sub(used)
    }

    /// The ring offset of producer index `prod + i`.
    pub fn slot(&self, i: u32) -> usize {
        (self.prod.wrapping_add(i) & (self.size - 1)) as usize
    }
}

#[cfg(target_os = "none")]
pub use guest::*;

#[cfg(target_os = "none")]
mod guest {
    use super::{RingIndex, OUT_RING_SIZE};
    use crate::xen::abi::ConsoleInterface;
    use crate::xen::{events, time};
    use core::fmt::{self, Write};
    use core::ptr::{addr_of, addr_of_mut};
    use core::sync::atomic::{fence, Ordering};
    use spin::Mutex;

    /// How long a write waits for xenconsoled to make room before dropping output.
    const STALL_NS: u64 = 2_000_000_000;

    struct Ring {
        iface: *mut ConsoleInterface,
        port: u32,
    }

    // SAFETY: the ring page is only accessed with the CONSOLE lock held (or by the panic path
    // after it took the lock over), and the guest has one vCPU without interrupts.
    unsafe impl Send for Ring {}

    static CONSOLE: Mutex<Option<Ring>> = Mutex::new(None);

    /// Starts using the console ring at virtual address `iface_va`, notified through `port`.
    ///
    /// # Safety
    /// `iface_va` must be the mapped, writable console page of this domain.
    unsafe fn init(iface_va: u64, port: u32) {
        *CONSOLE.lock() = Some(Ring {
            iface: iface_va as *mut ConsoleInterface,
            port,
        });
    }

    /// Starts using the console ring named in start_info (its page lies in the bootstrap
    /// region, mapped at its pseudo-physical address).
    pub fn init_from_start_info(si: &crate::xen::abi::StartInfo) {
        let va = crate::xen::mm::mfn_to_va(si.console_mfn);
        // SAFETY: Xen maps the console page writable in the bootstrap region, at the address
        // of its pseudo-physical frame, which the M2P table gives.
        unsafe { init(va, si.console_evtchn) };
    }

    impl Ring {
        fn index(&self) -> RingIndex {
            // SAFETY: `iface` is the console page (see `init`); the indices are read with
            // volatile loads because xenconsoled updates out_cons concurrently.
            unsafe {
                RingIndex {
                    cons: addr_of!((*self.iface).out_cons).read_volatile(),
                    prod: addr_of!((*self.iface).out_prod).read_volatile(),
                    size: OUT_RING_SIZE,
                }
            }
        }

        fn write(&mut self, mut bytes: &[u8]) {
            let mut stalled_since = None;
            while !bytes.is_empty() {
                fence(Ordering::Acquire);
                let idx = self.index();
                let n = (idx.free() as usize).min(bytes.len());
                if n == 0 {
                    // Full: let xenconsoled drain it, but never wait forever.
                    let now = time::now();
                    let since = *stalled_since.get_or_insert(now);
                    if now.saturating_sub(since) > STALL_NS {
                        return;
                    }
                    events::send(self.port);
                    events::poll_one(self.port, now + 10_000_000);
                    continue;
                }
                for (i, &b) in bytes[..n].iter().enumerate() {
                    let slot = idx.slot(i as u32);
                    // SAFETY: `slot` < OUT_RING_SIZE, the size of the `output` array.
                    unsafe { addr_of_mut!((*self.iface).output[slot]).write_volatile(b) };
                }
                fence(Ordering::Release);
                // SAFETY: as above; publishing the bytes after the release fence.
                unsafe {
                    addr_of_mut!((*self.iface).out_prod)
                        .write_volatile(idx.prod.wrapping_add(n as u32))
                };
                events::send(self.port);
                bytes = &bytes[n..];
            }
        }

        /// Waits (bounded) until xenconsoled consumed everything.
        fn flush(&mut self) {
            let start = time::now();
            while self.index().used() != 0 {
                let now = time::now();
                if now.saturating_sub(start) > STALL_NS {
                    return;
                }
                events::send(self.port);
                events::poll_one(self.port, now + 10_000_000);
            }
        }
    }

    impl Write for Ring {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            // xenconsoled's log wants \r\n-free text; write lines as they are.
            self.write(s.as_bytes());
            Ok(())
        }
    }

    /// Writes formatted text to the console (dropped if the console is not set up).
    pub fn write_fmt(args: fmt::Arguments<'_>) {
        if let Some(ring) = CONSOLE.lock().as_mut() {
            let _ = ring.write_fmt(args);
        }
    }

    /// Writes formatted text even if the console lock is held (by code that faulted or
    /// panicked while printing), then waits until dom0 has read everything.
    pub fn emergency_write(args: fmt::Arguments<'_>) {
        if CONSOLE.is_locked() {
            // SAFETY: one vCPU and no interrupt handlers: the holder is the code that
            // faulted or panicked, which will never run again.
            unsafe { CONSOLE.force_unlock() };
        }
        if let Some(ring) = CONSOLE.lock().as_mut() {
            let _ = ring.write_fmt(args);
            ring.flush();
        }
    }

    /// Waits until dom0 has read everything written so far.
    pub fn flush() {
        if let Some(ring) = CONSOLE.lock().as_mut() {
            ring.flush();
        }
    }

    /// The `log` backend: one line per record, prefixed with the level when above `Info`.
    pub struct Logger;

    impl log::Log for Logger {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }

        fn log(&self, record: &log::Record<'_>) {
            match record.level() {
                log::Level::Info => write_fmt(format_args!("{}\n", record.args())),
                level => write_fmt(format_args!("{}: {}\n", level, record.args())),
            }
        }

        fn flush(&self) {
            flush();
        }
    }

    static LOGGER: Logger = Logger;

    /// Makes the console the backend of the `log` macros.
    pub fn init_logger() {
        if log::set_logger(&LOGGER).is_ok() {
            log::set_max_level(log::LevelFilter::Info);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_and_used_with_wrapping_indices() {
        let r = RingIndex {
            cons: u32::MAX - 10,
            prod: 5,
            size: 2048,
        };
        assert_eq!(r.used(), 16);
        assert_eq!(r.free(), 2032);
        assert_eq!(r.slot(0), 5);
        let full = RingIndex {
            cons: 100,
            prod: 2148,
            size: 2048,
        };
        assert_eq!(full.free(), 0);
        assert_eq!(full.used(), 2048);
    }

    #[test]
    fn slots_wrap_at_the_ring_size() {
        let r = RingIndex {
            cons: 2040,
            prod: 2046,
            size: 2048,
        };
        assert_eq!(r.slot(0), 2046);
        assert_eq!(r.slot(1), 2047);
        assert_eq!(r.slot(2), 0);
    }

    #[test]
    fn inconsistent_indices_are_not_trusted() {
        let r = RingIndex {
            cons: 5000,
            prod: 10,
            size: 2048,
        };
        assert_eq!(r.used(), 0);
        assert_eq!(r.free(), 0);
    }
}
