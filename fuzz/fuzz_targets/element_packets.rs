//! Fuzzes every element class of `Registry::standard()` with arbitrary packets: the input
//! picks a class (from the registry's own list, so a new class is fuzzed as soon as it is
//! registered), one of a few valid configurations for it, push or pull for its agnostic
//! ports, and then a script of packets (arbitrary bytes, headroom, tailroom, header
//! annotations, clones sharing a buffer) sent through `push`, `push_batch` and `pull`,
//! task runs, clock steps, and handler calls. Any panic is a bug.
#![no_main]

use std::collections::VecDeque;
use std::sync::Once;

use click_elements::args::Args;
use click_elements::device::NetDevice;
use click_elements::element::{
    Batch, ConfigureContext, Element, Platform, Processing, PullContext, PullInputs, PushContext,
    RouterControl, TaskContext,
};
use click_elements::packet::{Packet, PacketPool, Timestamp};
use click_elements::{Limits, Registry};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

/// Valid configurations per class: `(class, configuration, inputs, outputs)`. Every class
/// of the registry needs at least one (checked on the first run).
const CONFIGS: &[(&str, &str, usize, usize)] = &[
    ("ARPPrint", "", 1, 1),
    ("ARPPrint", "x, ETHER true, TIMESTAMP false", 1, 1),
    ("ARPQuerier", "10.0.0.1, 00:01:02:03:04:05", 2, 1),
    (
        "ARPQuerier",
        "10.0.0.1/24, 00:01:02:03:04:05, CAPACITY 4, TIMEOUT 1",
        2,
        2,
    ),
    ("ARPResponder", "10.0.0.1 00:01:02:03:04:05", 1, 1),
    (
        "ARPResponder",
        "10.0.0.0/8 10.1.0.0/16 02:00:00:00:00:01, 10.1.2.3 02:00:00:00:00:02",
        1,
        2,
    ),
    ("CheckIPHeader", "", 1, 1),
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
    ("Classifier", "0/ffffffffffff, !12/08??, 14/45%f0", 1, 3),
    ("Counter", "", 1, 1),
    ("Discard", "", 1, 0),
    ("DriverManager", "", 0, 0),
    ("DriverManager", "wait 1ms, stop", 0, 0),
    ("EnsureEther", "", 1, 1),
    ("EnsureEther", "0x86DD, 1:2:3:4:5:6, 6:5:4:3:2:1", 1, 1),
    (
        "EtherEncap",
        "0x0800, 00:01:02:03:04:05, 00:0a:0b:0c:0d:0e",
        1,
        1,
    ),
    ("EtherMirror", "", 1, 1),
    ("FromDevice", "0", 0, 1),
    ("FromDevice", "1, BURST 4", 0, 1),
    ("ICMPPingResponder", "", 1, 1),
    ("ICMPPingResponder", "", 1, 2),
    ("Idle", "", 1, 1),
    ("Idle", "", 0, 2),
    ("InfiniteSource", "", 0, 1),
    (
        "InfiniteSource",
        "DATA \\<0800>, LIMIT 5, BURST 3, LENGTH 70",
        0,
        1,
    ),
    ("Null", "", 1, 1),
    ("Print", "", 1, 1),
    ("Print", "x, -1, CONTENTS ASCII, HEADROOM true", 1, 1),
    ("Queue", "", 1, 1),
    ("Queue", "2", 1, 1),
    ("Strip", "14", 1, 1),
    ("Strip", "0", 1, 1),
    ("Tee", "", 1, 3),
    ("Tee", "2", 1, 2),
    ("ToDevice", "0", 1, 0),
    ("ToDevice", "0, BURST 2", 1, 0),
    ("Unqueue", "", 1, 1),
    ("Unqueue", "BURST 2", 1, 1),
    ("Unstrip", "14", 1, 1),
    ("Unstrip", "100", 1, 1),
    ("VLANDecap", "", 1, 1),
    ("VLANDecap", "ANNO false", 1, 1),
    ("VLANEncap", "42", 1, 1),
    ("VLANEncap", "ANNO", 1, 1),
    ("VLANEncap", "VLAN_ID 7, VLAN_PCP 3, NATIVE_VLAN 7", 1, 1),
];

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

/// The processing of port `i` from one side of Click's notation (`h`, `l`, `a`; the last
/// letter repeats), with agnostic ports resolved to `agnostic`.
/// `p`, with an agnostic port resolved to `agnostic`.
fn resolved(p: Processing, agnostic: Processing) -> Processing {
    match p {
        Processing::Agnostic => agnostic,
        other => other,
    }
}

/// The configurations to fuzz: every registered class with its declared example, on the
/// ports its port count gives for one input and four outputs, and the extra ones of
/// [`CONFIGS`].
fn fuzz_configs(registry: &Registry) -> Vec<(&'static str, String, usize, usize)> {
    let mut all: Vec<(&'static str, String, usize, usize)> = registry
        .classes()
        .map(|info| {
            let (ninputs, noutputs) = info.ports.resolve(1, 4);
            (info.name, info.example.to_string(), ninputs, noutputs)
        })
        .filter(|(class, ..)| !matches!(*class, "FromDump" | "ToDump"))
        .collect();
    all.extend(
        CONFIGS
            .iter()
            .map(|&(class, config, i, o)| (class, config.to_string(), i, o)),
    );
    all
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

/// `class` configured with `config` for `ninputs`/`noutputs` ports, agnostic ones resolved
/// to `agnostic`; panics when the configuration is refused (the table is wrong).
fn configured(
    registry: &Registry,
    (class, config, ninputs, noutputs): &(&'static str, String, usize, usize),
    agnostic: Processing,
    pool: &PacketPool,
) -> (Box<dyn Element>, Vec<Processing>, Vec<Processing>) {
    let (class, config, ninputs, noutputs) = (*class, config.as_str(), *ninputs, *noutputs);
    let info = registry.class(class).expect("listed class");
    let mut element = (info.make)();
    let input_processing: Vec<Processing> = info
        .processing
        .inputs(ninputs)
        .into_iter()
        .map(|p| resolved(p, agnostic))
        .collect();
    let output_processing: Vec<Processing> = info
        .processing
        .outputs(noutputs)
        .into_iter()
        .map(|p| resolved(p, agnostic))
        .collect();
    let ctx = ConfigureContext {
        name: "e",
        ninputs,
        noutputs,
        input_processing: &input_processing,
        output_processing: &output_processing,
        pool,
        limits: &Limits::HOST,
        peers: &[],
    };
    let mut args = Args::parse(config);
    element
        .configure(&mut args, &ctx)
        .unwrap_or_else(|e| panic!("{class}({config}): {e}"));
    args.finish()
        .unwrap_or_else(|e| panic!("{class}({config}): {e:?}"));
    element
        .initialize()
        .unwrap_or_else(|e| panic!("{class}({config}): {e}"));
    (element, input_processing, output_processing)
}

fn run(
    u: &mut Unstructured,
    registry: &Registry,
    configs: &[(&'static str, String, usize, usize)],
) -> Result<()> {
    let entry = u.choose(configs)?;
    let (_, _, ninputs, noutputs) = *entry;
    let agnostic = if u.arbitrary()? {
        Processing::Push
    } else {
        Processing::Pull
    };
    let pool = PacketPool::new(64);
    let (mut element, input_processing, output_processing) =
        configured(registry, entry, agnostic, &pool);

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
                    let mut ctx = PullContext::new(&mut upstream, &mut platform);
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
    let configs = fuzz_configs(&registry);
    static TABLE_CHECKED: Once = Once::new();
    TABLE_CHECKED.call_once(|| {
        // Every configuration (every class's example among them) is accepted.
        let pool = PacketPool::new(1);
        for entry in &configs {
            for agnostic in [Processing::Push, Processing::Pull] {
                configured(&registry, entry, agnostic, &pool);
            }
        }
    });
    let _ = run(&mut Unstructured::new(data), &registry, &configs);
});
