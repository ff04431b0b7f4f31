//! Netfront devices as the routers' `NetDevice`s, and the rounds that run the routers over
//! them. Generic over netfront's event channel: the guest runs it over Xen event channels,
//! and host benchmarks over a simulated netback on another thread, so both run this code.

use crate::control::Control;
use crate::sched::{Nanos, PortSet};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use click_elements::device::NetDevice;
use click_elements::element::{Batch, Platform};
use click_elements::packet::{Packet, PacketPool, PoolStats, Timestamp};
use log::info;
use netfront::{Config, EventChannel, Netfront};

/// How much of the heap one vif takes: receive pages, transmit buffers and packet buffers
/// made ahead, so that traffic needs no heap allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VifSizing {
    /// The netfront ring buffers.
    pub config: Config,
    /// Full-size packet buffers made ahead.
    pub prewarm: usize,
}

impl VifSizing {
    /// The largest: 64 of each (about 500 KiB of heap), what a guest of 4 MiB or more gets.
    pub const FULL: VifSizing = VifSizing::of(64);
    /// Heap bytes per buffer of each kind: one receive page, half a transmit page and a
    /// packet buffer take about 8 KiB; a quarter of the heap goes to one vif.
    const HEAP_PER_BUFFER: usize = 32 * 1024;
    /// The fewest buffers of each kind that still carry a burst.
    const MIN_BUFFERS: u16 = 16;

    const fn of(buffers: u16) -> VifSizing {
        VifSizing {
            config: Config {
                rx_buffers: buffers,
                tx_buffers: buffers,
                transaction_attempts: 16,
            },
            prewarm: buffers as usize,
        }
    }

    /// The sizing for a guest whose heap holds `heap_bytes`: one buffer of each kind per
    /// 32 KiB of heap, from 16 to [`VifSizing::FULL`]'s 64 (a 2 MiB guest, with about 1 MiB
    /// of heap, gets about 30 and keeps room for its router).
    pub fn for_heap(heap_bytes: usize) -> VifSizing {
        let buffers = (heap_bytes / Self::HEAP_PER_BUFFER)
            .clamp(Self::MIN_BUFFERS as usize, Self::FULL.prewarm);
        // The clamp keeps it within 16..=64.
        VifSizing::of(buffers as u16)
    }
}
/// Headroom in front of a received frame's copy.
const HEADROOM: usize = 64;
/// The largest frame without scatter-gather (Ethernet header + 1500-byte MTU).
const MAX_FRAME: usize = 1514;

/// A netfront device as a Click `NetDevice`. Received frames are copied once into a pool
/// packet, straight out of the netfront page, which goes back to the ring at once; transmitted frames are copied
/// into the device's granted transmit buffers.
pub struct Vif<E: EventChannel> {
    nf: Netfront<E>,
    pool: PacketPool,
    /// A router received from this vif since the vif was last armed.
    polled: bool,
    /// Frames dropped because no router receives from this vif.
    unclaimed: u64,
}

impl<E: EventChannel> Vif<E> {
    /// Wraps a connected device, with a packet pool warmed up with `prewarm` buffers for
    /// full-size frames (and room for four times as many).
    pub fn new(nf: Netfront<E>, prewarm: usize) -> Vif<E> {
        let pool = PacketPool::new(4 * prewarm);
        let frame = [0u8; MAX_FRAME];
        let warm: Vec<Packet> = (0..prewarm)
            .map(|_| pool.packet(HEADROOM, &frame, 0))
            .collect();
        drop(warm);
        Vif {
            nf,
            pool,
            polled: false,
            unclaimed: 0,
        }
    }

    /// The netfront device.
    pub fn netfront(&self) -> &Netfront<E> {
        &self.nf
    }

    /// The counters of the vif's packet pool.
    pub fn pool_stats(&self) -> PoolStats {
        self.pool.stats()
    }

    /// Frames dropped because no router received from this vif.
    pub fn unclaimed(&self) -> u64 {
        self.unclaimed
    }

    /// The device back (to disconnect it) and the count of frames received for no router.
    pub fn into_parts(self) -> (Netfront<E>, u64) {
        (self.nf, self.unclaimed)
    }

    /// Drops what arrived for no router (none runs, or none has a `FromDevice` for this
    /// vif), giving the pages back to the ring.
    fn drop_unclaimed(&mut self) {
        self.unclaimed += self.nf.receive_each(usize::MAX, |_| {}) as u64;
    }
}

impl<E: EventChannel> NetDevice for Vif<E> {
    fn receive_burst(&mut self, into: &mut Batch, max: usize) -> usize {
        self.polled = true;
        let pool = &self.pool;
        self.nf
            .receive_each(max, |frame| into.push(pool.packet(HEADROOM, frame, 0)))
    }

    fn transmit_burst(&mut self, batch: &mut Batch) -> usize {
        let n = self
            .nf
            .transmit(batch.iter().map(|p| p.data()))
            .min(batch.len());
        batch.drain(..n);
        n
    }

    fn mac_address(&self) -> [u8; 6] {
        self.nf.mac()
    }
}

/// The router's platform: the vifs by XenStore id (device N is `device/vif/N`), the log as
/// console, and a clock.
pub struct Devices<E: EventChannel> {
    vifs: BTreeMap<usize, Vif<E>>,
    clock: fn() -> Nanos,
}

impl<E: EventChannel> Platform for Devices<E> {
    fn chatter(&mut self, line: &str) {
        info!("{line}");
    }

    fn print(&mut self, line: &str) {
        info!("{line}");
    }

    fn now(&self) -> Timestamp {
        let ns = (self.clock)();
        Timestamp {
            sec: ns / 1_000_000_000,
            nsec: (ns % 1_000_000_000) as u32,
        }
    }

    fn device(&mut self, n: usize) -> Option<&mut dyn NetDevice> {
        self.vifs.get_mut(&n).map(|v| v as &mut dyn NetDevice)
    }
}

impl<E: EventChannel> Devices<E> {
    /// The vifs by id, with `clock` (nanoseconds) as the routers' time.
    pub fn new(vifs: BTreeMap<usize, Vif<E>>, clock: fn() -> Nanos) -> Devices<E> {
        Devices { vifs, clock }
    }

    /// The vifs by id.
    pub fn vifs(&self) -> impl Iterator<Item = (usize, &Vif<E>)> {
        self.vifs.iter().map(|(id, v)| (*id, v))
    }

    /// Takes every vif out (to disconnect them), leaving none.
    pub fn take_vifs(&mut self) -> BTreeMap<usize, Vif<E>> {
        core::mem::take(&mut self.vifs)
    }

    /// Frames received on every vif.
    pub fn rx_packets(&self) -> u64 {
        self.vifs.values().map(|v| v.nf.stats().rx_packets).sum()
    }

    /// Frames queued for transmission on every vif.
    pub fn tx_packets(&self) -> u64 {
        self.vifs.values().map(|v| v.nf.stats().tx_packets).sum()
    }

    /// Runs up to `rounds` rounds of the routers over the vifs, stopping at the first round
    /// without work; returns whether any round worked.
    pub fn forward(&mut self, control: &Control, rounds: usize) -> bool {
        let mut worked = false;
        for _ in 0..rounds {
            if !control.run_once(self) {
                break;
            }
            worked = true;
        }
        worked
    }

    /// Before the caller sleeps: takes back finished transmit buffers (otherwise their
    /// responses would count as work forever), then asks every backend for an event on its
    /// next response. `None` when frames are waiting (poll again instead of sleeping: frames
    /// for a vif no router received from are dropped first, or they would keep the caller
    /// awake), otherwise the vifs' event channels to wait on.
    pub fn prepare_to_sleep(&mut self) -> Option<PortSet> {
        let mut ports = PortSet::default();
        for vif in self.vifs.values_mut() {
            vif.nf.tx_room();
            let polled = core::mem::take(&mut vif.polled);
            if vif.nf.arm_events() {
                if !polled {
                    vif.drop_unclaimed();
                }
                return None;
            }
            ports.insert(vif.nf.port());
        }
        Some(ports)
    }
}
