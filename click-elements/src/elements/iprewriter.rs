//! The rewriters (Click 2.1's IPRewriter, TCPRewriter, UDPRewriter, IPAddrRewriter) and the
//! elements their input specs name (RoundRobinIPMapper, IPRewriterPatterns).
//!
//! One element type, [`Rewriter`], parameterised by the class, holds the input specs, the
//! patterns and a bounded [`FlowTable`]. A packet is first looked up in the table (so replies
//! arriving on a `drop` input are still translated); a flow the table does not know goes to
//! its input's spec, which may map it. Addresses, ports and checksums (IP, TCP, UDP; a zero
//! UDP checksum stays zero) are updated incrementally, with Click's arithmetic.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use crate::action::Verdict;
use crate::args::{parse_bool, parse_seconds, parse_u64, split_words, Args};
use crate::class::{ElementClass, Ports, ProcessingSpec};
use crate::element::{retain_batch, Batch, ConfigureContext, Element, PushContext, TaskContext};
use crate::elements::net::{fmt_ip, header20, header20_mut};
use crate::elements::rwtable::{
    apply_delta, parse_input_spec, parse_mapper_patterns, unparse_spec, Decision, Flow, FlowId,
    FlowKind, FlowTable, InputSpec, Pattern, Timeouts, IP_PROTO_TCP, IP_PROTO_UDP,
};
use crate::packet::Packet;

/// Class of [`IPRewriter`]: TCP and UDP, one table each.
pub const KIND_IP: u8 = 0;
/// Class of [`TCPRewriter`]: TCP only.
pub const KIND_TCP: u8 = 1;
/// Class of [`UDPRewriter`]: TCP, UDP and DCCP in one table.
pub const KIND_UDP: u8 = 2;
/// Class of [`IPAddrRewriter`]: source addresses of any protocol.
pub const KIND_ADDR: u8 = 3;

/// IP protocol number of DCCP.
const IP_PROTO_DCCP: u8 = 33;

/// Flows a rewriter keeps when `MAPPING_CAPACITY` is not given (Click keeps any number):
/// about 400 KiB of table, which an 8 MiB guest affords; never more than the platform's
/// capacity limit.
pub const DEFAULT_MAPPING_CAPACITY: usize = 4096;

/// IP rewriting of TCP and UDP flows (NAPT), with a table per protocol.
pub type IPRewriter = Rewriter<KIND_IP>;
/// IP rewriting of TCP flows.
pub type TCPRewriter = Rewriter<KIND_TCP>;
/// IP rewriting of UDP (and TCP, DCCP) flows in one table.
pub type UDPRewriter = Rewriter<KIND_UDP>;
/// Basic NAT: rewrites source addresses of any protocol, replies by destination address.
pub type IPAddrRewriter = Rewriter<KIND_ADDR>;

/// A rewriter of class `KIND` (see the `KIND_*` constants and the type aliases).
///
/// Arguments: one input spec per input (`drop`, `pass [OUTPUT]`, `keep FOUTPUT ROUTPUT`,
/// `pattern SADDR SPORT DADDR DPORT FOUTPUT ROUTPUT`, `pattern NAME FOUTPUT ROUTPUT`, or the
/// name of a RoundRobinIPMapper); keywords `MAPPING_CAPACITY` (or `CAPACITY`), `GUARANTEE`,
/// `REAP_INTERVAL`, `TIMEOUT`, `DST_ANNO` and per class `TCP_TIMEOUT`, `TCP_NODATA_TIMEOUT`,
/// `TCP_DONE_TIMEOUT`, `TCP_GUARANTEE`, `UDP_TIMEOUT`, `UDP_STREAMING_TIMEOUT`,
/// `UDP_GUARANTEE`. Flows expire on a timer every `REAP_INTERVAL` (15 minutes), as in Click.
pub struct Rewriter<const KIND: u8> {
    specs: Vec<InputSpec>,
    patterns: Vec<Pattern>,
    table: FlowTable,
    dst_anno: bool,
    reap_interval: u64,
    noutputs: usize,
    random: u32,
    last_now: i64,
    drops: u64,
}

impl<const KIND: u8> Default for Rewriter<KIND> {
    fn default() -> Self {
        Rewriter {
            specs: Vec::new(),
            patterns: Vec::new(),
            table: FlowTable::default(),
            dst_anno: true,
            reap_interval: 900_000,
            noutputs: 0,
            random: 0x2545_f491,
            last_now: 0,
            drops: 0,
        }
    }
}

/// Parses a time keyword into whole seconds (Click's `SecondsArg`), in milliseconds.
fn parse_secs_ms(s: &str) -> Result<i64, String> {
    let ns = parse_seconds(s)?;
    i64::try_from(ns.saturating_add(500_000_000) / 1_000_000_000 * 1000)
        .map_err(|_| String::from("out of range"))
}

/// Reads the keywords in order; the last one given wins (Click reads them into one field).
fn read_last(args: &mut Args, keywords: &[&str], default: i64) -> i64 {
    keywords
        .iter()
        .fold(None, |got, kw| args.read_kw(kw, parse_secs_ms).or(got))
        .unwrap_or(default)
}

/// Where the headers of an IP packet are and what a rewriter reads from them.
#[derive(Clone, Copy)]
struct IpHeader {
    nh: usize,
    th: usize,
    tlen: usize,
    proto: u8,
    first_frag: bool,
    src: [u8; 4],
    dst: [u8; 4],
    /// The first two 16-bit words of the transport header (zero when not there).
    ports: [u16; 2],
}

impl IpHeader {
    /// The header at the network-header annotation, if its 20 bytes are there.
    #[inline]
    fn of(p: &Packet) -> Option<IpHeader> {
        let nh = p.network_header_offset()?;
        let d = p.data();
        let h = header20(d, nh)?;
        let th = nh + usize::from(h[0] & 0x0f) * 4;
        let ports = match d.get(th..).and_then(|t| t.first_chunk::<4>()) {
            Some(t) => [
                u16::from_be_bytes([t[0], t[1]]),
                u16::from_be_bytes([t[2], t[3]]),
            ],
            None => [0; 2],
        };
        Some(IpHeader {
            nh,
            th,
            tlen: d.len().saturating_sub(th),
            proto: h[9],
            first_frag: u16::from_be_bytes([h[6], h[7]]) & 0x1fff == 0,
            src: [h[12], h[13], h[14], h[15]],
            dst: [h[16], h[17], h[18], h[19]],
            ports,
        })
    }
}

/// Applies `delta` to the big-endian checksum at `at` of header `h` (a constant offset within
/// the array, so the indexing is checked at compile time once inlined).
#[inline(always)]
fn fix_sum<const N: usize>(h: &mut [u8; N], at: usize, reply: bool, delta: u16) {
    let sum = u16::from_be_bytes([h[at], h[at + 1]]);
    let [hi, lo] = apply_delta(sum, reply, delta).to_be_bytes();
    h[at] = hi;
    h[at + 1] = lo;
}

/// Applies `delta` to the TCP or UDP checksum of transport header `t` (of protocol `proto`)
/// when the header holds it; a zero UDP checksum (none) stays zero.
#[inline(always)]
fn fix_l4_sum(t: &mut [u8], proto: u8, reply: bool, delta: u16) {
    if proto == IP_PROTO_TCP {
        if let Some(t) = t.first_chunk_mut::<18>() {
            fix_sum(t, 16, reply, delta);
        }
    } else if proto == IP_PROTO_UDP {
        if let Some(t) = t.first_chunk_mut::<8>() {
            if t[6..8] != [0, 0] {
                fix_sum(t, 6, reply, delta);
            }
        }
    }
}

/// How a flow's packets are changed (Click's TCPFlow, UDPFlow and IPAddrFlow `apply`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Apply {
    Tcp,
    Udp,
    Addr,
}

impl<const KIND: u8> Rewriter<KIND> {
    /// The table (for tests and handlers).
    pub fn table(&self) -> &FlowTable {
        &self.table
    }

    /// Which map, apply flavour, flow kind and timeouts a packet of `proto` uses.
    fn flavour(proto: u8) -> (u8, Apply, FlowKind, u8) {
        match KIND {
            KIND_IP if proto == IP_PROTO_UDP => (1, Apply::Udp, FlowKind::Udp, 1),
            KIND_IP | KIND_TCP => (0, Apply::Tcp, FlowKind::Tcp, 0),
            KIND_UDP => (0, Apply::Udp, FlowKind::Udp, 0),
            _ => (0, Apply::Addr, FlowKind::Plain, 0),
        }
    }

    /// Whether a packet goes through the table (else only a `pass` input lets it out).
    fn handles(h: &IpHeader) -> bool {
        let proto_ok = match KIND {
            KIND_IP => h.proto == IP_PROTO_TCP || h.proto == IP_PROTO_UDP,
            KIND_TCP => h.proto == IP_PROTO_TCP,
            _ => matches!(h.proto, IP_PROTO_TCP | IP_PROTO_UDP | IP_PROTO_DCCP),
        };
        proto_ok && h.first_frag && h.tlen >= 8
    }

    /// What the input spec of `port` makes of a new flow.
    fn decide(&mut self, port: usize, map: u8, fid: &FlowId) -> Decision {
        let Rewriter {
            specs,
            patterns,
            table,
            random,
            ..
        } = self;
        let Some(spec) = specs.get_mut(port) else {
            return Decision::Drop;
        };
        let decision = match spec {
            InputSpec::Drop => return Decision::Drop,
            InputSpec::NoChange(o) => return Decision::Pass(*o),
            InputSpec::Keep(f, r) => return Decision::Map(*fid, *f, *r),
            InputSpec::Pattern(p, f, r) => patterns[*p]
                .rewrite(fid, table, map, random)
                .map(|rw| Decision::Map(rw, *f, *r)),
            InputSpec::Mapper(list, last) => (0..list.len()).find_map(|_| {
                let (p, f, r) = list[*last];
                *last = (*last + 1) % list.len();
                patterns[p]
                    .rewrite(fid, table, map, random)
                    .map(|rw| Decision::Map(rw, f, r))
            }),
        };
        decision.unwrap_or_else(|| {
            table.fail(port);
            Decision::Drop
        })
    }

    /// Makes the flow of a packet the table does not know, or says where the packet goes.
    fn new_flow(&mut self, port: usize, proto: u8, fid: FlowId, now: i64) -> Result<u32, Verdict> {
        let (map, _, kind, timeouts) = Self::flavour(proto);
        let (rw, fout, rout) = match self.decide(port, map, &fid) {
            Decision::Pass(o) if o < self.noutputs => return Err(Verdict::Out(o)),
            Decision::Pass(_) | Decision::Drop => return Err(Verdict::Drop),
            Decision::Map(rw, f, r) => (rw, f, r),
        };
        if KIND == KIND_ADDR && (rw.sport != 0 || rw.dport != 0 || rw.daddr != [0; 4]) {
            return Err(Verdict::Drop);
        }
        let mut flow = Flow::new(fid, rw, map, port, [fout, rout]);
        flow.kind = kind;
        flow.timeouts = timeouts;
        let t = self.table.timeouts[usize::from(timeouts)];
        let first = if t.guarantee != 0 {
            t.guarantee
        } else {
            t.base
        };
        self.table
            .add(flow, t.guarantee != 0, now + first, now)
            .ok_or(Verdict::Drop)
    }

    /// Sends `p` out of a `pass` input's output, or drops it.
    fn pass_or_drop(&self, port: usize) -> Verdict {
        match self.specs.get(port) {
            Some(InputSpec::NoChange(o)) => Verdict::Out(*o),
            _ => Verdict::Drop,
        }
    }

    /// Decides what becomes of a packet arriving on `port` at `now` (ms), rewriting it.
    #[inline(always)]
    fn process(&mut self, port: usize, p: &mut Packet, now: i64) -> Verdict {
        let Some(h) = IpHeader::of(p) else {
            self.drops += 1;
            return Verdict::Drop;
        };
        let found = if KIND == KIND_ADDR {
            let fwd = FlowId {
                saddr: h.src,
                ..FlowId::default()
            };
            let back = FlowId {
                daddr: h.dst,
                ..FlowId::default()
            };
            match self
                .table
                .lookup(0, &fwd)
                .or_else(|| self.table.lookup(0, &back))
            {
                Some(x) => x,
                None => match self.new_flow(port, h.proto, fwd, now) {
                    Ok(i) => (i, false),
                    Err(v) => return v,
                },
            }
        } else {
            if !Self::handles(&h) {
                return self.pass_or_drop(port);
            }
            let fid = FlowId {
                saddr: h.src,
                sport: h.ports[0],
                daddr: h.dst,
                dport: h.ports[1],
            };
            let (map, ..) = Self::flavour(h.proto);
            match self.table.lookup(map, &fid) {
                Some(x) => x,
                None => match self.new_flow(port, h.proto, fid, now) {
                    Ok(i) => (i, false),
                    Err(v) => return v,
                },
            }
        };
        let (idx, reply) = found;
        let (_, apply, ..) = Self::flavour(h.proto);
        let flow = self.table.flow_mut(idx);
        Self::apply(apply, p, &h, flow, reply, self.dst_anno);
        let out = usize::from(flow.outputs[usize::from(reply)]);
        self.table.refresh(idx, now);
        Verdict::Out(out)
    }

    /// Rewrites `p` for `flow` in direction `reply` and tracks the connection state.
    #[inline]
    fn apply(how: Apply, p: &mut Packet, h: &IpHeader, flow: &mut Flow, reply: bool, anno: bool) {
        let rev = flow.keys[usize::from(!reply)];
        let set_src = how != Apply::Addr || !reply;
        let set_dst = how != Apply::Addr || reply;
        let d = p.data_mut();
        // Not reached without the 20 bytes: `IpHeader::of` found them.
        let Some(ip) = header20_mut(d, h.nh) else {
            return;
        };
        if set_src {
            ip[12..16].copy_from_slice(&rev.daddr);
        }
        if set_dst {
            ip[16..20].copy_from_slice(&rev.saddr);
        }
        fix_sum(ip, 10, reply, flow.ip_delta);
        let ip_len = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
        let ihl = usize::from(ip[0] & 0x0f);
        // The transport header may overlap the IP header (IHL below 5): it is looked at after
        // the IP header's changes, as Click does.
        let t = d.get_mut(h.th..).unwrap_or_default();
        let mut tcp_state = None;
        if h.first_frag {
            let ports = |t: &mut [u8; 4]| {
                t[..2].copy_from_slice(&rev.dport.to_be_bytes());
                t[2..].copy_from_slice(&rev.sport.to_be_bytes());
            };
            match how {
                Apply::Tcp => {
                    if let Some(t) = t.first_chunk_mut::<18>() {
                        if let Some(four) = t.first_chunk_mut::<4>() {
                            ports(four);
                        }
                        fix_sum(t, 16, reply, flow.l4_delta);
                        let payload = (ihl + usize::from(t[12] >> 4)) * 4 < ip_len;
                        tcp_state = Some((t[13], payload));
                    }
                }
                Apply::Udp => {
                    if let Some(four) = t.first_chunk_mut::<4>() {
                        ports(four);
                    }
                    fix_l4_sum(t, h.proto, reply, flow.l4_delta);
                }
                Apply::Addr => fix_l4_sum(t, h.proto, reply, flow.l4_delta),
            }
        }
        match how {
            Apply::Tcp => {
                if let Some((flags, payload)) = tcp_state {
                    flow.track_tcp(reply, flags, payload);
                }
            }
            Apply::Udp if h.first_frag => flow.track_udp(reply),
            _ => {}
        }
        if anno && set_dst {
            p.anno.dst_ip = rev.saddr;
        }
    }
}

/// Click's table text of `map`: both entries of each flow, the relevant output starred;
/// `addresses_only` for IPAddrRewriter. A function of the table rather than a method of
/// `Rewriter<KIND>`: one copy serves every rewriter class.
fn table_text(table: &FlowTable, last_now: i64, map: u8, addresses_only: bool) -> String {
    let mut s = String::new();
    for f in table.iter().filter(|f| f.map == map) {
        let secs = (table.shown_expiry(f) + 500 - last_now) / 1000;
        for dir in [0usize, 1] {
            let (this, other) = (f.keys[dir], f.keys[1 - dir]);
            if addresses_only {
                s.push_str(&format!(
                    "{} => {}",
                    fmt_ip(&this.saddr),
                    fmt_ip(&other.daddr)
                ));
            } else {
                s.push_str(&format!(
                    "{} => {}",
                    this.unparse(),
                    other.reverse().unparse()
                ));
            }
            let (a, b) = if dir == 0 { ("*", "") } else { ("", "*") };
            s.push_str(&format!(
                " [{a}{} {b}{}] i{} exp{secs}\n",
                f.outputs[0], f.outputs[1], f.input
            ));
        }
    }
    s
}

/// The handlers every rewriter has (Click's IPRewriterBase), one copy for every rewriter
/// class.
fn base_handler(
    table: &FlowTable,
    specs: &[InputSpec],
    patterns: &[Pattern],
    drops: u64,
    name: &str,
) -> Option<String> {
    let inputs = &table.inputs;
    Some(match name {
        "table_size" | "nmappings" => {
            format!("{}", inputs.iter().map(|s| s.count).sum::<u32>())
        }
        "mapping_failures" => format!("{}", inputs.iter().map(|s| s.failures).sum::<u32>()),
        "size" => format!("{}", table.size()),
        "capacity" => format!("{}", table.capacity()),
        "drops" => format!("{drops}"),
        "patterns" => specs
            .iter()
            .zip(inputs)
            .map(|(spec, st)| unparse_spec(spec, patterns, st))
            .collect(),
        _ => {
            let i: usize = name.strip_prefix("pattern")?.parse().ok()?;
            unparse_spec(specs.get(i)?, patterns, inputs.get(i)?)
        }
    })
}

impl<const KIND: u8> Element for Rewriter<KIND> {
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        let mut t = [Timeouts::default(); 2];
        // Click reads the class's keywords first, then IPRewriterBase's (GUARANTEE, TIMEOUT
        // where the class did not take it).
        match KIND {
            KIND_IP | KIND_TCP => {
                if KIND == KIND_IP {
                    t[1] = Timeouts {
                        base: read_last(args, &["UDP_TIMEOUT"], 300_000),
                        ..Timeouts::default()
                    };
                    t[1].streaming = read_last(args, &["UDP_STREAMING_TIMEOUT"], t[1].base);
                    t[1].guarantee = read_last(args, &["UDP_GUARANTEE"], 5000);
                }
                t[0].base = read_last(args, &["TCP_NODATA_TIMEOUT"], 300_000);
                t[0].data = read_last(args, &["TIMEOUT", "TCP_TIMEOUT"], 86_400_000);
                t[0].done = read_last(args, &["TCP_DONE_TIMEOUT"], 240_000);
                t[0].guarantee = read_last(args, &["TCP_GUARANTEE", "GUARANTEE"], 5000);
            }
            KIND_UDP => {
                t[0].base = read_last(args, &["UDP_TIMEOUT", "TIMEOUT"], 300_000);
                t[0].streaming = read_last(
                    args,
                    &["UDP_STREAMING_TIMEOUT", "STREAMING_TIMEOUT"],
                    t[0].base,
                );
                t[0].guarantee = read_last(args, &["UDP_GUARANTEE", "GUARANTEE"], 5000);
            }
            _ => {
                t[0].base = read_last(args, &["TIMEOUT"], 7_200_000);
                t[0].guarantee = read_last(args, &["GUARANTEE"], 5000);
            }
        }
        if KIND != KIND_ADDR {
            self.dst_anno = args.read_kw("DST_ANNO", parse_bool).unwrap_or(true);
        }
        let count = |s: &str| {
            parse_u64(s)
                .ok()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| String::from("bad MAPPING_CAPACITY"))
        };
        let capacity = args.read_kw("CAPACITY", count);
        let capacity = args.read_kw("MAPPING_CAPACITY", count).or(capacity);
        let capacity = match capacity {
            Some(n) => ctx.limits.check_capacity("MAPPING_CAPACITY", n)?,
            None => DEFAULT_MAPPING_CAPACITY.min(ctx.limits.capacity),
        };
        let reap = read_last(args, &["REAP_TIME", "REAP_INTERVAL"], 900_000);
        self.reap_interval = u64::try_from(reap).unwrap_or(0);
        let specs = args.take_rest();
        if specs.len() != ctx.ninputs {
            return Err(format!(
                "need {} arguments, one per input port",
                ctx.ninputs
            ));
        }
        self.noutputs = ctx.noutputs;
        self.patterns.clear();
        self.specs = specs
            .iter()
            .enumerate()
            .map(|(i, s)| parse_input_spec(s, i, &mut self.patterns, ctx))
            .collect::<Result<_, _>>()?;
        self.table = FlowTable::new(capacity, ctx.ninputs);
        self.table.timeouts = t;
        Ok(())
    }

    fn push(&mut self, port: usize, mut packet: Packet, ctx: &mut PushContext<'_>) {
        let now = ctx.now().millis();
        self.last_now = now;
        if let Verdict::Out(o) = self.process(port, &mut packet, now) {
            ctx.output(o, packet);
        }
    }

    /// A burst reads the clock once; packets for output 0 stay in the burst, which is handed
    /// on whole.
    fn push_batch(&mut self, port: usize, batch: &mut Batch, ctx: &mut PushContext<'_>) {
        let now = ctx.now().millis();
        self.last_now = now;
        retain_batch(batch, |p| match self.process(port, p, now) {
            Verdict::Out(0) => true,
            Verdict::Out(o) => {
                ctx.output(o, p.clone());
                false
            }
            Verdict::Drop => false,
        });
        ctx.output_batch(0, batch);
    }

    /// Expired flows are reaped every `REAP_INTERVAL` (Click's garbage-collection timer).
    fn timer_start(&self) -> Option<Duration> {
        (self.reap_interval > 0).then(|| Duration::from_millis(self.reap_interval))
    }

    fn run_timer(&mut self, ctx: &mut TaskContext<'_>) -> Option<Duration> {
        let now = ctx.push.now().millis();
        self.last_now = now;
        self.table.shrink(now, false);
        self.timer_start()
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        const BASE: [&str; 7] = [
            "table_size",
            "nmappings",
            "mapping_failures",
            "patterns",
            "size",
            "capacity",
            "drops",
        ];
        const IP: [&str; 11] = [
            "tcp_table",
            "udp_table",
            "tcp_mappings",
            "udp_mappings",
            BASE[0],
            BASE[1],
            BASE[2],
            BASE[3],
            BASE[4],
            BASE[5],
            BASE[6],
        ];
        const OTHER: [&str; 9] = [
            "table", "mappings", BASE[0], BASE[1], BASE[2], BASE[3], BASE[4], BASE[5], BASE[6],
        ];
        if KIND == KIND_IP {
            &IP
        } else {
            &OTHER
        }
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        let text = |map| table_text(&self.table, self.last_now, map, KIND == KIND_ADDR);
        match (KIND, name) {
            (KIND_IP, "tcp_table" | "tcp_mappings") => Some(text(0)),
            (KIND_IP, "udp_table" | "udp_mappings") => Some(text(1)),
            (KIND_IP, "table" | "mappings") => None,
            (_, "table" | "mappings") => Some(text(0)),
            _ => base_handler(&self.table, &self.specs, &self.patterns, self.drops, name),
        }
    }

    fn write_handlers(&self) -> &'static [&'static str] {
        &["capacity", "clear"]
    }

    fn write_handler(&mut self, name: &str, value: &str) -> Result<(), String> {
        match name {
            "capacity" => {
                let n = parse_u64(value.trim())
                    .ok()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| String::from("CAPACITY: expected integer"))?;
                self.table.set_capacity(n, self.last_now)
            }
            "clear" => {
                self.table.shrink(self.last_now, true);
                Ok(())
            }
            _ => Err(format!("no write handler '{name}'")),
        }
    }
}

impl ElementClass for IPRewriter {
    const NAME: &'static str = "IPRewriter";
    const PORTS: Ports = Ports::parse("1-/1-");
    const PROCESSING: ProcessingSpec = ProcessingSpec::PUSH;
    const EXAMPLE: &'static str = "pattern 1.0.0.1 1024-65535# - - 0 1";
}

impl ElementClass for TCPRewriter {
    const NAME: &'static str = "TCPRewriter";
    const PORTS: Ports = Ports::parse("1-/1-");
    const PROCESSING: ProcessingSpec = ProcessingSpec::PUSH;
    const EXAMPLE: &'static str = "pattern 1.0.0.1 1024-65535 - - 0 1, MAPPING_CAPACITY 16";
}

impl ElementClass for UDPRewriter {
    const NAME: &'static str = "UDPRewriter";
    const PORTS: Ports = Ports::parse("1-/1-");
    const PROCESSING: ProcessingSpec = ProcessingSpec::PUSH;
    const EXAMPLE: &'static str = "keep 0 1, UDP_GUARANTEE 0";
}

impl ElementClass for IPAddrRewriter {
    const NAME: &'static str = "IPAddrRewriter";
    const PORTS: Ports = Ports::parse("1-/1-");
    const PROCESSING: ProcessingSpec = ProcessingSpec::PUSH;
    const EXAMPLE: &'static str = "pattern 192.0.2.10-192.0.2.12# - 0 1";
}

/// A mapper for rewriters' input specs: each new flow gets the next of its patterns
/// (`SADDR SPORT DADDR DPORT FOUTPUT ROUTPUT` each). An input spec naming it uses its patterns
/// in turn; each rewriter input keeps its own turn and port counters.
#[derive(Default)]
pub struct RoundRobinIPMapper;

impl ElementClass for RoundRobinIPMapper {
    const NAME: &'static str = "RoundRobinIPMapper";
    const PORTS: Ports = Ports::parse("0/0");
    const EXAMPLE: &'static str = "1.0.0.1 1024-65535# - - 0 1, 1.0.0.2 1024-65535# - - 0 1";
}

impl Element for RoundRobinIPMapper {
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        let config = args.take_rest().join(", ");
        parse_mapper_patterns(&config, &mut Vec::new(), ctx, None).map(drop)
    }
}

/// Named patterns (`NAME SADDR SPORT DADDR DPORT` each) for rewriters' `pattern NAME FOUTPUT
/// ROUTPUT` input specs.
#[derive(Default)]
pub struct IPRewriterPatterns;

impl ElementClass for IPRewriterPatterns {
    const NAME: &'static str = "IPRewriterPatterns";
    const PORTS: Ports = Ports::parse("0/0");
    const EXAMPLE: &'static str = "to_world 1.0.0.1 1024-65535# - -";
}

impl Element for IPRewriterPatterns {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        for arg in args.take_rest() {
            let words = split_words(&arg);
            if words.len() < 3 {
                return Err(format!("'{arg}': expected NAME PATTERN"));
            }
            Pattern::parse(&words[1..]).map_err(|e| format!("pattern {}: {e}", words[0]))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
