//! The destination-IP annotation: GetIPAddress copies an address from the packet into it,
//! SetIPAddress sets it to a constant.

use alloc::format;
use alloc::string::String;

use crate::action::{counter_handler, ActionEnv, SimpleAction, Verdict};
use crate::args::{parse_ip, parse_u64, Args};
use crate::class::ElementClass;
use crate::element::ConfigureContext;
use crate::elements::net::{bytes4, fmt_ip};
use crate::packet::Packet;

/// Parses Click's `ANNO` argument for a 4-byte annotation. This runtime has one, the
/// destination IP address (`DST_IP`, at Click's offset 0).
fn parse_anno(s: &str) -> Result<(), String> {
    match s {
        "DST_IP" | "0" => Ok(()),
        _ => Err(String::from("only the DST_IP annotation is supported")),
    }
}

/// Where GetIPAddress reads the address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// At a byte offset into the packet.
    Offset(usize),
    /// The source address of the IP header (network-header annotation).
    IpSrc,
    /// The destination address of the IP header.
    IpDst,
}

/// Copies 4 bytes of the packet into the destination-IP annotation:
/// `GetIPAddress(OFFSET [, ANNO])` reads at OFFSET, `GetIPAddress(IP src)` / `(IP dst)` from
/// the IP header the network-header annotation marks. Packets too short for the address, or
/// without an IP header for `IP`, are dropped and counted in `drops` (Click reads past them).
pub struct GetIPAddress {
    source: Source,
    drops: u64,
}

impl Default for GetIPAddress {
    fn default() -> Self {
        GetIPAddress {
            source: Source::Offset(16),
            drops: 0,
        }
    }
}

impl ElementClass for GetIPAddress {
    const NAME: &'static str = "GetIPAddress";
    const EXAMPLE: &'static str = "16";
}

impl SimpleAction for GetIPAddress {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        let offset = args.read_p("OFFSET", |s| {
            usize::try_from(parse_u64(s)?).map_err(|_| String::from("out of range"))
        });
        args.read_p("ANNO", parse_anno);
        let ip = args.read_kw("IP", |s| Ok(String::from(s)));
        self.source = match (offset, ip.as_deref()) {
            (Some(n), None) => Source::Offset(n),
            (None, Some("src")) => Source::IpSrc,
            (None, Some("dst")) => Source::IpDst,
            (None, Some(_)) => return Err(String::from("bad IP")),
            _ => return Err(String::from("set one of OFFSET, IP")),
        };
        Ok(())
    }

    #[inline(always)]
    fn action(&mut self, p: &mut Packet, _env: &mut dyn ActionEnv) -> Verdict {
        let at = match self.source {
            Source::Offset(n) => Some(n),
            Source::IpSrc => p.network_header_offset().map(|nh| nh + 12),
            Source::IpDst => p.network_header_offset().map(|nh| nh + 16),
        };
        match at.and_then(|at| bytes4(p.data(), at)) {
            Some(a) => {
                p.anno.dst_ip = a;
                Verdict::Out(0)
            }
            None => {
                self.drops += 1;
                Verdict::Drop
            }
        }
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["drops"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        counter_handler(name, &[("drops", self.drops)])
    }
}

/// Sets the destination-IP annotation of every packet: `SetIPAddress(IPADDR [, ANNO])`.
/// Handler `addr` (read and write).
#[derive(Default)]
pub struct SetIPAddress {
    addr: [u8; 4],
}

impl ElementClass for SetIPAddress {
    const NAME: &'static str = "SetIPAddress";
    const EXAMPLE: &'static str = "10.0.0.1";
}

impl SimpleAction for SetIPAddress {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        if let Some(a) = args.read_mp("IPADDR", parse_ip) {
            self.addr = a;
        }
        args.read_kw("ANNO", parse_anno);
        Ok(())
    }

    fn action(&mut self, p: &mut Packet, _env: &mut dyn ActionEnv) -> Verdict {
        p.anno.dst_ip = self.addr;
        Verdict::Out(0)
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["addr"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        (name == "addr").then(|| fmt_ip(&self.addr))
    }

    fn write_handlers(&self) -> &'static [&'static str] {
        &["addr"]
    }

    fn write_handler(&mut self, name: &str, value: &str) -> Result<(), String> {
        if name != "addr" {
            return Err(format!("no write handler '{name}'"));
        }
        self.addr = parse_ip(value.trim())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::testing::*;
    use alloc::string::ToString;

    #[test]
    fn get_ip_address_from_an_offset_or_the_ip_header() {
        let ip = ipv4(17, [10, 0, 1, 9], [8, 8, 8, 8], &[0; 8]);
        let mut h = Harness::new(GetIPAddress::default(), "g", "16", 1).unwrap();
        assert_eq!(
            h.route(dump_packet(&ip)).unwrap().1.anno.dst_ip,
            [8, 8, 8, 8]
        );
        assert!(h.route(dump_packet(&ip[..19])).is_none());
        assert_eq!(h.element.read_handler("drops").as_deref(), Some("1"));
        let mut h = Harness::new(GetIPAddress::default(), "g", "IP src", 1).unwrap();
        let mut p = dump_packet(&ip);
        p.set_network_header(0);
        assert_eq!(h.route(p).unwrap().1.anno.dst_ip, [10, 0, 1, 9]);
        // No IP header annotation: dropped, not read.
        assert!(h.route(dump_packet(&ip)).is_none());
        let mut h = Harness::new(GetIPAddress::default(), "g", "IP dst", 1).unwrap();
        let mut p = dump_packet(&ip[..19]);
        p.set_network_header(0);
        assert!(h.route(p).is_none());
        let err = |config| {
            let mut e = GetIPAddress::default();
            configure(&mut e, "g", config, 1, 1).unwrap_err()
        };
        assert_eq!(err(""), "set one of OFFSET, IP");
        assert_eq!(err("16, IP src"), "set one of OFFSET, IP");
        assert_eq!(err("IP both"), "bad IP");
        assert!(err("16, PAINT").contains("ANNO: only the DST_IP annotation"));
        let mut e = GetIPAddress::default();
        configure(&mut e, "g", "OFFSET 12, ANNO DST_IP", 1, 1).unwrap();
    }

    #[test]
    fn set_ip_address_and_its_handler() {
        let mut h = Harness::new(SetIPAddress::default(), "s", "192.0.2.99", 1).unwrap();
        assert_eq!(
            h.route(dump_packet(&[])).unwrap().1.anno.dst_ip,
            [192, 0, 2, 99]
        );
        h.element.write_handler("addr", "10.0.0.1").unwrap();
        assert_eq!(h.element.read_handler("addr"), Some("10.0.0.1".to_string()));
        assert!(h.element.write_handler("addr", "10.0.0").is_err());
        let mut e = SetIPAddress::default();
        assert!(configure(&mut e, "s", "", 1, 1)
            .unwrap_err()
            .contains("IPADDR: required argument missing"));
    }
}
