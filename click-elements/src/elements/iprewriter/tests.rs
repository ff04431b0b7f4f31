use super::*;
use crate::elements::net::{be16, bytes4, ones_sum};
use crate::elements::testing::*;
use alloc::vec;

/// An IPv4 packet (network header annotated at 0) carrying `l4` of `proto`, with valid IP
/// and TCP/UDP checksums (a UDP checksum left at 0 when `udp_sum` is false).
fn packet(proto: u8, src: [u8; 4], dst: [u8; 4], l4: &[u8], udp_sum: bool) -> Packet {
    let mut l4 = l4.to_vec();
    let sum_at = match proto {
        6 => Some(16),
        17 if udp_sum => Some(6),
        _ => None,
    };
    if let Some(at) = sum_at {
        l4[at..at + 2].fill(0);
        let s = !pseudo_sum(proto, src, dst, &l4);
        l4[at..at + 2].copy_from_slice(&s.to_be_bytes());
    }
    let mut p = Packet::from_slice(&ipv4(proto, src, dst, &l4));
    p.set_network_header(0);
    p
}

/// The one's-complement sum of the pseudo-header and `l4`.
fn pseudo_sum(proto: u8, src: [u8; 4], dst: [u8; 4], l4: &[u8]) -> u16 {
    let mut v = Vec::new();
    v.extend_from_slice(&src);
    v.extend_from_slice(&dst);
    v.extend_from_slice(&[0, proto]);
    v.extend_from_slice(&(l4.len() as u16).to_be_bytes());
    v.extend_from_slice(l4);
    ones_sum(&v)
}

fn tcp(sport: u16, dport: u16, flags: u8) -> Vec<u8> {
    let mut t = vec![0u8; 20];
    t[0..2].copy_from_slice(&sport.to_be_bytes());
    t[2..4].copy_from_slice(&dport.to_be_bytes());
    t[4..8].copy_from_slice(&1000u32.to_be_bytes());
    t[12] = 0x50;
    t[13] = flags;
    t[14] = 0x20;
    t
}

fn udp(sport: u16, dport: u16) -> Vec<u8> {
    let mut u = vec![0u8; 12];
    u[0..2].copy_from_slice(&sport.to_be_bytes());
    u[2..4].copy_from_slice(&dport.to_be_bytes());
    u[4..6].copy_from_slice(&12u16.to_be_bytes());
    u[8..].copy_from_slice(b"data");
    u
}

/// Addresses and ports of a rewritten packet, after checking its checksums.
fn fields(p: &Packet) -> ([u8; 4], u16, [u8; 4], u16) {
    let d = p.data();
    assert_eq!(in_cksum(&d[..20]), 0, "IP checksum");
    let (src, dst) = (bytes4(d, 12).unwrap(), bytes4(d, 16).unwrap());
    if d[9] == 6 || (d[9] == 17 && be16(d, 26).unwrap_or(0) != 0) {
        assert_eq!(pseudo_sum(d[9], src, dst, &d[20..]), 0xffff, "L4 checksum");
    }
    (src, be16(d, 20).unwrap(), dst, be16(d, 22).unwrap())
}

use crate::elements::net::in_cksum;

const IN: [u8; 4] = [10, 0, 0, 2];
const OUT: [u8; 4] = [198, 51, 100, 7];
const PUB: [u8; 4] = [192, 0, 2, 1];

fn nat(config: &str) -> Harness<IPRewriter> {
    Harness::with_inputs(IPRewriter::default(), "rw", config, 2, 2).expect("configures")
}

#[test]
fn napt_maps_sequentially_and_translates_replies() {
    let mut rw = nat("pattern 192.0.2.1 1024-1030# - - 0 1, drop");
    let (port, p) = rw
        .route(packet(6, IN, OUT, &tcp(40000, 80, 2), true))
        .unwrap();
    assert_eq!(port, 0);
    assert_eq!(fields(&p), (PUB, 1024, OUT, 80));
    assert_eq!(p.anno.dst_ip, OUT);
    // UDP has its own table but shares the pattern's counter.
    let (_, p) = rw.route(packet(17, IN, OUT, &udp(5000, 53), true)).unwrap();
    assert_eq!(fields(&p), (PUB, 1025, OUT, 53));
    // A zero UDP checksum stays zero.
    let (_, p) = rw
        .route(packet(17, IN, OUT, &udp(5001, 53), false))
        .unwrap();
    assert_eq!(fields(&p), (PUB, 1026, OUT, 53));
    assert_eq!(be16(p.data(), 26), Some(0));
    // The reply arrives on the `drop` input and is still translated, to output 1.
    rw.push(1, packet(6, OUT, PUB, &tcp(80, 1024, 0x12), true));
    let got = rw.take(1);
    assert_eq!(got.len(), 1);
    assert_eq!(fields(&got[0]), (OUT, 80, IN, 40000));
    assert_eq!(got[0].anno.dst_ip, IN);
    // Unknown flows on the drop input go nowhere.
    rw.push(1, packet(6, OUT, PUB, &tcp(80, 1029, 0x12), true));
    assert!(rw.take(1).is_empty() && rw.take(0).is_empty());
    let h = |n: &str| rw.element.read_handler(n).unwrap();
    assert_eq!(h("nmappings"), "3");
    assert_eq!(h("size"), "3");
    assert_eq!(h("patterns"), "192.0.2.1 1024-1030 - - [3]\n<drop>\n");
    assert_eq!(h("pattern1"), "<drop>\n");
    assert_eq!(h("capacity"), "4096");
    assert_eq!(
        h("tcp_table"),
        "(10.0.0.2, 40000, 198.51.100.7, 80) => (192.0.2.1, 1024, 198.51.100.7, 80) [*0 1] i0 exp300\n\
         (198.51.100.7, 80, 192.0.2.1, 1024) => (198.51.100.7, 80, 10.0.0.2, 40000) [0 *1] i0 exp300\n"
    );
    assert_eq!(h("udp_table").lines().count(), 4);
}

#[test]
fn fragments_and_other_protocols_need_a_pass_input() {
    let mut rw = nat("pass 1, pattern 192.0.2.1 1024-1030# - - 0 1");
    let icmp_pkt = || packet(1, IN, OUT, &icmp(8, 0, 1, 1, &[]), false);
    assert_eq!(rw.route(icmp_pkt()).map(|(o, _)| o), Some(1));
    rw.push(1, icmp_pkt());
    assert!(rw.take(0).is_empty() && rw.take(1).is_empty());
    let mut frag = packet(17, IN, OUT, &udp(5000, 53), true);
    frag.data_mut()[6..8].copy_from_slice(&3u16.to_be_bytes());
    rw.push(1, frag);
    assert!(rw.take(0).is_empty() && rw.take(1).is_empty());
    // Fewer than 8 transport bytes.
    let mut short = packet(17, IN, OUT, &udp(5000, 53), true);
    short.truncate(26);
    rw.push(1, short);
    assert!(rw.take(0).is_empty() && rw.take(1).is_empty());
    // Without a network header annotation: dropped and counted.
    rw.push(1, Packet::from_slice(&[0x45; 40]));
    assert_eq!(rw.element.read_handler("drops").unwrap(), "1");
}

#[test]
fn ports_run_out_and_failures_are_counted() {
    let mut rw = nat("pattern 192.0.2.1 1024-1025# - - 0 1, drop");
    for sport in 1..=3 {
        rw.push(0, packet(17, IN, OUT, &udp(sport, 53), true));
    }
    assert_eq!(rw.take(0).len(), 2);
    assert_eq!(rw.element.read_handler("mapping_failures").unwrap(), "1");
}

#[test]
fn round_robin_mapper_takes_patterns_in_turn() {
    use crate::lang::FlatElement;
    let peers = [FlatElement {
        name: String::from("rr"),
        class: String::from("RoundRobinIPMapper"),
        config: String::from("192.0.2.1 - - - 0 1, 192.0.2.2 - - - 0 1"),
        location: crate::Location::default(),
    }];
    let outputs = [crate::element::Processing::Push; 2];
    let ctx = ConfigureContext {
        name: "rw",
        ninputs: 1,
        noutputs: 2,
        input_processing: &outputs[..1],
        output_processing: &outputs,
        pool: &crate::packet::PacketPool::default(),
        limits: &crate::Limits::HOST,
        peers: &peers,
    };
    let mut el = IPRewriter::default();
    el.configure(&mut Args::parse("rr"), &ctx).unwrap();
    let mut rw = Harness {
        element: el,
        outputs: vec![Vec::new(), Vec::new()],
        platform: TestPlatform::default(),
        name: String::from("rw"),
    };
    let srcs: Vec<[u8; 4]> = (0..3)
        .map(|i| {
            fields(
                &rw.route(packet(6, IN, OUT, &tcp(i, 80, 2), true))
                    .unwrap()
                    .1,
            )
            .0
        })
        .collect();
    assert_eq!(srcs, [[192, 0, 2, 1], [192, 0, 2, 2], [192, 0, 2, 1]]);
    assert_eq!(
        rw.element.read_handler("patterns").unwrap(),
        "<mapper> [3]\n"
    );
}

#[test]
fn addr_rewriter_rewrites_sources_and_matches_replies_by_destination() {
    let mut rw = Harness::with_inputs(
        IPAddrRewriter::default(),
        "rw",
        "pattern 192.0.2.10-192.0.2.11# - 0 1, drop",
        2,
        2,
    )
    .unwrap();
    let (_, p) = rw
        .route(packet(6, IN, OUT, &tcp(40000, 80, 2), true))
        .unwrap();
    assert_eq!(fields(&p), ([192, 0, 2, 10], 40000, OUT, 80));
    let (_, p) = rw
        .route(packet(1, IN, OUT, &icmp(8, 0, 1, 1, &[]), false))
        .unwrap();
    assert_eq!(fields(&p).0, [192, 0, 2, 10]);
    let (_, p) = rw
        .route(packet(17, [10, 0, 0, 3], OUT, &udp(1, 2), true))
        .unwrap();
    assert_eq!(fields(&p).0, [192, 0, 2, 11]);
    assert!(rw
        .route(packet(17, [10, 0, 0, 4], OUT, &udp(1, 2), true))
        .is_none());
    rw.push(
        1,
        packet(17, [1, 2, 3, 4], [192, 0, 2, 10], &udp(7, 9), true),
    );
    let got = rw.take(1);
    assert_eq!(fields(&got[0]), ([1, 2, 3, 4], 7, IN, 9));
    assert_eq!(
        rw.element
            .read_handler("table")
            .unwrap()
            .lines()
            .next()
            .unwrap(),
        "10.0.0.2 => 192.0.2.10 [*0 1] i0 exp7200"
    );
}

#[test]
fn flows_expire_on_the_reap_timer() {
    let mut rw =
        nat("pattern 192.0.2.1 1024-1030# - - 0 1, drop, UDP_TIMEOUT 10, REAP_INTERVAL 20");
    assert_eq!(rw.element.timer_start(), Some(Duration::from_secs(20)));
    rw.route(packet(17, IN, OUT, &udp(5000, 53), true)).unwrap();
    let now = rw.platform.now.millis();
    // Guaranteed for 5 s, then best effort until the timeout, 10 s after the packet.
    rw.element.table.shrink(now + 9_999, false);
    assert_eq!(rw.element.table().size(), 1);
    rw.element.table.shrink(now + 10_000, false);
    assert_eq!(rw.element.table().size(), 0);
    assert_eq!(rw.element.read_handler("nmappings").unwrap(), "0");
}

#[test]
fn bad_configurations_are_refused() {
    let err = |config: &str| {
        Harness::with_inputs(IPRewriter::default(), "rw", config, 2, 2)
            .err()
            .unwrap_or_default()
    };
    assert!(err("drop").contains("need 2 arguments"));
    assert!(err("pattern 1.0.0.1 1-2 - - 0 5, drop").contains("out of range"));
    assert!(err("pattern 1.0.0.1 x - - 0 1, drop").contains("bad source port"));
    assert!(err("frob, drop").contains("unknown specification"));
    assert!(err("drop, drop, MAPPING_CAPACITY 100000000").contains("limit"));
}

/// A flood of distinct flows: the table stays at its capacity, the extra flows are refused
/// and counted, and no table memory grows (everything was allocated at configuration).
#[test]
fn a_million_new_flows_fill_the_table_and_are_refused() {
    let mut rw = nat(
        "pattern 192.0.2.1 1024-65535# - - 0 1, drop, MAPPING_CAPACITY 1000, UDP_GUARANTEE 3600",
    );
    let template = packet(17, IN, OUT, &udp(1, 53), true);
    let mut passed = 0;
    for i in 0u32..1_000_000 {
        let mut p = template.clone();
        let d = p.data_mut();
        d[12..16].copy_from_slice(&(0x0a00_0000 | (i >> 16)).to_be_bytes());
        d[20..22].copy_from_slice(&(i as u16).to_be_bytes());
        rw.push(0, p);
        passed += rw.take(0).len();
    }
    assert_eq!(passed, 1000);
    let h = |n: &str| rw.element.read_handler(n).unwrap();
    assert_eq!(h("size"), "1000");
    assert_eq!(h("mapping_failures"), "999000");
    // Existing flows keep working.
    let mut p = template.clone();
    p.data_mut()[12..16].copy_from_slice(&[10, 0, 0, 0]);
    p.data_mut()[20..22].copy_from_slice(&5u16.to_be_bytes());
    rw.push(0, p);
    assert_eq!(rw.take(0).len(), 1);
}

/// Every prefix of TCP and UDP packets, with the network header anywhere, through every
/// rewriter: nothing panics, whatever the lengths say.
#[test]
fn truncated_packets_are_safe() {
    let frames = [
        ipv4(6, IN, OUT, &tcp(1, 2, 0x12)),
        ipv4(17, IN, OUT, &udp(1, 2)),
        ipv4(6, IN, OUT, &tcp(1, 2, 0x11)),
    ];
    let configs = ["keep 0 1, drop", "pattern 1.0.0.1 1-3# - - 0 1, pass 1"];
    for config in configs {
        let mut ip = Harness::with_inputs(IPRewriter::default(), "rw", config, 2, 2).unwrap();
        let mut tcp_rw = Harness::with_inputs(TCPRewriter::default(), "rw", config, 2, 2).unwrap();
        let mut udp_rw = Harness::with_inputs(UDPRewriter::default(), "rw", config, 2, 2).unwrap();
        let mut addr = Harness::with_inputs(
            IPAddrRewriter::default(),
            "rw",
            "pattern 1.0.0.1-1.0.0.2 - 0 1, keep 1 0",
            2,
            2,
        )
        .unwrap();
        for f in &frames {
            for len in 0..=f.len() {
                for nh in [0, 4, 20, 40] {
                    for port in 0..2 {
                        let mut p = Packet::from_slice(&f[..len]);
                        p.set_network_header(nh);
                        ip.push(port, p.clone());
                        tcp_rw.push(port, p.clone());
                        udp_rw.push(port, p.clone());
                        addr.push(port, p);
                    }
                }
            }
        }
    }
}

/// In a router, the reap timer drops flows whose timeout has passed: a UDP flow 1 s after
/// its packet (no guarantee), reaped by the timer every 2 s.
#[test]
fn the_router_runs_the_reap_timer() {
    use crate::packet::Timestamp;
    let r = crate::build_router(
        "Idle -> rw :: IPRewriter(keep 0 0, UDP_TIMEOUT 1, UDP_GUARANTEE 0, REAP_INTERVAL 2) \
         -> Discard;",
        "r.click",
        &[],
        &crate::Registry::standard(),
    )
    .unwrap();
    let mut p = TestPlatform {
        now: Timestamp { sec: 100, nsec: 0 },
        ..TestPlatform::default()
    };
    r.run_tasks_once(&mut p);
    assert_eq!(r.next_timer(), Some(Timestamp { sec: 102, nsec: 0 }));
    let rw = r.find("rw").unwrap();
    r.push_batch(
        rw,
        0,
        &mut vec![packet(17, IN, OUT, &udp(1, 2), true)],
        &mut p,
    );
    assert_eq!(r.read_handler("rw", "size").unwrap(), "1");
    p.now = Timestamp { sec: 102, nsec: 0 };
    r.run_tasks_once(&mut p);
    assert_eq!(r.read_handler("rw", "size").unwrap(), "0");
    assert_eq!(r.next_timer(), Some(Timestamp { sec: 104, nsec: 0 }));
}
