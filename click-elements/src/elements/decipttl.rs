//! DecIPTTL: decrements the IP time-to-live, sends expired packets aside.

use alloc::string::String;

use crate::action::{counter_handler, ActionEnv, SimpleAction, Verdict};
use crate::args::{parse_bool, Args};
use crate::class::{ElementClass, Ports, ProcessingSpec};
use crate::element::ConfigureContext;
use crate::elements::net::{
    header20, header20_mut, ip_header_offset, is_multicast, IP_SUM, IP_TTL,
};
use crate::packet::Packet;

/// `DecIPTTL([ACTIVE, MULTICAST])` on packets with an IP header annotation: a TTL of 0 or 1
/// sends the packet unchanged to output 1 (dropped when there is none) and counts it in
/// `drops`; otherwise the TTL is decremented and the header checksum updated incrementally
/// (RFC 1624), so a wrong checksum stays wrong by the same amount. With `ACTIVE false`
/// (handler `active`) every packet passes untouched; with `MULTICAST false` packets to
/// 224.0.0.0/4 do. Packets without a whole 20-byte header at the annotation are dropped and
/// counted in `malformed` (Click asserts).
pub struct DecIPTTL {
    active: bool,
    multicast: bool,
    drops: u64,
    malformed: u64,
}

impl Default for DecIPTTL {
    fn default() -> Self {
        DecIPTTL {
            active: true,
            multicast: true,
            drops: 0,
            malformed: 0,
        }
    }
}

impl ElementClass for DecIPTTL {
    const NAME: &'static str = "DecIPTTL";
    const PORTS: Ports = Ports::parse("1/1-2");
    const PROCESSING: ProcessingSpec = ProcessingSpec::parse("a/ah");
    const EXAMPLE: &'static str = "MULTICAST false";
}

/// The header checksum `sum` after the TTL (the high byte of its 16-bit word) went down by
/// one, with Click's arithmetic: the word lost 0x0100, so the one's-complement sum gains its
/// negation 0xfeff, whatever the TTL and protocol (RFC 1624's update with a constant).
#[inline(always)]
fn ttl_decremented_cksum(sum: u16) -> u16 {
    let s = u32::from(!sum) + 0xfeff;
    !((s + (s >> 16)) as u16)
}

impl SimpleAction for DecIPTTL {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        self.active = args.read_kw("ACTIVE", parse_bool).unwrap_or(true);
        self.multicast = args.read_kw("MULTICAST", parse_bool).unwrap_or(true);
        Ok(())
    }

    #[inline(always)]
    fn action(&mut self, p: &mut Packet, _env: &mut dyn ActionEnv) -> Verdict {
        let Some(nh) = ip_header_offset(p) else {
            self.malformed += 1;
            return Verdict::Drop;
        };
        if !self.active {
            return Verdict::Out(0);
        }
        let Some(ip) = header20(p.data(), nh) else {
            return Verdict::Drop; // Not reached: `ip_header_offset` checked the 20 bytes.
        };
        if !self.multicast && is_multicast([ip[16], ip[17], ip[18], ip[19]]) {
            return Verdict::Out(0);
        }
        let ttl = ip[IP_TTL];
        if ttl <= 1 {
            self.drops += 1;
            return Verdict::Out(1);
        }
        if let Some(ip) = header20_mut(p.data_mut(), nh) {
            ip[IP_TTL] = ttl - 1;
            let sum = u16::from_be_bytes([ip[IP_SUM], ip[IP_SUM + 1]]);
            [ip[IP_SUM], ip[IP_SUM + 1]] = ttl_decremented_cksum(sum).to_be_bytes();
        }
        Verdict::Out(0)
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["drops", "active", "malformed"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        match name {
            "active" => Some(String::from(if self.active { "true" } else { "false" })),
            _ => counter_handler(
                name,
                &[("drops", self.drops), ("malformed", self.malformed)],
            ),
        }
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
            _ => Err(alloc::format!("no write handler '{name}'")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::net::{be16, in_cksum, set_ip_checksum, update_cksum};
    use crate::elements::testing::*;

    fn udp_ttl(ttl: u8, dst: [u8; 4]) -> Packet {
        let mut ip = ipv4(17, CLIENT_IP, dst, &[0; 8]);
        ip[8] = ttl;
        set_ip_checksum(&mut ip[..20]);
        let mut p = dump_packet(&ether(SERVER_MAC, CLIENT_MAC, 0x0800, &ip, 60));
        p.set_network_header(14);
        p
    }

    #[test]
    fn decrements_or_expires() {
        let mut h = Harness::new(DecIPTTL::default(), "dt", "", 2).unwrap();
        for ttl in [0, 1] {
            let p = udp_ttl(ttl, SERVER_IP);
            let (port, out) = h.route(p.clone()).unwrap();
            assert_eq!((port, out.data()), (1, p.data()));
        }
        let (port, out) = h.route(udp_ttl(2, SERVER_IP)).unwrap();
        assert_eq!(port, 0);
        assert_eq!(out.data(), udp_ttl(1, SERVER_IP).data());
        let (_, out) = h.route(udp_ttl(255, SERVER_IP)).unwrap();
        assert_eq!(out.data()[22], 254);
        assert_eq!(in_cksum(&out.data()[14..34]), 0);
        assert_eq!(h.element.read_handler("drops").unwrap(), "2");
        // Without output 1 expired packets are dropped.
        let mut one = Harness::new(DecIPTTL::default(), "dt", "", 1).unwrap();
        assert!(one.route(udp_ttl(1, SERVER_IP)).is_none());
    }

    #[test]
    fn multicast_and_active() {
        let mcast = [224, 0, 0, 9];
        let mut h = Harness::new(DecIPTTL::default(), "dt", "MULTICAST false", 2).unwrap();
        let p = udp_ttl(1, mcast);
        let (port, out) = h.route(p.clone()).unwrap();
        assert_eq!((port, out.data()), (0, p.data()));
        assert_eq!(h.route(udp_ttl(1, SERVER_IP)).unwrap().0, 1);
        let mut d = Harness::new(DecIPTTL::default(), "dt", "", 2).unwrap();
        assert_eq!(d.route(udp_ttl(1, mcast)).unwrap().0, 1);
        d.element.write_handler("active", "false").unwrap();
        assert_eq!(d.element.read_handler("active").unwrap(), "false");
        let p = udp_ttl(5, SERVER_IP);
        assert_eq!(d.route(p.clone()).unwrap().1.data(), p.data());
        assert!(d.element.write_handler("active", "maybe").is_err());
    }

    #[test]
    fn checksum_update_matches_click_and_keeps_errors() {
        let mut h = Harness::new(DecIPTTL::default(), "dt", "", 2).unwrap();
        let mut p = udp_ttl(64, SERVER_IP);
        let sum = be16(p.data(), 24).unwrap();
        p.data_mut()[24..26].copy_from_slice(&(sum ^ 0x0101).to_be_bytes());
        let wrong_by = in_cksum(&p.data()[14..34]);
        assert_ne!(wrong_by, 0);
        let out = h.route(p).unwrap().1;
        assert_eq!(out.data()[22], 63);
        assert_eq!(in_cksum(&out.data()[14..34]), wrong_by);
        // The general incremental update (RFC 1624, eqn. 3) agrees with Click's constant one
        // for every checksum value.
        for sum in 0..=0xffffu16 {
            assert_eq!(
                ttl_decremented_cksum(sum),
                update_cksum(sum, 0x4011, 0x3f11),
                "{sum:#x}"
            );
        }
    }

    #[test]
    fn malformed_packets_are_counted() {
        let mut h = Harness::new(DecIPTTL::default(), "dt", "", 2).unwrap();
        let p = udp_ttl(5, SERVER_IP);
        let mut short = dump_packet(&p.data()[..33]);
        short.set_network_header(14);
        assert!(h.route(short).is_none());
        assert!(h.route(dump_packet(p.data())).is_none());
        assert_eq!(h.element.read_handler("malformed").unwrap(), "2");
    }
}
