//! Test support for elements: a platform that records what elements print, a harness that
//! configures one element and pushes packets through it, and builders for the packets of the
//! conformance cases (`shared/conformance/*/in.txt`).

use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use crate::args::Args;
use crate::element::{Batch, ConfigureContext, Element, Platform, Processing, PushContext};
use crate::elements::net::in_cksum;
use crate::packet::{Packet, PacketPool, Timestamp};

/// A platform without devices whose clock is set by the test and which records every line.
#[derive(Default)]
pub struct TestPlatform {
    /// Lines printed with `chatter` (stderr).
    pub chatter: Vec<String>,
    /// Lines printed with `print` (stdout).
    pub printed: Vec<String>,
    /// What `now` returns.
    pub now: Timestamp,
}

impl Platform for TestPlatform {
    fn chatter(&mut self, line: &str) {
        self.chatter.push(line.to_string());
    }
    fn print(&mut self, line: &str) {
        self.printed.push(line.to_string());
    }
    fn now(&self) -> Timestamp {
        self.now
    }
    fn device(&mut self, _n: usize) -> Option<&mut dyn crate::device::NetDevice> {
        None
    }
}

/// Configures `element` from `config` as if it had `ninputs` push inputs and `noutputs` push
/// outputs, including Click's leftover-argument checks and `initialize`.
pub fn configure(
    element: &mut dyn Element,
    name: &str,
    config: &str,
    ninputs: usize,
    noutputs: usize,
) -> Result<(), String> {
    let inputs = vec![Processing::Push; ninputs];
    let outputs = vec![Processing::Push; noutputs];
    let pool = PacketPool::default();
    let ctx = ConfigureContext {
        name,
        ninputs,
        noutputs,
        input_processing: &inputs,
        output_processing: &outputs,
        pool: &pool,
        limits: &crate::Limits::HOST,
        peers: &[],
    };
    let mut args = Args::parse(config);
    element.configure(&mut args, &ctx).and(args.finish())?;
    element.initialize()
}

/// One configured element with its output batches and a recording platform.
pub struct Harness<E: Element> {
    /// The element under test.
    pub element: E,
    /// What the element emitted, per output port.
    pub outputs: Vec<Batch>,
    /// The platform (chatter lines, clock).
    pub platform: TestPlatform,
    /// The element's name.
    pub name: String,
}

impl<E: Element> Harness<E> {
    /// Configures `element` (named `name`) with `config`, one input and `noutputs` outputs.
    pub fn new(element: E, name: &str, config: &str, noutputs: usize) -> Result<Self, String> {
        Harness::with_inputs(element, name, config, 1, noutputs)
    }

    /// As [`Harness::new`] with `ninputs` inputs.
    pub fn with_inputs(
        mut element: E,
        name: &str,
        config: &str,
        ninputs: usize,
        noutputs: usize,
    ) -> Result<Self, String> {
        configure(&mut element, name, config, ninputs, noutputs)?;
        Ok(Harness {
            element,
            outputs: (0..noutputs).map(|_| Batch::new()).collect(),
            platform: TestPlatform {
                now: Timestamp {
                    sec: 1_800_000_000,
                    nsec: 0,
                },
                ..TestPlatform::default()
            },
            name: name.to_string(),
        })
    }

    /// Pushes one packet into input `port`.
    pub fn push(&mut self, port: usize, packet: Packet) {
        let mut ctx = PushContext::new(&mut self.outputs, &mut self.platform, &self.name);
        self.element.push(port, packet, &mut ctx);
    }

    /// Pushes a burst into input `port` through `push_batch`.
    pub fn push_batch(&mut self, port: usize, packets: Vec<Packet>) {
        let mut batch = packets;
        let mut ctx = PushContext::new(&mut self.outputs, &mut self.platform, &self.name);
        self.element.push_batch(port, &mut batch, &mut ctx);
    }

    /// Takes the packets emitted on output `port` so far.
    pub fn take(&mut self, port: usize) -> Vec<Packet> {
        core::mem::take(&mut self.outputs[port])
    }

    /// Pushes `packet` into input 0 and returns the output port it came out of, with the
    /// packet; `None` when it was dropped. Panics if it came out of several ports.
    pub fn route(&mut self, packet: Packet) -> Option<(usize, Packet)> {
        self.push(0, packet);
        let mut got = None;
        for port in 0..self.outputs.len() {
            for p in self.take(port) {
                assert!(got.is_none(), "more than one packet came out");
                got = Some((port, p));
            }
        }
        got
    }
}

/// Parses hex text (spaces ignored) into bytes.
pub fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s
        .bytes()
        .filter(|c| !c.is_ascii_whitespace())
        .map(|c| (c as char).to_digit(16).expect("hex digit") as u8)
        .collect();
    digits.chunks(2).map(|p| p[0] << 4 | p[1]).collect()
}

/// The test network's addresses (those of the conformance cases).
pub const CLIENT_MAC: [u8; 6] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
/// The responder's Ethernet address.
pub const SERVER_MAC: [u8; 6] = [0x00, 0x15, 0x17, 0x15, 0x5d, 0x75];
/// The client's IP address.
pub const CLIENT_IP: [u8; 4] = [10, 10, 0, 1];
/// The responder's IP address.
pub const SERVER_IP: [u8; 4] = [10, 10, 0, 3];

/// An Ethernet frame `dst src type payload`, padded with zeros to `pad_to` bytes.
pub fn ether(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8], pad_to: usize) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    if f.len() < pad_to {
        f.resize(pad_to, 0);
    }
    f
}

/// An ARP packet body (28 bytes) for Ethernet/IPv4.
pub fn arp_body(op: u16, sha: [u8; 6], spa: [u8; 4], tha: [u8; 6], tpa: [u8; 4]) -> Vec<u8> {
    let mut b = vec![0, 1, 8, 0, 6, 4];
    b.extend_from_slice(&op.to_be_bytes());
    b.extend_from_slice(&sha);
    b.extend_from_slice(&spa);
    b.extend_from_slice(&tha);
    b.extend_from_slice(&tpa);
    b
}

/// `arp_req_sip`: who-has 10.10.0.3 tell 10.10.0.1, broadcast, padded to 60 bytes.
pub fn arp_request(tpa: [u8; 4]) -> Vec<u8> {
    ether(
        [0xff; 6],
        CLIENT_MAC,
        0x0806,
        &arp_body(1, CLIENT_MAC, CLIENT_IP, [0; 6], tpa),
        60,
    )
}

/// An IPv4 header (20 bytes plus `options`) with a correct checksum.
pub fn ip_header(proto: u8, total_len: u16, src: [u8; 4], dst: [u8; 4], options: &[u8]) -> Vec<u8> {
    let ihl = 5 + options.len() / 4;
    let mut h = vec![0x40 | ihl as u8, 0];
    h.extend_from_slice(&total_len.to_be_bytes());
    h.extend_from_slice(&[0x04, 0xd2, 0, 0, 64, proto, 0, 0]);
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    h.extend_from_slice(options);
    let sum = in_cksum(&h);
    h[10..12].copy_from_slice(&sum.to_be_bytes());
    h
}

/// An ICMP message `type code id seq payload` with a correct checksum.
pub fn icmp(icmp_type: u8, code: u8, id: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut m = vec![icmp_type, code, 0, 0];
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(payload);
    let sum = in_cksum(&m);
    m[2..4].copy_from_slice(&sum.to_be_bytes());
    m
}

/// An IPv4 packet (no Ethernet header) carrying `l4` with protocol `proto`.
pub fn ipv4(proto: u8, src: [u8; 4], dst: [u8; 4], l4: &[u8]) -> Vec<u8> {
    let mut p = ip_header(proto, (20 + l4.len()) as u16, src, dst, &[]);
    p.extend_from_slice(l4);
    p
}

/// `icmp_echo`: an echo request 10.10.0.1 -> 10.10.0.3 with an 18-byte payload, 60 bytes.
pub fn icmp_echo() -> Vec<u8> {
    let payload: Vec<u8> = (0..18u8).map(|i| i.wrapping_mul(7)).collect();
    let ip = ipv4(1, CLIENT_IP, SERVER_IP, &icmp(8, 0, 0x1234, 1, &payload));
    ether(SERVER_MAC, CLIENT_MAC, 0x0800, &ip, 60)
}

/// Inserts an 802.1Q tag with `tci` (TPID `tpid`) after the MAC addresses of `frame`.
pub fn tagged(frame: &[u8], tpid: u16, tci: u16) -> Vec<u8> {
    let mut f = frame[..12].to_vec();
    f.extend_from_slice(&tpid.to_be_bytes());
    f.extend_from_slice(&tci.to_be_bytes());
    f.extend_from_slice(&frame[12..]);
    f
}

/// A packet over `bytes` with no headroom or tailroom, as FromDump makes them (MAC header
/// annotated at offset 0).
pub fn dump_packet(bytes: &[u8]) -> Packet {
    let mut p = Packet::with_room(0, bytes, 0);
    p.set_mac_header(0);
    p
}

/// The records of a classic pcap file (either byte order, micro- or nanosecond magic).
pub fn pcap_records(file: &[u8]) -> Vec<Vec<u8>> {
    let little = match file[..4] {
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => true,
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => false,
        _ => panic!("not a pcap file"),
    };
    let mut records = Vec::new();
    let mut off = 24;
    while off < file.len() {
        let len: [u8; 4] = file[off + 8..off + 12].try_into().unwrap();
        let caplen = if little {
            u32::from_le_bytes(len)
        } else {
            u32::from_be_bytes(len)
        } as usize;
        records.push(file[off + 16..off + 16 + caplen].to_vec());
        off += 16 + caplen;
    }
    records
}

/// Moves the lines `platform` printed to the end of `lines`.
pub fn drain_chatter(platform: &mut TestPlatform, lines: &mut Vec<String>) {
    lines.append(&mut platform.chatter);
}

/// Pull input that hands out the packets it was given, one per pull.
struct FeedInputs(Vec<Packet>);

impl crate::element::PullInputs for FeedInputs {
    fn pull(&mut self, _port: usize, _platform: &mut dyn Platform) -> Option<Packet> {
        self.0.pop()
    }
}

/// The frames of the robustness test: an echo request and its bad twins (checksum, IHL 0 and
/// 15), a UDP packet with every kind of IP option the option walkers handle, ARP request and
/// reply, single and double VLAN tags, and 0xff garbage.
fn hostile_frames() -> Vec<Vec<u8>> {
    let echo = icmp_echo();
    let mut bad_sum = echo.clone();
    bad_sum[24] ^= 0xff;
    let mut ihl0 = echo.clone();
    ihl0[14] = 0x40;
    let mut ihl15 = echo.clone();
    ihl15[14] = 0x4f;
    let arp = arp_request(SERVER_IP);
    let mut arp_reply = arp.clone();
    arp_reply[21] = 2;
    // Router Alert, LSRR, Record Route, Timestamp, NOP, EOL.
    let options = [
        0x94, 4, 0, 0, 131, 7, 8, 1, 2, 3, 4, 7, 7, 4, 0, 0, 0, 0, 68, 8, 5, 0x31, 0, 0, 0, 0, 1, 0,
    ];
    let mut with_options = ip_header(17, 64, CLIENT_IP, SERVER_IP, &options);
    with_options.resize(64, 0x5a);
    vec![
        ether(SERVER_MAC, CLIENT_MAC, 0x0800, &with_options, 0),
        echo.clone(),
        bad_sum,
        ihl0,
        ihl15,
        arp.clone(),
        arp_reply,
        tagged(&echo, 0x8100, 0x602a),
        tagged(&tagged(&echo, 0x8100, 42), 0x88a8, 300),
        tagged(&arp, 0x8100, 100),
        vec![0xff; 70],
    ]
}

/// Every prefix of every hostile frame, with and without header annotations and odd
/// annotations, as FromDump and as a device would make them.
fn hostile_packets() -> Vec<Packet> {
    let mut packets = Vec::new();
    for frame in hostile_frames() {
        for len in 0..=frame.len() {
            for nh in [None, Some(0), Some(14), Some(18), Some(40), Some(100)] {
                let mut p = if len % 2 == 0 {
                    dump_packet(&frame[..len])
                } else {
                    Packet::from_slice(&frame[..len])
                };
                if let Some(nh) = nh {
                    p.set_network_header(nh);
                }
                p.anno.dst_ip = [10, 10, 0, (len % 4) as u8 * 85];
                p.anno.vlan_tci = (len as u16) << 4;
                p.anno.paint = len as u8;
                p.anno.param_off = (len * 7) as u8;
                p.anno.fix_ip_src = len % 3 == 0;
                packets.push(p);
            }
        }
    }
    packets
}

/// A configuration for `info`'s class: its declared example, with files where the class
/// needs one (FromDump reads a vendored trace, ToDump writes to a scratch file).
#[cfg(feature = "std")]
fn example_config(info: &crate::class::ClassInfo) -> String {
    match info.name {
        "FromDump" => alloc::format!(
            "{}/../tests/data/conformance/checkipheader/in.pcap",
            env!("CARGO_MANIFEST_DIR")
        ),
        "ToDump" => std::env::temp_dir()
            .join(alloc::format!(
                "clickos-robustness-{}.pcap",
                std::process::id()
            ))
            .display()
            .to_string(),
        _ => info.example.to_string(),
    }
}

#[cfg(not(feature = "std"))]
fn example_config(info: &crate::class::ClassInfo) -> String {
    info.example.to_string()
}

/// Every registered class, configured with its example (and a few variants), is fed every
/// prefix of a set of hostile frames through `push`, `push_batch` and `pull`, with and
/// without header annotations: nothing panics, and every read handler answers.
#[test]
fn no_element_panics_on_any_packet() {
    use crate::element::PullContext;
    // Variants beyond the declared examples: configurations that take other code paths.
    let variants = [
        ("VLANEncap", "VLAN_ID 0"),
        ("VLANEncap", "ANNO"),
        ("CheckIPHeader", "OFFSET 70000"),
        ("HashSwitch", "34, 4"),
        ("Switch", "-1"),
        ("PaintSwitch", "ANNO 20"),
        ("SetTCPChecksum", ""),
        ("IPPrint", "PAYLOAD HEX, MAXLENGTH -1, SWAP false"),
        (
            "IPPrint",
            "CONTENTS ASCII, ID true, TTL true, AGGREGATE true, PAINT true",
        ),
        ("GetIPAddress", "IP src"),
        ("GetIPAddress", "70000"),
        ("IPEncap", "gre, 1.2.3.4, DST_ANNO"),
        ("UDPIPEncap", "1.2.3.4, 1, DST_ANNO, 2, false"),
        ("MarkMACHeader", "OFFSET 100, LENGTH 4"),
        ("MarkIPHeader", "OFFSET 100"),
        ("DecIPTTL", ""),
        ("ICMPError", "10.0.0.1, parameterproblem"),
        ("ICMPError", "10.0.0.1, redirect, MTU 30"),
        ("IPFragmenter", "24"),
        ("IPFragmenter", "8, HONOR_DF false"),
        ("HostEtherFilter", "0:0:c0:0:0:1, DROP_OWN true, OFFSET 4"),
        ("IPRewriter", "pass 1"),
        (
            "IPRewriter",
            "keep 0 1, MAPPING_CAPACITY 1, UDP_GUARANTEE 0",
        ),
        (
            "UDPRewriter",
            "pattern 1.0.0.1 1-2# - - 0 1, MAPPING_CAPACITY 1",
        ),
        (
            "IPAddrRewriter",
            "pattern 10.1.0.0/30 - 0 1, MAPPING_CAPACITY 0",
        ),
    ];
    let registry = crate::Registry::standard();
    let mut runs: Vec<(crate::class::ClassInfo, String)> = registry
        .classes()
        .map(|info| (*info, example_config(info)))
        .collect();
    for (class, config) in variants {
        let info = registry.class(class).expect(class);
        runs.push((*info, config.to_string()));
    }
    let packets = hostile_packets();
    assert!(packets.len() > 3000, "{} packets", packets.len());
    assert!(runs.len() >= registry.class_names().count());
    for (info, config) in runs {
        let class = info.name;
        let (ninputs, noutputs) = info.ports.resolve(1, 4);
        let mut element = (info.make)();
        configure(element.as_mut(), class, &config, ninputs, noutputs)
            .unwrap_or_else(|e| panic!("{class}({config}): {e}"));
        let mut outputs: Vec<Batch> = (0..noutputs).map(|_| Batch::new()).collect();
        let mut platform = TestPlatform::default();
        for port in 0..ninputs {
            for p in &packets {
                let mut ctx = PushContext::new(&mut outputs, &mut platform, class);
                element.push(port, p.clone(), &mut ctx);
            }
            for burst in packets.chunks(32) {
                let mut batch: Batch = burst.to_vec();
                let mut ctx = PushContext::new(&mut outputs, &mut platform, class);
                element.push_batch(port, &mut batch, &mut ctx);
            }
            outputs.iter_mut().for_each(Vec::clear);
        }
        for port in 0..noutputs {
            let mut inputs = FeedInputs(packets.clone());
            for _ in 0..packets.len() + 1 {
                let mut ctx = PullContext::new(&mut inputs, &mut platform, class);
                drop(element.pull(port, &mut ctx));
            }
        }
        for name in element.read_handlers() {
            assert!(element.read_handler(name).is_some(), "{class}.{name}");
        }
    }
}
