//! The network function on Xen: netfront devices as the routers' `NetDevice`s, the task that
//! runs the routers, answers the control protocol and sleeps on the devices' event channels
//! and the XenStore ring, and the `xl shutdown` path.

use super::vif::{self, Vif, VifSizing};
use super::{Burst, ShutdownRequest, TrafficMeter, VifSet};
use crate::control::{self, Control, KeyStore, LoadHost, Routers};
use crate::sched::{Nanos, Scheduler, Task, Wait};
use crate::xen::events::XenEventChannel;
use crate::xen::grant::GrantTable;
use crate::xen::platform::XenPlatform;
use crate::xen::store::StoreRing;
use crate::xen::{mm, time};
use crate::xenstore::Client;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use click_elements::Limits;
use clickos_protocol::clickos::{Key, RUNNING};
use core::cell::Cell;
use log::{error, info, warn};
use netfront::Netfront;

/// Router rounds per task run before the scheduler gets a look in.
const ROUNDS: usize = 64;
/// A burst of traffic ends after this long without packets; it is then reported.
const QUIET_NS: Nanos = 1_000_000_000;
/// The watch token of `control/shutdown`.
const SHUTDOWN_TOKEN: &str = "shutdown";
/// The watch token of the control protocol's directory.
const CONTROL_TOKEN: &str = "clickos";

/// The guest's devices: netfront over Xen event channels.
type Devices = vif::Devices<XenEventChannel>;

/// The guest lent to the control protocol while a configuration loads: the Xen clock, the
/// heap's figures, and rounds of the running routers over the vifs.
struct GuestLoadHost<'a> {
    devices: &'a mut Devices,
}

impl LoadHost for GuestLoadHost<'_> {
    fn now(&self) -> u64 {
        time::now()
    }

    fn heap(&self) -> (usize, usize) {
        mm::heap_usage()
    }

    fn forward(&mut self, routers: &Routers) {
        control::run_round(routers, self.devices);
    }
}

/// A configuration given at boot (xl `ramdisk=` or `click=` on the command line).
pub struct BootConfig {
    /// The configuration text.
    pub text: String,
    /// Where it came from, the file name of its diagnostics.
    pub origin: &'static str,
}

/// The network function: routers, devices, XenStore, grants, and what was asked at the end.
struct NetFunction {
    control: Control,
    devices: Devices,
    store: Client<StoreRing>,
    grants: GrantTable,
    meter: TrafficMeter,
    tx_at_burst_start: u64,
    outcome: Rc<Cell<Option<ShutdownRequest>>>,
}

impl NetFunction {
    /// Heap in use and free, and the free packet buffers of every pool, on one line.
    fn memory(&self) -> String {
        let (used, free) = mm::heap_usage();
        let mut pools = String::new();
        let mut total = 0;
        for (i, v) in self.devices.vifs() {
            let s = v.pool_stats();
            total += s.free;
            pools += &format!("vif{i} {} of {}, ", s.free, s.allocated);
        }
        for (rid, r) in self.control.routers() {
            let s = r.pool_stats();
            total += s.free;
            pools += &format!("router{rid} {} of {}, ", s.free, s.allocated);
        }
        let pools = pools.trim_end_matches(", ");
        format!(
            "heap used {used} B, free {free} B; free buffers {total} ({pools}); grants {}; xenstore events queued {}",
            self.grants.in_use(),
            self.store.queued_events()
        )
    }

    fn report_burst(&mut self, b: Burst) {
        let tx = self.devices.tx_packets();
        info!(
            "net: burst: {} packets in {}.{:03} s = {} pps received, {} sent; {}",
            b.packets,
            b.duration / 1_000_000_000,
            b.duration / 1_000_000 % 1_000,
            b.pps(),
            tx.wrapping_sub(self.tx_at_burst_start),
            self.memory()
        );
        self.tx_at_burst_start = tx;
    }

    /// Handles the watch events that arrived: control requests are served, and a request on
    /// `control/shutdown` is returned. Returns whether any event was handled.
    fn store_events(&mut self) -> (bool, Option<ShutdownRequest>) {
        let mut asked = None;
        let mut any = false;
        while let Some(event) = self.store.take_event() {
            any = true;
            if event.token == CONTROL_TOKEN {
                let mut host = GuestLoadHost {
                    devices: &mut self.devices,
                };
                let outcome = self.control.handle(&event.path, &mut self.store, &mut host);
                if let control::Outcome::Loaded { .. } | control::Outcome::Halted(_) = outcome {
                    info!("net: {}", self.memory());
                }
                continue;
            }
            if event.token != SHUTDOWN_TOKEN {
                continue;
            }
            match KeyStore::read(&mut self.store, "control/shutdown") {
                Ok(v) => asked = asked.or(ShutdownRequest::parse(&v)),
                Err(e) if e.is_not_found() => {}
                Err(e) => warn!("net: reading control/shutdown: {e}"),
            }
        }
        if asked.is_some() {
            // Acknowledge, as Linux does: the toolstack sees the request was taken.
            if let Err(e) = KeyStore::write(&mut self.store, "control/shutdown", "") {
                warn!("net: clearing control/shutdown: {e}");
            }
        }
        (any, asked)
    }

    fn finish(&mut self, req: ShutdownRequest) {
        info!("net: shutdown requested ({req:?}): stopping the routers");
        let rx = self.devices.rx_packets();
        let tx = self.devices.tx_packets();
        info!(
            "net: totals: {rx} packets received, {tx} sent; {}",
            self.memory()
        );
        self.control.stop_all();
        for (i, vif) in self.devices.take_vifs() {
            let (nf, unclaimed) = vif.into_parts();
            let (stats, outcome) = nf.disconnect(&mut self.store, &mut self.grants);
            match outcome {
                Ok(()) => info!(
                    "net: vif{i} disconnected (Closing, Closed): rx {} tx {} bad {} leaked pages {}, {} received for no router; refused {} multi-slot frames, {} partial checksums",
                    stats.rx_packets,
                    stats.tx_packets,
                    stats.rx_bad_id + stats.rx_bad_length + stats.tx_bad_id + stats.tx_bad_status,
                    stats.leaked_pages,
                    unclaimed,
                    stats.rx_multislot,
                    stats.rx_csum_blank
                ),
                Err(e) => warn!("net: vif{i} disconnect: {e:?}"),
            }
        }
        self.outcome.set(Some(req));
    }
}

impl Task for NetFunction {
    fn name(&self) -> &'static str {
        "netfunction"
    }

    fn run(&mut self, now: Nanos) -> Wait {
        let (mut worked, shutdown) = self.store_events();
        if let Some(req) = shutdown {
            self.finish(req);
            return Wait::Done;
        }
        worked |= self.devices.forward(&self.control, ROUNDS);
        let rx = self.devices.rx_packets();
        if let Some(burst) = self.meter.observe(now, rx) {
            self.report_burst(burst);
        }
        if worked {
            return Wait::Yield;
        }
        let Some(mut ports) = self.devices.prepare_to_sleep() else {
            return Wait::Yield;
        };
        ports.insert(self.store.transport().port());
        // Wake for the end of a traffic burst or the routers' next timer, whichever is first.
        let timer = self
            .control
            .routers()
            .filter_map(|(_, r)| r.next_timer())
            .map(|t| t.sec.saturating_mul(1_000_000_000) + u64::from(t.nsec))
            .min();
        let deadline = match (self.meter.deadline(), timer) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Wait::Any(ports, deadline)
    }
}

/// Connects every `device/vif/N` as device N, starts the boot configuration (if any) as router
/// 0, serves the control protocol under `data/clickos` until `control/shutdown` asks to stop,
/// disconnects, and returns what was asked. A configuration naming a vif that does not exist
/// or did not connect is refused.
pub fn run(
    mut store: Client<StoreRing>,
    vif_ids: &[String],
    boot_config: Option<BootConfig>,
    platform: &mut XenPlatform,
) -> Option<ShutdownRequest> {
    let mut grants = match GrantTable::setup() {
        Ok(g) => g,
        Err(e) => {
            error!("net: grant table setup failed: {e:?}");
            return None;
        }
    };
    let (ids, other) = VifSet::ids(vif_ids);
    for entry in other {
        warn!("net: device/vif/{entry} is not a vif id: skipped");
    }
    let mut vifs = BTreeMap::new();
    let mut vif_set = VifSet::default();
    let (heap_used, heap_free) = mm::heap_usage();
    let sizing = VifSizing::for_heap(heap_used + heap_free);
    info!(
        "net: {} receive pages, {} transmit buffers and {} packet buffers per vif",
        sizing.config.rx_buffers, sizing.config.tx_buffers, sizing.prewarm
    );
    for id in ids {
        let node = format!("device/vif/{id}");
        let t0 = time::now();
        match Netfront::connect(
            &node,
            sizing.config,
            &mut store,
            &mut grants,
            XenEventChannel,
        ) {
            Ok(nf) => {
                info!(
                    "net: vif{id} ({node}) connected in {} ms: mac {}, backend {} (domain {}), event channel {}",
                    (time::now() - t0) / 1_000_000,
                    super::mac_text(nf.mac()),
                    nf.backend(),
                    nf.backend_id(),
                    nf.port()
                );
                vifs.insert(id, Vif::new(nf, sizing.prewarm));
                vif_set.add_connected(id);
            }
            Err(e) => {
                error!("net: vif{id} ({node}): connect failed: {e:?}; configurations naming device {id} are refused");
                vif_set.add_failed(id);
            }
        }
    }
    store.forget_change_watches();

    let (used, free) = mm::heap_usage();
    let limits = Limits::for_heap(used + free);
    let mut devices = Devices::new(vifs, time::now);
    let mut control = Control::new(limits);
    control.set_vifs(vif_set);
    if let Some(boot) = boot_config {
        let t0 = time::now();
        let mut host = GuestLoadHost {
            devices: &mut devices,
        };
        match control.install(0, &boot.text, boot.origin, &mut host) {
            Ok(_) => {
                info!(
                    "net: router 0 from the {} ({} bytes) running, loaded in {} us",
                    boot.origin,
                    boot.text.len(),
                    (time::now() - t0) / 1_000
                );
                // Visible to the tools like a router they installed (written before the
                // watch is set, so the guest does not take it for a request).
                let status = Key::Status.path(control::ROOT, 0);
                if let Err(e) = KeyStore::write(&mut store, &status, RUNNING) {
                    warn!("net: writing {status}: {e}");
                }
            }
            Err(diags) => error!("net: the {} does not load:\n{diags}", boot.origin),
        }
    }
    // ClickOS tools wait for this key before they install configurations.
    if let Err(e) = KeyStore::write(&mut store, control::ROOT, "") {
        error!("net: cannot write {}: {e}", control::ROOT);
    }
    for (path, token) in [
        ("control/shutdown", SHUTDOWN_TOKEN),
        (control::ROOT, CONTROL_TOKEN),
        (control::LEGACY_ROOT, CONTROL_TOKEN),
    ] {
        if let Err(e) = store.watch(path, token) {
            error!("net: cannot watch {path}: {e}");
        }
    }
    // Only now that the watches are set can no configuration written by a tool be missed:
    // clickctl waits for this key (tools that only wait for data/clickos race the guest).
    if let Err(e) = KeyStore::write(&mut store, control::READY, "1") {
        error!("net: cannot write {}: {e}", control::READY);
    }
    let outcome = Rc::new(Cell::new(None));
    let nf = NetFunction {
        control,
        devices,
        store,
        grants,
        meter: TrafficMeter::new(QUIET_NS),
        tx_at_burst_start: 0,
        outcome: outcome.clone(),
    };
    info!(
        "net: {} vif(s), {} router(s) running, control protocol under {}; {}",
        nf.devices.vifs().count(),
        nf.control.routers().count(),
        control::ROOT,
        nf.memory()
    );
    let mut sched = Scheduler::new();
    sched.spawn(Box::new(nf));
    sched.run(platform);
    info!(
        "net: scheduler: {} task runs, {} blocks",
        sched.stats().runs,
        sched.stats().blocks
    );
    outcome.get()
}
