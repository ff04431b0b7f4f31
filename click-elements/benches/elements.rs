//! Nanoseconds per packet of the elements on the fast path (`cargo bench -p click-elements`).
//!
//! Every benchmark pushes bursts of 32 clones of one packet through one element, as
//! InfiniteSource makes them: an element that writes pays the lazy copy of the shared buffer,
//! as it does in the benchmark configurations. Criterion's time per iteration is the time per
//! packet, including making the clone and dropping what comes out; `Null` is that cost alone.
//! The `chain/` benchmarks push the same bursts through a router: the element chains of the
//! benchmark configurations c and e, without the source.

use std::hint::black_box;
use std::time::{Duration, Instant};

use click_elements::args::{unquote_bytes, Args};
use click_elements::device::NetDevice;
use click_elements::element::{
    Batch, ConfigureContext, Element, Platform, Processing, PullContext, PullInputs, PushContext,
    DEFAULT_BURST,
};
use click_elements::elements::{
    ARPResponder, CheckIPHeader, Classifier, Counter, Discard, EtherMirror, ICMPPingResponder,
    Null, Queue, Tee, VLANDecap, VLANEncap,
};
use click_elements::packet::{Packet, PacketPool, Timestamp};
use click_elements::{build_router, Registry};
use criterion::{criterion_group, criterion_main, Criterion};

/// The ICMP echo request of the benchmark configurations (b, e): 60 bytes, 10.10.0.1 to
/// 10.10.0.3.
const ECHO: &str = "\\<001517155d7500112233445508004500002e00010000400166b70a0a00010a0a00030800\
                    9d7912340001000102030405060708090a0b0c0d0e0f1011>";
/// The same frame with ToS 0xcc (configuration d).
const ECHO_TOS: &str = "\\<001517155d75001122334455080045cc002e00010000400165eb0a0a00010a0a0003\
                        08009d7912340001000102030405060708090a0b0c0d0e0f1011>";
/// The 802.1Q-tagged frame (VID 42) of configuration c.
const TAGGED: &str = "\\<001517155d750011223344558100002a08004500002a00010000400166bb0a0a00010a0a\
                      00030800bb9912340001000102030405060708090a0b0c0d>";
/// An ARP request for 10.10.0.3 from 10.10.0.1, padded to 60 bytes.
const ARP_REQUEST: &str = "\\<ffffffffffff0011223344550806000108000604000100112233445\
                           50a0a00010000000000000a0a0003000000000000000000000000000000000000>";

/// A platform that prints nothing and always tells the same time.
struct Quiet;

impl Platform for Quiet {
    fn chatter(&mut self, _line: &str) {}
    fn print(&mut self, _line: &str) {}
    fn now(&self) -> Timestamp {
        Timestamp {
            sec: 1_700_000_000,
            nsec: 0,
        }
    }
    fn device(&mut self, _n: usize) -> Option<&mut dyn NetDevice> {
        None
    }
}

/// Pull inputs with nothing upstream.
struct NoInputs;

impl PullInputs for NoInputs {
    fn pull(&mut self, _port: usize, _platform: &mut dyn Platform) -> Option<Packet> {
        None
    }
}

/// `element` configured with `config` for one push input and `noutputs` push outputs.
fn configured<E: Element>(mut element: E, config: &str, noutputs: usize, pool: &PacketPool) -> E {
    let outputs = vec![Processing::Push; noutputs];
    let ctx = ConfigureContext {
        name: "e",
        ninputs: 1,
        noutputs,
        input_processing: &[Processing::Push],
        output_processing: &outputs,
        pool,
        limits: &click_elements::Limits::HOST,
        peers: &[],
    };
    let mut args = Args::parse(config);
    element.configure(&mut args, &ctx).expect("configures");
    args.finish().expect("no arguments left over");
    element.initialize().expect("initializes");
    element
}

/// The packet every burst is cloned from: `frame` from the pool, with the MAC header
/// annotated and, when `ip` is set, the IP header at 14 (as CheckIPHeader leaves it).
fn template(pool: &PacketPool, frame: &str, ip: bool) -> Packet {
    let mut p = pool.packet_from_slice(&unquote_bytes(frame));
    p.set_mac_header(0);
    if ip {
        p.set_network_header(14);
    }
    p
}

/// Pushes `n` clones of `template` through `element` in bursts; `after` sees the outputs of
/// each burst (and empties them). Returns the time taken.
fn run(
    element: &mut dyn Element,
    template: &Packet,
    noutputs: usize,
    n: u64,
    mut after: impl FnMut(&mut dyn Element, &mut [Batch]),
) -> Duration {
    let mut platform = Quiet;
    let mut batch: Batch = Vec::with_capacity(DEFAULT_BURST);
    let mut outputs: Vec<Batch> = (0..noutputs)
        .map(|_| Vec::with_capacity(DEFAULT_BURST))
        .collect();
    let start = Instant::now();
    let mut left = n;
    while left > 0 {
        let burst = left.min(DEFAULT_BURST as u64);
        batch.extend((0..burst).map(|_| template.clone()));
        let mut ctx = PushContext::new(&mut outputs, &mut platform, "e");
        element.push_batch(0, &mut batch, &mut ctx);
        after(element, &mut outputs);
        left -= burst;
    }
    start.elapsed()
}

/// Drops every output packet after looking at how many there are.
fn drop_outputs(_element: &mut dyn Element, outputs: &mut [Batch]) {
    for out in outputs {
        black_box(out.len());
        out.clear();
    }
}

/// One benchmark: `element` fed clones of `template`, timed per packet.
fn bench_element(
    c: &mut Criterion,
    name: &str,
    mut element: impl Element,
    template: &Packet,
    noutputs: usize,
) {
    c.bench_function(name, |b| {
        b.iter_custom(|n| run(&mut element, template, noutputs, n, drop_outputs))
    });
}

fn elements(c: &mut Criterion) {
    let pool = PacketPool::default();
    let echo = template(&pool, ECHO, false);
    let echo_ip = template(&pool, ECHO, true);
    let tagged = template(&pool, TAGGED, false);
    let arp = template(&pool, ARP_REQUEST, false);

    bench_element(c, "Null (clone and drop only)", Null, &echo, 1);
    bench_element(
        c,
        "Discard",
        configured(Discard::default(), "", 0, &pool),
        &echo,
        0,
    );
    bench_element(
        c,
        "Counter",
        configured(Counter::default(), "", 1, &pool),
        &echo,
        1,
    );
    bench_element(
        c,
        "Tee(2)",
        configured(Tee::default(), "2", 2, &pool),
        &echo,
        2,
    );
    bench_element(
        c,
        "Classifier (ping responder, IP frame)",
        configured(
            Classifier::default(),
            "12/0806 20/0001, 12/0806 20/0002, 12/0800, -",
            4,
            &pool,
        ),
        &echo,
        4,
    );
    bench_element(
        c,
        "Classifier (firewall, ToS 0xcc frame)",
        configured(Classifier::default(), "12/0806, 12/0800 15/cc, -", 3, &pool),
        &template(&pool, ECHO_TOS, false),
        3,
    );
    bench_element(
        c,
        "VLANDecap (lazy copy)",
        configured(VLANDecap::default(), "", 1, &pool),
        &tagged,
        1,
    );
    bench_element(
        c,
        "VLANEncap (lazy copy)",
        configured(VLANEncap::default(), "VLAN_ID 100", 1, &pool),
        &echo,
        1,
    );
    bench_element(
        c,
        "CheckIPHeader",
        configured(CheckIPHeader::default(), "14", 1, &pool),
        &echo,
        1,
    );
    bench_element(
        c,
        "ICMPPingResponder (lazy copy)",
        configured(ICMPPingResponder::default(), "", 1, &pool),
        &echo_ip,
        1,
    );
    bench_element(
        c,
        "EtherMirror (lazy copy)",
        configured(EtherMirror::default(), "", 1, &pool),
        &echo,
        1,
    );
    bench_element(
        c,
        "ARPResponder (new reply packet)",
        configured(
            ARPResponder::default(),
            "10.10.0.3 00:15:17:15:5d:75",
            1,
            &pool,
        ),
        &arp,
        1,
    );

    // Queue: each burst is pushed in, then pulled out again.
    let mut queue = configured(Queue::default(), "", 1, &pool);
    c.bench_function("Queue (push and pull)", |b| {
        b.iter_custom(|n| {
            run(&mut queue, &echo, 0, n, |queue, _| {
                let mut platform = Quiet;
                let mut inputs = NoInputs;
                let mut ctx = PullContext::new(&mut inputs, &mut platform, "e");
                while let Some(p) = queue.pull(0, &mut ctx) {
                    black_box(p);
                }
            })
        })
    });
}

/// A router running `config`, fed at the element named `entry` with clones of `template`.
fn bench_chain(c: &mut Criterion, name: &str, config: &str, template: &Packet) {
    let router = build_router(config, name, &[], &Registry::standard()).expect("builds");
    let entry = router.find("entry").expect("an element named entry");
    let mut platform = Quiet;
    let mut batch: Batch = Vec::with_capacity(DEFAULT_BURST);
    c.bench_function(name, |b| {
        b.iter_custom(|n| {
            let start = Instant::now();
            let mut left = n;
            while left > 0 {
                let burst = left.min(DEFAULT_BURST as u64);
                batch.extend((0..burst).map(|_| template.clone()));
                router.push_batch(entry, 0, &mut batch, &mut platform);
                left -= burst;
            }
            start.elapsed()
        })
    });
}

fn chains(c: &mut Criterion) {
    let pool = PacketPool::default();
    bench_chain(
        c,
        "chain/c-vlan (VLANDecap, VLANEncap, Counter, Discard)",
        "Idle -> entry :: VLANDecap -> VLANEncap(VLAN_ID 100) -> Counter -> Discard",
        &template(&pool, TAGGED, false),
    );
    bench_chain(
        c,
        "chain/e-ping-responder (CheckIPHeader, ICMPPingResponder, EtherMirror, Counter, Discard)",
        "Idle -> entry :: CheckIPHeader(14) -> ICMPPingResponder -> EtherMirror -> Counter \
         -> Discard",
        &template(&pool, ECHO, false),
    );
}

/// Short runs: the figures are stable to a few percent within seconds.
fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = elements, chains
}
criterion_main!(benches);
