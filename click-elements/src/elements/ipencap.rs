//! IP encapsulation: IPEncap prepends an IPv4 header, UDPIPEncap an IPv4 and a UDP header.
//! Both number their IP ids from 0 per element and use TTL 250, as Click does.

use alloc::format;
use alloc::string::String;

use crate::action::{ActionEnv, SimpleAction, Verdict};
use crate::args::{parse_bool, parse_i64, parse_ip, parse_uint_max, Args};
use crate::class::ElementClass;
use crate::element::ConfigureContext;
use crate::elements::net::{
    fmt_ip, in_cksum, parse_ip_proto, transport_cksum, update_cksum, IP_LEN, IP_PROTO_UDP, UDP_LEN,
};
use crate::packet::Packet;

/// TTL of the headers both elements make.
const DEFAULT_TTL: u8 = 250;
/// The DF bit of the fragment field.
const IP_DF: u16 = 0x4000;

/// A destination: a fixed address or the destination-IP annotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Destination {
    Fixed([u8; 4]),
    Annotation,
}

impl Destination {
    /// Parses an address or `DST_ANNO`.
    fn parse(s: &str) -> Option<Destination> {
        if s == "DST_ANNO" {
            Some(Destination::Annotation)
        } else {
            parse_ip(s).ok().map(Destination::Fixed)
        }
    }

    /// The `dst` read handler.
    fn unparse(&self) -> String {
        match self {
            Destination::Fixed(a) => fmt_ip(a),
            Destination::Annotation => String::from("DST_ANNO"),
        }
    }

    /// The address for packet `p`; a fixed one also becomes its destination annotation.
    fn resolve(&self, p: &mut Packet) -> [u8; 4] {
        match *self {
            Destination::Fixed(a) => {
                p.anno.dst_ip = a;
                a
            }
            Destination::Annotation => p.anno.dst_ip,
        }
    }
}

/// The big-endian 16-bit word at `i` of `h`.
fn word(h: &[u8], i: usize) -> u16 {
    u16::from_be_bytes([h[i], h[i + 1]])
}

/// Prepends a 20-byte IPv4 header: `IPEncap(PROTO, SRC, DST)` with keywords `TOS`, `TTL`
/// (default 250), `DSCP`, `ECT` (true, false or 2), `CE` and `DF`. PROTO is a number or a
/// name (`ipip`, `gre`, ...); DST may be `DST_ANNO` (the destination-IP annotation); a fixed
/// DST becomes the annotation. The IP id counts from 0; the header becomes the network
/// header. Read and write handlers `src` and `dst`.
pub struct IPEncap {
    /// The header with length, id and (for DST_ANNO) destination zero, and its checksum.
    template: [u8; IP_LEN],
    dst: Destination,
    id: u16,
}

impl Default for IPEncap {
    fn default() -> Self {
        IPEncap {
            template: [0; IP_LEN],
            dst: Destination::Annotation,
            id: 0,
        }
    }
}

impl ElementClass for IPEncap {
    const NAME: &'static str = "IPEncap";
    const EXAMPLE: &'static str = "4, 10.0.0.1, 10.0.0.2, TTL 64, DF true";
}

/// The TOS byte from IPEncap's TOS, DSCP, ECT and CE arguments, checked as Click checks them.
fn tos_byte(
    tos: Option<i64>,
    dscp: Option<i64>,
    ect: Option<&str>,
    ce: bool,
) -> Result<u8, String> {
    let ect = match ect {
        None => 0,
        Some("2") => 2,
        Some(s) => match parse_bool(s) {
            Ok(b) => u8::from(b),
            Err(_) => return Err(format!("bad ECT value '{s}'")),
        },
    };
    if tos.is_some() && dscp.is_some() {
        return Err(String::from("cannot set both TOS and DSCP"));
    }
    if tos.is_some() && (ect != 0 || ce) {
        return Err(String::from("cannot set both TOS and ECN bits"));
    }
    if tos.is_some_and(|t| !(0..256).contains(&t)) {
        return Err(String::from("TOS too large; max 255"));
    }
    // Click refuses DSCP 63 too.
    if dscp.is_some_and(|d| !(0..63).contains(&d)) {
        return Err(String::from("DSCP too large; max 63"));
    }
    if ect != 0 && ce {
        return Err(String::from("can set at most one ECN option"));
    }
    let mut byte = match (tos, dscp) {
        (Some(t), _) => t as u8,
        (None, Some(d)) => (d as u8) << 2,
        (None, None) => 0,
    };
    // "ECT true" sets 0b01 and "ECT 2" 0b10 (Click's IP_ECN_ECT1 and IP_ECN_ECT2); CE 0b11.
    byte |= ect;
    if ce {
        byte |= 3;
    }
    Ok(byte)
}

impl IPEncap {
    /// Sets the source address and recomputes the template's checksum.
    fn set_addresses(&mut self, src: [u8; 4], dst: Destination) {
        let t = &mut self.template;
        t[12..16].copy_from_slice(&src);
        let fixed = match dst {
            Destination::Fixed(a) => a,
            Destination::Annotation => [0; 4],
        };
        t[16..20].copy_from_slice(&fixed);
        t[10..12].fill(0);
        let sum = in_cksum(t);
        t[10..12].copy_from_slice(&sum.to_be_bytes());
        self.dst = dst;
    }

    /// The source address.
    fn src(&self) -> [u8; 4] {
        let t = &self.template;
        [t[12], t[13], t[14], t[15]]
    }
}

impl SimpleAction for IPEncap {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        let proto = args.read_mp("PROTO", parse_ip_proto);
        let src = args.read_mp("SRC", parse_ip);
        let dst = args.read_mp("DST", |s| Ok(String::from(s)));
        let tos = args.read_kw("TOS", parse_i64);
        let ttl = args.read_kw("TTL", |s| parse_uint_max(s, 255).map(|v| v as u8));
        let dscp = args.read_kw("DSCP", parse_i64);
        let ect = args.read_kw("ECT", |s| Ok(String::from(s)));
        let ce = args.read_kw("CE", parse_bool).unwrap_or(false);
        let df = args.read_kw("DF", parse_bool).unwrap_or(false);
        let (Some(proto), Some(src), Some(dst)) = (proto, src, dst) else {
            // Args reports what is missing or malformed.
            return Ok(());
        };
        let dst = Destination::parse(&dst)
            .ok_or_else(|| String::from("DST argument should be IP address or 'DST_ANNO'"))?;
        let tos = tos_byte(tos, dscp, ect.as_deref(), ce)?;
        let mut t = [0u8; IP_LEN];
        t[0] = 0x45;
        t[1] = tos;
        if df {
            t[6..8].copy_from_slice(&IP_DF.to_be_bytes());
        }
        t[8] = ttl.unwrap_or(DEFAULT_TTL);
        t[9] = proto;
        self.template = t;
        self.set_addresses(src, dst);
        self.id = 0;
        Ok(())
    }

    fn action(&mut self, p: &mut Packet, _env: &mut dyn ActionEnv) -> Verdict {
        let dst = self.dst.resolve(p);
        // Packets never exceed 64 KiB here; Click truncates the same way if they did.
        let len = (p.len() + IP_LEN) as u16;
        let id = self.id;
        self.id = self.id.wrapping_add(1);
        let h = &mut p.push_front(IP_LEN)[..IP_LEN];
        h.copy_from_slice(&self.template);
        // The template's checksum is updated word by word, as Click updates it.
        let mut sum = word(h, 10);
        if self.dst == Destination::Annotation {
            h[16..20].copy_from_slice(&dst);
            sum = update_cksum(sum, 0, word(h, 16));
            sum = update_cksum(sum, 0, word(h, 18));
        }
        h[2..4].copy_from_slice(&len.to_be_bytes());
        h[4..6].copy_from_slice(&id.to_be_bytes());
        sum = update_cksum(sum, 0, len);
        sum = update_cksum(sum, 0, id);
        h[10..12].copy_from_slice(&sum.to_be_bytes());
        p.set_network_header(0);
        Verdict::Out(0)
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["src", "dst"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        match name {
            "src" => Some(fmt_ip(&self.src())),
            "dst" => Some(self.dst.unparse()),
            _ => None,
        }
    }

    fn write_handlers(&self) -> &'static [&'static str] {
        &["src", "dst"]
    }

    fn write_handler(&mut self, name: &str, value: &str) -> Result<(), String> {
        let value = value.trim();
        match name {
            "src" => {
                let src = parse_ip(value).map_err(|e| format!("SRC: {e}"))?;
                self.set_addresses(src, self.dst);
            }
            "dst" => {
                let dst = Destination::parse(value).ok_or_else(|| {
                    String::from("DST argument should be IP address or 'DST_ANNO'")
                })?;
                self.set_addresses(self.src(), dst);
            }
            _ => return Err(format!("no write handler '{name}'")),
        }
        Ok(())
    }
}

/// Parses a UDP port number.
fn parse_port(s: &str) -> Result<u16, String> {
    parse_uint_max(s, 0xffff).map(|v| v as u16)
}

/// Prepends IPv4 and UDP headers (28 bytes): `UDPIPEncap(SRC, SPORT, DST, DPORT [,
/// CHECKSUM])`. DST may be `DST_ANNO`; a fixed DST becomes the destination annotation. TOS 0,
/// TTL 250, no fragment bits, the IP id counting from 0. CHECKSUM (default true, Click's
/// documented default) computes the UDP checksum; otherwise it is 0. The IP header becomes the
/// network header. Read and write handlers `src`, `sport`, `dst`, `dport`.
pub struct UDPIPEncap {
    src: [u8; 4],
    sport: u16,
    dst: Destination,
    dport: u16,
    checksum: bool,
    id: u16,
}

impl Default for UDPIPEncap {
    fn default() -> Self {
        UDPIPEncap {
            src: [0; 4],
            sport: 0,
            dst: Destination::Annotation,
            dport: 0,
            checksum: true,
            id: 0,
        }
    }
}

impl ElementClass for UDPIPEncap {
    const NAME: &'static str = "UDPIPEncap";
    const EXAMPLE: &'static str = "10.0.0.1, 1234, 10.0.0.2, 5678, CHECKSUM true";
}

impl SimpleAction for UDPIPEncap {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        let src = args.read_mp("SRC", parse_ip);
        let sport = args.read_mp("SPORT", parse_port);
        let dst = args.read_mp("DST", |s| {
            Destination::parse(s).ok_or_else(|| String::from("bad DST"))
        });
        let dport = args.read_mp("DPORT", parse_port);
        let checksum = args.read_p("CHECKSUM", parse_bool);
        if let (Some(src), Some(sport), Some(dst), Some(dport)) = (src, sport, dst, dport) {
            self.src = src;
            self.sport = sport;
            self.dst = dst;
            self.dport = dport;
        }
        self.checksum = checksum.unwrap_or(true);
        self.id = 0;
        Ok(())
    }

    fn action(&mut self, p: &mut Packet, _env: &mut dyn ActionEnv) -> Verdict {
        let dst = self.dst.resolve(p);
        let len = p.len() + IP_LEN + UDP_LEN;
        let id = self.id;
        self.id = self.id.wrapping_add(1);
        let checksum = self.checksum;
        let data = p.push_front(IP_LEN + UDP_LEN);
        let (ip, udp) = data.split_at_mut(IP_LEN);
        ip.copy_from_slice(&[0; IP_LEN]);
        ip[0] = 0x45;
        ip[2..4].copy_from_slice(&(len as u16).to_be_bytes());
        ip[4..6].copy_from_slice(&id.to_be_bytes());
        ip[8] = DEFAULT_TTL;
        ip[9] = IP_PROTO_UDP;
        ip[12..16].copy_from_slice(&self.src);
        ip[16..20].copy_from_slice(&dst);
        let sum = in_cksum(ip);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        udp[..2].copy_from_slice(&self.sport.to_be_bytes());
        udp[2..4].copy_from_slice(&self.dport.to_be_bytes());
        udp[4..6].copy_from_slice(&((len - IP_LEN) as u16).to_be_bytes());
        udp[6..8].fill(0);
        if checksum {
            let sum = transport_cksum(self.src, dst, IP_PROTO_UDP, udp);
            udp[6..8].copy_from_slice(&sum.to_be_bytes());
        }
        p.set_network_header(0);
        Verdict::Out(0)
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["src", "sport", "dst", "dport"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        match name {
            "src" => Some(fmt_ip(&self.src)),
            "sport" => Some(format!("{}", self.sport)),
            // Click shows 0.0.0.0 for DST_ANNO here.
            "dst" => Some(match self.dst {
                Destination::Fixed(a) => fmt_ip(&a),
                Destination::Annotation => fmt_ip(&[0; 4]),
            }),
            "dport" => Some(format!("{}", self.dport)),
            _ => None,
        }
    }

    fn write_handlers(&self) -> &'static [&'static str] {
        &["src", "sport", "dst", "dport"]
    }

    fn write_handler(&mut self, name: &str, value: &str) -> Result<(), String> {
        let value = value.trim();
        match name {
            "src" => self.src = parse_ip(value).map_err(|e| format!("SRC: {e}"))?,
            "sport" => self.sport = parse_port(value).map_err(|e| format!("SPORT: {e}"))?,
            "dst" => {
                self.dst = Destination::parse(value).ok_or_else(|| String::from("DST: bad DST"))?
            }
            "dport" => self.dport = parse_port(value).map_err(|e| format!("DPORT: {e}"))?,
            _ => return Err(format!("no write handler '{name}'")),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::testing::*;
    use alloc::string::ToString;
    use alloc::vec::Vec;

    /// Packet 0 of the `encap` middlebox case after Strip(14) and CheckIPHeader.
    const INNER: &str =
        "4500002610000000401155c40a0000020a00010214e90035001243f401080f161d242b323940";

    /// Pushes INNER (with destination annotation `anno`) through `h` twice; gives the bytes
    /// each time.
    fn encap_twice<E: crate::element::Element>(h: &mut Harness<E>, anno: [u8; 4]) -> Vec<Vec<u8>> {
        (0..2)
            .map(|_| {
                let mut p = dump_packet(&hex(INNER));
                p.anno.dst_ip = anno;
                let out = h.route(p).unwrap().1;
                assert_eq!(out.network_header_offset(), Some(0));
                out.data().to_vec()
            })
            .collect()
    }

    #[test]
    fn ipencap_matches_the_middlebox_case() {
        let cases = [
            (
                "4, 192.0.2.1, 192.0.2.2",
                "4500003a00000000fa043cbcc0000201c0000202",
                "4500003a00010000fa043cbbc0000201c0000202",
            ),
            (
                "ipip, 192.0.2.1, DST_ANNO, TTL 9, TOS 0x10, DF true",
                "4510003a000040000904ed4bc0000201c0000263",
                "4510003a000140000904ed4ac0000201c0000263",
            ),
            (
                "gre, 192.0.2.1, 192.0.2.2, DSCP 46, ECT true",
                "45b9003a00000000fa2f3bd8c0000201c0000202",
                "45b9003a00010000fa2f3bd7c0000201c0000202",
            ),
        ];
        for (config, first, second) in cases {
            let mut h = Harness::new(IPEncap::default(), "e", config, 1).unwrap();
            let out = encap_twice(&mut h, [192, 0, 2, 99]);
            assert_eq!(out[0], hex(&(first.to_string() + INNER)), "{config}");
            assert_eq!(out[1], hex(&(second.to_string() + INNER)), "{config}");
        }
        // A fixed destination becomes the annotation.
        let mut h = Harness::new(IPEncap::default(), "e", "udp, 1.2.3.4, 5.6.7.8", 1).unwrap();
        assert_eq!(
            h.route(dump_packet(&[])).unwrap().1.anno.dst_ip,
            [5, 6, 7, 8]
        );
    }

    #[test]
    fn ipencap_arguments_and_handlers() {
        let err = |config| {
            let mut e = IPEncap::default();
            configure(&mut e, "e", config, 1, 1).unwrap_err()
        };
        assert_eq!(err("256, 1.2.3.4, 5.6.7.8"), "PROTO: bad IP protocol");
        assert_eq!(
            err("4, 1.2.3.4, nowhere"),
            "DST argument should be IP address or 'DST_ANNO'"
        );
        assert_eq!(
            err("4, 1.2.3.4, 5.6.7.8, TOS 1, DSCP 2"),
            "cannot set both TOS and DSCP"
        );
        assert_eq!(
            err("4, 1.2.3.4, 5.6.7.8, TOS 1, CE true"),
            "cannot set both TOS and ECN bits"
        );
        assert_eq!(
            err("4, 1.2.3.4, 5.6.7.8, TOS 256"),
            "TOS too large; max 255"
        );
        assert_eq!(
            err("4, 1.2.3.4, 5.6.7.8, DSCP 63"),
            "DSCP too large; max 63"
        );
        assert_eq!(
            err("4, 1.2.3.4, 5.6.7.8, ECT 2, CE true"),
            "can set at most one ECN option"
        );
        assert_eq!(err("4, 1.2.3.4, 5.6.7.8, ECT 3"), "bad ECT value '3'");
        assert!(err("4, 1.2.3.4").contains("DST: required argument missing"));
        assert_eq!(tos_byte(None, Some(10), Some("2"), false), Ok(0x2a));
        assert_eq!(tos_byte(None, None, None, true), Ok(3));
        let mut h = Harness::new(IPEncap::default(), "e", "4, 1.2.3.4, DST_ANNO", 1).unwrap();
        assert_eq!(h.element.read_handler("dst").as_deref(), Some("DST_ANNO"));
        h.element.write_handler("dst", "192.0.2.2").unwrap();
        h.element.write_handler("src", "192.0.2.1").unwrap();
        assert_eq!(h.element.read_handler("src").as_deref(), Some("192.0.2.1"));
        assert!(h.element.write_handler("src", "x").is_err());
        let out = h.route(dump_packet(&hex(INNER))).unwrap().1;
        assert_eq!(
            out.data(),
            &hex(&("4500003a00000000fa043cbcc0000201c0000202".to_string() + INNER))[..]
        );
    }

    #[test]
    fn udpipencap_matches_the_middlebox_case() {
        let mut h = Harness::new(
            UDPIPEncap::default(),
            "u",
            "192.0.2.1, 4789, DST_ANNO, 4789, CHECKSUM true",
            1,
        )
        .unwrap();
        let out = encap_twice(&mut h, [192, 0, 2, 77]);
        assert_eq!(
            out[0],
            hex(&("4500004200000000fa113c5cc0000201c000024d12b512b5002e6b00".to_string() + INNER))
        );
        assert_eq!(&out[1][4..6], &[0, 1]);
        let mut h = Harness::new(
            UDPIPEncap::default(),
            "u",
            "192.0.2.1, 1234, 192.0.2.2, 5678, false",
            1,
        )
        .unwrap();
        let out = encap_twice(&mut h, [0; 4]);
        assert_eq!(
            out[0],
            hex(&("4500004200000000fa113ca7c0000201c000020204d2162e002e0000".to_string() + INNER))
        );
        assert_eq!(h.element.read_handler("dport").as_deref(), Some("5678"));
        h.element.write_handler("sport", "53").unwrap();
        assert_eq!(h.element.read_handler("sport").as_deref(), Some("53"));
        assert!(h.element.write_handler("dport", "65536").is_err());
        let mut e = UDPIPEncap::default();
        let err = configure(&mut e, "u", "1.2.3.4, 1, nowhere, 2", 1, 1).unwrap_err();
        assert_eq!(err, "DST: bad DST");
    }
}
