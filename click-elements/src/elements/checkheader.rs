//! Transport header checks: CheckTCPHeader, CheckUDPHeader and CheckICMPHeader. Each one takes
//! packets whose IP header is annotated (after CheckIPHeader), passes good ones on output 0 and
//! sends bad ones to output 1 (dropped without it), counting them, with Click's messages.

use alloc::string::String;
use core::marker::PhantomData;

use crate::action::{ActionEnv, SimpleAction, Verdict};
use crate::args::Args;
use crate::class::{ElementClass, Ports, ProcessingSpec};
use crate::element::ConfigureContext;
use crate::elements::dropstats::DropStats;
use crate::elements::net::{
    be16, in_cksum, ip_transport_offsets, ones_sum, pseudo_header_cksum, ICMP_LEN, IP_PROTO_ICMP,
    IP_PROTO_TCP, IP_PROTO_UDP, TCP_LEN, UDP_LEN,
};
use crate::packet::Packet;

/// Why a transport header check failed, in Click's order (the `drop_details` lines).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Not this protocol, or no IP header annotation.
    WrongProtocol,
    /// A length that does not fit.
    BadLength,
    /// The checksum does not add up.
    BadChecksum,
}

/// What differs between the three checks.
pub trait TransportCheck: 'static {
    /// The class name.
    const CLASS: &'static str;
    /// Click's texts for the reasons, in [`Reason`] order.
    const REASONS: [&'static str; 3];
    /// Checks the packet whose IP header is at `nh` (its first 20 bytes present) and transport
    /// header at `th` (possibly past the end).
    fn check(data: &[u8], nh: usize, th: usize) -> Result<(), Reason>;
    /// Prints the message for a rejected packet.
    fn report(env: &mut dyn ActionEnv, reason: &str);
}

/// A transport header check element: `CheckTCPHeader`, `CheckUDPHeader` or `CheckICMPHeader`
/// with keywords `VERBOSE` (report every failure, not just the first) and `DETAILS` (count
/// each reason, read with `drop_details`); `drops` counts the rejects.
pub struct CheckHeader<C: TransportCheck> {
    stats: DropStats<3>,
    check: PhantomData<C>,
}

impl<C: TransportCheck> Default for CheckHeader<C> {
    fn default() -> Self {
        CheckHeader {
            stats: DropStats::default(),
            check: PhantomData,
        }
    }
}

impl<C: TransportCheck> CheckHeader<C> {
    #[cold]
    fn reject(&mut self, reason: Reason, env: &mut dyn ActionEnv) -> Verdict {
        if self.stats.reject(reason as usize) {
            C::report(env, C::REASONS[reason as usize]);
        }
        Verdict::Out(1)
    }
}

impl<C: TransportCheck> ElementClass for CheckHeader<C> {
    const NAME: &'static str = C::CLASS;
    const PORTS: Ports = Ports::parse("1/1-2");
    const PROCESSING: ProcessingSpec = ProcessingSpec::parse("a/ah");
    const EXAMPLE: &'static str = "VERBOSE true, DETAILS true";
}

impl<C: TransportCheck> SimpleAction for CheckHeader<C> {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        self.stats.configure(args);
        Ok(())
    }

    fn action(&mut self, p: &mut Packet, env: &mut dyn ActionEnv) -> Verdict {
        let checked = match ip_transport_offsets(p) {
            Some((nh, th)) => C::check(p.data(), nh, th),
            None => Err(Reason::WrongProtocol),
        };
        match checked {
            Ok(()) => Verdict::Out(0),
            Err(reason) => self.reject(reason, env),
        }
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        self.stats.read_handlers()
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        self.stats.read_handler(name, &C::REASONS)
    }
}

/// The length of the IP payload announced by the header at `ip` (total length minus header
/// length), if it is not negative.
fn ip_payload_len(ip: &[u8]) -> Option<usize> {
    let total = usize::from(be16(ip, 2)?);
    total.checked_sub(usize::from(ip[0] & 0x0f) * 4)
}

/// CheckTCPHeader's rules: data offset at least 5 and within the IP payload, the payload
/// present, the checksum over it (with the pseudo header) valid.
pub struct Tcp;

impl TransportCheck for Tcp {
    const CLASS: &'static str = "CheckTCPHeader";
    const REASONS: [&'static str; 3] = ["not TCP", "bad packet length", "bad TCP checksum"];

    fn check(data: &[u8], nh: usize, th: usize) -> Result<(), Reason> {
        let ip = &data[nh..];
        if ip[9] != IP_PROTO_TCP {
            return Err(Reason::WrongProtocol);
        }
        let len = ip_payload_len(ip).ok_or(Reason::BadLength)?;
        let tcp_len = usize::from(data.get(th + 12).ok_or(Reason::BadLength)? >> 4) * 4;
        if tcp_len < TCP_LEN || len < tcp_len || data.len() < th + len {
            return Err(Reason::BadLength);
        }
        if pseudo_header_cksum(ones_sum(&data[th..th + len]), ip, len) != 0 {
            return Err(Reason::BadChecksum);
        }
        Ok(())
    }

    fn report(env: &mut dyn ActionEnv, reason: &str) {
        let name = String::from(env.element_name());
        env.chatter(format_args!(
            "{name} :: {}: TCP header check failed: {reason}",
            Self::CLASS
        ));
    }
}

/// CheckUDPHeader's rules: the UDP length at least 8 and present in the packet, the checksum
/// (unless 0: none) valid over that length. Fragments are not special: a later fragment's first
/// bytes are read as a UDP header.
pub struct Udp;

impl TransportCheck for Udp {
    const CLASS: &'static str = "CheckUDPHeader";
    const REASONS: [&'static str; 3] = ["not UDP", "bad packet length", "bad UDP checksum"];

    fn check(data: &[u8], nh: usize, th: usize) -> Result<(), Reason> {
        let ip = &data[nh..];
        if ip[9] != IP_PROTO_UDP {
            return Err(Reason::WrongProtocol);
        }
        let len = usize::from(be16(data, th + 4).ok_or(Reason::BadLength)?);
        if len < UDP_LEN || data.len() < th + len {
            return Err(Reason::BadLength);
        }
        if be16(data, th + 6) != Some(0)
            && pseudo_header_cksum(ones_sum(&data[th..th + len]), ip, len) != 0
        {
            return Err(Reason::BadChecksum);
        }
        Ok(())
    }

    /// Click's CheckUDPHeader does not name itself.
    fn report(env: &mut dyn ActionEnv, reason: &str) {
        env.chatter(format_args!("UDP header check failed: {reason}"));
    }
}

/// CheckICMPHeader's rules: at least 8 bytes of ICMP (everything after the IP header, up to
/// the end of the packet); errors (unreachable, source quench, redirect, time exceeded,
/// parameter problem) quote at least 28 bytes; timestamp and its reply are exactly 20 bytes,
/// information request and reply exactly 8; the checksum over all of it valid.
pub struct Icmp;

impl TransportCheck for Icmp {
    const CLASS: &'static str = "CheckICMPHeader";
    const REASONS: [&'static str; 3] = ["not ICMP", "bad packet length", "bad ICMP checksum"];

    fn check(data: &[u8], nh: usize, th: usize) -> Result<(), Reason> {
        if data[nh + 9] != IP_PROTO_ICMP {
            return Err(Reason::WrongProtocol);
        }
        let icmp = data.get(th..).ok_or(Reason::BadLength)?;
        let len = icmp.len();
        if len < ICMP_LEN {
            return Err(Reason::BadLength);
        }
        let length_ok = match icmp[0] {
            3 | 4 | 5 | 11 | 12 => len >= ICMP_LEN + 28,
            13 | 14 => len == 20,
            15 | 16 => len == ICMP_LEN,
            _ => true,
        };
        if !length_ok {
            return Err(Reason::BadLength);
        }
        if in_cksum(icmp) != 0 {
            return Err(Reason::BadChecksum);
        }
        Ok(())
    }

    fn report(env: &mut dyn ActionEnv, reason: &str) {
        let name = String::from(env.element_name());
        env.chatter(format_args!(
            "{name} :: {}: ICMP header check failed: {reason}",
            Self::CLASS
        ));
    }
}

/// Checks TCP headers: `CheckTCPHeader([VERBOSE, DETAILS])`.
pub type CheckTCPHeader = CheckHeader<Tcp>;
/// Checks UDP headers: `CheckUDPHeader([VERBOSE, DETAILS])`.
pub type CheckUDPHeader = CheckHeader<Udp>;
/// Checks ICMP headers: `CheckICMPHeader([VERBOSE, DETAILS])`.
pub type CheckICMPHeader = CheckHeader<Icmp>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::testing::*;

    /// An IP packet (network header annotated) carrying `l4` with protocol `proto`.
    fn ip_packet(proto: u8, l4: &[u8]) -> Packet {
        let mut p = dump_packet(&ipv4(proto, CLIENT_IP, SERVER_IP, l4));
        p.set_network_header(0);
        p
    }

    #[test]
    fn icmp_lengths_and_details() {
        let mut h = Harness::new(CheckICMPHeader::default(), "ci", "DETAILS true", 2).unwrap();
        assert_eq!(h.route(ip_packet(1, &icmp(8, 0, 1, 1, &[]))).unwrap().0, 0);
        // Timestamp: exactly 20 bytes; errors: at least 36; information request: exactly 8.
        assert_eq!(
            h.route(ip_packet(1, &icmp(13, 0, 1, 1, &[0; 12])))
                .unwrap()
                .0,
            0
        );
        assert_eq!(
            h.route(ip_packet(1, &icmp(13, 0, 1, 1, &[0; 16])))
                .unwrap()
                .0,
            1
        );
        assert_eq!(
            h.route(ip_packet(1, &icmp(3, 3, 0, 0, &[0; 28])))
                .unwrap()
                .0,
            0
        );
        assert_eq!(
            h.route(ip_packet(1, &icmp(11, 0, 0, 0, &[0; 27])))
                .unwrap()
                .0,
            1
        );
        assert_eq!(
            h.route(ip_packet(1, &icmp(15, 0, 0, 0, &[0; 1])))
                .unwrap()
                .0,
            1
        );
        assert_eq!(h.route(ip_packet(1, &[8, 0, 0xf7])).unwrap().0, 1);
        let mut bad = icmp(8, 0, 1, 1, &[]);
        bad[2] ^= 1;
        assert_eq!(h.route(ip_packet(1, &bad)).unwrap().0, 1);
        // Not ICMP, or no IP header annotation.
        assert_eq!(h.route(ip_packet(17, &[0; 8])).unwrap().0, 1);
        assert_eq!(h.route(dump_packet(&icmp_echo())).unwrap().0, 1);
        assert_eq!(
            h.element.read_handler("drop_details").unwrap(),
            "2\tnot ICMP\n4\tbad packet length\n1\tbad ICMP checksum\n"
        );
        assert_eq!(h.element.read_handler("drops").unwrap(), "7");
        // Without VERBOSE only the first failure is reported.
        assert_eq!(
            h.platform.chatter,
            ["ci :: CheckICMPHeader: ICMP header check failed: bad packet length"]
        );
    }

    #[test]
    fn tcp_and_udp_rules() {
        let mut t = Harness::new(CheckTCPHeader::default(), "ct", "VERBOSE true", 1).unwrap();
        let mut seg = alloc::vec![0u8; 20];
        seg[12] = 0x50;
        let mut ip = ipv4(6, CLIENT_IP, SERVER_IP, &seg);
        let sum = pseudo_header_cksum(ones_sum(&ip[20..]), &ip[..20], 20);
        ip[36..38].copy_from_slice(&sum.to_be_bytes());
        let mut p = dump_packet(&ip);
        p.set_network_header(0);
        assert_eq!(t.route(p).unwrap().0, 0);
        // Data offset 6 > 20-byte segment; a runt; dropped without output 1.
        ip[32] = 0x60;
        for bytes in [&ip[..], &ip[..25]] {
            let mut p = dump_packet(bytes);
            p.set_network_header(0);
            assert!(t.route(p).is_none());
        }
        assert_eq!(t.platform.chatter.len(), 2);
        assert!(!t.element.read_handlers().contains(&"drop_details"));
        let mut u = Harness::new(CheckUDPHeader::default(), "cu", "", 2).unwrap();
        // Checksum 0 is none; ulen 7 is too short; ulen past the data is too long.
        assert_eq!(
            u.route(ip_packet(17, &[0, 1, 0, 2, 0, 8, 0, 0])).unwrap().0,
            0
        );
        assert_eq!(
            u.route(ip_packet(17, &[0, 1, 0, 2, 0, 7, 0, 0])).unwrap().0,
            1
        );
        assert_eq!(
            u.route(ip_packet(17, &[0, 1, 0, 2, 0, 9, 0, 0])).unwrap().0,
            1
        );
        assert_eq!(
            u.route(ip_packet(17, &[0, 1, 0, 2, 0, 8, 0, 1])).unwrap().0,
            1
        );
        assert_eq!(
            u.platform.chatter,
            ["UDP header check failed: bad packet length"]
        );
    }
}
