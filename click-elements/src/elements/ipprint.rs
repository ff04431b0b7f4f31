//! IPPrint: one stderr line per IP packet in Click's tcpdump-like format.

use alloc::format;
use alloc::string::String;
use core::fmt::Write;

use crate::action::{ActionEnv, SimpleAction, Verdict};
use crate::args::{parse_bool, parse_i64, parse_string, Args};
use crate::class::ElementClass;
use crate::element::ConfigureContext;
use crate::elements::net::{
    be16, fmt_ip, fmt_timestamp, icmp_code_name, icmp_type_name, ip_is_first_fragment,
    ip_is_fragment, ip_proto_name, ip_transport_offsets, ICMP_LEN, IP_LEN, IP_PROTO_ICMP,
    IP_PROTO_TCP, IP_PROTO_UDP, UDP_LEN,
};
use crate::elements::print::{parse_contents, Contents};
use crate::packet::{Packet, PAINT_ANNO_OFFSET};

/// Prints `[LABEL: ][TIMESTAMP: ][paint P: ][id I ][ttl T ][tos S ][length L ]LINE` for each
/// packet with an IP header annotation, LINE in tcpdump style (`SRC.SPORT > DST.DPORT: S
/// SEQ:END(LEN,PKTLEN,IPLEN) ack A win W` for TCP, `... : udp ULEN` for UDP, `SRC > DST: icmp
/// ...` for ICMP, `ip-proto-N` for others), then ` (frag ID:LEN@OFF+)` for fragments and the
/// contents. Keywords: `LABEL` (positional), `CONTENTS` (`HEX`/`ASCII`/`NONE`: the whole
/// packet), `PAYLOAD` (`HEX`/`ASCII`/`NO`: the transport payload), `MAXLENGTH` (default 1500;
/// `NBYTES` is the old name), `ID`, `TIMESTAMP` (default true), `PAINT`, `TOS`, `TTL`, `LENGTH`,
/// `AGGREGATE`, `SWAP` (ICMP echo id and sequence in network order, default true), `ACTIVE`
/// (also a read/write handler). Click's `OUTFILE` and `CHANNEL` are not supported.
pub struct IPPrint {
    label: String,
    contents: Contents,
    payload: bool,
    max_length: i64,
    id: bool,
    timestamp: bool,
    paint: bool,
    tos: bool,
    ttl: bool,
    length: bool,
    aggregate: bool,
    swap: bool,
    active: bool,
}

impl Default for IPPrint {
    fn default() -> Self {
        IPPrint {
            label: String::new(),
            contents: Contents::None,
            payload: false,
            max_length: 1500,
            id: false,
            timestamp: true,
            paint: false,
            tos: false,
            ttl: false,
            length: false,
            aggregate: false,
            swap: true,
            active: true,
        }
    }
}

/// A packet with an IP header, as the printer sees it: the IP header (at least 20 bytes), the
/// transport bytes that count (present and within the IP length) and Click's lengths.
struct View<'a> {
    ip: &'a [u8],
    /// The transport bytes that count (Click's `transport_length`, capped by the IP payload).
    t: &'a [u8],
    /// `transport_length` as Click computes it (negative when the header is past the end).
    tlen: i64,
    /// IP total length.
    ip_len: i64,
    /// IP total length minus header length (negative when the header claims more).
    payload_len: i64,
}

impl View<'_> {
    /// The 16-bit big-endian value at `off` of the transport bytes (callers check `tlen`).
    fn t16(&self, off: usize) -> u16 {
        be16(self.t, off).unwrap_or(0)
    }

    /// The 32-bit big-endian value at `off` of the transport bytes.
    fn t32(&self, off: usize) -> u32 {
        (u32::from(self.t16(off)) << 16) | u32::from(self.t16(off + 2))
    }

    /// The byte at `off` of the transport bytes.
    fn t8(&self, off: usize) -> u8 {
        self.t.get(off).copied().unwrap_or(0)
    }

    /// The source address, dotted.
    fn src(&self) -> String {
        fmt_ip(&[self.ip[12], self.ip[13], self.ip[14], self.ip[15]])
    }

    /// The destination address, dotted.
    fn dst(&self) -> String {
        fmt_ip(&[self.ip[16], self.ip[17], self.ip[18], self.ip[19]])
    }

    /// True for a first fragment or a whole packet.
    fn first_fragment(&self) -> bool {
        ip_is_first_fragment(self.ip)
    }

    /// `SRC.SPORT > DST.DPORT: `.
    fn ports(&self, s: &mut String) {
        let _ = write!(
            s,
            "{}.{} > {}.{}: ",
            self.src(),
            self.t16(0),
            self.dst(),
            self.t16(2)
        );
    }

    /// `SRC > DST: truncated-PROTO` (first fragment) or `SRC > DST: PROTO`.
    fn short(&self, s: &mut String, proto: &str) {
        let trunc = if self.first_fragment() {
            "truncated-"
        } else {
            ""
        };
        let _ = write!(s, "{} > {}: {trunc}{proto}", self.src(), self.dst());
    }

    /// The TCP line; `pkt_len` is the whole packet's length.
    fn tcp(&self, s: &mut String, pkt_len: usize) {
        if self.tlen < 4 || !self.first_fragment() {
            return self.short(s, "tcp");
        }
        self.ports(s);
        if self.tlen < 14 {
            s.push_str("truncated-tcp");
            return;
        }
        let hl = i64::from(self.ip[0] & 0x0f) * 4;
        let off = i64::from(self.t8(12) >> 4) * 4;
        let flags = self.t8(13);
        let mut seqlen = self.ip_len - hl - off;
        let (fin, syn, rst, push, ack) = (1, 2, 4, 8, 16);
        if flags & syn != 0 {
            s.push('S');
            seqlen += 1;
        }
        if flags & fin != 0 {
            s.push('F');
            seqlen += 1;
        }
        if flags & rst != 0 {
            s.push('R');
        }
        if flags & push != 0 {
            s.push('P');
        }
        if flags & (syn | fin | rst | push) == 0 {
            s.push('.');
        }
        let seq = self.t32(4);
        let _ = write!(
            s,
            " {seq}:{}({seqlen},{pkt_len},{})",
            seq.wrapping_add(seqlen as u32),
            self.ip_len
        );
        if flags & ack != 0 {
            let _ = write!(s, " ack {}", self.t32(8));
        }
        if self.tlen < 16 {
            s.push_str("truncated-tcp");
        } else {
            let _ = write!(s, " win {}", self.t16(14));
        }
    }

    /// The UDP line.
    fn udp(&self, s: &mut String) {
        if self.tlen < 4 || !self.first_fragment() {
            return self.short(s, "udp");
        }
        self.ports(s);
        if self.tlen < UDP_LEN as i64 {
            s.push_str("truncated-udp");
        } else {
            let _ = write!(s, "udp {}", self.t16(4));
        }
    }

    /// The ICMP line; `swap` prints echo id and sequence in network order.
    fn icmp(&self, s: &mut String, swap: bool) {
        let _ = write!(s, "{} > {}: ", self.src(), self.dst());
        if !self.first_fragment() {
            s.push_str("icmp");
            return;
        }
        if self.tlen < 2 {
            s.push_str("truncated-icmp");
            return;
        }
        let (icmp_type, code) = (self.t8(0), self.t8(1));
        match icmp_type {
            0 | 8 => {
                let _ = write!(s, "icmp {} ", icmp_type_name(icmp_type).unwrap_or(""));
                if self.tlen < ICMP_LEN as i64 {
                    s.push_str("truncated-icmp");
                    return;
                }
                let word = |off: usize| {
                    let v = self.t16(off);
                    if swap {
                        v
                    } else {
                        // The raw 16-bit field as a little-endian host reads it.
                        v.swap_bytes()
                    }
                };
                let _ = write!(s, "({}, {})", word(4), word(6));
            }
            3 => self.unreachable(s, code),
            _ => {
                match icmp_type_name(icmp_type) {
                    Some(name) => {
                        let _ = write!(s, "icmp {name}");
                    }
                    None => {
                        let _ = write!(s, "icmp type {icmp_type}");
                    }
                }
                match icmp_code_name(icmp_type, code) {
                    Some(name) => {
                        let _ = write!(s, " {name}");
                    }
                    None if code != 0 => {
                        let _ = write!(s, " code {code}");
                    }
                    None => {}
                }
            }
        }
    }

    /// The unreachable line: `icmp DST unreachable CODE [PROTO[/PORT]] [(mtu M)]`.
    fn unreachable(&self, s: &mut String, code: u8) {
        let code_text = match icmp_code_name(3, code) {
            Some(name) => String::from(name),
            None => format!("code {code}"),
        };
        let quoted_len = self.tlen - ICMP_LEN as i64;
        if quoted_len < IP_LEN as i64 {
            let _ = write!(s, "icmp unreachable {code_text} truncated-icmp");
            return;
        }
        let quoted = &self.t[ICMP_LEN..];
        let quoted_hl = usize::from(quoted[0] & 0x0f) * 4;
        let transport_len = quoted_len - quoted_hl as i64;
        let _ = write!(
            s,
            "icmp {} unreachable {code_text}",
            fmt_ip(&[quoted[16], quoted[17], quoted[18], quoted[19]])
        );
        let proto = quoted[9];
        match code {
            2 => {
                let _ = match ip_proto_name(proto) {
                    Some(name) => write!(s, " {name}"),
                    None => write!(s, " {proto}"),
                };
            }
            3 => {
                let _ = match ip_proto_name(proto) {
                    Some(name) => write!(s, " {name}"),
                    None => write!(s, " protocol {proto}"),
                };
                if transport_len < 4 {
                    s.push_str("truncated-icmp");
                } else {
                    let _ = write!(s, "/{}", be16(quoted, quoted_hl + 2).unwrap_or(0));
                }
            }
            4 => {
                let mtu = self.t16(6);
                if mtu != 0 {
                    let _ = write!(s, " (mtu {mtu})");
                }
            }
            _ => {}
        }
    }
}

impl IPPrint {
    /// The line for `p`, or `None` when it has no IP header annotation.
    fn line(&self, p: &Packet) -> Option<String> {
        let nh = p.network_header_offset()?;
        let data = p.data();
        let mut s = String::new();
        if !self.label.is_empty() {
            let _ = write!(s, "{}: ", self.label);
        }
        if self.timestamp {
            let _ = write!(s, "{}: ", fmt_timestamp(&p.anno.timestamp));
        }
        if self.aggregate {
            let a = |i| p.anno.byte(i);
            let _ = write!(s, "#{}", u32::from_ne_bytes([a(20), a(21), a(22), a(23)]));
        }
        if self.paint {
            let sep = if self.aggregate { "." } else { "paint " };
            let _ = write!(s, "{sep}{}", p.anno.byte(PAINT_ANNO_OFFSET));
        }
        if self.aggregate || self.paint {
            s.push_str(": ");
        }
        let Some((_, th)) = ip_transport_offsets(p) else {
            s.push_str("truncated-ip");
            return Some(s);
        };
        let ip = &data[nh..];
        let ip_len = i64::from(u16::from_be_bytes([ip[2], ip[3]]));
        let payload_len = ip_len - i64::from(ip[0] & 0x0f) * 4;
        let tlen = (data.len() as i64 - th as i64).min(payload_len);
        let t = data
            .get(th..)
            .map_or(&[][..], |t| &t[..usize::try_from(tlen).unwrap_or(0)]);
        let v = View {
            ip,
            t,
            tlen,
            ip_len,
            payload_len,
        };
        if self.id {
            let _ = write!(s, "id {} ", u16::from_be_bytes([ip[4], ip[5]]));
        }
        if self.ttl {
            let _ = write!(s, "ttl {} ", ip[8]);
        }
        if self.tos {
            let _ = write!(s, "tos {} ", ip[1]);
        }
        if self.length {
            let _ = write!(s, "length {ip_len} ");
        }
        match ip[9] {
            IP_PROTO_TCP => v.tcp(&mut s, data.len()),
            IP_PROTO_UDP => v.udp(&mut s),
            IP_PROTO_ICMP => v.icmp(&mut s, self.swap),
            proto => {
                let _ = write!(s, "{} > {}: ip-proto-{proto}", v.src(), v.dst());
            }
        }
        if ip_is_fragment(ip) {
            let _ = write!(
                s,
                " (frag {}:{}@{}{})",
                u16::from_be_bytes([ip[4], ip[5]]),
                v.payload_len,
                (u16::from_be_bytes([ip[6], ip[7]]) & 0x1fff) << 3,
                if ip[6] & 0x20 != 0 { "+" } else { "" }
            );
        }
        if self.contents != Contents::None {
            let start = if !self.payload {
                0
            } else if v.first_fragment() && ip[9] == IP_PROTO_TCP {
                th + usize::from(data.get(th + 12).map_or(0, |b| b >> 4)) * 4
            } else if v.first_fragment() && ip[9] == IP_PROTO_UDP {
                th + UDP_LEN
            } else {
                th
            };
            let rest = data.get(start..).unwrap_or(&[]);
            let shown = match usize::try_from(self.max_length) {
                Ok(n) => n.min(rest.len()),
                Err(_) => rest.len(),
            };
            dump_bytes(&mut s, &rest[..shown], self.contents);
        }
        Some(s)
    }
}

/// Appends `bytes` as IPPrint shows contents: hex in groups of 4, 24 bytes a line, or text
/// (`.` for non-printables) in groups of 8, 48 a line; each line starts with a newline and two
/// spaces.
fn dump_bytes(s: &mut String, bytes: &[u8], contents: Contents) {
    let (line, group) = if contents == Contents::Hex {
        (24, 4)
    } else {
        (48, 8)
    };
    for (i, &b) in bytes.iter().enumerate() {
        if i % line == 0 {
            s.push_str("\n  ");
        } else if i % group == 0 {
            s.push(' ');
        }
        if contents == Contents::Hex {
            let _ = write!(s, "{b:02x}");
        } else {
            s.push(if (32..=126).contains(&b) {
                b as char
            } else {
                '.'
            });
        }
    }
}

/// Parses IPPrint's `PAYLOAD`: `NO`/`FALSE`, `YES`/`TRUE`/`HEX` or `ASCII`, in any case.
fn parse_payload(p: &str) -> Result<Contents, String> {
    match p.to_ascii_uppercase().as_str() {
        "NO" | "FALSE" => Ok(Contents::None),
        "YES" | "TRUE" | "HEX" => Ok(Contents::Hex),
        "ASCII" => Ok(Contents::Ascii),
        _ => Err(format!(
            "bad payload value '{p}'; should be 'false', 'hex', or 'ascii'"
        )),
    }
}

impl ElementClass for IPPrint {
    const NAME: &'static str = "IPPrint";
    const EXAMPLE: &'static str = "ip, CONTENTS HEX, ID true, TTL true, TOS true, LENGTH true";
}

impl SimpleAction for IPPrint {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        *self = IPPrint::default();
        if let Some(l) = args.read_p("LABEL", parse_string) {
            self.label = l;
        }
        let contents = args.read_kw("CONTENTS", parse_contents);
        let payload = args.read_kw("PAYLOAD", parse_payload);
        for name in ["MAXLENGTH", "NBYTES"] {
            if let Some(n) = args.read_kw(name, parse_i64) {
                self.max_length = n;
            }
        }
        let flags: [(&str, &mut bool); 9] = [
            ("ID", &mut self.id),
            ("TIMESTAMP", &mut self.timestamp),
            ("PAINT", &mut self.paint),
            ("TOS", &mut self.tos),
            ("TTL", &mut self.ttl),
            ("SWAP", &mut self.swap),
            ("LENGTH", &mut self.length),
            ("AGGREGATE", &mut self.aggregate),
            ("ACTIVE", &mut self.active),
        ];
        for (name, flag) in flags {
            if let Some(v) = args.read_kw(name, parse_bool) {
                *flag = v;
            }
        }
        for unsupported in ["OUTFILE", "CHANNEL"] {
            if args.read_kw(unsupported, parse_string).is_some() {
                return Err(format!("{unsupported}: not supported"));
            }
        }
        let contents = contents.unwrap_or(Contents::None);
        let payload = payload.unwrap_or(Contents::None);
        match (contents, payload) {
            (Contents::None, Contents::None) => {}
            (c, Contents::None) => self.contents = c,
            (Contents::None, p) => {
                self.contents = p;
                self.payload = true;
            }
            _ => return Err(String::from("specify at most one of PAYLOAD and CONTENTS")),
        }
        Ok(())
    }

    fn action(&mut self, p: &mut Packet, env: &mut dyn ActionEnv) -> Verdict {
        if self.active {
            if let Some(line) = self.line(p) {
                env.chatter(format_args!("{line}"));
            }
        }
        Verdict::Out(0)
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["active"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        (name == "active").then(|| format!("{}", self.active))
    }

    fn write_handlers(&self) -> &'static [&'static str] {
        &["active"]
    }

    fn write_handler(&mut self, name: &str, value: &str) -> Result<(), String> {
        match name {
            "active" => {
                self.active = parse_bool(value.trim())?;
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
    use crate::packet::Timestamp;
    use alloc::vec::Vec;

    /// The line IPPrint(`config`) prints for the IP packet `ip` (network header at 14 behind
    /// an Ethernet header, padded to 60 bytes), stamped 1.000020.
    fn print(config: &str, ip: &[u8]) -> Vec<String> {
        let mut h = Harness::new(IPPrint::default(), "p", config, 1).unwrap();
        let mut p = dump_packet(&ether(SERVER_MAC, CLIENT_MAC, 0x0800, ip, 60));
        p.set_network_header(14);
        p.anno.timestamp = Timestamp {
            sec: 1,
            nsec: 20_000,
        };
        assert!(h.route(p).is_some());
        h.platform.chatter
    }

    /// A TCP segment: ports, seq, ack, data offset (words), flags, window, payload.
    fn tcp(off: u8, flags: u8, payload: &[u8]) -> Vec<u8> {
        let mut t = alloc::vec![0, 10, 0, 20, 0, 0, 0, 5, 0, 0, 0, 9, off << 4, flags, 1, 0];
        t.extend_from_slice(&[0; 4]);
        t.resize(usize::from(off) * 4, 0);
        t.extend_from_slice(payload);
        t
    }

    #[test]
    fn tcp_lines_as_click_prints_them() {
        // Click's IPPrint-01 test lines, in nanosecond form.
        let ip = ipv4(6, [1, 0, 0, 1], [1, 0, 0, 2], &tcp(5, 0x10, &[0; 4]));
        assert_eq!(
            print("", &ip),
            ["1.000020000: 1.0.0.1.10 > 1.0.0.2.20: . 5:9(4,60,44) ack 9 win 256"]
        );
        let ip = ipv4(6, [1, 0, 0, 1], [1, 0, 0, 2], &tcp(5, 0x03, &[]));
        assert_eq!(
            print("TIMESTAMP false", &ip),
            ["1.0.0.1.10 > 1.0.0.2.20: SF 5:7(2,60,40) win 256"]
        );
        // Truncated: under 14 bytes of TCP, or under 16.
        let ip = ipv4(6, [1, 0, 0, 1], [1, 0, 0, 2], &tcp(5, 0x18, &[])[..15]);
        assert_eq!(
            print("TIMESTAMP false", &ip),
            ["1.0.0.1.10 > 1.0.0.2.20: P 5:0(-5,60,35) ack 9truncated-tcp"]
        );
        let ip = ipv4(6, [1, 0, 0, 1], [1, 0, 0, 2], &[0; 3]);
        assert_eq!(
            print("TIMESTAMP false", &ip),
            ["1.0.0.1 > 1.0.0.2: truncated-tcp"]
        );
    }

    #[test]
    fn udp_icmp_options_and_contents() {
        let udp = [0x13, 0x88, 0, 53, 0, 9, 0, 0, 0x41];
        let ip = ipv4(17, CLIENT_IP, SERVER_IP, &udp);
        assert_eq!(
            print(
                "x, TIMESTAMP false, ID true, TTL true, TOS true, LENGTH true",
                &ip
            ),
            ["x: id 1234 ttl 64 tos 0 length 29 10.10.0.1.5000 > 10.10.0.3.53: udp 9"]
        );
        // The payload runs to the end of the data (Ethernet padding included when untrimmed).
        assert_eq!(
            print("TIMESTAMP false, PAYLOAD ASCII", &ip),
            ["10.10.0.1.5000 > 10.10.0.3.53: udp 9\n  A....... ........ .."]
        );
        let lines = print("TIMESTAMP false, CONTENTS true, MAXLENGTH 30", &ip);
        assert_eq!(
            lines,
            ["10.10.0.1.5000 > 10.10.0.3.53: udp 9\n  \
              00151715 5d750011 22334455 08004500 001d04d2 00004011\n  \
              61e70a0a 0001"]
        );
        // A later fragment.
        let mut frag = ipv4(17, CLIENT_IP, SERVER_IP, &udp);
        frag[6..8].copy_from_slice(&[0x20, 3]);
        assert_eq!(
            print("TIMESTAMP false", &frag),
            ["10.10.0.1 > 10.10.0.3: udp (frag 1234:9@24+)"]
        );
        let echo = ipv4(1, CLIENT_IP, SERVER_IP, &icmp(8, 0, 0x0102, 7, &[]));
        assert_eq!(
            print("TIMESTAMP false", &echo),
            ["10.10.0.1 > 10.10.0.3: icmp echo (258, 7)"]
        );
        assert_eq!(
            print("TIMESTAMP false, SWAP false", &echo),
            ["10.10.0.1 > 10.10.0.3: icmp echo (513, 1792)"]
        );
        let quoted = ipv4(17, SERVER_IP, [10, 9, 9, 9], &udp);
        let unreach = ipv4(1, CLIENT_IP, SERVER_IP, &icmp(3, 3, 0, 0, &quoted[..28]));
        assert_eq!(
            print("TIMESTAMP false", &unreach),
            ["10.10.0.1 > 10.10.0.3: icmp 10.9.9.9 unreachable port udp/53"]
        );
        let unreach = ipv4(1, CLIENT_IP, SERVER_IP, &icmp(3, 4, 0, 1400, &quoted[..20]));
        assert_eq!(
            print("TIMESTAMP false", &unreach),
            ["10.10.0.1 > 10.10.0.3: icmp 10.9.9.9 unreachable needfrag (mtu 1400)"]
        );
        let exceeded = ipv4(1, CLIENT_IP, SERVER_IP, &icmp(11, 1, 0, 0, &[]));
        assert_eq!(
            print("TIMESTAMP false", &exceeded),
            ["10.10.0.1 > 10.10.0.3: icmp timeexceeded reassembly"]
        );
        let odd = ipv4(1, CLIENT_IP, SERVER_IP, &icmp(42, 7, 0, 0, &[]));
        assert_eq!(
            print("TIMESTAMP false, PAINT true", &odd),
            ["paint 0: 10.10.0.1 > 10.10.0.3: icmp type 42 code 7"]
        );
        let gre = ipv4(47, CLIENT_IP, SERVER_IP, &[0; 4]);
        assert_eq!(
            print("TIMESTAMP false", &gre),
            ["10.10.0.1 > 10.10.0.3: ip-proto-47"]
        );
    }

    #[test]
    fn configuration_and_unannotated_packets() {
        let mut h = Harness::new(IPPrint::default(), "p", "", 1).unwrap();
        assert!(h.route(dump_packet(&icmp_echo())).is_some());
        let mut p = dump_packet(&icmp_echo()[..30]);
        p.set_network_header(14);
        assert!(h.route(p).is_some());
        assert_eq!(h.platform.chatter, ["0.000000000: truncated-ip"]);
        h.element.write_handler("active", "false").unwrap();
        assert_eq!(h.element.read_handler("active").unwrap(), "false");
        let mut e = IPPrint::default();
        assert!(configure(&mut e, "p", "CONTENTS HEX, PAYLOAD HEX", 1, 1)
            .unwrap_err()
            .contains("at most one"));
        assert!(configure(&mut e, "p", "PAYLOAD maybe", 1, 1).is_err());
        assert!(configure(&mut e, "p", "OUTFILE x", 1, 1).is_err());
    }
}
