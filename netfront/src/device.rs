//! One netfront device: bring-up, the batched data path, and tear-down.

use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::Cell;

use crate::platform::{EventChannel, GrantTable, Store, TxnId};
use crate::shared::{FrontRing, ProducerError, RingEntry, SharedPage};
use crate::wire::{
    DomId, GrantRef, Port, RxRequest, RxResponse, TxRequest, TxResponse, XenbusState,
    NETIF_RSP_DROPPED, NETIF_RSP_ERROR, NETIF_RSP_OKAY, NETRXF_CSUM_BLANK, NETRXF_EXTRA_INFO,
    NETRXF_MORE_DATA, PAGE_SIZE, RX_RING_SIZE, TX_RING_SIZE,
};
use crate::xenbus::{self, ConnectKeys};
use crate::Error;

/// Bytes of transmit buffer per transmit id: two ids share a granted page.
pub const TX_BUFFER_SIZE: usize = PAGE_SIZE / 2;

/// The shortest frame accepted either way: an Ethernet header.
pub const MIN_FRAME: usize = 14;

/// Extra-info flag: another extra-info slot follows (`XEN_NETIF_EXTRA_FLAG_MORE`).
const EXTRA_FLAG_MORE: u8 = 1;

/// Device parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Receive pages (each granted once and posted again after use); 1 to 256.
    pub rx_buffers: u16,
    /// Transmit buffers of [`TX_BUFFER_SIZE`] bytes (two per granted page); 1 to 256.
    pub tx_buffers: u16,
    /// How many times the connect transaction is tried when the store answers `EAGAIN`.
    pub transaction_attempts: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            rx_buffers: RX_RING_SIZE as u16,
            tx_buffers: TX_RING_SIZE as u16,
            transaction_attempts: 16,
        }
    }
}

/// Counters of a device. Every response the backend gets wrong lands in one of the `bad`
/// counters and is dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames received and handed out.
    pub rx_packets: u64,
    /// Bytes in those frames.
    pub rx_bytes: u64,
    /// Receive responses with a negative (error) status.
    pub rx_errors: u64,
    /// Receive responses whose id is not the one posted in their slot.
    pub rx_bad_id: u64,
    /// Receive responses with a length under [`MIN_FRAME`] or past the end of the page.
    pub rx_bad_length: u64,
    /// Receive slots of extra-info descriptors (not negotiated).
    pub rx_unsupported: u64,
    /// Frames spanning several receive slots (`NETRXF_more_data`; scatter-gather is not
    /// negotiated): dropped whole, every slot of the chain returned to the ring.
    pub rx_multislot: u64,
    /// Frames flagged `NETRXF_csum_blank`: their TCP/UDP checksum is partial although the
    /// frontend asked for complete ones (`feature-no-csum-offload`). A backend bug; forwarded
    /// unchanged they would carry a wrong checksum, so they are dropped.
    pub rx_csum_blank: u64,
    /// Frames queued for transmission.
    pub tx_packets: u64,
    /// Bytes in those frames.
    pub tx_bytes: u64,
    /// Frames refused before reaching the ring (shorter than [`MIN_FRAME`] or longer than
    /// [`TX_BUFFER_SIZE`]).
    pub tx_dropped: u64,
    /// Transmit responses with status dropped or error.
    pub tx_errors: u64,
    /// Transmit responses naming an id that is not in flight (unknown or duplicate).
    pub tx_bad_id: u64,
    /// Transmit responses with a status that is not a netif status for a packet.
    pub tx_bad_status: u64,
    /// Transmit ids recovered because their response never came (a bad id took its place).
    pub tx_orphans: u64,
    /// Times the backend published more responses than there were requests (the device is
    /// then broken).
    pub ring_overflows: u64,
    /// Times the backend moved a response producer back behind one already seen (the
    /// device is then broken).
    pub ring_rewinds: u64,
    /// Notifications sent to the backend.
    pub notifications: u64,
    /// Pages kept for ever because the backend would not let go of their grant (ending it
    /// failed): never freed, never granted again.
    pub leaked_pages: u64,
}

/// Lifecycle of the device after bring-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceState {
    /// Exchanging packets.
    Connected,
    /// The backend broke the ring protocol; the data path is stopped until disconnect.
    Broken,
}

/// Receive pages whose frames were dropped: shared between the device and every
/// [`RxBuffer`] it lent out, so a buffer finds its way home from wherever it is dropped.
type ReturnList = Rc<Cell<Vec<u16>>>;

fn give_back(list: &ReturnList, id: u16) {
    let mut ids = list.take();
    ids.push(id);
    list.set(ids);
}

/// A received frame in a receive page, lent by the device.
///
/// The page is not on the ring while the buffer lives, so its bytes are stable; dropping the
/// buffer hands the page back, and the device posts it again at its next
/// [`Netfront::receive`]. The kernel can wrap it in a packet without copying.
pub struct RxBuffer {
    page: SharedPage,
    id: u16,
    offset: u16,
    len: u16,
    flags: u16,
    home: ReturnList,
}

impl RxBuffer {
    /// The frame's bytes.
    pub fn data(&self) -> &[u8] {
        // Offset and length were checked against the page when the response was accepted.
        self.page
            .bytes(self.offset.into(), self.len.into())
            .unwrap_or(&[])
    }

    /// The frame's length.
    pub fn len(&self) -> usize {
        self.len.into()
    }

    /// Whether the frame is empty (never, for a frame the device accepted).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Where the frame starts in its page (the bytes before it are free headroom).
    pub fn offset(&self) -> usize {
        self.offset.into()
    }

    /// The response's `NETRXF_*` flags (checksum state).
    pub fn flags(&self) -> u16 {
        self.flags
    }

    /// The receive page's index in the device (stable for the device's life).
    pub fn id(&self) -> u16 {
        self.id
    }

    /// The address of the page holding the frame. The page itself is not handed out: the
    /// guest only reads a receive page, so when it goes back to the ring it holds nothing
    /// but zeros and what the backend wrote there itself.
    pub fn page_addr(&self) -> usize {
        self.page.addr()
    }
}

impl Drop for RxBuffer {
    fn drop(&mut self) {
        give_back(&self.home, self.id);
    }
}

impl core::fmt::Debug for RxBuffer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RxBuffer")
            .field("id", &self.id)
            .field("offset", &self.offset)
            .field("len", &self.len)
            .finish()
    }
}

struct Granted {
    page: SharedPage,
    gref: GrantRef,
}

/// A good receive response, taken and checked.
#[derive(Clone, Copy)]
struct Received {
    id: u16,
    offset: u16,
    len: u16,
    flags: u16,
}

/// Where the receive side is in a packet it is dropping.
#[derive(Clone, Copy, Default)]
struct RxSkip {
    /// The next slot holds an extra-info descriptor.
    extra: bool,
    /// A further fragment follows the extras.
    fragment: bool,
}

/// Everything granted to the backend, released in one place.
struct Resources {
    grants: Vec<Granted>,
    port: Option<Port>,
}

impl Resources {
    fn grant<G: GrantTable>(
        &mut self,
        grants: &mut G,
        backend: DomId,
        readonly: bool,
    ) -> Result<(SharedPage, GrantRef), Error> {
        let page = SharedPage::new().ok_or(Error::NoMemory)?;
        let gref = grants.grant(backend, &page, readonly)?;
        self.grants.push(Granted {
            page: page.clone(),
            gref,
        });
        Ok((page, gref))
    }

    /// Ends every grant and closes the port; returns how many pages had to be leaked.
    fn release<G: GrantTable, E: EventChannel>(&mut self, grants: &mut G, evtchn: &mut E) -> u64 {
        if let Some(port) = self.port.take() {
            evtchn.close(port);
        }
        let mut leaked = 0;
        for granted in core::mem::take(&mut self.grants) {
            if grants.end_access(granted.gref).is_err() {
                // The backend may still write it: it must never be freed.
                core::mem::forget(granted.page);
                leaked += 1;
            }
        }
        leaked
    }
}

impl Drop for Resources {
    /// Pages still granted when the device is dropped without [`Netfront::disconnect`]:
    /// without the grant table their grants cannot be ended, so they are never freed.
    fn drop(&mut self) {
        for granted in core::mem::take(&mut self.grants) {
            core::mem::forget(granted.page);
        }
    }
}

/// A connected netfront device (one `device/vif/N`).
///
/// The data path ([`Netfront::receive`], [`Netfront::transmit`]) takes no grant table:
/// every buffer page was granted once at bring-up.
pub struct Netfront<E: EventChannel> {
    evtchn: E,
    port: Port,
    node: String,
    backend: String,
    backend_id: DomId,
    mac: [u8; 6],
    state: DeviceState,
    stats: Stats,
    resources: Resources,
    tx: FrontRing<TxRequest, TxResponse>,
    rx: FrontRing<RxRequest, RxResponse>,
    rx_pages: Vec<Granted>,
    /// The receive page posted in each ring slot.
    rx_slot: Vec<u16>,
    rx_home: ReturnList,
    rx_skip: RxSkip,
    tx_pages: Vec<Granted>,
    tx_free: Vec<u16>,
    tx_in_flight: Vec<bool>,
}

impl<E: EventChannel> Netfront<E> {
    /// Brings up the device at `node` (e.g. `device/vif/0`): reads the backend and MAC,
    /// waits for the backend's InitWait, grants the rings and buffer pages, allocates an
    /// unbound event channel, posts the receive buffers, publishes the ring references in
    /// one transaction and waits for the backend to connect.
    ///
    /// On failure everything granted is released again.
    pub fn connect<S: Store, G: GrantTable>(
        node: &str,
        config: Config,
        store: &mut S,
        grants: &mut G,
        mut evtchn: E,
    ) -> Result<Netfront<E>, Error> {
        let n_rx = usize::from(config.rx_buffers);
        let n_tx = usize::from(config.tx_buffers);
        if !(1..=RX_RING_SIZE).contains(&n_rx) || !(1..=TX_RING_SIZE).contains(&n_tx) {
            return Err(Error::BadConfig);
        }
        let info = xenbus::read_device_info(store, node)?;
        // Initialising: also what a backend left Closed by an earlier connection waits for
        // before offering InitWait again.
        store.write(
            TxnId::NONE,
            &format!("{node}/state"),
            &format!("{}", XenbusState::Initialising.number()),
        )?;
        let backend_state = format!("{}/state", info.backend);
        xenbus::wait_for_state(
            store,
            &backend_state,
            |s| s == XenbusState::InitWait,
            |s| s == XenbusState::Initialised || s == XenbusState::Connected,
        )?;

        let mut resources = Resources {
            grants: Vec::new(),
            port: None,
        };
        match Self::bring_up(
            node,
            config,
            store,
            grants,
            &mut evtchn,
            &info,
            &mut resources,
        ) {
            Ok(parts) => Ok(Netfront {
                evtchn,
                port: parts.port,
                node: String::from(node),
                backend: info.backend,
                backend_id: info.backend_id,
                mac: info.mac,
                state: DeviceState::Connected,
                stats: Stats::default(),
                resources,
                tx: parts.tx,
                rx: parts.rx,
                rx_pages: parts.rx_pages,
                rx_slot: parts.rx_slot,
                rx_home: parts.rx_home,
                rx_skip: RxSkip::default(),
                tx_pages: parts.tx_pages,
                tx_free: (0..config.tx_buffers).rev().collect(),
                tx_in_flight: vec![false; n_tx],
            }),
            Err(e) => {
                // Tell the backend we give up, then take everything back.
                let _ = store.write(
                    TxnId::NONE,
                    &format!("{node}/state"),
                    &format!("{}", XenbusState::Closed.number()),
                );
                resources.release(grants, &mut evtchn);
                Err(e)
            }
        }
    }

    fn bring_up<S: Store, G: GrantTable>(
        node: &str,
        config: Config,
        store: &mut S,
        grants: &mut G,
        evtchn: &mut E,
        info: &xenbus::DeviceInfo,
        res: &mut Resources,
    ) -> Result<Parts, Error> {
        let backend = info.backend_id;
        let (tx_page, tx_ring_ref) = res.grant(grants, backend, false)?;
        let (rx_page, rx_ring_ref) = res.grant(grants, backend, false)?;
        let tx = FrontRing::new(tx_page);
        let mut rx = FrontRing::new(rx_page);
        let port = evtchn.alloc_unbound(backend)?;
        res.port = Some(port);

        let mut rx_pages = Vec::with_capacity(config.rx_buffers.into());
        for _ in 0..config.rx_buffers {
            let (page, gref) = res.grant(grants, backend, false)?;
            rx_pages.push(Granted { page, gref });
        }
        let mut tx_pages = Vec::new();
        for _ in 0..usize::from(config.tx_buffers).div_ceil(2) {
            let (page, gref) = res.grant(grants, backend, true)?;
            tx_pages.push(Granted { page, gref });
        }

        // Post every receive page before connecting.
        let mut rx_slot = vec![0u16; RX_RING_SIZE];
        for (id, granted) in rx_pages.iter().enumerate() {
            let id = id as u16;
            rx_slot[(rx.req_prod_pvt() as usize) % RX_RING_SIZE] = id;
            rx.put_request(RxRequest {
                id,
                pad: 0,
                gref: granted.gref,
            });
        }
        // Not connected yet: nobody to notify.
        rx.push_requests_and_check_notify();

        let keys = ConnectKeys {
            tx_ring_ref,
            rx_ring_ref,
            event_channel: port,
        };
        xenbus::publish(store, node, &keys, config.transaction_attempts)?;
        xenbus::wait_for_state(
            store,
            &format!("{}/state", info.backend),
            |s| s == XenbusState::Connected,
            |s| s > XenbusState::Connected,
        )?;
        Ok(Parts {
            port,
            tx,
            rx,
            rx_pages,
            rx_slot,
            rx_home: Rc::new(Cell::new(Vec::with_capacity(config.rx_buffers.into()))),
            tx_pages,
        })
    }

    /// The vif's MAC address.
    pub fn mac(&self) -> [u8; 6] {
        self.mac
    }

    /// The frontend's node, e.g. `device/vif/0`.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The backend's directory.
    pub fn backend(&self) -> &str {
        &self.backend
    }

    /// The backend's domain.
    pub fn backend_id(&self) -> DomId {
        self.backend_id
    }

    /// The event channel shared with the backend (the kernel polls the device when it fires).
    pub fn port(&self) -> Port {
        self.port
    }

    /// Connected, or broken by a misbehaving backend.
    pub fn state(&self) -> DeviceState {
        self.state
    }

    /// The device's counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Path of the backend's state key, to watch for the backend closing.
    pub fn backend_state_path(&self) -> String {
        format!("{}/state", self.backend)
    }

    /// Reads the backend's current state (Closing or Closed means: disconnect).
    pub fn backend_state<S: Store>(&self, store: &mut S) -> Result<XenbusState, Error> {
        Ok(xenbus::read_state(store, &self.backend_state_path())?)
    }

    fn notify(&mut self) {
        self.evtchn.notify(self.port);
        self.stats.notifications += 1;
    }

    /// Reads and checks the response producer of `ring`: how many responses can be taken,
    /// or `None` (counted, and the device marked broken) when the backend claims more
    /// responses than requests or moved the producer back.
    fn available<Req: RingEntry, Rsp: RingEntry>(
        ring: &mut FrontRing<Req, Rsp>,
        stats: &mut Stats,
        state: &mut DeviceState,
    ) -> Option<u32> {
        match ring.check_responses() {
            Ok(n) => Some(n),
            Err(e) => {
                match e {
                    ProducerError::Overrun => stats.ring_overflows += 1,
                    ProducerError::Rewound => stats.ring_rewinds += 1,
                }
                *state = DeviceState::Broken;
                None
            }
        }
    }

    /// Posts every receive page that came back since the last call.
    fn refill(&mut self) {
        let mut ids = self.rx_home.take();
        #[cfg(debug_assertions)]
        self.assert_not_posted(&ids);
        for id in ids.drain(..) {
            let Some(granted) = self.rx_pages.get(usize::from(id)) else {
                continue;
            };
            let slot = (self.rx.req_prod_pvt() as usize) % RX_RING_SIZE;
            let posted = self.rx.put_request(RxRequest {
                id,
                pad: 0,
                gref: granted.gref,
            });
            // A page is posted, lent or home, and there are no more pages than slots.
            debug_assert!(posted, "receive ring full while page {id} came home");
            if posted {
                self.rx_slot[slot] = id;
            }
        }
        self.rx_home.set(ids);
    }

    /// Debug builds (tests, fuzzing): a page that came home is neither on the ring nor home
    /// twice, so no page is ever posted (freed) twice.
    #[cfg(debug_assertions)]
    fn assert_not_posted(&self, ids: &[u16]) {
        let mut seen = vec![false; self.rx_pages.len()];
        for k in 0..self.rx.outstanding() {
            let slot = self.rx.rsp_cons().wrapping_add(k) as usize % RX_RING_SIZE;
            seen[usize::from(self.rx_slot[slot])] = true;
        }
        for &id in ids {
            let seen = &mut seen[usize::from(id)];
            assert!(!*seen, "receive page {id} returned twice");
            *seen = true;
        }
    }

    /// Receives up to `max` frames, appending them to `out`; returns how many were appended.
    /// With `max` 0 it only posts the pages that came back.
    ///
    /// Consumes at most `max` of the backend's responses (good or bad), and never more than
    /// the requests posted when the call began, however fast the backend publishes: the
    /// caller gets control back after bounded work. Then posts the pages that came back and
    /// notifies the backend once, if it asked. Bad responses are dropped and counted in
    /// [`Stats`]; their pages go straight back to the ring.
    pub fn receive(&mut self, out: &mut Vec<RxBuffer>, max: usize) -> usize {
        self.receive_with(max, |page, home, rx| {
            out.push(RxBuffer {
                page: page.clone(),
                id: rx.id,
                offset: rx.offset,
                len: rx.len,
                flags: rx.flags,
                home: home.clone(),
            })
        })
    }

    /// Receives up to `max` frames like [`Netfront::receive`], handing each frame's bytes to
    /// `frame` while they are in their page, which goes back to the ring right after: for a
    /// caller that copies every frame anyway, without the bookkeeping of lent buffers.
    /// Returns how many frames were handed over.
    pub fn receive_each(&mut self, max: usize, mut frame: impl FnMut(&[u8])) -> usize {
        self.receive_with(max, |page, home, rx| {
            // Offset and length were checked against the page when the response was taken.
            frame(page.bytes(rx.offset.into(), rx.len.into()).unwrap_or(&[]));
            give_back(home, rx.id);
        })
    }

    /// The receive loop: `deliver` gets each good frame with its page and the list its page
    /// goes home to.
    fn receive_with(
        &mut self,
        max: usize,
        mut deliver: impl FnMut(&SharedPage, &ReturnList, Received),
    ) -> usize {
        if self.state != DeviceState::Connected {
            return 0;
        }
        self.refill();
        let mut got = 0;
        let mut consumed = 0;
        while consumed < max {
            let Some(available) = Self::available(&mut self.rx, &mut self.stats, &mut self.state)
            else {
                break;
            };
            if available == 0 {
                break;
            }
            let n = (max - consumed).min(available as usize);
            consumed += n;
            for _ in 0..n {
                if let Some(rx) = self.take_rx_response() {
                    self.stats.rx_packets += 1;
                    self.stats.rx_bytes += u64::from(rx.len);
                    deliver(&self.rx_pages[usize::from(rx.id)].page, &self.rx_home, rx);
                    got += 1;
                }
            }
        }
        if self.state != DeviceState::Connected {
            return got;
        }
        self.refill();
        if self.rx.push_requests_and_check_notify() {
            self.notify();
        }
        got
    }

    /// Consumes one receive slot: a good frame, or `None` after counting what was wrong.
    fn take_rx_response(&mut self) -> Option<Received> {
        let slot = (self.rx.rsp_cons() as usize) % RX_RING_SIZE;
        let id = self.rx_slot[slot];
        let rsp: RxResponse = self.rx.take_response()?;

        if self.rx_skip.extra {
            // An extra-info descriptor overlays the response: type and flags are the first
            // two bytes, where the id would be.
            let [_kind, flags] = rsp.id.to_ne_bytes();
            self.rx_skip.extra = flags & EXTRA_FLAG_MORE != 0;
            self.stats.rx_unsupported += 1;
            give_back(&self.rx_home, id);
            return None;
        }
        let fragment = self.rx_skip.fragment;
        self.rx_skip = RxSkip {
            extra: rsp.flags & NETRXF_EXTRA_INFO != 0,
            fragment: rsp.flags & NETRXF_MORE_DATA != 0,
        };
        if fragment {
            // A later slot of a chain, counted with the chain's first slot.
            give_back(&self.rx_home, id);
            return None;
        }
        let len = usize::try_from(rsp.status).ok();
        let bad = if self.rx_skip.fragment {
            Some(&mut self.stats.rx_multislot)
        } else if self.rx_skip.extra {
            Some(&mut self.stats.rx_unsupported)
        } else if rsp.id != id {
            Some(&mut self.stats.rx_bad_id)
        } else if rsp.status < 0 {
            Some(&mut self.stats.rx_errors)
        } else if len.is_none_or(|len| len < MIN_FRAME || usize::from(rsp.offset) + len > PAGE_SIZE)
        {
            Some(&mut self.stats.rx_bad_length)
        } else if rsp.flags & NETRXF_CSUM_BLANK != 0 {
            Some(&mut self.stats.rx_csum_blank)
        } else {
            None
        };
        if let Some(counter) = bad {
            *counter += 1;
            give_back(&self.rx_home, id);
            return None;
        }
        Some(Received {
            id,
            offset: rsp.offset,
            len: rsp.status as u16,
            flags: rsp.flags,
        })
    }

    /// Consumes the backend's transmit responses, freeing the buffers they name: at most
    /// one per request published, however many the backend claims.
    fn reclaim_tx(&mut self) {
        if Self::available(&mut self.tx, &mut self.stats, &mut self.state).is_none() {
            return;
        }
        while let Some(rsp) = self.tx.take_response() {
            let id = usize::from(rsp.id);
            if !self.tx_in_flight.get(id).copied().unwrap_or(false) {
                self.stats.tx_bad_id += 1;
                continue;
            }
            self.tx_in_flight[id] = false;
            self.tx_free.push(rsp.id);
            match rsp.status {
                NETIF_RSP_OKAY => {}
                NETIF_RSP_DROPPED | NETIF_RSP_ERROR => self.stats.tx_errors += 1,
                _ => self.stats.tx_bad_status += 1,
            }
        }
        // With every request answered, an id still in flight lost its response to a bad
        // one: the backend is done with the ring, so the buffer is free again.
        if self.tx.outstanding() == 0 && self.tx_free.len() < self.tx_in_flight.len() {
            for (id, in_flight) in self.tx_in_flight.iter_mut().enumerate() {
                if *in_flight {
                    *in_flight = false;
                    self.tx_free.push(id as u16);
                    self.stats.tx_orphans += 1;
                }
            }
        }
        // Every transmit buffer is free or in flight, never both, never freed twice.
        debug_assert_eq!(
            self.tx_free.len() + self.tx_in_flight.iter().filter(|&&f| f).count(),
            self.tx_in_flight.len(),
            "a transmit buffer freed twice or lost"
        );
    }

    /// Transmits frames from `frames` while there is room, copying each into a granted
    /// transmit buffer; returns how many frames were taken (the rest stay in the iterator).
    ///
    /// Frames under [`MIN_FRAME`] or over [`TX_BUFFER_SIZE`] bytes are taken but dropped
    /// and counted. Completed transmissions are reclaimed first, and the backend is
    /// notified once for the whole burst, if it asked.
    pub fn transmit<'a, I>(&mut self, frames: I) -> usize
    where
        I: IntoIterator<Item = &'a [u8]>,
    {
        if self.state != DeviceState::Connected {
            return 0;
        }
        self.reclaim_tx();
        if self.state != DeviceState::Connected {
            return 0;
        }
        let mut frames = frames.into_iter();
        let mut taken = 0;
        let mut queued = 0;
        while self.tx.free_requests() > 0 {
            let Some(&id) = self.tx_free.last() else {
                break;
            };
            let Some(frame) = frames.next() else {
                break;
            };
            taken += 1;
            if frame.len() < MIN_FRAME || frame.len() > TX_BUFFER_SIZE {
                self.stats.tx_dropped += 1;
                continue;
            }
            let granted = &self.tx_pages[usize::from(id) / 2];
            let offset = usize::from(id) % 2 * TX_BUFFER_SIZE;
            if granted.page.write(offset, frame).is_err() {
                self.stats.tx_dropped += 1;
                continue;
            }
            self.tx.put_request(TxRequest {
                gref: granted.gref,
                offset: offset as u16,
                flags: 0,
                id,
                size: frame.len() as u16,
            });
            self.tx_free.pop();
            self.tx_in_flight[usize::from(id)] = true;
            self.stats.tx_packets += 1;
            self.stats.tx_bytes += frame.len() as u64;
            queued += 1;
        }
        if queued > 0 && self.tx.push_requests_and_check_notify() {
            self.notify();
        }
        taken
    }

    /// Free transmit buffers right now (after reclaiming completed transmissions).
    pub fn tx_room(&mut self) -> usize {
        if self.state == DeviceState::Connected {
            self.reclaim_tx();
        }
        if self.state != DeviceState::Connected {
            return 0;
        }
        self.tx_free.len().min(self.tx.free_requests() as usize)
    }

    /// Before the caller sleeps: asks the backend to notify on its next response on either
    /// ring (`RING_FINAL_CHECK_FOR_RESPONSES`); `true` when responses are already waiting,
    /// so the caller should poll again instead of sleeping. Always `false` once the device
    /// is not [`DeviceState::Connected`]: check [`Netfront::state`] and disconnect.
    pub fn arm_events(&mut self) -> bool {
        if self.state != DeviceState::Connected {
            return false;
        }
        let rx = self.rx.final_check_for_responses();
        let tx = self.tx.final_check_for_responses();
        rx || tx
    }

    /// Disconnects: writes Closing, waits for the backend to close, writes Closed, waits for
    /// it to be closed, then ends every grant and closes the event channel. Resources are
    /// released even when the backend does not cooperate (pages it keeps mapped are leaked,
    /// never freed); the error says what went wrong. Returns the final counters.
    pub fn disconnect<S: Store, G: GrantTable>(
        mut self,
        store: &mut S,
        grants: &mut G,
    ) -> (Stats, Result<(), Error>) {
        let outcome = self.close_handshake(store);
        // Drop our page handles before releasing so only the release decides their fate.
        self.rx_pages.clear();
        self.tx_pages.clear();
        let leaked = self.resources.release(grants, &mut self.evtchn);
        self.stats.leaked_pages += leaked;
        (self.stats, outcome)
    }

    fn close_handshake<S: Store>(&mut self, store: &mut S) -> Result<(), Error> {
        let own = format!("{}/state", self.node);
        let backend = self.backend_state_path();
        store.write(
            TxnId::NONE,
            &own,
            &format!("{}", XenbusState::Closing.number()),
        )?;
        xenbus::wait_for_state(
            store,
            &backend,
            |s| s >= XenbusState::Closing || s == XenbusState::Unknown,
            |_| false,
        )?;
        store.write(
            TxnId::NONE,
            &own,
            &format!("{}", XenbusState::Closed.number()),
        )?;
        xenbus::wait_for_state(
            store,
            &backend,
            |s| s != XenbusState::Closing && s != XenbusState::Connected,
            |_| false,
        )?;
        Ok(())
    }
}

/// The rings and buffers [`Netfront::bring_up`] produces.
struct Parts {
    port: Port,
    tx: FrontRing<TxRequest, TxResponse>,
    rx: FrontRing<RxRequest, RxResponse>,
    rx_pages: Vec<Granted>,
    rx_slot: Vec<u16>,
    rx_home: ReturnList,
    tx_pages: Vec<Granted>,
}
