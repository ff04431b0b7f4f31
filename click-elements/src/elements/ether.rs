//! Ethernet header elements: EtherMirror, EtherEncap, EnsureEther, and Strip/Unstrip, which
//! remove and restore bytes at the front of a packet.

use alloc::format;
use alloc::string::String;

use crate::action::{counter_handler, ActionEnv, SimpleAction, Verdict};
use crate::args::{parse_ether, parse_u64, Args};
use crate::class::ElementClass;
use crate::element::ConfigureContext;
use crate::elements::net::{be16, fmt_ether, parse_u16, ETHERTYPE_IP, ETHERTYPE_IP6, ETHER_LEN};
use crate::packet::Packet;

/// Swaps the Ethernet source and destination addresses (bytes 0-5 and 6-11) and touches
/// nothing else. Packets shorter than 12 bytes are dropped and counted (Click reads and writes
/// past their end).
#[derive(Default)]
pub struct EtherMirror {
    drops: u64,
}

impl ElementClass for EtherMirror {
    const NAME: &'static str = "EtherMirror";
}

impl SimpleAction for EtherMirror {
    #[inline(always)]
    fn action(&mut self, p: &mut Packet, _env: &mut dyn ActionEnv) -> Verdict {
        // Read before the (possibly copying) write, as two words kept in registers; written
        // back as the same two words.
        let Some(h) = p.data().first_chunk::<12>() else {
            self.drops += 1;
            return Verdict::Drop;
        };
        let w0 = u64::from_le_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]);
        let w1 = u32::from_le_bytes([h[8], h[9], h[10], h[11]]);
        // Bytes 0-5 (destination) and 6-11 (source) change places.
        let m0 = (w0 >> 48) | (u64::from(w1) << 16) | (w0 << 48);
        let m1 = (w0 >> 16) as u32;
        if let Some(d) = p.data_mut().first_chunk_mut::<12>() {
            d[..8].copy_from_slice(&m0.to_le_bytes());
            d[8..].copy_from_slice(&m1.to_le_bytes());
        }
        Verdict::Out(0)
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["drops"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        counter_handler(name, &[("drops", self.drops)])
    }
}

/// A 14-byte Ethernet header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct EtherHeader {
    dst: [u8; 6],
    src: [u8; 6],
    ethertype: u16,
}

impl EtherHeader {
    /// Writes the header over the first 14 bytes of `to` (which has them: it was just pushed).
    #[inline(always)]
    fn write(&self, to: &mut [u8]) {
        if let Some(h) = to.first_chunk_mut::<ETHER_LEN>() {
            let [t0, t1] = self.ethertype.to_be_bytes();
            let d = self.dst;
            let s = self.src;
            *h = [
                d[0], d[1], d[2], d[3], d[4], d[5], s[0], s[1], s[2], s[3], s[4], s[5], t0, t1,
            ];
        }
    }
}

/// Prepends an Ethernet header: `EtherEncap(ETHERTYPE, SRC, DST)`, all mandatory. Sets the
/// MAC header at the start and the network header after it.
pub struct EtherEncap {
    header: EtherHeader,
}

impl Default for EtherEncap {
    fn default() -> Self {
        EtherEncap {
            header: EtherHeader {
                dst: [0; 6],
                src: [0; 6],
                ethertype: ETHERTYPE_IP,
            },
        }
    }
}

impl ElementClass for EtherEncap {
    const NAME: &'static str = "EtherEncap";
    const EXAMPLE: &'static str = "0x0800, 1:2:3:4:5:6, 6:5:4:3:2:1";
}

impl SimpleAction for EtherEncap {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        let ethertype = args.read_mp("ETHERTYPE", parse_u16);
        let src = args.read_mp("SRC", parse_ether);
        let dst = args.read_mp("DST", parse_ether);
        if let (Some(ethertype), Some(src), Some(dst)) = (ethertype, src, dst) {
            self.header = EtherHeader {
                dst,
                src,
                ethertype,
            };
        }
        Ok(())
    }

    #[inline(always)]
    fn action(&mut self, p: &mut Packet, _env: &mut dyn ActionEnv) -> Verdict {
        self.header.write(p.push_front(ETHER_LEN));
        p.set_mac_header(0);
        p.set_network_header(ETHER_LEN);
        Verdict::Out(0)
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["src", "dst", "ethertype"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        match name {
            "src" => Some(fmt_ether(&self.header.src)),
            "dst" => Some(fmt_ether(&self.header.dst)),
            "ethertype" => Some(format!("{}", self.header.ethertype)),
            _ => None,
        }
    }
}

/// Makes sure an IP packet has an Ethernet header, driven by the network-header annotation:
/// an IP header at offset 14 behind an IP/IPv6 ethertype is left alone; one at offset 0 with
/// such a header just before it in the headroom gets that header back; otherwise the bytes in
/// front of the IP header are replaced by `EnsureEther(ETHERTYPE, SRC, DST)` (defaults 0x0800,
/// 01:01:01:01:01:01, 02:02:02:02:02:02). Packets without the annotation pass unchanged.
pub struct EnsureEther {
    header: EtherHeader,
}

impl Default for EnsureEther {
    fn default() -> Self {
        EnsureEther {
            header: EtherHeader {
                dst: [2; 6],
                src: [1; 6],
                ethertype: ETHERTYPE_IP,
            },
        }
    }
}

/// True for the ethertypes of IPv4 and IPv6.
fn is_ip_type(t: Option<u16>) -> bool {
    matches!(t, Some(ETHERTYPE_IP) | Some(ETHERTYPE_IP6))
}

impl ElementClass for EnsureEther {
    const NAME: &'static str = "EnsureEther";
}

impl SimpleAction for EnsureEther {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        if let Some(t) = args.read_p("ETHERTYPE", parse_u16) {
            self.header.ethertype = t;
        }
        if let Some(src) = args.read_p("SRC", parse_ether) {
            self.header.src = src;
        }
        if let Some(dst) = args.read_p("DST", parse_ether) {
            self.header.dst = dst;
        }
        Ok(())
    }

    fn action(&mut self, p: &mut Packet, _env: &mut dyn ActionEnv) -> Verdict {
        let Some(Ok(pos)) = p.network_header_position().map(usize::try_from) else {
            return Verdict::Out(0);
        };
        if pos == ETHER_LEN && is_ip_type(be16(p.data(), 12)) {
            return Verdict::Out(0);
        }
        if pos == 0 && p.headroom() >= ETHER_LEN {
            let head = p.headroom_bytes();
            if is_ip_type(be16(head, head.len() - 2)) {
                p.push_front(ETHER_LEN);
                return Verdict::Out(0);
            }
        }
        p.pull_front(pos);
        self.header.write(p.push_front(ETHER_LEN));
        Verdict::Out(0)
    }
}

/// Parses a byte count for Strip/Unstrip.
fn parse_length(s: &str) -> Result<usize, String> {
    let v = parse_u64(s)?;
    usize::try_from(v)
        .ok()
        .filter(|&n| n <= 0xffff)
        .ok_or_else(|| String::from("out of range"))
}

/// Removes `n` bytes from the front of `p` as Click's `Packet::pull` does: all of a shorter
/// packet, with its complaint on stderr.
pub(crate) fn pull_front_or_complain(p: &mut Packet, n: usize, env: &mut dyn ActionEnv) {
    if n > p.len() {
        env.chatter(format_args!("Packet::pull {} > length {}", n, p.len()));
    }
    p.pull_front(n);
}

/// Removes `LENGTH` bytes from the front of every packet (all of a shorter packet, with
/// Click's `Packet::pull` complaint on stderr).
#[derive(Default)]
pub struct Strip {
    nbytes: usize,
}

impl ElementClass for Strip {
    const NAME: &'static str = "Strip";
    const EXAMPLE: &'static str = "14";
}

impl SimpleAction for Strip {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        self.nbytes = args.read_mp("LENGTH", parse_length).unwrap_or(0);
        Ok(())
    }

    #[inline(always)]
    fn action(&mut self, p: &mut Packet, env: &mut dyn ActionEnv) -> Verdict {
        pull_front_or_complain(p, self.nbytes, env);
        Verdict::Out(0)
    }
}

/// Puts back `LENGTH` bytes in front of every packet: the bytes a Strip removed when they are
/// still in the headroom (zeros when the packet had to be reallocated).
#[derive(Default)]
pub struct Unstrip {
    nbytes: usize,
}

impl ElementClass for Unstrip {
    const NAME: &'static str = "Unstrip";
    const EXAMPLE: &'static str = "14";
}

impl SimpleAction for Unstrip {
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        let nbytes = args.read_mp("LENGTH", parse_length).unwrap_or(0);
        self.nbytes = ctx.limits.check_headroom("LENGTH", nbytes)?;
        Ok(())
    }

    fn action(&mut self, p: &mut Packet, _env: &mut dyn ActionEnv) -> Verdict {
        p.push_front(self.nbytes);
        Verdict::Out(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::testing::*;

    #[test]
    fn mirror_swaps_addresses_only() {
        let mut h = Harness::new(EtherMirror::default(), "m", "", 1).unwrap();
        let echo = icmp_echo();
        let out = h.route(dump_packet(&echo)).unwrap().1;
        assert_eq!(&out.data()[..6], &echo[6..12]);
        assert_eq!(&out.data()[6..12], &echo[..6]);
        assert_eq!(&out.data()[12..], &echo[12..]);
        // Broadcast destination becomes the source; 12- and 13-byte runts are mirrored.
        let req = arp_request(SERVER_IP);
        let out = h.route(dump_packet(&req[..13])).unwrap().1;
        assert_eq!(&out.data()[6..12], &[0xff; 6]);
        assert_eq!(out.len(), 13);
        assert_eq!(h.route(dump_packet(&req[..12])).unwrap().1.len(), 12);
        // Shorter ones are dropped and counted.
        assert!(h.route(dump_packet(&req[..11])).is_none());
        assert!(h.route(dump_packet(&[])).is_none());
        assert_eq!(h.element.read_handler("drops").unwrap(), "2");
    }

    #[test]
    fn mirror_copies_shared_packets_and_keeps_annotations() {
        let mut h = Harness::new(EtherMirror::default(), "m", "", 1).unwrap();
        let echo = icmp_echo();
        let mut original = dump_packet(&echo[..54]);
        original.anno.extra_length = 44;
        let out = h.route(original.clone()).unwrap().1;
        assert_eq!(original.data(), &echo[..54]);
        assert_eq!(out.anno.extra_length, 44);
        assert_eq!(out.len(), 54);
    }

    #[test]
    fn encap_prepends_header() {
        let mut h = Harness::new(
            EtherEncap::default(),
            "e",
            "0x0800, 00:15:17:15:5d:75, 00-11-22-33-44-55",
            1,
        )
        .unwrap();
        let ip = ipv4(1, CLIENT_IP, SERVER_IP, &icmp(8, 0, 1, 1, &[]));
        let out = h.route(dump_packet(&ip)).unwrap().1;
        assert_eq!(
            out.data(),
            &ether(CLIENT_MAC, SERVER_MAC, 0x0800, &ip, 0)[..]
        );
        assert_eq!(out.network_header_offset(), Some(14));
        assert_eq!(h.element.read_handler("src").unwrap(), "00-15-17-15-5D-75");
        assert_eq!(h.element.read_handler("ethertype").unwrap(), "2048");
        // Empty packets get just the header.
        assert_eq!(h.route(dump_packet(&[])).unwrap().1.len(), 14);
        let mut e = EtherEncap::default();
        let err = configure(&mut e, "e", "0x0800, 00:15:17:15:5d:75", 1, 1).unwrap_err();
        assert!(err.contains("DST: required argument missing"), "{err}");
        let err = configure(&mut e, "e", "0x0800, 001517155d75, 1:2:3:4:5:6", 1, 1).unwrap_err();
        assert!(err.contains("SRC: expected Ethernet address"), "{err}");
    }

    #[test]
    fn ensure_ether_cases() {
        let mut h = Harness::new(EnsureEther::default(), "e", "", 1).unwrap();
        let echo = icmp_echo();
        // No annotation: unchanged.
        assert_eq!(h.route(dump_packet(&echo)).unwrap().1.data(), &echo[..]);
        // IP header at 14 behind 0x0800: unchanged.
        let mut p = dump_packet(&echo);
        p.set_network_header(14);
        assert_eq!(h.route(p).unwrap().1.data(), &echo[..]);
        // Stripped header in the headroom: pushed back.
        let mut p = Packet::from_slice(&echo);
        p.set_network_header(14);
        p.pull_front(14);
        assert_eq!(h.route(p).unwrap().1.data(), &echo[..]);
        // IP header at 0 without headroom: our own header.
        let mut p = dump_packet(&echo[14..]);
        p.set_network_header(0);
        let out = h.route(p).unwrap().1;
        assert_eq!(
            &out.data()[..14],
            &hex("020202020202 010101010101 0800")[..]
        );
        assert_eq!(&out.data()[14..], &echo[14..]);
        // IP header at 14 behind another ethertype (ARP): header replaced.
        let mut arp = arp_request(SERVER_IP);
        let mut h2 = Harness::new(
            EnsureEther::default(),
            "e",
            "0x86dd, 0:1:2:3:4:5, 6:7:8:9:a:b",
            1,
        )
        .unwrap();
        let mut p = dump_packet(&arp);
        p.set_network_header(14);
        let out = h2.route(p).unwrap().1;
        arp[..14].copy_from_slice(&hex("060708090a0b 000102030405 86dd"));
        assert_eq!(out.data(), &arp[..]);
        // IP header behind a VLAN tag at 18: the tag goes.
        let t = tagged(&echo, 0x8100, 5);
        let mut p = dump_packet(&t);
        p.set_network_header(18);
        assert_eq!(&h.route(p).unwrap().1.data()[14..], &echo[14..]);
        // Annotation past the end of a runt: everything is replaced, nothing panics.
        let mut p = dump_packet(&echo[..10]);
        p.set_network_header(14);
        assert_eq!(h.route(p).unwrap().1.len(), 14);
    }

    #[test]
    fn strip_and_unstrip_round_trip() {
        let mut s = Harness::new(Strip::default(), "s", "14", 1).unwrap();
        let mut u = Harness::new(Unstrip::default(), "u", "LENGTH 14", 1).unwrap();
        let echo = icmp_echo();
        let stripped = s.route(Packet::from_slice(&echo)).unwrap().1;
        assert_eq!(stripped.data(), &echo[14..]);
        let back = u.route(stripped).unwrap().1;
        assert_eq!(back.data(), &echo[..]);
        // Without headroom Unstrip reallocates and the new bytes are zero.
        let out = u.route(dump_packet(&echo[14..])).unwrap().1;
        assert_eq!(&out.data()[..14], &[0; 14]);
        assert_eq!(out.len(), echo.len());
        // Stripping more than the packet empties it and complains like Click.
        let out = s.route(dump_packet(&echo[..10])).unwrap().1;
        assert!(out.is_empty());
        assert_eq!(s.platform.chatter, ["Packet::pull 14 > length 10"]);
        let mut e = Strip::default();
        assert!(configure(&mut e, "s", "", 1, 1)
            .unwrap_err()
            .contains("LENGTH: required argument missing"));
        assert!(configure(&mut e, "s", "-1", 1, 1).is_err());
    }
}
