//! Fuzzes every element class of `Registry::standard()` with arbitrary packets: the input
//! picks a class (from the registry's own list, so a new class is fuzzed as soon as it is
//! registered) with its declared example configuration or one of a few variants, push or
//! pull for its agnostic ports, and then a script of packets (arbitrary bytes, headroom, tailroom, header
//! annotations, clones sharing a buffer) sent through `push`, `push_batch` and `pull`,
//! task runs, clock steps, and handler calls. Any panic is a bug.
#![no_main]

use std::collections::VecDeque;
use std::sync::Once;

use click_elements::args::Args;
use click_elements::class::ClassInfo;
use click_elements::device::NetDevice;
use click_elements::element::{
    Batch, ConfigureContext, Element, Platform, Processing, PullContext, PullInputs, PushContext,
    RouterControl, TaskContext,
};
use click_elements::packet::{Packet, PacketPool, Timestamp};
use click_elements::{Limits, Registry};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

/// Configurations beyond the classes' declared examples, taking other code paths:
/// `(class, configuration, inputs, outputs)`. Checked on the first run.
const VARIANTS: &[(&str, &str, usize, usize)] = &[
    ("ARPPrint", "x, ETHER true, TIMESTAMP false", 1, 1),
    (
        "ARPQuerier",
        "10.0.0.1/24, 00:01:02:03:04:05, CAPACITY 4, TIMEOUT 1",
        2,
        2,
    ),
    (
        "ARPResponder",
        "10.0.0.0/8 10.1.0.0/16 02:00:00:00:00:01, 10.1.2.3 02:00:00:00:00:02",
        1,
        2,
    ),
    (
        "CheckIPHeader",
        "OFFSET 14, VERBOSE true, DETAILS true",
        1,
        2,
    ),
    (
        "CheckIPHeader",
        "INTERFACES 10.0.0.1/8 192.168.1.1/24",
        1,
        2,
    ),
    ("Classifier", "12/0800, -", 1, 2),
    (
        "Classifier",
        "12/0806 20/0001, 12/0800 23/01, 12/8100, -",
        1,
        4,
    ),
    ("EnsureEther", "0x86DD, 1:2:3:4:5:6, 6:5:4:3:2:1", 1, 1),
    ("FromDevice", "1, BURST 4", 0, 1),
    ("ICMPPingResponder", "", 1, 2),
    ("Idle", "", 0, 2),
    (
        "InfiniteSource",
        "DATA \\<0800>, LIMIT 5, BURST 3, LENGTH 70",
        0,
        1,
    ),
    ("Print", "x, -1, CONTENTS ASCII, HEADROOM true", 1, 1),
    ("Queue", "2", 1, 1),
    ("Strip", "0", 1, 1),
    ("Tee", "2", 1, 2),
    ("ToDevice", "0, BURST 2", 1, 0),
    ("Unqueue", "BURST 2", 1, 1),
    ("Unstrip", "100", 1, 1),
    ("VLANDecap", "ANNO false", 1, 1),
    ("VLANEncap", "ANNO", 1, 1),
    ("VLANEncap", "VLAN_ID 7, VLAN_PCP 3, NATIVE_VLAN 7", 1, 1),
];

/// A class and how to set it up: configuration, inputs, outputs.
type Setup = (ClassInfo, &'static str, usize, usize);

/// Every class with its example (one input and up to four outputs, as the crate's own
/// robustness test connects it), then the variants.
fn setups(registry: &Registry) -> Vec<Setup> {
    let mut all: Vec<Setup> = registry
        .classes()
        .map(|info| {
            let (ninputs, noutputs) = info.ports.resolve(1, 4);
            (*info, info.example, ninputs, noutputs)
        })
        .collect();
    for &(class, config, ninputs, noutputs) in VARIANTS {
        let info = registry
            .class(class)
            .unwrap_or_else(|| panic!("no class {class}"));
        all.push((*info, config, ninputs, noutputs));
    }
    all
}

/// A platform without devices, whose clock the script moves.
struct Clock {
    now: Timestamp,
}

impl Platform for Clock {
    fn chatter(&mut self, _line: &str) {}
    fn print(&mut self, _line: &str) {}
    fn now(&self) -> Timestamp {
        self.now
    }
    fn device(&mut self, _n: usize) -> Option<&mut dyn NetDevice> {
        None
    }
}

/// Pull inputs fed by the script.
#[derive(Default)]
struct Upstream {
    packets: VecDeque<Packet>,
}

impl PullInputs for Upstream {
    fn pull(&mut self, _port: usize, _platform: &mut dyn Platform) -> Option<Packet> {
        self.packets.pop_front()
    }
}

/// A router that refuses handler calls and counts stop requests.
#[derive(Default)]
struct NoRouter {
    stops: usize,
}

impl RouterControl for NoRouter {
    fn request_stop(&mut self) {
        self.stops += 1;
    }
    fn stop_requests(&self) -> usize {
        self.stops
    }
    fn stop_now(&mut self) {}
    fn read_handler(
        &mut self,
        element: &str,
        handler: &str,
    ) -> std::result::Result<String, String> {
        Err(format!("{element}.{handler}: no router"))
    }
    fn write_handler(
        &mut self,
        element: &str,
        handler: &str,
        _value: &str,
    ) -> std::result::Result<(), String> {
        Err(format!("{element}.{handler}: no router"))
    }
}

fn packet(u: &mut Unstructured, pool: &PacketPool) -> Result<Packet> {
    let data: &[u8] = u.arbitrary()?;
    let headroom = u.int_in_range(0..=64usize)?;
    let tailroom = u.int_in_range(0..=8usize)?;
    let mut p = pool.packet(headroom, data, tailroom);
    if u.arbitrary()? {
        p.set_mac_header(0);
    }
    match u.int_in_range(0..=3u8)? {
        0 => {}
        1 => p.set_network_header(14),
        2 => p.set_network_header(0),
        _ => {
            let at = u.int_in_range(0..=data.len() + 4)?;
            p.set_network_header(at);
        }
    }
    Ok(p)
}

/// Drops what came out, after a look at it.
fn drain(outputs: &mut [Batch]) {
    for batch in outputs {
        for p in batch.drain(..) {
            assert_eq!(p.data().len(), p.len());
        }
    }
}

/// The element of `setup`, configured and initialised, with the processing of its inputs
/// and outputs (agnostic ones resolved to `agnostic`).
fn configured(
    &(info, config, ninputs, noutputs): &Setup,
    agnostic: Processing,
    pool: &PacketPool,
) -> std::result::Result<(Box<dyn Element>, Vec<Processing>, Vec<Processing>), String> {
    let resolve = |p: Processing| {
        if p == Processing::Agnostic {
            agnostic
        } else {
            p
        }
    };
    let inputs: Vec<Processing> = info
        .processing
        .inputs(ninputs)
        .into_iter()
        .map(resolve)
        .collect();
    let outputs: Vec<Processing> = info
        .processing
        .outputs(noutputs)
        .into_iter()
        .map(resolve)
        .collect();
    let ctx = ConfigureContext {
        name: "e",
        ninputs,
        noutputs,
        input_processing: &inputs,
        output_processing: &outputs,
        pool,
        limits: &Limits::HOST,
        peers: &[],
    };
    let mut element = (info.make)();
    let mut args = Args::parse(config);
    element.configure(&mut args, &ctx)?;
    args.finish().map_err(|e| format!("{e:?}"))?;
    element.initialize()?;
    Ok((element, inputs, outputs))
}

fn run(u: &mut Unstructured, registry: &Registry) -> Result<()> {
    let all = setups(registry);
    let setup = u.choose(&all)?;
    let (info, _, ninputs, noutputs) = *setup;
    let class = info.name;
    let pool = PacketPool::new(64);
    // Agnostic ports as pull where the class takes that, as push otherwise.
    let pull = configured(setup, Processing::Pull, &pool).ok();
    let (mut element, input_processing, output_processing) = match pull {
        Some(made) if u.arbitrary()? => made,
        _ => configured(setup, Processing::Push, &pool).expect("checked at start"),
    };

    let mut platform = Clock {
        now: Timestamp {
            sec: 1_700_000_000,
            nsec: 0,
        },
    };
    let mut outputs: Vec<Batch> = (0..noutputs).map(|_| Vec::new()).collect();
    let mut upstream = Upstream::default();
    let mut router = NoRouter::default();
    for _ in 0..64 {
        if u.is_empty() {
            break;
        }
        match u.int_in_range(0..=6u8)? {
            0 | 1 if ninputs > 0 => {
                let port = u.int_in_range(0..=ninputs - 1)?;
                if input_processing[port] == Processing::Push {
                    let p = packet(u, &pool)?;
                    let mut ctx = PushContext::new(&mut outputs, &mut platform, "e");
                    element.push(port, p, &mut ctx);
                } else {
                    upstream.packets.push_back(packet(u, &pool)?);
                }
            }
            2 if ninputs > 0 => {
                let port = u.int_in_range(0..=ninputs - 1)?;
                let mut batch = Vec::new();
                let first = packet(u, &pool)?;
                for _ in 0..u.int_in_range(0..=40usize)? {
                    // Clones share the buffer: a writer must copy first.
                    batch.push(if u.arbitrary()? {
                        first.clone()
                    } else {
                        packet(u, &pool)?
                    });
                }
                batch.push(first);
                if input_processing[port] == Processing::Push {
                    let mut ctx = PushContext::new(&mut outputs, &mut platform, "e");
                    element.push_batch(port, &mut batch, &mut ctx);
                    assert!(batch.is_empty(), "{class}: push_batch left packets");
                } else {
                    upstream.packets.extend(batch);
                }
            }
            3 if noutputs > 0 => {
                let port = u.int_in_range(0..=noutputs - 1)?;
                if output_processing[port] == Processing::Pull {
                    let mut ctx = PullContext::new(&mut upstream, &mut platform, "e");
                    if let Some(p) = element.pull(port, &mut ctx) {
                        assert_eq!(p.data().len(), p.len());
                    }
                }
            }
            4 if element.has_task() => {
                let push = PushContext::new(&mut outputs, &mut platform, "e");
                let mut ctx = TaskContext {
                    push,
                    inputs: &mut upstream,
                    router: &mut router,
                };
                element.run_task(&mut ctx);
            }
            5 => {
                let step = u.int_in_range(0..=120_000_000u64)?;
                let nsec = u64::from(platform.now.nsec) + step * 1000;
                platform.now.sec += nsec / 1_000_000_000;
                platform.now.nsec = (nsec % 1_000_000_000) as u32;
            }
            _ => {
                for name in element.read_handlers() {
                    let _ = element.read_handler(name);
                }
                let _ = element.config_string();
                if let Some(&name) = u.choose(element.write_handlers()).ok() {
                    let value: &str = u.arbitrary()?;
                    let _ = element.write_handler(name, value);
                }
            }
        }
        drain(&mut outputs);
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let registry = Registry::standard();
    static TABLE_CHECKED: Once = Once::new();
    TABLE_CHECKED.call_once(|| {
        // Every example and variant is accepted with push ports.
        let pool = PacketPool::new(1);
        for setup in setups(&registry) {
            if let Err(e) = configured(&setup, Processing::Push, &pool) {
                panic!("{}({}): {e}", setup.0.name, setup.1);
            }
        }
    });
    let _ = run(&mut Unstructured::new(data), &registry);
});
