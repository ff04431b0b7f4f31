//! IPv4 elements: CheckIPHeader validates and annotates IP headers, ICMPPingResponder turns
//! echo requests into echo replies.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::action::counter_handler;
use crate::args::{parse_bool, parse_ip, parse_ip_prefix, parse_u64, split_words, Args};
use crate::class::{ElementClass, Ports, ProcessingSpec};
use crate::element::{retain_batch, Batch, ConfigureContext, Element, PullContext, PushContext};
use crate::elements::dropstats::DropStats;
use crate::elements::net::{be16, bytes4, header20_cksum_ok, in_cksum, update_cksum};
use crate::packet::{Packet, Timestamp};

/// Why CheckIPHeader rejected a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reason {
    Tiny,
    BadVersion,
    BadHeaderLength,
    BadLength,
    BadChecksum,
    BadSource,
}

/// All reasons, in the order of Click's `drop_details` handler.
const REASONS: [Reason; 6] = [
    Reason::Tiny,
    Reason::BadVersion,
    Reason::BadHeaderLength,
    Reason::BadLength,
    Reason::BadChecksum,
    Reason::BadSource,
];

impl Reason {
    /// Click's text for the reason.
    fn text(self) -> &'static str {
        match self {
            Reason::Tiny => "tiny packet",
            Reason::BadVersion => "bad IP version",
            Reason::BadHeaderLength => "bad IP header length",
            Reason::BadLength => "bad IP length",
            Reason::BadChecksum => "bad IP checksum",
            Reason::BadSource => "bad source address",
        }
    }
}

/// Parses a space-separated list of IP addresses.
pub(crate) fn parse_ip_list(s: &str) -> Result<Vec<[u8; 4]>, String> {
    split_words(s).into_iter().map(parse_ip).collect()
}

/// A list of IPv4 addresses.
type AddrList = Vec<[u8; 4]>;

/// Parses `INTERFACES`: prefixes `ADDR/MASK ...`; gives (bad sources, good destinations).
fn parse_interfaces(s: &str) -> Result<(AddrList, AddrList), String> {
    let mut bad = Vec::new();
    let mut good = Vec::new();
    for word in split_words(s) {
        let (addr, mask) = parse_ip_prefix(word)?;
        let a = u32::from_be_bytes(addr);
        let m = u32::from_be_bytes(mask);
        bad.push(((a & m) | !m).to_be_bytes());
        good.push(addr);
    }
    bad.push([0; 4]);
    bad.push([255; 4]);
    Ok((bad, good))
}

/// The first positional argument: a lone OFFSET, or the old-style BADSRC list.
enum FirstArg {
    Offset(usize),
    BadSrc(Vec<[u8; 4]>),
}

/// Parses an offset into the packet.
pub(crate) fn parse_offset(s: &str) -> Result<usize, String> {
    usize::try_from(parse_u64(s)?).map_err(|_| String::from("out of range"))
}

/// Checks the IPv4 header at `OFFSET` (`tiny packet`, version, header length, total length,
/// checksum, source address, in that order). Good packets are trimmed to the IP length and get
/// the network-header and destination-IP annotations; bad ones go to output 1 if there is one.
/// The first failure (every one with `VERBOSE true`) is reported as
/// `NAME: IP header check failed: REASON`.
///
/// Keywords: `OFFSET`, `VERBOSE`, `DETAILS` (per-reason counts in `drop_details`), `CHECKSUM`,
/// `BADSRC`, `GOODDST`, `INTERFACES`; a lone positional integer is OFFSET, otherwise the
/// positionals are the old `BADSRC` list and OFFSET.
pub struct CheckIPHeader {
    offset: usize,
    bad_src: Vec<[u8; 4]>,
    good_dst: Vec<[u8; 4]>,
    checksum: bool,
    stats: DropStats<6>,
    has_reject_output: bool,
    /// The element's name, for messages printed while pulling.
    name: String,
}

impl Default for CheckIPHeader {
    fn default() -> Self {
        CheckIPHeader {
            offset: 0,
            bad_src: Vec::new(),
            good_dst: Vec::new(),
            checksum: true,
            stats: DropStats::default(),
            has_reject_output: false,
            name: String::new(),
        }
    }
}

impl CheckIPHeader {
    /// The common case on a fixed-size array: a valid 20-byte header without options, no
    /// source address list. Gives the IP total length and destination address, or `None` to
    /// let [`CheckIPHeader::check`] decide.
    #[inline(always)]
    fn check_fast(&self, data: &[u8]) -> Option<(usize, [u8; 4])> {
        let ip = data.get(self.offset..)?;
        let h = ip.first_chunk::<20>()?;
        let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
        let valid = h[0] == 0x45
            && self.bad_src.is_empty()
            && len <= ip.len()
            && len >= 20
            && (!self.checksum || header20_cksum_ok(h));
        valid.then(|| (len, [h[16], h[17], h[18], h[19]]))
    }

    /// Validates `data`; on success returns the IP total length and destination address.
    #[inline(never)]
    fn check(&self, data: &[u8]) -> Result<(usize, [u8; 4]), Reason> {
        let ip = data.get(self.offset..).unwrap_or(&[]);
        let plen = ip.len();
        let (Some(&vhl), Some(len), Some(src), Some(dst)) =
            (ip.first(), be16(ip, 2), bytes4(ip, 12), bytes4(ip, 16))
        else {
            return Err(Reason::Tiny);
        };
        if vhl >> 4 != 4 {
            return Err(Reason::BadVersion);
        }
        let hlen = usize::from(vhl & 0x0f) * 4;
        if hlen < 20 {
            return Err(Reason::BadHeaderLength);
        }
        let len = usize::from(len);
        if len > plen || len < hlen {
            return Err(Reason::BadLength);
        }
        if self.checksum && in_cksum(&ip[..hlen]) != 0 {
            return Err(Reason::BadChecksum);
        }
        if self.bad_src.contains(&src) && !self.good_dst.contains(&dst) {
            return Err(Reason::BadSource);
        }
        Ok((len, dst))
    }

    /// Checks a packet in place: `Ok` to go on; `Err` to reject, with the reason to report
    /// (the first failure, every one with `VERBOSE`) or `None` (already counted).
    #[inline(always)]
    fn action(&mut self, p: &mut Packet) -> Result<(), Option<Reason>> {
        let checked = match self.check_fast(p.data()) {
            Some(ok) => Ok(ok),
            None => self.check(p.data()),
        };
        match checked {
            Ok((len, dst)) => {
                p.set_network_header(self.offset);
                p.truncate(self.offset + len);
                p.anno.dst_ip = dst;
                Ok(())
            }
            Err(reason) => Err(self.reject(reason)),
        }
    }

    #[cold]
    fn reject(&mut self, reason: Reason) -> Option<Reason> {
        let index = REASONS.iter().position(|&r| r == reason).unwrap_or(0);
        self.stats.reject(index).then_some(reason)
    }
}

/// Prints CheckIPHeader's message for `reason`.
#[cold]
fn report_failure(platform: &mut dyn crate::element::Platform, name: &str, reason: Reason) {
    platform.chatter(&format!(
        "{name}: IP header check failed: {}",
        reason.text()
    ));
}

impl ElementClass for CheckIPHeader {
    const NAME: &'static str = "CheckIPHeader";
    const PORTS: Ports = Ports::parse("1/1-2");
    const PROCESSING: ProcessingSpec = ProcessingSpec::parse("a/ah");
    const EXAMPLE: &'static str = "14, VERBOSE true, DETAILS true";
}

impl Element for CheckIPHeader {
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        let interfaces = args.read_kw("INTERFACES", parse_interfaces);
        let bad_src = args.read_kw("BADSRC", parse_ip_list);
        let good_dst = args.read_kw("GOODDST", parse_ip_list);
        let mut offset = args.read_kw("OFFSET", parse_offset);
        self.stats.configure(args);
        self.checksum = args.read_kw("CHECKSUM", parse_bool).unwrap_or(true);
        let (mut bad, mut good) = interfaces.unwrap_or_default();
        if let Some(b) = bad_src {
            bad = b;
        }
        if let Some(g) = good_dst {
            good = g;
        }
        let first = args.read_p("BADSRC", |s| match parse_offset(s) {
            Ok(n) => Ok(FirstArg::Offset(n)),
            Err(_) => parse_ip_list(s).map(FirstArg::BadSrc),
        });
        match first {
            Some(FirstArg::Offset(n)) => offset = Some(n),
            Some(FirstArg::BadSrc(mut list)) => {
                list.push([0; 4]);
                list.push([255; 4]);
                bad = list;
                if let Some(n) = args.read_p("OFFSET", parse_offset) {
                    offset = Some(n);
                }
            }
            None => {}
        }
        self.offset = offset.unwrap_or(0);
        self.bad_src = bad;
        self.good_dst = good;
        self.has_reject_output = ctx.noutputs == 2;
        self.name = String::from(ctx.name);
        Ok(())
    }

    fn push(&mut self, _port: usize, mut packet: Packet, ctx: &mut PushContext<'_>) {
        match self.action(&mut packet) {
            Ok(()) => ctx.output(0, packet),
            Err(report) => {
                if let Some(reason) = report {
                    let name = ctx.element_name();
                    report_failure(ctx.platform(), name, reason);
                }
                if self.has_reject_output {
                    ctx.output(1, packet);
                }
            }
        }
    }

    fn push_batch(&mut self, port: usize, batch: &mut Batch, ctx: &mut PushContext<'_>) {
        if self.has_reject_output {
            for packet in batch.drain(..) {
                self.push(port, packet, ctx);
            }
            return;
        }
        let name = ctx.element_name();
        retain_batch(batch, |p| match self.action(p) {
            Ok(()) => true,
            Err(report) => {
                if let Some(reason) = report {
                    report_failure(ctx.platform(), name, reason);
                }
                false
            }
        });
        ctx.output_batch(0, batch);
    }

    /// Pulls through output 0; a rejected packet is dropped (output 1 is push-only and cannot
    /// be fed from a pull).
    fn pull(&mut self, _port: usize, ctx: &mut PullContext<'_>) -> Option<Packet> {
        let mut p = ctx.pull(0)?;
        match self.action(&mut p) {
            Ok(()) => Some(p),
            Err(report) => {
                if let Some(reason) = report {
                    report_failure(ctx.platform(), &self.name, reason);
                }
                None
            }
        }
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        self.stats.read_handlers()
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        self.stats.read_handler(name, &REASONS.map(Reason::text))
    }
}

/// What ICMPPingResponder does with a packet.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Turned into an echo reply.
    Reply,
    /// Not an echo request: to output 1.
    Other,
    /// Unusable (no IP-header annotation): dropped and counted.
    Drop,
}

/// Answers ICMP echo requests in place: swaps the IP addresses, sets TTL 255 and clears the
/// fragment field, makes the ICMP type 0 code 0, and updates both checksums incrementally
/// (RFC 1624), so a wrong ICMP checksum stays wrong by the same amount. The Ethernet header is
/// left alone. Needs the network-header annotation (CheckIPHeader sets it); packets without it
/// are dropped and counted in `drops` (Click dereferences a null header). Non-echo packets and
/// ICMP shorter than 8 bytes go to output 1, or are dropped if there is none.
#[derive(Default)]
pub struct ICMPPingResponder {
    has_other_output: bool,
    drops: u64,
}

impl ICMPPingResponder {
    #[inline(always)]
    fn action(&mut self, p: &mut Packet, now: Timestamp) -> Verdict {
        let Some(nh) = p.network_header_offset() else {
            self.drops += 1;
            return Verdict::Drop;
        };
        // Fast path: the reply headers are computed from the bytes as they are (the buffer may
        // still be shared) and written with one store after the lazy copy, so nothing is read
        // back from the fresh copy.
        let fast = p
            .data()
            .get(nh..)
            .and_then(|ip| ip.first_chunk::<28>())
            .and_then(echo_reply_fast);
        if let Some(reply) = fast {
            if let Some(h) = p
                .data_mut()
                .get_mut(nh..)
                .and_then(|ip| ip.first_chunk_mut::<24>())
            {
                *h = reply;
            }
            p.anno.dst_ip.copy_from_slice(&reply[16..20]);
            p.anno.timestamp = now;
            p.anno.paint = 0;
            return Verdict::Reply;
        }
        self.action_general(p, nh, now)
    }

    /// [`ICMPPingResponder::action`] for IP options, short packets, non-echo packets and
    /// replies whose checksum becomes zero.
    #[cold]
    #[inline(never)]
    fn action_general(&mut self, p: &mut Packet, nh: usize, now: Timestamp) -> Verdict {
        let data = p.data();
        let Some(&vhl) = data.get(nh) else {
            self.drops += 1;
            return Verdict::Drop;
        };
        let th = nh + usize::from(vhl & 0x0f) * 4;
        let is_echo = data.len() >= th + 8 && data.get(nh + 9) == Some(&1) && data[th] == 8;
        if !is_echo {
            return Verdict::Other;
        }
        if data.len() < nh + 20 {
            // An echo request behind a header shorter than 20 bytes: Click would write past it.
            self.drops += 1;
            return Verdict::Drop;
        }
        p.anno.dst_ip = reply_general(p.data_mut(), nh, th);
        p.anno.timestamp = now;
        p.anno.paint = 0;
        Verdict::Reply
    }
}

/// The echo reply for an IP header without options followed by an ICMP echo request (`h`:
/// the 20-byte IP header and the first 8 ICMP bytes): the 24 bytes that replace the IP header
/// and the ICMP type, code and checksum. Addresses swapped, fragment field cleared, TTL 255,
/// type and code 0, both checksums updated incrementally (RFC 1624) as Click does. `None` for
/// anything else, or when the ICMP checksum would become zero (see [`reply_general`]).
#[inline]
fn echo_reply_fast(h: &[u8; 28]) -> Option<[u8; 24]> {
    if h[0] & 0x0f != 5 || h[9] != 1 || h[20] != 8 {
        return None;
    }
    // One's-complement sums do not depend on byte order: the words are summed as they lie in
    // memory and stored back the same way.
    let not_word = |i: usize| u32::from(!u16::from_ne_bytes([h[i], h[i + 1]]));
    // ~(~HC + ~m + m') for the fragment word (to 0) and the TTL/protocol word (TTL to 255).
    let ttl_proto = u32::from(u16::from_ne_bytes([255, h[9]]));
    let ip_sum = fold_complement(not_word(10) + not_word(6) + not_word(8) + ttl_proto);
    // The ICMP type/code word becomes 0.
    let icmp_sum = fold_complement(not_word(22) + not_word(20));
    if icmp_sum == 0 {
        return None;
    }
    let mut r = [0u8; 24];
    r[..6].copy_from_slice(&h[..6]);
    r[8..10].copy_from_slice(&[255, 1]);
    r[10..12].copy_from_slice(&ip_sum.to_ne_bytes());
    r[12..16].copy_from_slice(&h[16..20]);
    r[16..20].copy_from_slice(&h[12..16]);
    r[22..24].copy_from_slice(&icmp_sum.to_ne_bytes());
    Some(r)
}

/// `!` of the one's-complement fold of `sum` (at most four 16-bit terms) to 16 bits.
#[inline]
fn fold_complement(sum: u32) -> u16 {
    let s = (sum & 0xffff) + (sum >> 16);
    !((s + (s >> 16)) as u16)
}

/// Turns the echo request into a reply for any header layout; returns the new destination.
fn reply_general(d: &mut [u8], nh: usize, th: usize) -> [u8; 4] {
    let ip = &mut d[nh..];
    let (src, dst) = ip[12..20].split_at_mut(4);
    src.swap_with_slice(dst);
    let mut sum = u16::from_be_bytes([ip[10], ip[11]]);
    sum = update_cksum(sum, u16::from_be_bytes([ip[6], ip[7]]), 0);
    ip[6] = 0;
    ip[7] = 0;
    let old = u16::from_be_bytes([ip[8], ip[9]]);
    ip[8] = 255;
    sum = update_cksum(sum, old, u16::from_be_bytes([ip[8], ip[9]]));
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    let new_dst = [ip[16], ip[17], ip[18], ip[19]];
    let icmp = &mut d[th..];
    let old = u16::from_be_bytes([icmp[0], icmp[1]]);
    icmp[0] = 0;
    icmp[1] = 0;
    let mut csum = update_cksum(u16::from_be_bytes([icmp[2], icmp[3]]), old, 0);
    if csum == 0 {
        icmp[2] = 0;
        icmp[3] = 0;
        if icmp.iter().all(|&b| b == 0) {
            csum = 0xffff;
        }
    }
    icmp[2..4].copy_from_slice(&csum.to_be_bytes());
    new_dst
}

impl ElementClass for ICMPPingResponder {
    const NAME: &'static str = "ICMPPingResponder";
    const PORTS: Ports = Ports::parse("1/1-2");
    const PROCESSING: ProcessingSpec = ProcessingSpec::parse("a/ah");
}

impl Element for ICMPPingResponder {
    fn configure(&mut self, _args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        self.has_other_output = ctx.noutputs == 2;
        Ok(())
    }

    fn push(&mut self, _port: usize, mut packet: Packet, ctx: &mut PushContext<'_>) {
        match self.action(&mut packet, ctx.now()) {
            Verdict::Reply => ctx.output(0, packet),
            Verdict::Other if self.has_other_output => ctx.output(1, packet),
            Verdict::Other | Verdict::Drop => {}
        }
    }

    /// Answers a burst with one clock read (the replies of a burst share a timestamp).
    fn push_batch(&mut self, _port: usize, batch: &mut Batch, ctx: &mut PushContext<'_>) {
        if self.has_other_output {
            let now = ctx.now();
            for mut packet in batch.drain(..) {
                match self.action(&mut packet, now) {
                    Verdict::Reply => ctx.output(0, packet),
                    Verdict::Other => ctx.output(1, packet),
                    Verdict::Drop => {}
                }
            }
            return;
        }
        let now = ctx.now();
        retain_batch(batch, |p| self.action(p, now) == Verdict::Reply);
        ctx.output_batch(0, batch);
    }

    /// Pulls through output 0; non-echo packets are dropped (output 1 is push-only).
    fn pull(&mut self, _port: usize, ctx: &mut PullContext<'_>) -> Option<Packet> {
        let mut p = ctx.pull(0)?;
        let now = ctx.platform().now();
        (self.action(&mut p, now) == Verdict::Reply).then_some(p)
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["drops"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        counter_handler(name, &[("drops", self.drops)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::net::ones_sum;
    use crate::elements::testing::*;

    fn checker(config: &str, noutputs: usize) -> Harness<CheckIPHeader> {
        Harness::new(CheckIPHeader::default(), "chk", config, noutputs).expect("configures")
    }

    /// Recomputes the IP header checksum of an Ethernet frame.
    fn fix_ip_sum(f: &mut [u8]) {
        let hlen = usize::from(f[14] & 0x0f) * 4;
        f[24] = 0;
        f[25] = 0;
        let s = in_cksum(&f[14..14 + hlen]);
        f[24..26].copy_from_slice(&s.to_be_bytes());
    }

    /// The conformance case's drop reasons, in its packet order.
    #[test]
    fn every_reason_in_order_with_verbose() {
        let mut h = checker("14, VERBOSE true", 2);
        let echo = icmp_echo();
        let mut bad_sum = echo.clone();
        bad_sum[24..26].copy_from_slice(&[0x12, 0x34]);
        let mut v6 = echo.clone();
        v6[14] = 0x65;
        let mut hl4 = echo.clone();
        hl4[14] = 0x44;
        fix_ip_sum(&mut hl4);
        let mut too_big = echo.clone();
        too_big[16..18].copy_from_slice(&200u16.to_be_bytes());
        fix_ip_sum(&mut too_big);
        let mut lt_hl = echo.clone();
        lt_hl[16..18].copy_from_slice(&16u16.to_be_bytes());
        fix_ip_sum(&mut lt_hl);
        let frames: [&[u8]; 8] = [
            &bad_sum,
            &v6,
            &hl4,
            &too_big,
            &lt_hl,
            &echo[..14],
            &arp_request(SERVER_IP),
            &echo[..10],
        ];
        for f in frames {
            let (port, p) = h.route(dump_packet(f)).unwrap();
            assert_eq!(port, 1);
            assert_eq!(p.data(), f, "rejects are unchanged");
        }
        let want = [
            "bad IP checksum",
            "bad IP version",
            "bad IP header length",
            "bad IP length",
            "bad IP length",
            "tiny packet",
            "bad IP version",
            "tiny packet",
        ];
        let lines: Vec<String> = want
            .iter()
            .map(|r| format!("chk: IP header check failed: {r}"))
            .collect();
        assert_eq!(h.platform.chatter, lines);
        assert_eq!(h.element.read_handler("drops").unwrap(), "8");
    }

    #[test]
    fn good_packets_are_trimmed_and_annotated() {
        let mut h = checker("14", 1);
        let ip = ipv4(1, CLIENT_IP, SERVER_IP, &icmp(8, 0, 1, 2, &[]));
        let padded = ether(SERVER_MAC, CLIENT_MAC, 0x0800, &ip, 60);
        let (port, p) = h.route(dump_packet(&padded)).unwrap();
        assert_eq!(port, 0);
        assert_eq!(p.len(), 42);
        assert_eq!(p.network_header_offset(), Some(14));
        assert_eq!(p.anno.dst_ip, SERVER_IP);
        // No ethertype check: an IPv4 header behind any ethertype passes.
        let odd = ether(SERVER_MAC, CLIENT_MAC, 0x1234, &ip, 0);
        assert_eq!(h.route(dump_packet(&odd)).unwrap().0, 0);
        // Source 255.255.255.255 is fine without BADSRC.
        let bcast = ether(
            SERVER_MAC,
            CLIENT_MAC,
            0x0800,
            &ipv4(1, [255; 4], SERVER_IP, &[0; 8]),
            0,
        );
        assert_eq!(h.route(dump_packet(&bcast)).unwrap().0, 0);
        // Options (ihl 6) are accepted; snaplen-truncated packets are "bad IP length".
        let mut opts = ip_header(1, 32, CLIENT_IP, SERVER_IP, &[0x94, 4, 0, 0]);
        opts.extend_from_slice(&icmp(8, 0, 1, 1, &[]));
        assert_eq!(
            h.route(dump_packet(&ether([1; 6], [2; 6], 0x0800, &opts, 60)))
                .unwrap()
                .1
                .len(),
            46
        );
        let big = ether(
            SERVER_MAC,
            CLIENT_MAC,
            0x0800,
            &ipv4(1, CLIENT_IP, SERVER_IP, &[0; 64]),
            0,
        );
        assert!(h.route(dump_packet(&big[..54])).is_none());
        // Without output 1, rejects are dropped; only the first is reported.
        let mut bad = padded.clone();
        bad[14] = 0x55;
        assert!(h.route(dump_packet(&bad)).is_none());
        assert!(h.route(dump_packet(&bad)).is_none());
        assert_eq!(
            h.platform.chatter,
            ["chk: IP header check failed: bad IP length"]
        );
    }

    #[test]
    fn offset_forms_and_source_checks() {
        let ip = ipv4(1, CLIENT_IP, SERVER_IP, &icmp(8, 0, 1, 2, &[]));
        let mut h = checker("", 2);
        assert_eq!(h.route(dump_packet(&ip)).unwrap().0, 0);
        let mut h = checker("OFFSET 14", 2);
        assert_eq!(
            h.route(dump_packet(&ether([1; 6], [2; 6], 0x800, &ip, 0)))
                .unwrap()
                .0,
            0
        );
        // Old form: BADSRC list then OFFSET; 0.0.0.0 and 255.255.255.255 are added.
        let mut h = checker("10.10.0.1 10.9.9.9, 0", 2);
        assert_eq!(h.route(dump_packet(&ip)).unwrap().0, 1);
        let bcast = ipv4(1, [255; 4], SERVER_IP, &[]);
        assert_eq!(h.route(dump_packet(&bcast)).unwrap().0, 1);
        assert_eq!(
            h.platform.chatter,
            ["chk: IP header check failed: bad source address"]
        );
        // GOODDST overrides a bad source.
        let mut h = checker("BADSRC 10.10.0.1, GOODDST 10.10.0.3", 2);
        assert_eq!(h.route(dump_packet(&ip)).unwrap().0, 0);
        // INTERFACES: the subnet broadcast is a bad source, the interface address a good dst.
        let mut h = checker("INTERFACES 10.10.0.3/24", 2);
        let from_bcast = ipv4(1, [10, 10, 0, 255], [10, 10, 0, 7], &[]);
        assert_eq!(h.route(dump_packet(&from_bcast)).unwrap().0, 1);
        let to_us = ipv4(1, [10, 10, 0, 255], SERVER_IP, &[]);
        assert_eq!(h.route(dump_packet(&to_us)).unwrap().0, 0);
        // CHECKSUM false skips the checksum.
        let mut bad = ip.clone();
        bad[10] ^= 0xff;
        let mut h = checker("CHECKSUM false", 2);
        assert_eq!(h.route(dump_packet(&bad)).unwrap().0, 0);
        let mut e = CheckIPHeader::default();
        assert!(configure(&mut e, "c", "14, 3", 1, 1)
            .unwrap_err()
            .contains("too many"));
        assert!(configure(&mut e, "c", "VERBOSE maybe", 1, 1)
            .unwrap_err()
            .contains("VERBOSE: expected boolean"));
    }

    #[test]
    fn details_handler() {
        let mut h = checker("14, DETAILS true", 2);
        assert!(h.element.read_handlers().contains(&"drop_details"));
        h.route(dump_packet(&[0; 20]));
        let text = h.element.read_handler("drop_details").unwrap();
        assert!(
            text.starts_with("1\ttiny packet\n0\tbad IP version\n"),
            "{text}"
        );
        assert_eq!(text.lines().count(), REASONS.len());
        let h = checker("14", 2);
        assert!(h.element.read_handler("drop_details").is_none());
    }

    fn responder(noutputs: usize) -> Harness<ICMPPingResponder> {
        Harness::new(ICMPPingResponder::default(), "p", "", noutputs).unwrap()
    }

    /// Runs a frame through CheckIPHeader(14) and then the responder.
    fn ping(h: &mut Harness<ICMPPingResponder>, frame: &[u8]) -> Option<(usize, Packet)> {
        let mut c = checker("14", 1);
        let (_, p) = c.route(dump_packet(frame))?;
        h.route(p)
    }

    #[test]
    fn echo_reply_construction() {
        let mut h = responder(2);
        let echo = icmp_echo();
        let (port, out) = ping(&mut h, &echo).unwrap();
        assert_eq!(port, 0);
        let d = out.data();
        assert_eq!(d.len(), 60);
        assert_eq!(&d[..14], &echo[..14], "Ethernet header untouched");
        assert_eq!(&d[26..30], &SERVER_IP);
        assert_eq!(&d[30..34], &CLIENT_IP);
        assert_eq!(d[22], 255);
        assert_eq!(&d[20..22], &[0, 0]);
        assert_eq!(in_cksum(&d[14..34]), 0);
        assert_eq!((d[34], d[35]), (0, 0));
        assert_eq!(ones_sum(&d[34..]), 0xffff, "ICMP checksum valid");
        assert_eq!(out.anno.dst_ip, CLIENT_IP);
        assert_eq!(out.anno.timestamp, h.platform.now);
    }

    #[test]
    fn flags_ttl_tos_and_bad_checksums() {
        let mut h = responder(1);
        let mut df = icmp_echo();
        df[20] = 0x40 | 0x20; // DF and MF
        df[22] = 1;
        df[15] = 0xcc;
        fix_ip_sum(&mut df);
        let out = ping(&mut h, &df).unwrap().1;
        let d = out.data();
        assert_eq!((d[20], d[21], d[22], d[15]), (0, 0, 255, 0xcc));
        assert_eq!(in_cksum(&d[14..34]), 0);
        // A bad ICMP checksum stays off by the same amount.
        let mut bad = icmp_echo();
        let good = u16::from_be_bytes([bad[36], bad[37]]);
        bad[36..38].copy_from_slice(&0xdeadu16.to_be_bytes());
        let out = ping(&mut h, &bad).unwrap().1;
        let fixed = ping(&mut responder(1), &icmp_echo()).unwrap().1;
        let got = u16::from_be_bytes([out.data()[36], out.data()[37]]);
        let reference = u16::from_be_bytes([fixed.data()[36], fixed.data()[37]]);
        assert_eq!(got.wrapping_sub(reference), 0xdeadu16.wrapping_sub(good));
    }

    /// The fixed-size fast path writes exactly what the general path writes.
    #[test]
    fn fast_reply_matches_general_reply() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut fast = 0;
        for round in 0..5000 {
            let mut h = [0u8; 28];
            for b in h.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x as u8;
            }
            if round % 7 == 0 {
                // Words that are all ones or zeros exercise the one's-complement edges.
                h[6..12].fill(if round % 2 == 0 { 0xff } else { 0 });
            }
            h[0] = 0x45;
            h[9] = 1;
            h[20] = 8;
            let mut general = h;
            reply_general(&mut general, 0, 20);
            if let Some(reply) = echo_reply_fast(&h) {
                fast += 1;
                assert_eq!(reply[..], general[..24], "{h:?}");
            }
        }
        assert!(fast > 4990, "{fast}");
    }

    #[test]
    fn zero_checksum_edge() {
        let mut h = responder(1);
        let ip = ipv4(1, CLIENT_IP, SERVER_IP, &icmp(8, 0, 0, 0, &[]));
        let frame = ether(SERVER_MAC, CLIENT_MAC, 0x0800, &ip, 60);
        assert_eq!(&frame[36..38], &[0xf7, 0xff]);
        let out = ping(&mut h, &frame).unwrap().1;
        assert_eq!(out.len(), 42);
        assert_eq!(&out.data()[34..42], &[0, 0, 0xff, 0xff, 0, 0, 0, 0]);
    }

    #[test]
    fn non_echo_goes_to_output_1_or_is_dropped() {
        let reply = ether(
            SERVER_MAC,
            CLIENT_MAC,
            0x0800,
            &ipv4(1, CLIENT_IP, SERVER_IP, &icmp(0, 0, 1, 1, &[])),
            60,
        );
        let udp = ether(
            SERVER_MAC,
            CLIENT_MAC,
            0x0800,
            &ipv4(17, CLIENT_IP, SERVER_IP, &[8; 8]),
            60,
        );
        let short = ether(
            SERVER_MAC,
            CLIENT_MAC,
            0x0800,
            &ipv4(1, CLIENT_IP, SERVER_IP, &[8, 0, 0xf7, 0xff]),
            60,
        );
        let mut two = responder(2);
        let mut one = responder(1);
        for f in [&reply, &udp, &short] {
            let (port, p) = ping(&mut two, f).unwrap();
            assert_eq!(port, 1);
            assert_eq!(p.data(), &f[..p.len()]);
            assert!(ping(&mut one, f).is_none());
        }
        // Without the IP-header annotation: dropped and counted, never read.
        assert!(one.route(dump_packet(&icmp_echo())).is_none());
        let mut p = dump_packet(&icmp_echo()[..20]);
        p.set_network_header(14);
        assert_eq!(two.route(p).unwrap().0, 1);
        let mut p = dump_packet(&icmp_echo()[..14]);
        p.set_network_header(14);
        assert!(two.route(p).is_none());
        assert_eq!(one.element.read_handler("drops").unwrap(), "1");
        assert_eq!(two.element.read_handler("drops").unwrap(), "1");
    }
}
