//! ARPResponder answers ARP requests for configured addresses; ARPPrint prints ARP packets.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::args::{parse_bool, parse_ether, parse_ip_prefix, parse_string, split_words, Args};
use crate::class::{ElementClass, Ports, ProcessingSpec};
use crate::element::{ConfigureContext, Element, PullContext, PushContext};
use crate::elements::net::{
    be16, bytes4, bytes6, fmt_ether, fmt_ip, fmt_ip_mask, fmt_timestamp, ARPHRD_ETHER, ARPOP_REPLY,
    ARPOP_REQUEST, ARP_LEN, ETHERTYPE_ARP, ETHERTYPE_IP, ETHER_LEN,
};
use crate::packet::{Packet, PacketPool, Timestamp};
use crate::sort;

/// One ARPResponder table entry: addresses `dst/mask` are at `eth`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    dst: u32,
    mask: u32,
    eth: [u8; 6],
}

/// Parses one ARPResponder argument, `IP/MASK [IP/MASK...] ETH`, appending its entries.
fn parse_entries(arg: &str, entries: &mut Vec<Entry>) -> Result<(), String> {
    let mut prefixes = Vec::new();
    let mut eth = None;
    for word in split_words(arg) {
        if let Ok((addr, mask)) = parse_ip_prefix(word) {
            let mask = u32::from_be_bytes(mask);
            prefixes.push((u32::from_be_bytes(addr) & mask, mask));
        } else if let Ok(e) = parse_ether(word) {
            if eth.is_some() {
                return Err(String::from("more than one ETH"));
            }
            eth = Some(e);
        } else {
            return Err(String::from("expected IP/MASK ETH"));
        }
    }
    if prefixes.is_empty() {
        return Err(String::from("missing IP/MASK"));
    }
    let eth = eth.ok_or_else(|| String::from("missing ETH"))?;
    entries.extend(
        prefixes
            .into_iter()
            .map(|(dst, mask)| Entry { dst, mask, eth }),
    );
    Ok(())
}

/// Orders a table for lookup: one entry per prefix (the last given wins), most specific
/// (longest mask) first.
fn normalize(entries: &mut Vec<Entry>) {
    let mut out: Vec<Entry> = Vec::with_capacity(entries.len());
    for e in entries.iter().rev() {
        if !out.iter().any(|o| o.dst == e.dst && o.mask == e.mask) {
            out.push(*e);
        }
    }
    out.reverse();
    // Longest mask first.
    sort::by_key(&mut out, |e| u128::from(u32::BITS - e.mask.count_ones()));
    *entries = out;
}

/// Answers ARP requests for the configured addresses with a fresh 42-byte reply.
///
/// Each argument is `IP/MASK [IP/MASK...] ETH` (a bare IP is /32; CIDR or dotted masks; ETH
/// with `:` or `-` separators). A request is answered when the frame is at least 42 bytes,
/// its ethertype is ARP, hardware type Ethernet, protocol IPv4, operation request, and the
/// target address falls in an entry (the most specific wins). The reply goes to the request's
/// sender hardware address, claims the requested address, and keeps the device and VLAN
/// annotations. Everything else goes to output 1 unchanged, or is dropped without one.
#[derive(Default)]
pub struct ARPResponder {
    entries: Vec<Entry>,
    has_other_output: bool,
    pool: PacketPool,
}

impl ARPResponder {
    /// The Ethernet address the table gives for `ip`.
    fn lookup(&self, ip: [u8; 4]) -> Option<[u8; 6]> {
        let a = u32::from_be_bytes(ip);
        self.entries
            .iter()
            .find(|e| a & e.mask == e.dst)
            .map(|e| e.eth)
    }

    /// The reply to `p`, if it is a request for one of our addresses.
    fn respond(&self, p: &Packet) -> Option<Packet> {
        let d = p.data();
        if d.len() < ETHER_LEN + ARP_LEN
            || be16(d, 12) != Some(ETHERTYPE_ARP)
            || be16(d, 14) != Some(ARPHRD_ETHER)
            || be16(d, 16) != Some(ETHERTYPE_IP)
            || be16(d, 20) != Some(ARPOP_REQUEST)
        {
            return None;
        }
        let (sha, spa, tpa) = (bytes6(d, 22)?, bytes4(d, 28)?, bytes4(d, 38)?);
        let eth = self.lookup(tpa)?;
        let mut r = [0u8; ETHER_LEN + ARP_LEN];
        r[..6].copy_from_slice(&sha);
        r[6..12].copy_from_slice(&eth);
        r[12..14].copy_from_slice(&ETHERTYPE_ARP.to_be_bytes());
        r[14..22].copy_from_slice(&[0, 1, 8, 0, 6, 4, 0, ARPOP_REPLY as u8]);
        r[22..28].copy_from_slice(&eth);
        r[28..32].copy_from_slice(&tpa);
        r[32..38].copy_from_slice(&sha);
        r[38..42].copy_from_slice(&spa);
        let mut q = self.pool.packet_from_slice(&r);
        q.set_mac_header(0);
        q.set_network_header(ETHER_LEN);
        q.anno.device = p.anno.device;
        q.anno.vlan_tci = p.anno.vlan_tci;
        q.anno.timestamp = Timestamp::default();
        Some(q)
    }
}

impl ElementClass for ARPResponder {
    const NAME: &'static str = "ARPResponder";
    const PORTS: Ports = Ports::parse("1/1-2");
    const PROCESSING: ProcessingSpec = ProcessingSpec::parse("a/ah");
    const EXAMPLE: &'static str = "10.10.0.0/16 00:15:17:15:5d:75";
}

impl Element for ARPResponder {
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        let mut entries = Vec::new();
        let mut errors = Vec::new();
        for (i, arg) in args.take_rest().iter().enumerate() {
            if let Err(e) = parse_entries(arg, &mut entries) {
                errors.push(format!("argument {i}: {e}"));
            }
        }
        if !errors.is_empty() {
            return Err(errors.join("\n"));
        }
        normalize(&mut entries);
        self.entries = entries;
        self.has_other_output = ctx.noutputs == 2;
        self.pool = ctx.pool.clone();
        Ok(())
    }

    fn push(&mut self, _port: usize, packet: Packet, ctx: &mut PushContext<'_>) {
        match self.respond(&packet) {
            Some(reply) => ctx.output(0, reply),
            None if self.has_other_output => ctx.output(1, packet),
            None => {}
        }
    }

    /// Pulls through output 0: replies only (other packets are dropped, output 1 being push).
    fn pull(&mut self, _port: usize, ctx: &mut PullContext<'_>) -> Option<Packet> {
        let p = ctx.pull(0)?;
        self.respond(&p)
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["table"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        (name == "table").then(|| {
            let mut s = String::new();
            for e in &self.entries {
                s.push_str(&format!(
                    "{} {}\n",
                    fmt_ip_mask(&e.dst.to_be_bytes(), &e.mask.to_be_bytes()),
                    fmt_ether(&e.eth)
                ));
            }
            s
        })
    }

    fn write_handlers(&self) -> &'static [&'static str] {
        &["add", "remove"]
    }

    fn write_handler(&mut self, name: &str, value: &str) -> Result<(), String> {
        match name {
            "add" => {
                let mut entries = self.entries.clone();
                parse_entries(value, &mut entries)?;
                normalize(&mut entries);
                self.entries = entries;
                Ok(())
            }
            "remove" => {
                let (addr, mask) =
                    parse_ip_prefix(value.trim()).map_err(|_| String::from("expected IP/MASK"))?;
                let mask = u32::from_be_bytes(mask);
                let dst = u32::from_be_bytes(addr) & mask;
                match self
                    .entries
                    .iter()
                    .position(|e| e.dst == dst && e.mask == mask)
                {
                    Some(i) => {
                        self.entries.remove(i);
                        Ok(())
                    }
                    None => Err(format!(
                        "{} not found",
                        fmt_ip_mask(&dst.to_be_bytes(), &mask.to_be_bytes())
                    )),
                }
            }
            _ => Err(format!("no write handler '{name}'")),
        }
    }
}

/// Prints a line for every ARP packet whose network-header annotation is set (others pass
/// silently), as `[LABEL: ][TIMESTAMP: ][SRC > DST: ]arp who-has A tell B` and similar.
/// Packets pass through unchanged.
///
/// Arguments: `LABEL` (positional), `TIMESTAMP` (default true), `ETHER` (print the Ethernet
/// addresses), `ACTIVE`. ARP with fewer than 8 bytes prints `truncated-arp (N)`; so does an
/// IPv4 ARP shorter than 28 bytes, which Click reads past its end; they are counted in
/// `truncated`. ARP for other protocols prints nothing.
pub struct ARPPrint {
    label: String,
    timestamp: bool,
    ether: bool,
    active: bool,
    truncated: u64,
}

impl Default for ARPPrint {
    fn default() -> Self {
        ARPPrint {
            label: String::new(),
            timestamp: true,
            ether: false,
            active: true,
            truncated: 0,
        }
    }
}

impl ARPPrint {
    /// The line to print for `p`, if any.
    fn line(&mut self, p: &Packet) -> Option<String> {
        if !self.active {
            return None;
        }
        let pos = p.network_header_position()?;
        // The ARP bytes (the header may lie in the headroom, as after a Strip).
        let mut bytes: Vec<u8> = Vec::new();
        let arp: &[u8] = if pos >= 0 {
            p.data().get(pos as usize..).unwrap_or(&[])
        } else {
            let head = p.headroom_bytes();
            let back = pos.unsigned_abs().min(head.len());
            bytes.extend_from_slice(&head[head.len() - back..]);
            bytes.extend_from_slice(p.data());
            &bytes
        };
        let nlen = p.len() as isize - pos;
        let mut s = String::new();
        if !self.label.is_empty() {
            s.push_str(&self.label);
            s.push_str(": ");
        }
        if self.timestamp {
            s.push_str(&fmt_timestamp(&p.anno.timestamp));
            s.push_str(": ");
        }
        if self.ether {
            let m = p.mac_header_offset().unwrap_or(0) as isize;
            if m + 14 <= pos && m + 14 <= p.len() as isize {
                let d = p.data();
                if let (Some(src), Some(dst)) = (bytes6(d, m as usize + 6), bytes6(d, m as usize)) {
                    s.push_str(&format!("{} > {}: ", fmt_ether(&src), fmt_ether(&dst)));
                }
            }
        }
        let (Some(hrd), Some(pro), Some(&hln), Some(&pln), Some(op)) = (
            be16(arp, 0),
            be16(arp, 2),
            arp.get(4),
            arp.get(5),
            be16(arp, 6),
        ) else {
            self.truncated += 1;
            s.push_str(&format!("truncated-arp ({nlen})"));
            return Some(s);
        };
        if (pro != ETHERTYPE_IP && pro != 0x1000) || pln != 4 || hln == 0 {
            return None;
        }
        let (Some(sha), Some(spa), Some(tha), Some(tpa)) = (
            bytes6(arp, 8),
            bytes4(arp, 14),
            bytes6(arp, 18),
            bytes4(arp, 24),
        ) else {
            self.truncated += 1;
            s.push_str(&format!("truncated-arp ({nlen})"));
            return Some(s);
        };
        if pro == 0x1000 {
            s.push_str("trailer-");
        }
        match op {
            1 => {
                s.push_str(&format!("arp who-has {}", fmt_ip(&tpa)));
                let n = usize::from(hln).min(6);
                if tha[..n].iter().any(|&b| b != 0) {
                    s.push_str(&format!(" ({})", fmt_ether(&tha)));
                }
                s.push_str(&format!(" tell {}", fmt_ip(&spa)));
            }
            2 => s.push_str(&format!(
                "arp reply {} is-at {}",
                fmt_ip(&spa),
                fmt_ether(&sha)
            )),
            3 => s.push_str(&format!(
                "rarp who-is {} tell {}",
                fmt_ether(&tha),
                fmt_ether(&sha)
            )),
            4 => s.push_str(&format!(
                "rarp reply {} at {}",
                fmt_ether(&tha),
                fmt_ip(&tpa)
            )),
            8 => s.push_str(&format!(
                "invarp who-is {} tell {}",
                fmt_ether(&tha),
                fmt_ether(&sha)
            )),
            9 => s.push_str(&format!(
                "invarp reply {} at {}",
                fmt_ether(&tha),
                fmt_ip(&tpa)
            )),
            _ => s.push_str(&format!("arp-#{op}")),
        }
        if hrd != ARPHRD_ETHER {
            s.push_str(&format!("hardware #{hrd}"));
        }
        Some(s)
    }
}

impl ElementClass for ARPPrint {
    const NAME: &'static str = "ARPPrint";
    const EXAMPLE: &'static str = "ETHER true";
}

impl Element for ARPPrint {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        self.label = args.read_p("LABEL", parse_string).unwrap_or_default();
        self.timestamp = args.read_kw("TIMESTAMP", parse_bool).unwrap_or(true);
        self.ether = args.read_kw("ETHER", parse_bool).unwrap_or(false);
        self.active = args.read_kw("ACTIVE", parse_bool).unwrap_or(true);
        Ok(())
    }

    fn push(&mut self, _port: usize, packet: Packet, ctx: &mut PushContext<'_>) {
        if let Some(line) = self.line(&packet) {
            ctx.platform().chatter(&line);
        }
        ctx.output(0, packet);
    }

    fn pull(&mut self, _port: usize, ctx: &mut PullContext<'_>) -> Option<Packet> {
        let p = ctx.pull(0)?;
        if let Some(line) = self.line(&p) {
            ctx.platform().chatter(&line);
        }
        Some(p)
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["active", "truncated"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        match name {
            "active" => Some(String::from(if self.active { "true" } else { "false" })),
            "truncated" => Some(format!("{}", self.truncated)),
            _ => None,
        }
    }

    fn write_handlers(&self) -> &'static [&'static str] {
        &["active"]
    }

    fn write_handler(&mut self, name: &str, value: &str) -> Result<(), String> {
        match name {
            "active" => {
                self.active = parse_bool(value.trim()).map_err(|e| format!("active: {e}"))?;
                Ok(())
            }
            _ => Err(format!("no write handler '{name}'")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::testing::*;

    const CONFIG: &str = "10.10.0.3 00:15:17:15:5d:75, \
        10.10.1.0/24 10.10.0.4 00-15-17-15-5d-76, \
        10.20.0.0/16 00-15-17-15-5D-77, \
        10.30.0.0/255.255.0.0 00:15:17:15:5d:78";

    fn responder(noutputs: usize) -> Harness<ARPResponder> {
        Harness::new(ARPResponder::default(), "ar", CONFIG, noutputs).expect("configures")
    }

    #[test]
    fn reply_layout() {
        let mut h = responder(2);
        let mut req = arp_request(SERVER_IP);
        // Ethernet source differs from arp_sha: the reply goes to arp_sha.
        req[6..12].copy_from_slice(&[0, 0xaa, 0, 0, 0, 1]);
        let mut p = dump_packet(&req);
        p.anno.vlan_tci = 7;
        p.anno.device = 3;
        p.anno.timestamp = Timestamp { sec: 5, nsec: 0 };
        let (port, r) = h.route(p).unwrap();
        assert_eq!(port, 0);
        let want = hex("001122334455 00151715 5d75 0806 0001 0800 06 04 0002 \
             001517155d75 0a0a0003 001122334455 0a0a0001");
        assert_eq!(r.data(), &want[..]);
        assert_eq!((r.anno.vlan_tci, r.anno.device), (7, 3));
        assert!(r.anno.timestamp.is_zero());
        assert_eq!(r.network_header_offset(), Some(14));
        // The unpadded 42-byte request is answered too.
        assert_eq!(h.route(dump_packet(&req[..42])).unwrap().0, 0);
    }

    #[test]
    fn table_forms_and_specificity() {
        let mut h = responder(2);
        for (ip, eth_last) in [
            ([10, 10, 0, 3], 0x75),
            ([10, 10, 1, 77], 0x76),
            ([10, 10, 0, 4], 0x76),
            ([10, 20, 3, 4], 0x77),
            ([10, 30, 200, 1], 0x78),
        ] {
            let (port, r) = h.route(dump_packet(&arp_request(ip))).unwrap();
            assert_eq!(port, 0, "{ip:?}");
            assert_eq!(r.data()[27], eth_last, "{ip:?}");
            assert_eq!(&r.data()[28..32], &ip);
        }
        let table = h.element.read_handler("table").unwrap();
        assert_eq!(
            table,
            "10.10.0.3 00-15-17-15-5D-75\n10.10.0.4 00-15-17-15-5D-76\n\
             10.10.1.0/24 00-15-17-15-5D-76\n10.20.0.0/16 00-15-17-15-5D-77\n\
             10.30.0.0/16 00-15-17-15-5D-78\n"
        );
        // A more specific entry wins whatever the order.
        let mut h = Harness::new(
            ARPResponder::default(),
            "ar",
            "10.0.0.0/8 0:0:0:0:0:1, 10.1.2.3 0:0:0:0:0:2",
            1,
        )
        .unwrap();
        assert_eq!(
            h.route(dump_packet(&arp_request([10, 1, 2, 3])))
                .unwrap()
                .1
                .data()[11],
            2
        );
        assert_eq!(
            h.route(dump_packet(&arp_request([10, 1, 2, 4])))
                .unwrap()
                .1
                .data()[11],
            1
        );
        h.element.write_handler("remove", "10.0.0.0/8").unwrap();
        assert!(h.route(dump_packet(&arp_request([10, 1, 2, 4]))).is_none());
        h.element
            .write_handler("add", "10.1.2.4 0:0:0:0:0:9")
            .unwrap();
        assert_eq!(
            h.route(dump_packet(&arp_request([10, 1, 2, 4])))
                .unwrap()
                .1
                .data()[11],
            9
        );
        assert!(h.element.write_handler("remove", "10.9.9.9").is_err());
    }

    #[test]
    fn everything_else_goes_to_output_1() {
        let mut h = responder(2);
        let req = arp_request(SERVER_IP);
        let mut hw6 = req.clone();
        hw6[15] = 6;
        let mut op3 = req.clone();
        op3[21] = 3;
        let mut reply = req.clone();
        reply[21] = 2;
        let others: [&[u8]; 8] = [
            &arp_request([10, 10, 0, 99]),
            &req[..38],
            &hw6,
            &op3,
            &reply,
            &tagged(&req, 0x8100, 100)[..60],
            &icmp_echo(),
            &req[..10],
        ];
        for f in others {
            let (port, p) = h.route(dump_packet(f)).unwrap();
            assert_eq!(port, 1);
            assert_eq!(p.data(), f);
        }
        let mut one = responder(1);
        for f in others {
            assert!(one.route(dump_packet(f)).is_none());
        }
    }

    #[test]
    fn argument_errors() {
        for (config, want) in [
            ("10.0.0.1 001517155d75", "argument 0: expected IP/MASK ETH"),
            ("10.0.0.1", "argument 0: missing ETH"),
            ("0:1:2:3:4:5", "argument 0: missing IP/MASK"),
            (
                "10.0.0.1 0:1:2:3:4:5 0:1:2:3:4:6",
                "argument 0: more than one ETH",
            ),
            (
                "10.0.0.1 0:1:2:3:4:5, 10.0.0.2/33 0:1:2:3:4:5",
                "argument 1: expected IP/MASK ETH",
            ),
        ] {
            let mut e = ARPResponder::default();
            assert_eq!(
                configure(&mut e, "ar", config, 1, 1).unwrap_err(),
                want,
                "{config}"
            );
        }
    }

    fn printer(config: &str) -> Harness<ARPPrint> {
        Harness::new(ARPPrint::default(), "ap", config, 1).unwrap()
    }

    fn with_nh(bytes: &[u8], nh: usize) -> Packet {
        let mut p = dump_packet(bytes);
        p.set_network_header(nh);
        p.anno.timestamp = Timestamp {
            sec: 1700000000,
            nsec: 1_000_000,
        };
        p
    }

    #[test]
    fn arpprint_is_silent_without_network_header() {
        let mut h = printer("");
        let req = arp_request(SERVER_IP);
        assert_eq!(h.route(dump_packet(&req)).unwrap().1.data(), &req[..]);
        assert!(h.platform.chatter.is_empty());
    }

    #[test]
    fn arpprint_lines() {
        let mut h = printer("");
        let req = arp_request(SERVER_IP);
        h.route(with_nh(&req, 14));
        let mut reply = req.clone();
        reply[21] = 2;
        h.route(with_nh(&reply, 14));
        let mut hw6 = req.clone();
        hw6[15] = 6;
        hw6[32] = 0xab;
        h.route(with_nh(&hw6, 14));
        let mut rarp = req.clone();
        rarp[21] = 3;
        h.route(with_nh(&rarp, 14));
        let mut other = req.clone();
        other[21] = 7;
        h.route(with_nh(&other, 14));
        assert_eq!(
            h.platform.chatter,
            [
                "1700000000.001000000: arp who-has 10.10.0.3 tell 10.10.0.1",
                "1700000000.001000000: arp reply 10.10.0.1 is-at 00-11-22-33-44-55",
                "1700000000.001000000: arp who-has 10.10.0.3 (AB-00-00-00-00-00) tell 10.10.0.1hardware #6",
                "1700000000.001000000: rarp who-is 00-00-00-00-00-00 tell 00-11-22-33-44-55",
                "1700000000.001000000: arp-#7",
            ]
        );
    }

    #[test]
    fn arpprint_options_and_truncation() {
        let mut h = printer("lbl, TIMESTAMP false, ETHER true");
        let req = arp_request(SERVER_IP);
        h.route(with_nh(&req, 14));
        // Not IPv4: nothing at all.
        let mut ipx = req.clone();
        ipx[16] = 0x81;
        h.route(with_nh(&ipx, 14));
        h.route(with_nh(&req[..20], 14));
        h.route(with_nh(&req[..30], 14));
        h.route(with_nh(&req[..12], 14));
        assert_eq!(
            h.platform.chatter,
            [
                "lbl: 00-11-22-33-44-55 > FF-FF-FF-FF-FF-FF: arp who-has 10.10.0.3 tell 10.10.0.1",
                "lbl: 00-11-22-33-44-55 > FF-FF-FF-FF-FF-FF: truncated-arp (6)",
                "lbl: 00-11-22-33-44-55 > FF-FF-FF-FF-FF-FF: truncated-arp (16)",
                "lbl: truncated-arp (-2)",
            ]
        );
        assert_eq!(h.element.read_handler("truncated").unwrap(), "3");
        // An ARP header left in the headroom (after a Strip) is still found.
        let mut h = printer("TIMESTAMP false");
        let mut p = Packet::from_slice(&req);
        p.set_network_header(14);
        p.pull_front(20);
        h.route(p);
        assert_eq!(h.platform.chatter, ["arp who-has 10.10.0.3 tell 10.10.0.1"]);
        h.element.write_handler("active", "false").unwrap();
        h.route(with_nh(&req, 14));
        assert_eq!(h.platform.chatter.len(), 1);
    }
}
