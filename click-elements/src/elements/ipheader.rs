//! Elements that move around the IP header annotation or rewrite the header itself:
//! MarkIPHeader, StripIPHeader, UnstripIPHeader and FixIPSrc.

use alloc::string::String;

use crate::action::{counter_handler, ActionEnv, SimpleAction, Verdict};
use crate::args::{parse_ip, Args};
use crate::class::ElementClass;
use crate::element::ConfigureContext;
use crate::elements::ether::pull_front_or_complain;
use crate::elements::ip::parse_offset;
use crate::elements::net::{ip_header_len, ip_header_span, set_ip_checksum, IP_LEN};
use crate::packet::Packet;

/// The `drops` handler of the elements here, which count the packets they cannot act on.
const DROPS: &[&str] = &["drops"];

/// `MarkIPHeader([OFFSET])`: annotates the IP header as starting OFFSET bytes (default 0)
/// into the packet. Checks nothing else and sets no other annotation. Packets shorter than
/// OFFSET + 20 bytes are dropped and counted (Click aborts on them).
#[derive(Default)]
pub struct MarkIPHeader {
    offset: usize,
    drops: u64,
}

impl ElementClass for MarkIPHeader {
    const NAME: &'static str = "MarkIPHeader";
    const EXAMPLE: &'static str = "14";
}

impl SimpleAction for MarkIPHeader {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        self.offset = args.read_p("OFFSET", parse_offset).unwrap_or(0);
        Ok(())
    }

    fn action(&mut self, p: &mut Packet, _env: &mut dyn ActionEnv) -> Verdict {
        if p.len() < self.offset.saturating_add(IP_LEN) {
            self.drops += 1;
            return Verdict::Drop;
        }
        p.set_network_header(self.offset);
        Verdict::Out(0)
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        DROPS
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        counter_handler(name, &[("drops", self.drops)])
    }
}

/// `StripIPHeader`: removes everything up to the end of the annotated IP header (the header
/// length its IHL gives), leaving the annotation pointing into the headroom. Packets without
/// the annotation, or whose annotated header is not in the data, are dropped and counted.
#[derive(Default)]
pub struct StripIPHeader {
    drops: u64,
}

impl ElementClass for StripIPHeader {
    const NAME: &'static str = "StripIPHeader";
}

impl SimpleAction for StripIPHeader {
    fn action(&mut self, p: &mut Packet, env: &mut dyn ActionEnv) -> Verdict {
        let Some(nh) = p.network_header_offset() else {
            self.drops += 1;
            return Verdict::Drop;
        };
        let Some(&vhl) = p.data().get(nh) else {
            self.drops += 1;
            return Verdict::Drop;
        };
        pull_front_or_complain(p, nh + ip_header_len(vhl), env);
        Verdict::Out(0)
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        DROPS
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        counter_handler(name, &[("drops", self.drops)])
    }
}

/// `UnstripIPHeader`: puts back the bytes between the annotated IP header and the data when
/// the header lies in the headroom (after StripIPHeader); other packets pass unchanged.
/// Packets without the annotation are dropped and counted (Click asserts).
#[derive(Default)]
pub struct UnstripIPHeader {
    drops: u64,
}

impl ElementClass for UnstripIPHeader {
    const NAME: &'static str = "UnstripIPHeader";
}

impl SimpleAction for UnstripIPHeader {
    fn action(&mut self, p: &mut Packet, _env: &mut dyn ActionEnv) -> Verdict {
        match p.network_header_position() {
            None => {
                self.drops += 1;
                return Verdict::Drop;
            }
            Some(pos) if pos < 0 => {
                p.push_front(pos.unsigned_abs());
            }
            Some(_) => {}
        }
        Verdict::Out(0)
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        DROPS
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        counter_handler(name, &[("drops", self.drops)])
    }
}

/// `FixIPSrc(IPADDR)`: for packets whose fix-IP-source annotation is set (by ICMPError),
/// clears the annotation, writes IPADDR into the IP source and recomputes the header
/// checksum. Other packets pass unchanged. Marked packets whose IP header is not all in the
/// data are dropped and counted.
#[derive(Default)]
pub struct FixIPSrc {
    addr: [u8; 4],
    drops: u64,
}

impl ElementClass for FixIPSrc {
    const NAME: &'static str = "FixIPSrc";
    const EXAMPLE: &'static str = "10.0.0.1";
}

impl SimpleAction for FixIPSrc {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        if let Some(a) = args.read_mp("IPADDR", parse_ip) {
            self.addr = a;
        }
        Ok(())
    }

    fn action(&mut self, p: &mut Packet, _env: &mut dyn ActionEnv) -> Verdict {
        if !p.anno.fix_ip_src || !p.has_network_header() {
            return Verdict::Out(0);
        }
        let Some((nh, hlen)) = ip_header_span(p) else {
            self.drops += 1;
            return Verdict::Drop;
        };
        p.anno.fix_ip_src = false;
        let h = &mut p.data_mut()[nh..nh + hlen];
        h[12..16].copy_from_slice(&self.addr);
        set_ip_checksum(h);
        Verdict::Out(0)
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        DROPS
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        counter_handler(name, &[("drops", self.drops)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::net::in_cksum;
    use crate::elements::testing::*;

    #[test]
    fn mark_sets_the_annotation_only() {
        let mut h = Harness::new(MarkIPHeader::default(), "m", "14", 1).unwrap();
        let echo = icmp_echo();
        let out = h.route(dump_packet(&echo)).unwrap().1;
        assert_eq!(out.network_header_offset(), Some(14));
        assert_eq!(out.data(), &echo[..]);
        assert_eq!(out.anno.dst_ip, [0; 4]);
        // 33 bytes cannot hold a header at 14; 34 can.
        assert!(h.route(dump_packet(&echo[..33])).is_none());
        assert!(h.route(dump_packet(&echo[..34])).is_some());
        assert_eq!(h.element.read_handler("drops").unwrap(), "1");
        let mut d = Harness::new(MarkIPHeader::default(), "m", "", 1).unwrap();
        let out = d.route(dump_packet(&echo[14..])).unwrap().1;
        assert_eq!(out.network_header_offset(), Some(0));
        assert!(configure(&mut MarkIPHeader::default(), "m", "-1", 1, 1).is_err());
    }

    #[test]
    fn strip_and_unstrip_the_ip_header() {
        let mut mark = Harness::new(MarkIPHeader::default(), "m", "OFFSET 14", 1).unwrap();
        let mut strip = Harness::new(StripIPHeader::default(), "s", "", 1).unwrap();
        let mut unstrip = Harness::new(UnstripIPHeader::default(), "u", "", 1).unwrap();
        let echo = icmp_echo();
        let marked = mark.route(Packet::from_slice(&echo)).unwrap().1;
        let stripped = strip.route(marked).unwrap().1;
        assert_eq!(stripped.data(), &echo[34..]);
        assert_eq!(stripped.network_header_position(), Some(-20));
        let back = unstrip.route(stripped).unwrap().1;
        assert_eq!(back.data(), &echo[14..]);
        assert_eq!(back.network_header_offset(), Some(0));
        // Already on: unchanged.
        assert_eq!(unstrip.route(back).unwrap().1.data(), &echo[14..]);
        // Options count: IHL 6 strips 24 bytes.
        let ip = ip_header(17, 32, CLIENT_IP, SERVER_IP, &[0x94, 4, 0, 0]);
        let mut p = dump_packet(&[&ip[..], &[9; 8]].concat());
        p.set_network_header(0);
        assert_eq!(strip.route(p).unwrap().1.data(), &[9; 8]);
        // A header longer than the packet empties it with Click's complaint.
        let mut p = dump_packet(&ip[..22]);
        p.set_network_header(0);
        assert!(strip.route(p).unwrap().1.is_empty());
        assert_eq!(strip.platform.chatter, ["Packet::pull 24 > length 22"]);
        // No annotation: dropped and counted.
        assert!(strip.route(dump_packet(&echo)).is_none());
        assert!(unstrip.route(dump_packet(&echo)).is_none());
        assert_eq!(strip.element.read_handler("drops").unwrap(), "1");
        assert_eq!(unstrip.element.read_handler("drops").unwrap(), "1");
    }

    #[test]
    fn fix_ip_src_only_when_asked() {
        let mut h = Harness::new(FixIPSrc::default(), "f", "10.0.0.1", 1).unwrap();
        let ip = ip_header(17, 24, CLIENT_IP, SERVER_IP, &[0x94, 4, 0, 0]);
        let mut p = dump_packet(&ip);
        p.set_network_header(0);
        let out = h.route(p.clone()).unwrap().1;
        assert_eq!(out.data(), &ip[..]);
        p.anno.fix_ip_src = true;
        let out = h.route(p.clone()).unwrap().1;
        assert!(!out.anno.fix_ip_src);
        assert_eq!(&out.data()[12..16], &[10, 0, 0, 1]);
        assert_eq!(in_cksum(out.data()), 0);
        assert_eq!(&out.data()[16..], &ip[16..]);
        // Marked but the header is cut short: dropped and counted.
        let mut short = dump_packet(&ip[..22]);
        short.set_network_header(0);
        short.anno.fix_ip_src = true;
        assert!(h.route(short).is_none());
        assert_eq!(h.element.read_handler("drops").unwrap(), "1");
        assert!(configure(&mut FixIPSrc::default(), "f", "", 1, 1).is_err());
    }
}
