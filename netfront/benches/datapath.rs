//! Data-path cost against the simulated netback: frames per second through receive (plus
//! page return) and transmit (plus completion), in bursts of 32. The figure includes the
//! simulator's own work, so it is a lower bound on the frontend alone.

#[allow(dead_code)]
#[path = "../tests/sim/mod.rs"]
mod sim;

use std::time::Instant;

use netfront::{Config, Netfront};
use sim::{World, NODE};

const BURST: usize = 32;
const ROUNDS: usize = 200_000;

fn main() {
    let world = World::new();
    // Time the data path, not the simulator's page audit.
    world.0.borrow_mut().audit_pages = false;
    let mut dev = Netfront::connect(
        NODE,
        Config::default(),
        &mut world.store(),
        &mut world.grants(),
        world.evtchn(),
    )
    .expect("connect");
    let frames: Vec<Vec<u8>> = (0..BURST).map(|i| vec![i as u8; 60]).collect();
    let mut out = Vec::with_capacity(BURST);

    let start = Instant::now();
    for _ in 0..ROUNDS {
        world.deliver(&frames);
        dev.receive(&mut out, BURST);
        out.clear();
    }
    let rx = start.elapsed();

    let start = Instant::now();
    for _ in 0..ROUNDS {
        dev.transmit(frames.iter().map(Vec::as_slice));
        world.collect_tx();
    }
    let tx = start.elapsed();

    let n = (ROUNDS * BURST) as f64;
    println!(
        "receive: {:.2} Mpps, transmit: {:.2} Mpps (bursts of {BURST}, with the simulator)",
        n / rx.as_secs_f64() / 1e6,
        n / tx.as_secs_f64() / 1e6
    );
    let stats = dev.stats();
    assert_eq!(stats.rx_packets as f64, n);
    assert_eq!(stats.tx_packets as f64, n);
}
