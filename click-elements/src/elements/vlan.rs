//! VLANEncap and VLANDecap: add and remove 802.1Q tags.

use alloc::format;
use alloc::string::String;

use crate::action::counter_handler;
use crate::args::{parse_bool, parse_i64, parse_string, Args};
use crate::class::ElementClass;
use crate::element::{retain_batch, Batch, ConfigureContext, Element, PullContext, PushContext};
use crate::elements::net::{be16, parse_u16, ETHERTYPE_8021Q, ETHER_LEN};
use crate::packet::Packet;

/// Parses an integer that must lie in `lo..=hi`.
fn bounded(lo: i64, hi: i64) -> impl Fn(&str) -> Result<i64, String> {
    move |s| {
        let v = parse_i64(s)?;
        if (lo..=hi).contains(&v) {
            Ok(v)
        } else {
            Err(format!(
                "out of range, bound {}",
                if v < lo { lo } else { hi }
            ))
        }
    }
}

/// Inserts an 802.1Q tag after the Ethernet addresses, unless the frame's VLAN is the native
/// VLAN (`NATIVE_VLAN`, default 0), in which case the frame is left untagged.
///
/// Arguments: `VLAN_TCI` (first positional: a number, or `ANNO` to take the TCI from the
/// VLAN_TCI annotation), `VLAN_PCP` (second positional), `VLAN_ID`, `NATIVE_VLAN` (-1 for
/// none) and `ETHERTYPE` (the TPID, default 0x8100). Frames too short to carry the Ethernet
/// addresses (12 bytes; 14 on the untagged path, where Click asserts) are dropped and counted.
pub struct VLANEncap {
    /// TCI in host order (unused with `use_anno`).
    tci: u16,
    use_anno: bool,
    /// VID sent untagged; 0xffff (from -1) matches no VID.
    native_vlan: u16,
    ethertype: u16,
    drops: u64,
}

impl Default for VLANEncap {
    fn default() -> Self {
        VLANEncap {
            tci: 0,
            use_anno: false,
            native_vlan: 0,
            ethertype: ETHERTYPE_8021Q,
            drops: 0,
        }
    }
}

impl VLANEncap {
    /// Tags `p` in place; false when it must be dropped.
    #[inline(always)]
    fn action(&mut self, p: &mut Packet) -> bool {
        let tci = if self.use_anno {
            p.anno.vlan_tci
        } else {
            self.tci
        };
        if tci & 0x0fff == self.native_vlan {
            if p.len() < ETHER_LEN {
                self.drops += 1;
                return false;
            }
            p.set_mac_header(0);
            p.set_network_header(ETHER_LEN);
            return true;
        }
        // The addresses are read before the write (which may copy a shared buffer) as two
        // words, which stay whole if they are spilled across the copy (no store-forwarding
        // stall), and stored back 4 bytes earlier, followed by the tag.
        let Some(h) = p.data().first_chunk::<12>() else {
            self.drops += 1;
            return false;
        };
        let w0 = u64::from_ne_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]);
        let w1 = u32::from_ne_bytes([h[8], h[9], h[10], h[11]]);
        let [t0, t1] = self.ethertype.to_be_bytes();
        let [c0, c1] = tci.to_be_bytes();
        let tag = u32::from_ne_bytes([t0, t1, c0, c1]);
        if let Some(d) = p.push_front(4).first_chunk_mut::<16>() {
            d[..8].copy_from_slice(&w0.to_ne_bytes());
            d[8..12].copy_from_slice(&w1.to_ne_bytes());
            d[12..].copy_from_slice(&tag.to_ne_bytes());
        }
        p.set_mac_header(0);
        p.set_network_header(ETHER_LEN + 4);
        true
    }
}

impl ElementClass for VLANEncap {
    const NAME: &'static str = "VLANEncap";
    const EXAMPLE: &'static str = "100";
}

impl Element for VLANEncap {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        let word = args.read_p("VLAN_TCI", |s| {
            let w = parse_string(s)?;
            if w.is_empty() || w.contains(char::is_whitespace) {
                Err(String::from("expected word"))
            } else {
                Ok(w)
            }
        });
        let pcp = args.read_p("VLAN_PCP", bounded(0, 7)).unwrap_or(0);
        let id = args.read_kw("VLAN_ID", bounded(0, 0xfff)).unwrap_or(0);
        let native = args.read_kw("NATIVE_VLAN", bounded(-1, 0xfff)).unwrap_or(0);
        let ethertype = args.read_kw("ETHERTYPE", parse_u16);
        self.use_anno = word.as_deref() == Some("ANNO");
        let tci = match word {
            Some(w) if !self.use_anno => {
                bounded(0, 0xffff)(&w).map_err(|e| format!("VLAN_TCI: {e}"))?
            }
            _ => id,
        };
        self.tci = (tci | pcp << 13) as u16;
        self.native_vlan = if native < 0 { 0xffff } else { native as u16 };
        self.ethertype = ethertype.unwrap_or(ETHERTYPE_8021Q);
        Ok(())
    }

    fn push(&mut self, _port: usize, mut packet: Packet, ctx: &mut PushContext<'_>) {
        if self.action(&mut packet) {
            ctx.output(0, packet);
        }
    }

    fn push_batch(&mut self, _port: usize, batch: &mut Batch, ctx: &mut PushContext<'_>) {
        retain_batch(batch, |p| self.action(p));
        ctx.output_batch(0, batch);
    }

    fn pull(&mut self, _port: usize, ctx: &mut PullContext<'_>) -> Option<Packet> {
        let mut p = ctx.pull(0)?;
        self.action(&mut p).then_some(p)
    }

    fn config_string(&self) -> Option<String> {
        let mut s = if self.use_anno {
            String::from("ANNO")
        } else {
            format!(
                "VLAN_ID {}, VLAN_PCP {}",
                self.tci & 0x0fff,
                (self.tci >> 13) & 7
            )
        };
        if self.native_vlan != 0 {
            s.push_str(&format!(", NATIVE_VLAN {}", self.native_vlan));
        }
        Some(s)
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["vlan_tci", "drops"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        match name {
            "vlan_tci" if self.use_anno => Some(String::from("ANNO")),
            "vlan_tci" => Some(format!("{}", self.tci)),
            "drops" => Some(format!("{}", self.drops)),
            _ => None,
        }
    }
}

/// Removes an 802.1Q tag whose TPID is `ETHERTYPE` (default 0x8100) and stores its TCI in the
/// VLAN_TCI annotation (0 for untagged frames) unless `ANNO false`. Sets the MAC header at the
/// start and the network header after the Ethernet header. Frames under 14 bytes, and tagged
/// frames too short to hold the TCI, are dropped and counted (Click reads past their end).
pub struct VLANDecap {
    anno: bool,
    ethertype: u16,
    drops: u64,
}

impl Default for VLANDecap {
    fn default() -> Self {
        VLANDecap {
            anno: true,
            ethertype: ETHERTYPE_8021Q,
            drops: 0,
        }
    }
}

impl VLANDecap {
    /// Untags `p` in place; false when it must be dropped.
    #[inline(always)]
    fn action(&mut self, p: &mut Packet) -> bool {
        let data = p.data();
        let Some(proto) = be16(data, 12) else {
            self.drops += 1;
            return false;
        };
        let mut tci = 0;
        if proto == self.ethertype {
            let Some(h) = data.first_chunk::<16>() else {
                self.drops += 1;
                return false;
            };
            tci = u16::from_be_bytes([h[14], h[15]]);
            // Moving the addresses 4 bytes up leaves the same buffer as Click's memmove. They
            // are read before the write (which may copy a shared buffer) as two words, which
            // stay whole if they are spilled across the copy (no store-forwarding stall).
            let w0 = u64::from_ne_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]);
            let w1 = u32::from_ne_bytes([h[8], h[9], h[10], h[11]]);
            p.pull_front(4);
            if let Some(d) = p.data_mut().first_chunk_mut::<12>() {
                d[..8].copy_from_slice(&w0.to_ne_bytes());
                d[8..].copy_from_slice(&w1.to_ne_bytes());
            }
        }
        p.set_mac_header(0);
        p.set_network_header(ETHER_LEN);
        if self.anno {
            p.anno.vlan_tci = tci;
        }
        true
    }
}

impl ElementClass for VLANDecap {
    const NAME: &'static str = "VLANDecap";
}

impl Element for VLANDecap {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        self.anno = args.read_p("ANNO", parse_bool).unwrap_or(true);
        self.ethertype = args
            .read_kw("ETHERTYPE", parse_u16)
            .unwrap_or(ETHERTYPE_8021Q);
        Ok(())
    }

    fn push(&mut self, _port: usize, mut packet: Packet, ctx: &mut PushContext<'_>) {
        if self.action(&mut packet) {
            ctx.output(0, packet);
        }
    }

    fn push_batch(&mut self, _port: usize, batch: &mut Batch, ctx: &mut PushContext<'_>) {
        retain_batch(batch, |p| self.action(p));
        ctx.output_batch(0, batch);
    }

    fn pull(&mut self, _port: usize, ctx: &mut PullContext<'_>) -> Option<Packet> {
        let mut p = ctx.pull(0)?;
        self.action(&mut p).then_some(p)
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
    use crate::elements::testing::*;

    fn encap(config: &str) -> Harness<VLANEncap> {
        Harness::new(VLANEncap::default(), "e", config, 1).expect("configures")
    }

    fn decap(config: &str) -> Harness<VLANDecap> {
        Harness::new(VLANDecap::default(), "d", config, 1).expect("configures")
    }

    fn run<E: Element>(h: &mut Harness<E>, frame: &[u8]) -> Option<Packet> {
        h.route(dump_packet(frame)).map(|(_, p)| p)
    }

    #[test]
    fn encap_argument_forms() {
        let echo = icmp_echo();
        for (config, tag, shown) in [
            (
                "100",
                Some([0x81, 0x00, 0x00, 0x64]),
                "VLAN_ID 100, VLAN_PCP 0",
            ),
            (
                "VLAN_ID 100, VLAN_PCP 5",
                Some([0x81, 0x00, 0xa0, 0x64]),
                "VLAN_ID 100, VLAN_PCP 5",
            ),
            ("VLAN_ID 0", None, "VLAN_ID 0, VLAN_PCP 0"),
            (
                "0x6064",
                Some([0x81, 0x00, 0x60, 0x64]),
                "VLAN_ID 100, VLAN_PCP 3",
            ),
            (
                "100, 2",
                Some([0x81, 0x00, 0x40, 0x64]),
                "VLAN_ID 100, VLAN_PCP 2",
            ),
            (
                "VLAN_ID 200, ETHERTYPE 0x88a8, NATIVE_VLAN -1",
                Some([0x88, 0xa8, 0x00, 0xc8]),
                "VLAN_ID 200, VLAN_PCP 0, NATIVE_VLAN 65535",
            ),
            (
                "VLAN_ID 0, NATIVE_VLAN -1",
                Some([0x81, 0x00, 0x00, 0x00]),
                "VLAN_ID 0, VLAN_PCP 0, NATIVE_VLAN 65535",
            ),
        ] {
            let mut h = encap(config);
            assert_eq!(h.element.config_string().unwrap(), shown);
            let out = run(&mut h, &echo).unwrap();
            match tag {
                Some(tag) => {
                    assert_eq!(out.len(), echo.len() + 4, "{config}");
                    assert_eq!(&out.data()[..12], &echo[..12]);
                    assert_eq!(&out.data()[12..16], &tag, "{config}");
                    assert_eq!(&out.data()[16..], &echo[12..]);
                    assert_eq!(out.network_header_offset(), Some(18));
                }
                None => assert_eq!(out.data(), &echo[..], "{config}"),
            }
            assert_eq!(out.mac_header_offset(), Some(0));
        }
    }

    #[test]
    fn encap_anno_and_double_tagging() {
        let echo = icmp_echo();
        let mut h = encap("ANNO");
        assert_eq!(h.element.config_string().unwrap(), "ANNO");
        assert_eq!(h.element.read_handler("vlan_tci").unwrap(), "ANNO");
        let mut p = dump_packet(&echo);
        p.anno.vlan_tci = 0x602a;
        let out = h.route(p).unwrap().1;
        assert_eq!(out.data(), &tagged(&echo, 0x8100, 0x602a)[..]);
        // Priority tag (VID 0): the native VLAN, so untagged and the PCP is lost.
        let mut p = dump_packet(&echo);
        p.anno.vlan_tci = 0xa000;
        assert_eq!(h.route(p).unwrap().1.data(), &echo[..]);
        // An already tagged frame gets an outer tag.
        let inner = tagged(&echo, 0x8100, 42);
        let mut h = encap("7");
        let out = run(&mut h, &inner).unwrap();
        assert_eq!(out.data(), &tagged(&inner, 0x8100, 7)[..]);
    }

    #[test]
    fn encap_runts_are_dropped_not_read_past() {
        let echo = icmp_echo();
        let mut h = encap("100");
        assert_eq!(run(&mut h, &echo[..12]).unwrap().len(), 16);
        assert!(run(&mut h, &echo[..11]).is_none());
        assert!(run(&mut h, &[]).is_none());
        let mut h = encap("VLAN_ID 0");
        assert_eq!(run(&mut h, &echo[..14]).unwrap().len(), 14);
        assert!(run(&mut h, &echo[..13]).is_none());
        assert_eq!(h.element.read_handler("drops").unwrap(), "1");
    }

    #[test]
    fn encap_bad_arguments() {
        for (config, want) in [
            ("VLAN_ID 4096", "VLAN_ID: out of range"),
            ("VLAN_PCP 8", "VLAN_PCP: out of range"),
            ("NATIVE_VLAN -2", "NATIVE_VLAN: out of range"),
            ("70000", "VLAN_TCI: out of range"),
            ("bogus", "VLAN_TCI: expected integer"),
            ("ETHERTYPE 0x10000", "ETHERTYPE:"),
        ] {
            let mut e = VLANEncap::default();
            let err = configure(&mut e, "e", config, 1, 1).unwrap_err();
            assert!(err.contains(want), "{config}: {err}");
        }
    }

    #[test]
    fn decap_strips_matching_tags_and_sets_annotations() {
        let echo = icmp_echo();
        let mut h = decap("");
        let mut tagged60 = tagged(&echo, 0x8100, 0x602a);
        tagged60.truncate(60);
        let out = run(&mut h, &tagged60).unwrap();
        assert_eq!(out.len(), 56);
        assert_eq!(out.data(), &echo[..56]);
        assert_eq!(out.anno.vlan_tci, 0x602a);
        assert_eq!(out.mac_header_offset(), Some(0));
        assert_eq!(out.network_header_offset(), Some(14));
        // Untagged: unchanged, annotation 0 (even if it was set before).
        let mut p = dump_packet(&echo);
        p.anno.vlan_tci = 5;
        let out = h.route(p).unwrap().1;
        assert_eq!(out.data(), &echo[..]);
        assert_eq!(out.anno.vlan_tci, 0);
        // QinQ: 0x88a8 outer tag is left alone by default.
        let qinq = tagged(&tagged(&echo, 0x8100, 42), 0x88a8, 300);
        assert_eq!(run(&mut h, &qinq).unwrap().data(), &qinq[..]);
        let mut h2 = decap("ETHERTYPE 0x88a8");
        let out = run(&mut h2, &qinq).unwrap();
        assert_eq!(out.data(), &tagged(&echo, 0x8100, 42)[..]);
        assert_eq!(out.anno.vlan_tci, 300);
        // ANNO false leaves the annotation alone.
        let mut h3 = decap("false");
        let mut p = dump_packet(&tagged60);
        p.anno.vlan_tci = 9;
        assert_eq!(h3.route(p).unwrap().1.anno.vlan_tci, 9);
    }

    #[test]
    fn decap_short_frames() {
        let echo = icmp_echo();
        let mut h = decap("");
        // A 16-byte tag-only frame becomes 12 bytes.
        let t = tagged(&echo, 0x8100, 42);
        let out = run(&mut h, &t[..16]).unwrap();
        assert_eq!(out.data(), &echo[..12]);
        assert_eq!(out.anno.vlan_tci, 42);
        // Untagged 14 bytes pass; shorter frames and tags without a TCI are dropped.
        assert_eq!(run(&mut h, &echo[..14]).unwrap().len(), 14);
        for n in [0, 10, 13] {
            assert!(run(&mut h, &echo[..n]).is_none());
        }
        assert!(run(&mut h, &t[..15]).is_none());
        assert_eq!(h.element.read_handler("drops").unwrap(), "4");
    }

    #[test]
    fn decap_then_encap_restores_tagged_frames() {
        let echo = icmp_echo();
        let mut d = decap("");
        let mut e = encap("ANNO");
        for frame in [
            tagged(&echo, 0x8100, 0x602a),
            tagged(&echo, 0x8100, 7),
            echo.clone(),
        ] {
            let p = d.route(dump_packet(&frame)).unwrap().1;
            let out = e.route(p).unwrap().1;
            assert_eq!(out.data(), &frame[..]);
        }
        let prio = tagged(&echo, 0x8100, 0xa000);
        let p = d.route(dump_packet(&prio)).unwrap().1;
        assert_eq!(e.route(p).unwrap().1.data(), &echo[..]);
    }
}
