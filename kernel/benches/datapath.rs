//! The data path at line rate, measured: the guest's own vifs and router rounds
//! (`clickos_kernel::net::vif`) over real netfront devices, against a simulated netback
//! that works the same shared rings, taking turns with the guest on one thread (CPU time
//! per frame, table one) and on its own thread, pinned to the other core when the machine
//! has two (frames per second of wall time, table two): it fills the receive rings and drains the transmit rings as fast as it can,
//! copying frames in and out of the granted pages as netback's grant copies do, following
//! `io/ring.h` (producers published after the slots, read before them; event indices: it
//! asks to be notified only when it runs out of work, and then waits for the notification).
//!
//! `cargo bench -p clickos-kernel --bench datapath [-- FILTER]` prints one table row per
//! path, frame size and variant, each the median of several runs (`DATAPATH_RUNS`, default
//! 5, of `DATAPATH_MS` milliseconds each, default 400); `DATAPATH_MODES` picks the tables
//! (`1`, `2`, default both), `DATAPATH_PIN=0` leaves the threads unpinned. See
//! docs/datapath.md. Frame sizes are without the FCS:
//! 60 bytes is a 64-byte frame on the wire.

#[allow(dead_code)]
#[path = "../../netfront/tests/sim/mod.rs"]
mod sim;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use click_elements::Limits;
use clickos_kernel::control::{Control, LoadHost, Routers};
use clickos_kernel::net::vif::{Devices, Vif, VifSizing};
use netfront::shared::{BackRing, MappedPage};
use netfront::wire::{RxRequest, RxResponse, TxRequest, TxResponse, NETIF_RSP_OKAY, PAGE_SIZE};
use netfront::{
    Config, DomId, EventChannel, GrantRef, Netfront, PlatformError, Port, RxBuffer, SharedPage,
};
use sim::{SimEvtchn, World, NODE};

/// Line rate of 10 GbE at 64-byte frames.
const TARGET_MPPS: f64 = 14.88;
/// Router rounds per call, as the guest's task runs them.
const ROUNDS: usize = 64;
/// Most slots the backend handles per ring before it looks at the other rings.
const BACKEND_BURST: u32 = 64;
/// The heap of the guest the limits are computed for (an 8 MiB guest).
const GUEST_HEAP: usize = 4 << 20;

/// The simulated netback's counters, written by its thread.
#[derive(Default)]
struct Counters {
    /// Frames delivered into receive pages.
    rx: AtomicU64,
    /// Frames taken from transmit buffers.
    tx: AtomicU64,
    /// Responses pushed when the front end had asked to be notified.
    notify_front: AtomicU64,
}

/// A vif's event channel: allocation and closing go to the simulated world (its handshake
/// checks the port); a notification kicks the backend thread.
struct Kick<'a> {
    sim: SimEvtchn,
    kicks: &'a AtomicU64,
}

impl EventChannel for Kick<'_> {
    fn alloc_unbound(&mut self, remote: DomId) -> Result<Port, PlatformError> {
        self.sim.alloc_unbound(remote)
    }

    fn notify(&mut self, _port: Port) {
        self.kicks.fetch_add(1, Ordering::Release);
    }

    fn close(&mut self, port: Port) {
        self.sim.close(port);
    }
}

/// The one place the benchmark shares memory between threads.
mod mapping {
    use netfront::shared::MappedPage;
    use netfront::SharedPage;

    /// Maps a granted page for the backend thread.
    pub fn map(page: &SharedPage) -> MappedPage<'_> {
        // SAFETY: the backend thread (`Backend::run`) touches a buffer page only between
        // taking the request that names it (after reading the request producer, acquire)
        // and pushing its response (release), and a ring only through `BackRing`, which
        // follows io/ring.h; the front end does likewise on its side. The borrow keeps the
        // page alive for the thread's scope.
        unsafe { page.map() }
    }
}

/// A connected vif as the backend sees it, before the backend thread maps it.
struct Granted {
    tx_ring: SharedPage,
    rx_ring: SharedPage,
    /// Every granted page by reference.
    pages: Vec<(GrantRef, SharedPage)>,
    /// The frame the backend delivers on this vif.
    frame: Vec<u8>,
}

/// Connects a netfront device against a fresh simulated world; returns it with what the
/// backend thread needs.
fn connect(
    config: Config,
    kicks: &AtomicU64,
    frame: Vec<u8>,
) -> (Netfront<Kick<'_>>, Granted, World) {
    let world = World::new();
    world.0.borrow_mut().audit_pages = false;
    let evtchn = Kick {
        sim: world.evtchn(),
        kicks,
    };
    let nf = match Netfront::connect(
        NODE,
        config,
        &mut world.store(),
        &mut world.grants(),
        evtchn,
    ) {
        Ok(nf) => nf,
        Err(e) => panic!("connect: {e:?}"),
    };
    let (tx_ring, rx_ring) = world.ring_pages();
    let pages = world
        .0
        .borrow()
        .grants
        .iter()
        .map(|(r, g)| (*r, g.page.clone()))
        .collect();
    (
        nf,
        Granted {
            tx_ring,
            rx_ring,
            pages,
            frame,
        },
        world,
    )
}

/// One vif in the backend thread.
struct BackVif<'a> {
    tx: BackRing<TxRequest, TxResponse, MappedPage<'a>>,
    rx: BackRing<RxRequest, RxResponse, MappedPage<'a>>,
    pages: Vec<Option<MappedPage<'a>>>,
    frame: &'a [u8],
    kicks: &'a AtomicU64,
}

impl<'a> BackVif<'a> {
    fn new(g: &'a Granted, kicks: &'a AtomicU64) -> BackVif<'a> {
        let top = g.pages.iter().map(|(r, _)| *r as usize).max().unwrap_or(0);
        let mut pages = vec![None; top + 1];
        for (r, page) in &g.pages {
            pages[*r as usize] = Some(mapping::map(page));
        }
        BackVif {
            tx: BackRing::attach(mapping::map(&g.tx_ring)),
            rx: BackRing::attach(mapping::map(&g.rx_ring)),
            pages,
            frame: &g.frame,
            kicks,
        }
    }

    fn page(&self, gref: GrantRef) -> &MappedPage<'a> {
        match self.pages.get(gref as usize) {
            Some(Some(page)) => page,
            _ => panic!("request names grant {gref}, never granted"),
        }
    }

    /// Takes transmitted frames out of their buffers (netback's grant copy) and answers them.
    fn drain_tx(&mut self, scratch: &mut [u8; PAGE_SIZE], c: &Counters) -> u32 {
        let n = self.tx.unconsumed_requests().min(BACKEND_BURST);
        for _ in 0..n {
            let req = self.tx.take_request();
            let len = usize::from(req.size);
            if let Err(e) = self
                .page(req.gref)
                .read(req.offset.into(), &mut scratch[..len.min(PAGE_SIZE)])
            {
                panic!("transmit request {req:?} outside its page: {e:?}");
            }
            self.tx.put_response(TxResponse {
                id: req.id,
                status: NETIF_RSP_OKAY,
            });
        }
        if n > 0 {
            if self.tx.push_responses_and_check_notify() {
                c.notify_front.fetch_add(1, Ordering::Relaxed);
            }
            c.tx.fetch_add(n.into(), Ordering::Relaxed);
        }
        n
    }

    /// Fills posted receive pages with the vif's frame (netback's grant copy).
    fn fill_rx(&mut self, c: &Counters) -> u32 {
        let n = self.rx.unconsumed_requests().min(BACKEND_BURST);
        for _ in 0..n {
            let req = self.rx.take_request();
            if let Err(e) = self.page(req.gref).write(0, self.frame) {
                panic!("frame does not fit a page: {e:?}");
            }
            self.rx.put_response(RxResponse {
                id: req.id,
                offset: 0,
                flags: 0,
                status: self.frame.len() as i16,
            });
        }
        if n > 0 {
            if self.rx.push_responses_and_check_notify() {
                c.notify_front.fetch_add(1, Ordering::Relaxed);
            }
            c.rx.fetch_add(n.into(), Ordering::Relaxed);
        }
        n
    }
}

/// The simulated netback over every vif.
struct Backend<'a> {
    vifs: Vec<BackVif<'a>>,
    scratch: [u8; PAGE_SIZE],
    /// Waiting for a notification: the notification counts when the event indices were
    /// armed.
    waiting: Option<Vec<u64>>,
    /// Re-arm the event indices after every pass that had work.
    eager: bool,
}

impl<'a> Backend<'a> {
    fn new(vifs: Vec<BackVif<'a>>, eager: bool) -> Backend<'a> {
        Backend {
            vifs,
            scratch: [0; PAGE_SIZE],
            waiting: None,
            eager,
        }
    }

    /// One pass over the rings; `false` when the backend is waiting for a notification.
    /// While it has work it never asks to be notified; out of work, it arms every event
    /// index (`RING_FINAL_CHECK_FOR_REQUESTS`), and if still nothing is pending it waits:
    /// the rings are not looked at again until a front end notifies.
    fn poll(&mut self, c: &Counters) -> bool {
        if let Some(seen) = &self.waiting {
            let kicked = self
                .vifs
                .iter()
                .zip(seen)
                .any(|(v, s)| v.kicks.load(Ordering::Acquire) != *s);
            if !kicked {
                return false;
            }
            self.waiting = None;
        }
        let mut work = 0;
        for v in &mut self.vifs {
            work += v.drain_tx(&mut self.scratch, c) + v.fill_rx(c);
        }
        if work > 0 {
            if self.eager {
                for v in &mut self.vifs {
                    v.tx.final_check_for_requests();
                    v.rx.final_check_for_requests();
                }
            }
            return true;
        }
        let seen = self
            .vifs
            .iter()
            .map(|v| v.kicks.load(Ordering::Acquire))
            .collect();
        let mut pending = false;
        for v in &mut self.vifs {
            pending |= v.tx.final_check_for_requests();
            pending |= v.rx.final_check_for_requests();
        }
        if !pending {
            self.waiting = Some(seen);
        }
        true
    }
}

/// The backend thread: polls until `stop`, spinning while it waits for a notification.
fn netback(mut backend: Backend<'_>, stop: &AtomicBool, c: &Counters) {
    while !stop.load(Ordering::Relaxed) {
        if !backend.poll(c) {
            std::hint::spin_loop();
        }
    }
}

/// Nanoseconds since the benchmark started: the routers' clock.
fn host_now() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// The host lent to the control protocol while the configuration loads.
struct BenchHost;

impl LoadHost for BenchHost {
    fn now(&self) -> u64 {
        host_now()
    }

    fn heap(&self) -> (usize, usize) {
        (0, GUEST_HEAP)
    }

    fn forward(&mut self, _routers: &Routers) {}
}

/// What runs on the guest's core.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Guest {
    /// A Click configuration over the vifs (the guest's own code).
    Click(&'static str),
    /// Netfront alone: received buffers dropped at once (the backend's ceiling).
    Drop,
    /// Netfront alone: every received frame transmitted back on its vif.
    Mirror,
}

/// One benchmark case.
#[derive(Clone)]
struct Case {
    path: &'static str,
    variant: &'static str,
    guest: Guest,
    /// The frame the backend delivers on each vif.
    frames: Vec<Vec<u8>>,
    config: Config,
    /// `BURST` of every FromDevice (`None`: the default).
    burst: Option<usize>,
    /// The backend asks to be notified of every request, even while it has work (as if
    /// the event indices did not hold notifications back).
    eager: bool,
}

/// One run's figures.
#[derive(Clone, Copy, Default)]
struct Figures {
    /// Frames the backend delivered, per second.
    rx_pps: f64,
    /// Frames the backend took from the transmit rings, per second.
    tx_pps: f64,
    /// Notifications the front end sent the backend, per thousand frames.
    kicks_per_k: f64,
    /// Responses that would have notified the front end, per thousand frames.
    notifies_per_k: f64,
    /// Share of the window the guest's thread was on a CPU (`None`: not known).
    guest_cpu: Option<f64>,
    /// Guest CPU time per frame out, in nanoseconds (`None`: not known).
    cpu_ns_per_frame: Option<f64>,
    /// On one core: backend CPU time per frame out, in nanoseconds (`None`: not known).
    backend_ns_per_frame: Option<f64>,
}

/// Nanoseconds this thread has spent on a CPU (Linux schedstat), if known: on a shared
/// machine the threads are off their cores for part of every window.
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

fn with_burst(text: &str, burst: Option<usize>) -> String {
    let Some(b) = burst else {
        return text.to_string();
    };
    let mut out = text.to_string();
    for dev in 0..2 {
        out = out.replace(
            &format!("FromDevice({dev})"),
            &format!("FromDevice({dev}, BURST {b})"),
        );
    }
    out
}

fn run(case: &Case, window: Duration, one_core: bool) -> Figures {
    let kicks: Vec<AtomicU64> = case.frames.iter().map(|_| AtomicU64::new(0)).collect();
    let mut nfs = Vec::new();
    let mut granted = Vec::new();
    let mut worlds = Vec::new();
    for (frame, k) in case.frames.iter().zip(&kicks) {
        let (nf, g, w) = connect(case.config, k, frame.clone());
        nfs.push(nf);
        granted.push(g);
        worlds.push(w);
    }
    let mut side = Side::new(case, nfs);
    let counters = Counters::default();
    let stop = AtomicBool::new(false);
    let cores = pinned_cores();
    let figures = std::thread::scope(|s| {
        let mut backend = Backend::new(
            granted
                .iter()
                .zip(&kicks)
                .map(|(g, k)| BackVif::new(g, k))
                .collect(),
            case.eager,
        );
        if let Some(core) = cores.first() {
            core_affinity::set_for_current(*core);
        }
        if one_core {
            return guest(&mut side, Some(&mut backend), window, &counters);
        }
        let (stop, counters) = (&stop, &counters);
        let back_core = cores.get(1).copied();
        s.spawn(move || {
            if let Some(core) = back_core {
                core_affinity::set_for_current(core);
            }
            netback(backend, stop, counters);
        });
        let figures = guest(&mut side, None, window, counters);
        stop.store(true, Ordering::Relaxed);
        figures
    });
    // The backend thread is gone: disconnect, so every grant ends and every page is freed.
    for (nf, world) in side.into_netfronts().into_iter().zip(&worlds) {
        let (_, outcome) = nf.disconnect(&mut world.store(), &mut world.grants());
        if let Err(e) = outcome {
            panic!("disconnect: {e:?}");
        }
    }
    figures
}

/// The guest's side of a run.
enum Side<'k> {
    /// The guest's own vifs and router rounds.
    Click {
        devices: Devices<Kick<'k>>,
        control: Box<Control>,
    },
    /// Netfront alone.
    Bare {
        nfs: Vec<Netfront<Kick<'k>>>,
        rx: Vec<RxBuffer>,
        mirror: bool,
    },
}

impl<'k> Side<'k> {
    fn new(case: &Case, nfs: Vec<Netfront<Kick<'k>>>) -> Side<'k> {
        match case.guest {
            Guest::Click(text) => {
                let vifs: BTreeMap<usize, Vif<Kick<'k>>> = nfs
                    .into_iter()
                    .map(|nf| Vif::new(nf, VifSizing::FULL.prewarm))
                    .enumerate()
                    .collect();
                let mut control = Control::new(Limits::for_heap(GUEST_HEAP));
                let text = with_burst(text, case.burst);
                if let Err(d) = control.install(0, &text, case.path, &mut BenchHost) {
                    panic!("{} does not load: {d}", case.path);
                }
                Side::Click {
                    devices: Devices::new(vifs, host_now),
                    control: Box::new(control),
                }
            }
            Guest::Drop | Guest::Mirror => Side::Bare {
                nfs,
                rx: Vec::with_capacity(256),
                mirror: case.guest == Guest::Mirror,
            },
        }
    }

    /// One step of the guest's loop; returns the notifications sent so far.
    fn step(&mut self) -> u64 {
        match self {
            Side::Click { devices, control } => {
                if !devices.forward(control, ROUNDS) {
                    // The guest would block here; the benchmark polls on.
                    let _ = devices.prepare_to_sleep();
                }
                devices
                    .vifs()
                    .map(|(_, v)| v.netfront().stats().notifications)
                    .sum()
            }
            Side::Bare { nfs, rx, mirror } => {
                for nf in nfs.iter_mut() {
                    nf.receive(rx, 256);
                    if *mirror {
                        nf.transmit(rx.iter().map(RxBuffer::data));
                    }
                    rx.clear();
                    if *mirror {
                        nf.tx_room();
                    }
                }
                nfs.iter().map(|nf| nf.stats().notifications).sum()
            }
        }
    }

    fn into_netfronts(self) -> Vec<Netfront<Kick<'k>>> {
        match self {
            Side::Click { mut devices, .. } => devices
                .take_vifs()
                .into_values()
                .map(|v| v.into_parts().0)
                .collect(),
            Side::Bare { nfs, .. } => nfs,
        }
    }
}

/// Runs the guest's loop until `until`: alone, or taking turns with `backend` on this
/// thread, adding the time of each side's turns to `split` (guest, backend). Returns the
/// notifications the guest sent so far.
fn spin(
    side: &mut Side<'_>,
    backend: &mut Option<&mut Backend<'_>>,
    c: &Counters,
    until: Instant,
    split: &mut (Duration, Duration),
) -> u64 {
    loop {
        let mut kicks = 0;
        for _ in 0..16 {
            match backend {
                Some(b) => {
                    let t0 = Instant::now();
                    b.poll(c);
                    let t1 = Instant::now();
                    kicks = side.step();
                    split.0 += t1.elapsed();
                    split.1 += t1 - t0;
                }
                None => kicks = side.step(),
            }
        }
        if Instant::now() >= until {
            return kicks;
        }
    }
}

/// Runs the guest side (and, given `backend`, the backend on the same thread, in turns) for
/// a warm-up and then `window`; returns the window's figures.
fn guest(
    side: &mut Side<'_>,
    mut backend: Option<&mut Backend<'_>>,
    window: Duration,
    c: &Counters,
) -> Figures {
    let mut split = (Duration::ZERO, Duration::ZERO);
    let warm = Instant::now() + window / 4;
    let kicks0 = spin(side, &mut backend, c, warm, &mut split);
    split = (Duration::ZERO, Duration::ZERO);
    let (rx0, tx0, n0) = (
        c.rx.load(Ordering::Relaxed),
        c.tx.load(Ordering::Relaxed),
        c.notify_front.load(Ordering::Relaxed),
    );
    let cpu0 = thread_cpu_ns();
    let t0 = Instant::now();
    let kicks1 = spin(side, &mut backend, c, t0 + window, &mut split);
    let secs = t0.elapsed().as_secs_f64();
    let cpu = match (cpu0, thread_cpu_ns()) {
        (Some(a), Some(b)) if b > a => Some((b - a) as f64),
        _ => None,
    };
    let rx = (c.rx.load(Ordering::Relaxed) - rx0) as f64;
    let tx = (c.tx.load(Ordering::Relaxed) - tx0) as f64;
    let frames = rx.max(1.0);
    let out = if matches!(side, Side::Bare { mirror: false, .. }) {
        rx
    } else {
        tx
    };
    // On one thread, the CPU time is shared out in proportion to each side's turns.
    let turns = (split.0 + split.1).as_secs_f64();
    let guest_share = if turns > 0.0 {
        split.0.as_secs_f64() / turns
    } else {
        1.0
    };
    Figures {
        guest_cpu: cpu.map(|ns| ns / 1e9 / secs),
        cpu_ns_per_frame: cpu.map(|ns| ns * guest_share / out.max(1.0)),
        backend_ns_per_frame: cpu.map(|ns| ns * (1.0 - guest_share) / out.max(1.0)),
        rx_pps: rx / secs,
        tx_pps: tx / secs,
        kicks_per_k: (kicks1 - kicks0) as f64 * 1000.0 / frames,
        notifies_per_k: (c.notify_front.load(Ordering::Relaxed) - n0) as f64 * 1000.0 / frames,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Internet checksum of `bytes`.
fn checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// A `len`-byte Ethernet frame to the guest carrying IPv4 with `tos`, protocol `proto` (an
/// ICMP echo request for 1), 10.10.0.1 to 10.10.0.3, tagged with VLAN 100 when `vlan`.
fn frame(len: usize, vlan: bool, tos: u8, proto: u8) -> Vec<u8> {
    let mut f = vec![
        0x00, 0x16, 0x3e, 0x00, 0x00, 0x03, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
    ];
    if vlan {
        f.extend_from_slice(&[0x81, 0x00, 0x00, 100]);
    }
    f.extend_from_slice(&[0x08, 0x00]);
    let ip_len = len - f.len();
    let mut ip = vec![0u8; ip_len];
    ip[..20].copy_from_slice(&[
        0x45, tos, 0, 0, 0, 1, 0, 0, 64, proto, 0, 0, 10, 10, 0, 1, 10, 10, 0, 3,
    ]);
    ip[2..4].copy_from_slice(&(ip_len as u16).to_be_bytes());
    let sum = checksum(&ip[..20]);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    if proto == 1 {
        ip[20..24].copy_from_slice(&[8, 0, 0, 0]);
        for (i, b) in ip[24..].iter_mut().enumerate() {
            *b = i as u8;
        }
        let sum = checksum(&ip[20..]);
        ip[22..24].copy_from_slice(&sum.to_be_bytes());
    }
    f.extend_from_slice(&ip);
    f
}

/// A UDP frame from B (10.10.0.3, port 0) to the NAT's outside address 10.1.0.100, port 20000:
/// the reply to the first flow the NAT maps (A's 10.10.0.1, port 0, to B), translated back
/// to A.
fn nat_reply(len: usize) -> Vec<u8> {
    let mut f = frame(len, false, 0, 17);
    let ip = &mut f[14..];
    ip[12..16].copy_from_slice(&[10, 10, 0, 3]);
    ip[16..20].copy_from_slice(&[10, 1, 0, 100]);
    ip[10..12].copy_from_slice(&[0, 0]);
    let sum = checksum(&ip[..20]);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    ip[20..24].copy_from_slice(&[0, 0, 0x4e, 0x20]);
    f
}

const WIRE: &str = include_str!("../../configs/wire.click");
/// The traffic rig test's NAT: IPRewriter for TCP/UDP from vif 0, translated back from vif 1.
const NAT: &str = include_str!("../../tests/rig/traffic/nat.click");
const FIREWALL: &str = include_str!("../../configs/vlan-firewall.click");
const PING: &str = include_str!("../../configs/ping-responder.click");

fn cases() -> Vec<Case> {
    let big = Config {
        rx_buffers: 256,
        tx_buffers: 256,
        ..VifSizing::FULL.config
    };
    let mut cases = Vec::new();
    for len in [60, 1514] {
        let plain = frame(len, false, 0, 17);
        let base = Case {
            path: "",
            variant: "guest",
            guest: Guest::Drop,
            frames: vec![plain.clone()],
            config: VifSizing::FULL.config,
            burst: None,
            eager: false,
        };
        cases.push(Case {
            path: "backend ceiling",
            ..base.clone()
        });
        cases.push(Case {
            path: "netfront mirror",
            guest: Guest::Mirror,
            ..base.clone()
        });
        let wire = Case {
            path: "wire",
            guest: Guest::Click(WIRE),
            frames: vec![plain.clone(), plain.clone()],
            ..base.clone()
        };
        // Tagged ToS 0xcc frames into device 0 pass the firewall (the tag is stripped);
        // untagged frames into device 1 are tagged.
        let firewall = Case {
            path: "firewall",
            guest: Guest::Click(FIREWALL),
            frames: vec![frame(len, true, 0xcc, 17), plain.clone()],
            ..base.clone()
        };
        let ping = Case {
            path: "ping responder",
            guest: Guest::Click(PING),
            frames: vec![frame(len, false, 0, 1)],
            ..base.clone()
        };
        // UDP from A into device 0 leaves translated on device 1; B's replies to the mapped
        // port come back translated on device 0.
        let nat = Case {
            path: "NAT",
            guest: Guest::Click(NAT),
            frames: vec![plain.clone(), nat_reply(len)],
            ..base.clone()
        };
        for c in [wire, firewall, ping, nat] {
            cases.push(c.clone());
            if c.path == "wire" || c.path == "firewall" {
                cases.push(Case {
                    variant: "BURST 64",
                    burst: Some(64),
                    ..c.clone()
                });
                cases.push(Case {
                    variant: "eager notifications",
                    eager: true,
                    ..c.clone()
                });
                cases.push(Case {
                    variant: "256 buffers",
                    config: big,
                    ..c.clone()
                });
                cases.push(Case {
                    variant: "256 bufs, BURST 256",
                    config: big,
                    burst: Some(256),
                    ..c
                });
            }
        }
    }
    cases
}

/// The cores the two threads are pinned to (none with `DATAPATH_PIN=0`, or when the
/// machine has fewer than two).
fn pinned_cores() -> Vec<core_affinity::CoreId> {
    if env_number("DATAPATH_PIN", 1) == 0 {
        return Vec::new();
    }
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    if cores.len() < 2 {
        return Vec::new();
    }
    cores
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let runs = env_number("DATAPATH_RUNS", 5).max(1);
    let window = Duration::from_millis(env_number("DATAPATH_MS", 400).max(10));
    let cores = pinned_cores();
    let cases: Vec<Case> = cases()
        .into_iter()
        .filter(|c| {
            let name = format!("{} {} {}", c.path, c.frames[0].len(), c.variant);
            filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()))
        })
        .collect();
    let modes = std::env::var("DATAPATH_MODES").unwrap_or_else(|_| "12".into());

    if modes.contains('1') {
        one_core(&cases, runs, window);
    }
    if modes.contains('2') {
        two_cores(&cases, runs, window, cores.len() >= 2);
    }
}

/// The table of the guest and the backend taking turns on one thread.
fn one_core(cases: &[Case], runs: u64, window: Duration) {
    let per_frame = |f: Option<f64>| f.unwrap_or(f64::NAN);
    println!(
        "One core, guest and backend taking turns on one thread: CPU ns per frame out \
         (median of {runs} runs of {} ms; Mpps = 1000 / guest ns; target {TARGET_MPPS} Mpps = {:.1} ns)",
        window.as_millis(),
        1000.0 / TARGET_MPPS
    );
    println!(
        "{:<15} {:>5} {:<19} {:>9} {:>9} {:>10} {:>6} {:>6} {:>6}",
        "path", "bytes", "variant", "guest ns", "Mpps", "backend ns", "out/in", "kick/k", "irq/k"
    );
    for case in cases {
        let figures: Vec<Figures> = (0..runs).map(|_| run(case, window, true)).collect();
        let pick = |f: &dyn Fn(&Figures) -> f64| median(figures.iter().map(f).collect());
        let guest_ns = pick(&|f| per_frame(f.cpu_ns_per_frame));
        println!(
            "{:<15} {:>5} {:<19} {:>9.1} {:>9.2} {:>10.1} {:>6.3} {:>6.1} {:>6.1}",
            case.path,
            case.frames[0].len(),
            case.variant,
            guest_ns,
            1000.0 / guest_ns,
            pick(&|f| per_frame(f.backend_ns_per_frame)),
            // Frames out per frame in: 1 when the path forwards everything it receives.
            pick(&|f| f.tx_pps / f.rx_pps.max(1.0)),
            pick(&|f| f.kicks_per_k),
            pick(&|f| f.notifies_per_k),
        );
    }

    println!();
}

/// The table of the guest and the backend on two threads.
fn two_cores(cases: &[Case], runs: u64, window: Duration, pinned: bool) {
    let per_frame = |f: Option<f64>| f.unwrap_or(f64::NAN);
    println!(
        "Two cores, guest and backend threads {} (median of {runs} runs of {} ms; frames out \
         per second of wall time; cpu% = the guest thread's share of its core)",
        if pinned {
            "pinned to cores 0 and 1"
        } else {
            "unpinned"
        },
        window.as_millis()
    );
    println!(
        "{:<15} {:>5} {:<19} {:>8} {:>7} {:>8} {:>7} {:>5} {:>6} {:>6}",
        "path",
        "bytes",
        "variant",
        "out Mpps",
        "ns/pkt",
        "best",
        "in Mpps",
        "cpu%",
        "kick/k",
        "irq/k"
    );
    for case in cases {
        let figures: Vec<Figures> = (0..runs).map(|_| run(case, window, false)).collect();
        let pick = |f: &dyn Fn(&Figures) -> f64| median(figures.iter().map(f).collect());
        // What leaves the guest; for the ceiling, what the guest took in.
        let out_of = |f: &Figures| {
            if case.guest == Guest::Drop {
                f.rx_pps
            } else {
                f.tx_pps
            }
        };
        let out = pick(&out_of);
        let best = figures.iter().map(out_of).fold(0.0, f64::max);
        println!(
            "{:<15} {:>5} {:<19} {:>8.2} {:>7.1} {:>8.2} {:>7.2} {:>5.0} {:>6.1} {:>6.1}",
            case.path,
            case.frames[0].len(),
            case.variant,
            out / 1e6,
            if out > 0.0 { 1e9 / out } else { f64::INFINITY },
            best / 1e6,
            pick(&|f| f.rx_pps) / 1e6,
            pick(&|f| per_frame(f.guest_cpu)) * 100.0,
            pick(&|f| f.kicks_per_k),
            pick(&|f| f.notifies_per_k),
        );
    }
}
