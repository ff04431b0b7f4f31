//! ICMPError: answers an offending IP packet with a new ICMP error packet.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};

use crate::action::{counter_handler, ActionEnv, SimpleAction, Verdict};
use crate::args::{parse_bool, parse_ip, parse_string, parse_uint_max, Args};
use crate::class::ElementClass;
use crate::element::ConfigureContext;
use crate::elements::ip::parse_ip_list;
use crate::elements::net::{
    bytes4, fmt_ip, in_cksum, ip_header_len, ip_header_offset, ip_option_at, is_multicast,
    parse_icmp_code, parse_icmp_type, set_ip_checksum, IpOptionAt, IPOPT_EOL, IPOPT_LSRR,
    IPOPT_SSRR, IP_LEN, IP_OFFMASK, IP_PROTO_ICMP,
};
use crate::packet::{Packet, PacketPool, PacketType, DEFAULT_HEADROOM};

/// ICMP type: destination unreachable.
const ICMP_UNREACH: u8 = 3;
/// ICMP unreachable code: fragmentation needed and DF set.
const ICMP_UNREACH_NEEDFRAG: u8 = 4;
/// ICMP type: redirect.
const ICMP_REDIRECT: u8 = 5;
/// ICMP type: parameter problem.
const ICMP_PARAMPROB: u8 = 12;
/// ICMP parameter problem code: the pointer shows the error.
const ICMP_PARAMPROB_ERRATPTR: u8 = 0;
/// Length of the ICMP error header (type, code, checksum, 4 type-specific bytes).
const ICMP_ERROR_HEADER_LEN: usize = 8;

/// The IP ids of ICMP errors: one counter for every ICMPError of the process, starting at 1,
/// as Click's function-static counter.
static ICMP_ERROR_IDS: AtomicU32 = AtomicU32::new(1);

/// True for the ICMP types that report errors (unreachable, source quench, redirect, time
/// exceeded, parameter problem).
fn is_error_type(t: u8) -> bool {
    matches!(t, 3 | 4 | 5 | 11 | 12)
}

/// `ICMPError(SRC, TYPE [, CODE, BADADDRS, MTU, PMTU, SET_FIX_ANNO])`: turns each packet
/// (with an IP header annotation) into an ICMP error of TYPE/CODE about it, or drops it.
///
/// TYPE is an error type (3, 4, 5, 11, 12 or Click's names `unreachable`, `sourcequench`,
/// `redirect`, `timeexceeded`, `parameterproblem`); CODE (default 0) an integer or Click's
/// name for a code of that type (`needfrag`, `transit`, `erroratptr`...). The error is a new
/// packet starting at its IP header: tos 0, IP id from a counter shared by all ICMPError
/// elements (from 1), no fragment bits, TTL 200, source SRC, destination the offending
/// source; then type, code, checksum, 4 bytes that are zero or carry the parameter problem
/// pointer (from the `param_off` annotation), the redirect gateway (destination annotation) or
/// the next-hop MTU `PMTU` (unreachable/needfrag); then the offending packet from its IP
/// header on, cut so that the error is at most MTU (default 576) bytes. A source-routed packet
/// gets the route back reversed in an option. The new packet has the destination annotation,
/// the fix-IP-source annotation (unless `SET_FIX_ANNO false`) and the current time.
///
/// No error answers (RFC 1812 4.3.2.7) ICMP errors, fragments other than the first, IP
/// destinations 255.255.255.255, multicast or in BADADDRS, link-level broadcasts or
/// multicasts (packet-type annotation), sources in nets 0 and 127, class E, multicast or in
/// BADADDRS, nor redirects about source-routed packets. Packets without a whole IP header at
/// the annotation, or an MTU too small for the error's headers, are dropped and counted in
/// `drops`.
pub struct ICMPError {
    src: [u8; 4],
    icmp_type: u8,
    code: u8,
    bad_addrs: Vec<[u8; 4]>,
    mtu: usize,
    /// The largest MTU the limits allow (for the `mtu` write handler).
    max_mtu: usize,
    pmtu: u32,
    set_fix_anno: bool,
    pool: PacketPool,
    ids: &'static AtomicU32,
    drops: u64,
}

impl Default for ICMPError {
    fn default() -> Self {
        ICMPError {
            src: [0; 4],
            icmp_type: 0,
            code: 0,
            bad_addrs: Vec::new(),
            mtu: 576,
            max_mtu: usize::MAX,
            pmtu: 0,
            set_fix_anno: true,
            pool: PacketPool::default(),
            ids: &ICMP_ERROR_IDS,
            drops: 0,
        }
    }
}

/// Parses an unsigned 32-bit value.
fn parse_u32(s: &str) -> Result<u32, String> {
    parse_uint_max(s, u64::from(u32::MAX)).map(|v| v as u32)
}

impl ICMPError {
    /// False for the destinations no error may be about or sent to: the limited broadcast,
    /// multicast and the BADADDRS.
    fn unicast(&self, a: [u8; 4]) -> bool {
        a != [255; 4] && !is_multicast(a) && !self.bad_addrs.contains(&a)
    }

    /// True for a source an error may be sent to (RFC 1812 5.3.7): unicast, not in nets 0
    /// and 127 nor class E.
    fn valid_source(&self, a: [u8; 4]) -> bool {
        self.unicast(a) && a[0] != 0 && a[0] != 127 && a[0] & 0xf0 != 0xf0
    }

    /// Whether an error may answer the packet whose IP header (`hlen` bytes) starts at `nh`;
    /// `Err` when it is too malformed to tell.
    fn answerable(&self, p: &Packet, nh: usize, hlen: usize) -> Result<bool, ()> {
        let ip = &p.data()[nh..];
        if ip[9] == IP_PROTO_ICMP {
            if hlen + 4 > p.len() {
                return Ok(false);
            }
            let icmp_type = *p.data().get(nh + hlen).ok_or(())?;
            if is_error_type(icmp_type) {
                return Ok(false);
            }
        }
        let (src, dst) = (bytes4(ip, 12).ok_or(())?, bytes4(ip, 16).ok_or(())?);
        let frag = u16::from_be_bytes([ip[6], ip[7]]);
        Ok(self.unicast(dst)
            && !matches!(
                p.anno.packet_type,
                PacketType::Broadcast | PacketType::Multicast
            )
            && self.valid_source(src)
            && frag & IP_OFFMASK == 0)
    }

    /// Builds the error about `p` (IP header of `hlen` bytes at `nh`, source route option at
    /// `route` in it if any), or `None` when the MTU cannot hold its headers.
    fn error_packet(
        &self,
        p: &Packet,
        nh: usize,
        hlen: usize,
        route: Option<usize>,
    ) -> Option<Packet> {
        let offending = &p.data()[nh..];
        let header = &offending[..hlen];
        // The reversed route option takes exactly `pointer` bytes (a multiple of 4).
        let option_len = route.map_or(0, |at| usize::from(header[at + 2]));
        let iphl = IP_LEN + option_len;
        let room = self.mtu.checked_sub(iphl + ICMP_ERROR_HEADER_LEN)?;
        let quote = room.min(offending.len());
        let total = iphl + ICMP_ERROR_HEADER_LEN + quote;
        let mut q = self.pool.zeroed(DEFAULT_HEADROOM, total);
        let d = q.data_mut();
        let id = self.ids.fetch_add(1, Ordering::Relaxed) as u16;
        d[0] = 0x40 | (iphl / 4) as u8;
        d[2..4].copy_from_slice(&(total as u16).to_be_bytes());
        d[4..6].copy_from_slice(&id.to_be_bytes());
        d[8] = 200;
        d[9] = IP_PROTO_ICMP;
        d[12..16].copy_from_slice(&self.src);
        d[16..20].copy_from_slice(&offending[12..16]);
        if let Some(at) = route {
            let o = &mut d[IP_LEN..iphl];
            o[0] = header[at];
            o[1] = (option_len - 1) as u8;
            o[2] = 4;
            o[option_len - 1] = IPOPT_EOL;
            // The addresses already traversed, last first.
            let traversed = &header[at + 3..at + option_len - 1];
            for (to, from) in o[3..].chunks_exact_mut(4).zip(traversed.rchunks_exact(4)) {
                to.copy_from_slice(from);
            }
        }
        set_ip_checksum(&mut d[..iphl]);
        let icmp = &mut d[iphl..];
        icmp[0] = self.icmp_type;
        icmp[1] = self.code;
        match (self.icmp_type, self.code) {
            (ICMP_PARAMPROB, ICMP_PARAMPROB_ERRATPTR) => icmp[4] = p.anno.param_off,
            (ICMP_REDIRECT, _) => icmp[4..8].copy_from_slice(&p.anno.dst_ip),
            (ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG) => {
                icmp[6..8].copy_from_slice(&(self.pmtu as u16).to_be_bytes())
            }
            _ => {}
        }
        icmp[ICMP_ERROR_HEADER_LEN..].copy_from_slice(&offending[..quote]);
        let sum = in_cksum(icmp);
        icmp[2..4].copy_from_slice(&sum.to_be_bytes());
        q.set_network_header(0);
        q.anno.dst_ip.copy_from_slice(&offending[12..16]);
        q.anno.fix_ip_src = self.set_fix_anno;
        Some(q)
    }
}

/// Where the first usable source route option (LSRR or SSRR whose pointer is a multiple of
/// 4, at least 4 and within the option) of the IP header `header` starts.
fn source_route(header: &[u8]) -> Option<usize> {
    let mut at = IP_LEN;
    while at < header.len() {
        match ip_option_at(header, at) {
            IpOptionAt::Nop => at += 1,
            IpOptionAt::End | IpOptionAt::BadLength => return None,
            IpOptionAt::Option { kind, len } => {
                if matches!(kind, IPOPT_LSRR | IPOPT_SSRR) && len >= 3 {
                    let pointer = usize::from(header[at + 2]);
                    if pointer >= 4 && pointer % 4 == 0 && pointer <= len + 1 {
                        return Some(at);
                    }
                }
                at += len;
            }
        }
    }
    None
}

impl ElementClass for ICMPError {
    const NAME: &'static str = "ICMPError";
    const EXAMPLE: &'static str = "10.0.0.1, unreachable, needfrag, PMTU 1500";
}

impl SimpleAction for ICMPError {
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        let src = args.read_mp("SRC", parse_ip);
        let icmp_type = args.read_mp("TYPE", parse_icmp_type);
        let code = args.read_p("CODE", parse_string);
        let bad_addrs = args.read_p("BADADDRS", parse_ip_list);
        let mtu = args.read_kw("MTU", parse_u32);
        let pmtu = args.read_kw("PMTU", parse_u32);
        let fix = args.read_kw("SET_FIX_ANNO", parse_bool);
        let (Some(src), Some(icmp_type)) = (src, icmp_type) else {
            // Reported with the other argument errors.
            return Ok(());
        };
        let icmp_type = u8::try_from(icmp_type)
            .map_err(|_| String::from("ICMP type must be between 0 and 255"))?;
        if !is_error_type(icmp_type) {
            return Err(format!("ICMP type {icmp_type} is not an error type"));
        }
        let code = code.as_deref().unwrap_or("0");
        self.code = parse_icmp_code(icmp_type, code)
            .ok()
            .and_then(|c| u8::try_from(c).ok())
            .ok_or_else(|| {
                String::from("argument 2 takes ICMP code (integer between 0 and 255)")
            })?;
        self.src = src;
        self.icmp_type = icmp_type;
        self.bad_addrs = bad_addrs.unwrap_or_default();
        self.max_mtu = ctx.limits.packet_length;
        self.mtu = match mtu {
            Some(m) => ctx.limits.check_packet_length("MTU", m as usize)?,
            None => 576,
        };
        self.pmtu = pmtu.unwrap_or(0);
        self.set_fix_anno = fix.unwrap_or(true);
        self.pool = ctx.pool.clone();
        Ok(())
    }

    fn action(&mut self, p: &mut Packet, env: &mut dyn ActionEnv) -> Verdict {
        let header = ip_header_offset(p).and_then(|nh| {
            let hlen = ip_header_len(p.data()[nh]);
            (nh + hlen <= p.len()).then_some((nh, hlen))
        });
        let Some((nh, hlen)) = header else {
            self.drops += 1;
            return Verdict::Drop;
        };
        match self.answerable(p, nh, hlen) {
            Ok(true) => {}
            Ok(false) => return Verdict::Drop,
            Err(()) => {
                self.drops += 1;
                return Verdict::Drop;
            }
        }
        let mut route = source_route(&p.data()[nh..nh + hlen]);
        if let Some(at) = route {
            if self.icmp_type == ICMP_REDIRECT {
                return Verdict::Drop;
            }
            // A parameter problem about the source route itself does not reverse it.
            let len = usize::from(p.data()[nh + at + 1]);
            let off = usize::from(p.anno.param_off);
            if self.icmp_type == ICMP_PARAMPROB
                && self.code == ICMP_PARAMPROB_ERRATPTR
                && (at..at + len).contains(&off)
            {
                route = None;
            }
        }
        let Some(mut q) = self.error_packet(p, nh, hlen, route) else {
            self.drops += 1;
            return Verdict::Drop;
        };
        q.anno.timestamp = env.now();
        *p = q;
        Verdict::Out(0)
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["src", "mtu", "pmtu", "drops"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        match name {
            "src" => Some(fmt_ip(&self.src)),
            "mtu" => Some(format!("{}", self.mtu)),
            "pmtu" => Some(format!("{}", self.pmtu)),
            _ => counter_handler(name, &[("drops", self.drops)]),
        }
    }

    fn write_handlers(&self) -> &'static [&'static str] {
        &["src", "mtu", "pmtu"]
    }

    fn write_handler(&mut self, name: &str, value: &str) -> Result<(), String> {
        let value = value.trim();
        match name {
            "src" => self.src = parse_ip(value)?,
            "mtu" => {
                let mtu = parse_u32(value)? as usize;
                self.mtu = crate::Limits::check("mtu", mtu, self.max_mtu)?;
            }
            "pmtu" => self.pmtu = parse_u32(value)?,
            _ => return Err(format!("no write handler '{name}'")),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::net::ones_sum;
    use crate::elements::testing::*;
    use alloc::boxed::Box;

    /// An ICMPError with its own id counter (the shared one is used by concurrent tests).
    fn icmp_error(config: &str) -> Harness<ICMPError> {
        let e = ICMPError {
            ids: Box::leak(Box::new(AtomicU32::new(1))),
            ..ICMPError::default()
        };
        Harness::new(e, "e", config, 1).unwrap()
    }

    /// An IP packet (no Ethernet) with the header annotation, TTL 1.
    fn offending(proto: u8, src: [u8; 4], dst: [u8; 4], options: &[u8], l4: &[u8]) -> Packet {
        let total = 20 + options.len() + l4.len();
        let mut ip = ip_header(proto, total as u16, src, dst, options);
        ip.extend_from_slice(l4);
        let mut p = dump_packet(&ip);
        p.set_network_header(0);
        p
    }

    const SRC: [u8; 4] = [10, 0, 0, 2];

    #[test]
    fn builds_time_exceeded() {
        let mut h = icmp_error("10.0.0.1, timeexceeded");
        let p = offending(17, SRC, [10, 0, 1, 2], &[], &[7; 12]);
        let (port, q) = h.route(p.clone()).unwrap();
        assert_eq!(port, 0);
        let d = q.data();
        assert_eq!(d.len(), 20 + 8 + 32);
        assert_eq!(
            &d[..20],
            &[0x45, 0, 0, 60, 0, 1, 0, 0, 200, 1, d[10], d[11], 10, 0, 0, 1, 10, 0, 0, 2][..]
        );
        assert_eq!(in_cksum(&d[..20]), 0);
        assert_eq!(&d[20..22], &[11, 0]);
        assert_eq!(&d[24..28], &[0; 4]);
        assert_eq!(&d[28..], p.data());
        assert_eq!(ones_sum(&d[20..]), 0xffff);
        assert_eq!(q.anno.dst_ip, SRC);
        assert!(q.anno.fix_ip_src);
        assert_eq!(q.network_header_offset(), Some(0));
        assert_eq!(q.anno.timestamp, h.platform.now);
        // The next error gets the next id.
        let q = h.route(p).unwrap().1;
        assert_eq!(&q.data()[4..6], &[0, 2]);
    }

    #[test]
    fn quote_is_cut_to_the_mtu() {
        let mut h = icmp_error("10.0.0.1, 11, MTU 100, SET_FIX_ANNO false");
        let p = offending(6, SRC, [10, 0, 1, 2], &[], &[3; 600]);
        let q = h.route(p.clone()).unwrap().1;
        assert_eq!(q.len(), 100);
        assert_eq!(&q.data()[2..4], &[0, 100]);
        assert_eq!(&q.data()[28..], &p.data()[..72]);
        assert!(!q.anno.fix_ip_src);
        // An MTU that cannot hold the headers: dropped and counted.
        h.element.write_handler("mtu", "27").unwrap();
        assert!(h.route(p.clone()).is_none());
        assert_eq!(h.element.read_handler("drops").unwrap(), "1");
        h.element.write_handler("mtu", "28").unwrap();
        assert_eq!(h.route(p).unwrap().1.len(), 28);
        assert!(h.element.write_handler("mtu", "70000").is_err());
        assert_eq!(h.element.read_handler("mtu").unwrap(), "28");
    }

    #[test]
    fn type_specific_fields() {
        let p = offending(17, SRC, [10, 0, 1, 2], &[], &[0; 8]);
        // Type, code and the 4 bytes after the checksum.
        let fields = |h: &mut Harness<ICMPError>, p: Packet| {
            let q = h.route(p).unwrap().1;
            let d = q.data();
            assert_eq!(ones_sum(&d[20..]), 0xffff);
            [d[20], d[21], d[24], d[25], d[26], d[27]]
        };
        let mut h = icmp_error("10.0.0.1, unreachable, needfrag, PMTU 1500");
        assert_eq!(fields(&mut h, p.clone()), [3, 4, 0, 0, 5, 0xdc]);
        let mut h = icmp_error("10.0.0.1, parameterproblem");
        let mut pp = p.clone();
        pp.anno.param_off = 22;
        assert_eq!(fields(&mut h, pp), [12, 0, 22, 0, 0, 0]);
        let mut h = icmp_error("10.0.0.1, redirect, host");
        let mut r = p.clone();
        r.anno.dst_ip = [10, 0, 0, 254];
        assert_eq!(fields(&mut h, r), [5, 1, 10, 0, 0, 254]);
        let mut h = icmp_error("10.0.0.1, sourcequench");
        assert_eq!(fields(&mut h, p.clone()), [4, 0, 0, 0, 0, 0]);
        // The PMTU is only written for needfrag.
        let mut h = icmp_error("10.0.0.1, unreachable, host, PMTU 1500");
        assert_eq!(fields(&mut h, p), [3, 1, 0, 0, 0, 0]);
    }

    #[test]
    fn rfc1812_donts() {
        let mut h = icmp_error("10.0.0.1, timeexceeded, BADADDRS 10.0.0.255 10.0.1.255");
        let dst = [10, 0, 1, 2];
        let no = |h: &mut Harness<ICMPError>, p: Packet| assert!(h.route(p).is_none());
        // ICMP errors, but not echo requests.
        for t in [3, 4, 5, 11, 12] {
            no(
                &mut h,
                offending(1, SRC, dst, &[], &[t, 0, 0, 0, 0, 0, 0, 0]),
            );
        }
        assert!(h
            .route(offending(1, SRC, dst, &[], &[8, 0, 0, 0, 0, 0, 0, 0]))
            .is_some());
        // Later fragments, but not first ones.
        let mut frag = offending(17, SRC, dst, &[], &[0; 8]);
        frag.data_mut()[6..8].copy_from_slice(&[0, 3]);
        no(&mut h, frag.clone());
        frag.data_mut()[6..8].copy_from_slice(&[0x20, 0]);
        assert!(h.route(frag).is_some());
        // Destinations and sources.
        for bad_dst in [[255; 4], [224, 0, 0, 9], [10, 0, 1, 255]] {
            no(&mut h, offending(17, SRC, bad_dst, &[], &[0; 8]));
        }
        for bad_src in [
            [0, 1, 2, 3],
            [127, 0, 0, 1],
            [240, 0, 0, 1],
            [224, 1, 1, 1],
            [255; 4],
            [10, 0, 0, 255],
        ] {
            no(&mut h, offending(17, bad_src, dst, &[], &[0; 8]));
        }
        // Link-level broadcasts and multicasts.
        for kind in [PacketType::Broadcast, PacketType::Multicast] {
            let mut p = offending(17, SRC, dst, &[], &[0; 8]);
            p.anno.packet_type = kind;
            no(&mut h, p);
        }
        assert_eq!(h.element.read_handler("drops").unwrap(), "0");
        // Only the answered ones took ids.
        let q = h.route(offending(17, SRC, dst, &[], &[0; 8])).unwrap().1;
        assert_eq!(&q.data()[4..6], &[0, 3]);
    }

    #[test]
    fn source_routes_are_reversed() {
        let mut h = icmp_error("10.0.0.1, timeexceeded");
        // LSRR with pointer 12: two addresses traversed, one to go; then a NOP.
        let opt = [IPOPT_LSRR, 15, 12, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 1];
        let p = offending(17, SRC, [10, 0, 1, 2], &opt, &[0; 8]);
        let q = h.route(p.clone()).unwrap().1;
        let d = q.data();
        assert_eq!(d[0], 0x48);
        assert_eq!(&d[20..32], &[IPOPT_LSRR, 11, 4, 2, 2, 2, 2, 1, 1, 1, 1, 0]);
        assert_eq!(in_cksum(&d[..32]), 0);
        assert_eq!(&d[32..34], &[11, 0]);
        assert_eq!(&d[40..], p.data());
        // A redirect about it is not sent; a parameter problem about the route drops it.
        let mut r = icmp_error("10.0.0.1, redirect");
        assert!(r.route(p.clone()).is_none());
        let mut pp = icmp_error("10.0.0.1, parameterproblem, erroratptr");
        let mut bad = p.clone();
        bad.anno.param_off = 22;
        assert_eq!(pp.route(bad).unwrap().1.data()[0], 0x45);
        let mut other = p.clone();
        other.anno.param_off = 35;
        assert_eq!(pp.route(other).unwrap().1.data()[0], 0x48);
        // Pointers that are not a multiple of 4 or past the option are ignored.
        for (len, ptr) in [(15u8, 5u8), (7, 12)] {
            let mut o = opt;
            o[1] = len;
            o[2] = ptr;
            if len == 7 {
                o[7..].copy_from_slice(&[1; 9]);
            }
            let p = offending(17, SRC, [10, 0, 1, 2], &o, &[0; 8]);
            assert_eq!(h.route(p).unwrap().1.data()[0], 0x45, "{len} {ptr}");
        }
    }

    #[test]
    fn configuration() {
        let ok = |c: &str| configure(&mut ICMPError::default(), "e", c, 1, 1);
        assert!(ok("10.0.0.1, 3, 4").is_ok());
        assert!(ok("10.0.0.1, unreachable, hostprohibited, 10.0.0.255").is_ok());
        assert!(ok("10.0.0.1, timeexceeded, reassembly, MTU 1500").is_ok());
        assert_eq!(
            ok("10.0.0.1, echo").unwrap_err(),
            "ICMP type 8 is not an error type"
        );
        assert_eq!(
            ok("10.0.0.1, 256").unwrap_err(),
            "ICMP type must be between 0 and 255"
        );
        assert_eq!(
            ok("10.0.0.1, timeexceeded, needfrag").unwrap_err(),
            "argument 2 takes ICMP code (integer between 0 and 255)"
        );
        assert!(ok("10.0.0.1, sourcequench, 300").is_err());
        assert!(ok("10.0.0.1, bogus").is_err());
        assert!(ok("10.0.0.1").is_err());
        assert!(ok("10.0.0.1, 11, MTU 100000").is_err());
        let mut e = ICMPError::default();
        configure(&mut e, "e", "1.2.3.4, 12, 2, PMTU 9", 1, 1).unwrap();
        assert_eq!((e.icmp_type, e.code), (12, 2));
        assert_eq!(e.read_handler("src").unwrap(), "1.2.3.4");
        assert_eq!(e.read_handler("pmtu").unwrap(), "9");
        e.write_handler("src", "5.6.7.8").unwrap();
        assert_eq!(e.read_handler("src").unwrap(), "5.6.7.8");
    }

    #[test]
    fn malformed_offenders_are_counted() {
        let mut h = icmp_error("10.0.0.1, timeexceeded");
        let p = offending(1, SRC, [10, 0, 1, 2], &[], &[]);
        // ICMP without a type byte: nothing sent, counted.
        assert!(h.route(p.clone()).is_none());
        let mut ether_first = dump_packet(&[&[0u8; 14][..], p.data()].concat());
        ether_first.set_network_header(14);
        assert!(h.route(ether_first).is_none());
        // No annotation, header past the end.
        assert!(h.route(dump_packet(p.data())).is_none());
        let mut long = offending(17, SRC, [10, 0, 1, 2], &[], &[]);
        long.data_mut()[0] = 0x46;
        assert!(h.route(long).is_none());
        assert_eq!(h.element.read_handler("drops").unwrap(), "3");
    }
}
