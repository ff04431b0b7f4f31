//! The MAC-header annotation: MarkMACHeader sets it, EtherRewrite rewrites the addresses
//! where it points.

use alloc::format;
use alloc::string::String;

use crate::action::{ActionEnv, SimpleAction, Verdict};
use crate::args::{parse_ether, parse_uint_max, Args};
use crate::class::ElementClass;
use crate::element::ConfigureContext;
use crate::elements::net::fmt_ether;
use crate::packet::Packet;

/// Overwrites the Ethernet destination and source addresses at the MAC-header annotation
/// (which may lie in the headroom, as after `Strip(14)`): `EtherRewrite(SRC, DST)`; the
/// ethertype is untouched. Packets without the annotation, or with fewer than 12 bytes from
/// it to their end, are dropped and counted in `drops` (Click crashes on them). Handlers `src`
/// and `dst` (read and write).
#[derive(Default)]
pub struct EtherRewrite {
    /// Destination then source, as they lie in the frame.
    addrs: [u8; 12],
    drops: u64,
}

impl ElementClass for EtherRewrite {
    const NAME: &'static str = "EtherRewrite";
    const EXAMPLE: &'static str = "00:00:c0:00:01:01, 02:00:00:00:01:fe";
}

impl EtherRewrite {
    /// The address at `at` (0: destination, 6: source).
    fn addr(&self, at: usize) -> [u8; 6] {
        let mut a = [0; 6];
        a.copy_from_slice(&self.addrs[at..at + 6]);
        a
    }
}

impl SimpleAction for EtherRewrite {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        let src = args.read_mp("SRC", parse_ether);
        let dst = args.read_mp("DST", parse_ether);
        if let (Some(src), Some(dst)) = (src, dst) {
            self.addrs[..6].copy_from_slice(&dst);
            self.addrs[6..].copy_from_slice(&src);
        }
        Ok(())
    }

    #[inline(always)]
    fn action(&mut self, p: &mut Packet, _env: &mut dyn ActionEnv) -> Verdict {
        match p.mac_header_mut().and_then(|h| h.first_chunk_mut::<12>()) {
            Some(h) => {
                *h = self.addrs;
                Verdict::Out(0)
            }
            None => {
                self.drops += 1;
                Verdict::Drop
            }
        }
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["src", "dst", "drops"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        match name {
            "src" => Some(fmt_ether(&self.addr(6))),
            "dst" => Some(fmt_ether(&self.addr(0))),
            "drops" => Some(format!("{}", self.drops)),
            _ => None,
        }
    }

    fn write_handlers(&self) -> &'static [&'static str] {
        &["src", "dst"]
    }

    fn write_handler(&mut self, name: &str, value: &str) -> Result<(), String> {
        let at = match name {
            "src" => 6,
            "dst" => 0,
            _ => return Err(format!("no write handler '{name}'")),
        };
        let a = parse_ether(value.trim())?;
        self.addrs[at..at + 6].copy_from_slice(&a);
        Ok(())
    }
}

/// Parses a 32-bit unsigned argument.
fn parse_u32(s: &str) -> Result<usize, String> {
    parse_uint_max(s, u64::from(u32::MAX)).map(|v| v as usize)
}

/// Marks the MAC header `OFFSET` bytes into every packet (default 0); with a nonzero
/// `LENGTH`, the network header starts `LENGTH` bytes after it.
#[derive(Default)]
pub struct MarkMACHeader {
    offset: usize,
    length: usize,
}

impl ElementClass for MarkMACHeader {
    const NAME: &'static str = "MarkMACHeader";
    const EXAMPLE: &'static str = "0, 14";
}

impl SimpleAction for MarkMACHeader {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        self.offset = args.read_p("OFFSET", parse_u32).unwrap_or(0);
        self.length = args.read_p("LENGTH", parse_u32).unwrap_or(0);
        Ok(())
    }

    #[inline(always)]
    fn action(&mut self, p: &mut Packet, _env: &mut dyn ActionEnv) -> Verdict {
        p.set_mac_header(self.offset);
        if self.length != 0 {
            p.set_network_header(self.offset.saturating_add(self.length));
        }
        Verdict::Out(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::testing::*;

    const CONFIG: &str = "00:00:c0:00:01:01, 02:00:00:00:01:fe";

    #[test]
    fn ether_rewrite_writes_at_the_mac_header() {
        let mut h = Harness::new(EtherRewrite::default(), "r", CONFIG, 1).unwrap();
        let frame = ether(CLIENT_MAC, SERVER_MAC, 0x0800, &icmp_echo()[14..], 0);
        let out = h.route(dump_packet(&frame)).unwrap().1;
        assert_eq!(
            &out.data()[..14],
            &hex("0200000001fe 0000c0000101 0800")[..]
        );
        assert_eq!(&out.data()[14..], &frame[14..]);
        // The header may be in the headroom: written there, the data untouched.
        let mut p = dump_packet(&frame);
        p.pull_front(14);
        let mut out = h.route(p).unwrap().1;
        assert_eq!(out.data(), &frame[14..]);
        out.push_front(14);
        assert_eq!(&out.data()[..12], &hex("0200000001fe 0000c0000101")[..]);
        // No annotation, or too few bytes after it: dropped and counted.
        assert!(h.route(Packet::from_slice(&frame)).is_none());
        assert!(h.route(dump_packet(&frame[..11])).is_none());
        assert_eq!(h.element.read_handler("drops").as_deref(), Some("2"));
        assert_eq!(
            h.element.read_handler("src").as_deref(),
            Some("00-00-C0-00-01-01")
        );
        h.element.write_handler("dst", "ff:ff:ff:ff:ff:ff").unwrap();
        assert_eq!(
            h.element.read_handler("dst").as_deref(),
            Some("FF-FF-FF-FF-FF-FF")
        );
        assert!(h.element.write_handler("src", "1:2").is_err());
    }

    #[test]
    fn mark_mac_header_sets_the_annotations() {
        let mut h = Harness::new(MarkMACHeader::default(), "m", "4, 14", 1).unwrap();
        let out = h.route(Packet::from_slice(&[0; 40])).unwrap().1;
        assert_eq!(out.mac_header_offset(), Some(4));
        assert_eq!(out.network_header_offset(), Some(18));
        let mut h = Harness::new(MarkMACHeader::default(), "m", "", 1).unwrap();
        let out = h.route(Packet::from_slice(&[0; 4])).unwrap().1;
        assert_eq!(out.mac_header_offset(), Some(0));
        assert_eq!(out.network_header_offset(), None);
    }
}
