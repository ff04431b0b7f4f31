//! The guest's vifs and router rounds on the host: netfront devices against the simulated
//! netback, a configuration installed through the control protocol's code, frames in and
//! out through FromDevice and ToDevice.

#[allow(dead_code)]
#[path = "../../netfront/tests/sim/mod.rs"]
mod sim;

use std::collections::BTreeMap;

use click_elements::Limits;
use clickos_kernel::control::{Control, LoadHost, Routers};
use clickos_kernel::net::vif::{Devices, Vif, VifSizing};
use netfront::Netfront;
use sim::{SimEvtchn, World, NODE};

struct Host;

impl LoadHost for Host {
    fn now(&self) -> u64 {
        0
    }

    fn heap(&self) -> (usize, usize) {
        (0, 4 << 20)
    }

    fn forward(&mut self, _routers: &Routers) {}
}

fn clock() -> u64 {
    0
}

/// Two connected vifs (device 0 and 1), each with its own simulated world, running `config`.
fn setup(config: &str) -> (Vec<World>, Devices<SimEvtchn>, Control) {
    let worlds = vec![World::new(), World::new()];
    let mut vifs = BTreeMap::new();
    for (id, world) in worlds.iter().enumerate() {
        let nf = Netfront::connect(
            NODE,
            VifSizing::FULL.config,
            &mut world.store(),
            &mut world.grants(),
            world.evtchn(),
        )
        .expect("connect");
        vifs.insert(id, Vif::new(nf, VifSizing::FULL.prewarm));
    }
    let mut control = Control::new(Limits::for_heap(4 << 20));
    control
        .install(0, config, "test.click", &mut Host)
        .expect("configuration loads");
    (worlds, Devices::new(vifs, clock), control)
}

fn frames(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let mut f = vec![0u8; 60];
            f[12] = 0x08;
            f[14] = i as u8;
            f
        })
        .collect()
}

#[test]
fn the_wire_forwards_both_ways_through_the_guest_code() {
    let (worlds, mut devices, control) = setup(include_str!("../../configs/wire.click"));
    let to_0 = frames(40);
    let to_1 = frames(7);
    assert_eq!(worlds[0].deliver(&to_0), 40);
    assert_eq!(worlds[1].deliver(&to_1), 7);
    assert!(devices.forward(&control, 64));
    assert_eq!(worlds[1].collect_tx(), to_0);
    assert_eq!(worlds[0].collect_tx(), to_1);
    assert_eq!(devices.rx_packets(), 47);
    assert_eq!(devices.tx_packets(), 47);
    // Nothing left: a round does no work, and the guest may sleep on both event channels.
    assert!(!devices.forward(&control, 64));
    let ports = devices.prepare_to_sleep().expect("idle");
    assert!(devices
        .vifs()
        .all(|(_, v)| ports.ports().contains(&v.netfront().port())));
}

#[test]
fn frames_for_no_router_are_dropped_before_sleeping() {
    let (worlds, mut devices, control) = setup("FromDevice(0) -> Discard;");
    worlds[1].deliver(&frames(5));
    assert!(!devices.forward(&control, 64));
    // Device 1 has frames no router takes: no sleep, and they are dropped.
    assert!(devices.prepare_to_sleep().is_none());
    let unclaimed: u64 = devices.vifs().map(|(_, v)| v.unclaimed()).sum();
    assert_eq!(unclaimed, 5);
    assert!(devices.prepare_to_sleep().is_some());
}

/// Vif buffers follow the heap: 64 of each from about 2 MiB of heap (guests of 4 MiB and
/// more), fewer in smaller guests, never under 16.
#[test]
fn vif_buffers_scale_with_the_heap() {
    let kib = 1024;
    assert_eq!(VifSizing::for_heap(4096 * kib), VifSizing::FULL);
    assert_eq!(VifSizing::for_heap(2048 * kib), VifSizing::FULL);
    let small = VifSizing::for_heap(970 * kib);
    assert_eq!(small.config.rx_buffers, 30);
    assert_eq!(small.config.tx_buffers, 30);
    assert_eq!(small.prewarm, 30);
    assert_eq!(VifSizing::for_heap(0).config.rx_buffers, 16);
    assert_eq!(VifSizing::FULL.config.rx_buffers, 64);
}
