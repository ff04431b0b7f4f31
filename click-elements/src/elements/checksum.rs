//! Checksum setters: SetIPChecksum, SetTCPChecksum and SetUDPChecksum recompute a header's
//! checksum in place, with Click's length rules and messages.

use alloc::string::String;

use crate::action::{counter_handler, ActionEnv, SimpleAction, Verdict};
use crate::args::{parse_bool, Args};
use crate::class::{ElementClass, Ports, ProcessingSpec};
use crate::element::ConfigureContext;
use crate::elements::net::{
    be16, in_cksum, ip_is_fragment, ip_transport_offsets, ones_sum, pseudo_header_cksum, IP_LEN,
    TCP_LEN, UDP_LEN,
};
use crate::packet::Packet;

/// Zeroes the 16-bit checksum field at `at` of the transport bytes `seg`, sums `seg[..len]`
/// and stores the checksum with the pseudo header of the IPv4 header `ip` in that field. The
/// caller has checked that `seg` holds `len` bytes and the field.
fn store_transport_cksum(ip: &[u8], seg: &mut [u8], at: usize, len: usize) {
    seg[at..at + 2].fill(0);
    let sum = pseudo_header_cksum(ones_sum(&seg[..len]), ip, len);
    seg[at..at + 2].copy_from_slice(&sum.to_be_bytes());
}

/// The IP and transport header offsets of `p` for a checksum setter: as
/// [`ip_transport_offsets`], with a header length of at least 20 bytes (Click would write a
/// transport checksum into the IP header of a shorter one).
fn setter_offsets(p: &Packet) -> Option<(usize, usize)> {
    ip_transport_offsets(p).filter(|&(nh, th)| th >= nh + IP_LEN)
}

/// Recomputes the IP header checksum of the header at the network-header annotation (or at
/// the start of the data without it). Packets too short for the header length they announce,
/// or announcing less than 20 bytes, are dropped and counted (`drops`), the first with
/// `SetIPChecksum: bad input packet`.
#[derive(Default)]
pub struct SetIPChecksum {
    drops: u64,
}

impl ElementClass for SetIPChecksum {
    const NAME: &'static str = "SetIPChecksum";
}

impl SimpleAction for SetIPChecksum {
    fn action(&mut self, p: &mut Packet, env: &mut dyn ActionEnv) -> Verdict {
        let nh = p.network_header_offset().unwrap_or(0);
        let data = p.data();
        let hlen = data.get(nh).map_or(0, |&v| usize::from(v & 0x0f) * 4);
        if data.len() < nh + IP_LEN || hlen < IP_LEN || nh + hlen > data.len() {
            self.drops += 1;
            if self.drops == 1 {
                env.chatter(format_args!("SetIPChecksum: bad input packet"));
            }
            return Verdict::Drop;
        }
        let ip = &mut p.data_mut()[nh..nh + hlen];
        ip[10..12].fill(0);
        let sum = in_cksum(ip);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        Verdict::Out(0)
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["drops"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        counter_handler(name, &[("drops", self.drops)])
    }
}

/// Recomputes the TCP checksum over the IP payload (IP total length minus header length).
/// Packets whose payload is under 20 bytes or longer than the bytes after the transport
/// header, or without an IP header annotation, are dropped with `SetTCPChecksum: bad
/// lengths`. With `FIXOFF true` (default false) a data offset under 5 becomes 5 and one past
/// the payload (not in a fragment) becomes the payload length / 4 first. `SetTCPChecksum([FIXOFF])`.
#[derive(Default)]
pub struct SetTCPChecksum {
    fixoff: bool,
    drops: u64,
}

impl SetTCPChecksum {
    /// Sets the checksum; false when the lengths do not fit.
    fn set(&self, p: &mut Packet) -> bool {
        let Some((nh, th)) = setter_offsets(p) else {
            return false;
        };
        let ip = &p.data()[nh..];
        let Some(len) = usize::from(u16::from_be_bytes([ip[2], ip[3]])).checked_sub(th - nh) else {
            return false;
        };
        if len < TCP_LEN || th + len > p.len() {
            return false;
        }
        let fragment = ip_is_fragment(ip);
        let (head, seg) = p.data_mut().split_at_mut(th);
        if self.fixoff {
            let off = usize::from(seg[12] >> 4) * 4;
            let fixed = if off < TCP_LEN {
                Some(5)
            } else if off > len && !fragment {
                Some((len >> 2) as u8)
            } else {
                None
            };
            if let Some(words) = fixed {
                seg[12] = (words << 4) | (seg[12] & 0x0f);
            }
        }
        store_transport_cksum(&head[nh..], seg, 16, len);
        true
    }
}

impl ElementClass for SetTCPChecksum {
    const NAME: &'static str = "SetTCPChecksum";
    const EXAMPLE: &'static str = "true";
}

impl SimpleAction for SetTCPChecksum {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        self.fixoff = args.read_p("FIXOFF", parse_bool).unwrap_or(false);
        Ok(())
    }

    fn action(&mut self, p: &mut Packet, env: &mut dyn ActionEnv) -> Verdict {
        if self.set(p) {
            return Verdict::Out(0);
        }
        self.drops += 1;
        env.chatter(format_args!("SetTCPChecksum: bad lengths"));
        Verdict::Drop
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["drops"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        counter_handler(name, &[("drops", self.drops)])
    }
}

/// Recomputes the UDP checksum over the UDP length (`uh_ulen`, not the IP length; the bytes
/// after the transport header count, padding included). Fragments, packets with fewer than 8
/// bytes after the transport header or fewer than the UDP length, and packets without an IP
/// header annotation go to output 1; without output 1 they are dropped and counted (`drops`),
/// the first with `NAME :: SetUDPChecksum: fragment or short packet`.
#[derive(Default)]
pub struct SetUDPChecksum {
    drops: u64,
    has_reject_output: bool,
}

impl SetUDPChecksum {
    /// Sets the checksum; false for fragments and short packets.
    fn set(p: &mut Packet) -> bool {
        let Some((nh, th)) = setter_offsets(p) else {
            return false;
        };
        let data = p.data();
        let Some(len) = be16(data, th + 4).map(usize::from) else {
            return false;
        };
        if ip_is_fragment(&data[nh..]) || data.len() < th + UDP_LEN.max(len) {
            return false;
        }
        let (head, seg) = p.data_mut().split_at_mut(th);
        store_transport_cksum(&head[nh..], seg, 6, len);
        true
    }
}

impl ElementClass for SetUDPChecksum {
    const NAME: &'static str = "SetUDPChecksum";
    const PORTS: Ports = Ports::parse("1/1-2");
    const PROCESSING: ProcessingSpec = ProcessingSpec::parse("a/ah");
}

impl SimpleAction for SetUDPChecksum {
    fn configure(&mut self, _args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        self.has_reject_output = ctx.noutputs == 2;
        Ok(())
    }

    fn action(&mut self, p: &mut Packet, env: &mut dyn ActionEnv) -> Verdict {
        if Self::set(p) {
            return Verdict::Out(0);
        }
        if self.has_reject_output {
            return Verdict::Out(1);
        }
        self.drops += 1;
        if self.drops == 1 {
            let name = String::from(env.element_name());
            env.chatter(format_args!(
                "{name} :: SetUDPChecksum: fragment or short packet"
            ));
        }
        Verdict::Drop
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
    use crate::elements::checkheader::{CheckICMPHeader, CheckTCPHeader, CheckUDPHeader};
    use crate::elements::testing::*;
    use crate::elements::CheckIPHeader;
    use alloc::vec::Vec;

    /// A file of the checksums-l4 case (Click 2.1's input and outputs).
    macro_rules! case_file {
        ($name:literal) => {
            pcap_records(include_bytes!(concat!(
                "../../../tests/data/middlebox/checksums-l4/",
                $name
            )))
        };
    }

    /// Routes `p` through the harness; the port and packet, with the element's lines appended
    /// to `lines`.
    fn step<E: crate::element::Element>(
        h: &mut Harness<E>,
        p: Packet,
        lines: &mut Vec<String>,
    ) -> Option<(usize, Packet)> {
        let out = h.route(p);
        drain_chatter(&mut h.platform, lines);
        out
    }

    /// The checksums-l4 case without IPClassifier and MarkIPHeader (other branches): the
    /// classification by protocol byte and the network-header mark are done here. Every
    /// output file and every stderr line must be Click's.
    #[test]
    fn checksums_l4_case() {
        let mut chk = Harness::new(CheckIPHeader::default(), "CheckIPHeader@5", "14", 1).unwrap();
        let mut ct = Harness::new(CheckTCPHeader::default(), "ct", "VERBOSE true", 2).unwrap();
        let mut cu = Harness::new(CheckUDPHeader::default(), "cu", "VERBOSE true", 2).unwrap();
        let mut ci = Harness::new(CheckICMPHeader::default(), "ci", "VERBOSE true", 2).unwrap();
        let mut stcp = Harness::new(SetTCPChecksum::default(), "SetTCPChecksum@19", "", 1).unwrap();
        let mut sudp = Harness::new(SetUDPChecksum::default(), "SetUDPChecksum@22", "", 1).unwrap();
        let mut sip = Harness::new(SetIPChecksum::default(), "SetIPChecksum@20", "", 1).unwrap();
        let mut outs: Vec<Vec<Vec<u8>>> = (0..9).map(|_| Vec::new()).collect();
        let mut lines = Vec::new();
        for frame in case_file!("in.pcap") {
            if frame.get(12..14) != Some(&[8, 0]) {
                continue;
            }
            // t[0]: CheckIPHeader(14) -> IPClassifier(tcp, udp, icmp, -) -> Check*Header.
            if let Some((_, p)) = step(&mut chk, dump_packet(&frame), &mut lines) {
                let routed = match p.data()[23] {
                    6 => step(&mut ct, p, &mut lines),
                    17 => step(&mut cu, p, &mut lines).map(|(port, p)| (port + 2, p)),
                    1 => step(&mut ci, p, &mut lines).map(|(port, p)| (port + 4, p)),
                    _ => None,
                };
                if let Some((file, p)) = routed {
                    outs[file].push(p.data().to_vec());
                }
            }
            // t[1]: MarkIPHeader(14) -> IPClassifier(tcp, udp, -) -> Set*Checksum -> SetIPChecksum.
            let mut p = dump_packet(&frame);
            p.set_network_header(14);
            let (set, file) = match frame[23] {
                6 => (step(&mut stcp, p, &mut lines), 6),
                17 => (step(&mut sudp, p, &mut lines), 7),
                _ => (Some((0, p)), 8),
            };
            if let Some((_, p)) = set {
                if let Some((_, p)) = step(&mut sip, p, &mut lines) {
                    outs[file].push(p.data().to_vec());
                }
            }
        }
        let want = [
            case_file!("out0.pcap"),
            case_file!("out1.pcap"),
            case_file!("out2.pcap"),
            case_file!("out3.pcap"),
            case_file!("out4.pcap"),
            case_file!("out5.pcap"),
            case_file!("out6.pcap"),
            case_file!("out7.pcap"),
            case_file!("out8.pcap"),
        ];
        for (i, (got, want)) in outs.iter().zip(&want).enumerate() {
            assert_eq!(got, want, "out{i}.pcap");
        }
        let stderr = include_str!("../../../tests/data/middlebox/checksums-l4/stderr.txt");
        assert_eq!(lines, stderr.lines().collect::<Vec<_>>());
        assert_eq!(ct.element.read_handler("drops").unwrap(), "4");
        assert_eq!(stcp.element.read_handler("drops").unwrap(), "1");
        assert_eq!(sudp.element.read_handler("drops").unwrap(), "3");
    }

    /// A UDP or TCP frame 10.10.0.1 -> 10.10.0.3 with `l4` (checksum left as given), IP
    /// header `options`, the network header annotated.
    fn l4_packet(proto: u8, l4: &[u8], options: &[u8]) -> Packet {
        let total = (20 + options.len() + l4.len()) as u16;
        let mut ip = ip_header(proto, total, CLIENT_IP, SERVER_IP, options);
        ip.extend_from_slice(l4);
        let mut p = dump_packet(&ether(SERVER_MAC, CLIENT_MAC, 0x0800, &ip, 60));
        p.set_network_header(14);
        p
    }

    #[test]
    fn set_ip_checksum_rules() {
        let mut h = Harness::new(SetIPChecksum::default(), "s", "", 1).unwrap();
        let mut frame = icmp_echo();
        let good = frame[24..26].to_vec();
        frame[24..26].fill(0xee);
        // With the annotation, and without it from the start of the data.
        let mut p = dump_packet(&frame);
        p.set_network_header(14);
        assert_eq!(&h.route(p).unwrap().1.data()[24..26], &good[..]);
        let out = h.route(dump_packet(&frame[14..])).unwrap().1;
        assert_eq!(&out.data()[10..12], &good[..]);
        // Header length under 20, or past the data: dropped, reported once.
        let mut bad = frame[14..].to_vec();
        bad[0] = 0x44;
        assert!(h.route(dump_packet(&bad)).is_none());
        assert!(h.route(dump_packet(&frame[14..30])).is_none());
        bad[0] = 0x4f;
        assert!(h.route(dump_packet(&bad[..40])).is_none());
        assert_eq!(h.platform.chatter, ["SetIPChecksum: bad input packet"]);
        assert_eq!(h.element.read_handler("drops").unwrap(), "3");
    }

    #[test]
    fn set_tcp_checksum_fixoff_and_source_route() {
        let mut seg = alloc::vec![0u8; 24];
        seg[12] = 0x4a; // data offset 4, reserved bits 0xa
        let mut fix = Harness::new(SetTCPChecksum::default(), "s", "FIXOFF true", 1).unwrap();
        let mut keep = Harness::new(SetTCPChecksum::default(), "s", "", 1).unwrap();
        let out = fix.route(l4_packet(6, &seg, &[])).unwrap().1;
        assert_eq!(out.data()[46], 0x5a);
        let d = out.data();
        assert_eq!(pseudo_header_cksum(ones_sum(&d[34..58]), &d[14..34], 24), 0);
        assert_eq!(
            keep.route(l4_packet(6, &seg, &[])).unwrap().1.data()[46],
            0x4a
        );
        // Past the segment: segment length / 4.
        seg[12] = 0xf0;
        assert_eq!(
            fix.route(l4_packet(6, &seg, &[])).unwrap().1.data()[46],
            0x60
        );
        // A loose source route: the pseudo header uses its last address.
        let lsrr = [1, 131, 7, 4, 10, 9, 9, 9];
        let out = keep.route(l4_packet(6, &seg, &lsrr)).unwrap().1;
        let d = out.data();
        let mut pseudo_ip = d[14..34].to_vec();
        pseudo_ip[0] = 0x45;
        pseudo_ip[16..20].copy_from_slice(&[10, 9, 9, 9]);
        assert_eq!(pseudo_header_cksum(ones_sum(&d[42..66]), &pseudo_ip, 24), 0);
        // Short segments and packets without the annotation: bad lengths, every time.
        assert!(keep.route(l4_packet(6, &seg[..19], &[])).is_none());
        assert!(keep.route(dump_packet(&icmp_echo())).is_none());
        assert_eq!(keep.platform.chatter.len(), 2);
        assert_eq!(keep.platform.chatter[1], "SetTCPChecksum: bad lengths");
    }

    #[test]
    fn set_udp_checksum_reject_output() {
        let udp = [0x13, 0x88, 0, 53, 0, 9, 0xde, 0xad, 0x41];
        let mut h = Harness::new(SetUDPChecksum::default(), "u", "", 2).unwrap();
        let out = h.route(l4_packet(17, &udp, &[])).unwrap();
        assert_eq!(out.0, 0);
        let d = out.1.data();
        assert_eq!(pseudo_header_cksum(ones_sum(&d[34..43]), &d[14..34], 9), 0);
        // A fragment goes to output 1 unchanged and unreported.
        let mut frag = l4_packet(17, &udp, &[]);
        frag.data_mut()[20] = 0x20;
        let out = h.route(frag).unwrap();
        assert_eq!((out.0, &out.1.data()[40..42]), (1, &[0xde, 0xad][..]));
        assert!(h.platform.chatter.is_empty());
        // Without output 1: dropped, reported once with the element's declaration.
        let mut h = Harness::new(SetUDPChecksum::default(), "u", "", 1).unwrap();
        assert!(h.route(dump_packet(&icmp_echo())).is_none());
        assert!(h.route(dump_packet(&icmp_echo())).is_none());
        assert_eq!(
            h.platform.chatter,
            ["u :: SetUDPChecksum: fragment or short packet"]
        );
    }
}
