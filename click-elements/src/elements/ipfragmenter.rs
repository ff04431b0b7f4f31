//! IPFragmenter: splits IP packets larger than an MTU into fragments.

use alloc::string::String;

use crate::action::counter_handler;
use crate::args::{parse_bool, parse_u64, Args};
use crate::class::{ElementClass, Ports, ProcessingSpec};
use crate::element::{ConfigureContext, Element, PushContext};
use crate::elements::net::{
    be16, fmt_ip, ip_header_span, ip_option_at, set_ip_checksum, IpOptionAt, IP_DF, IP_LEN, IP_MF,
};
use crate::packet::{Packet, PacketPool, DEFAULT_HEADROOM};

/// How many DF packets are reported on stderr when not VERBOSE.
const REPORTED_DF: u64 = 5;

/// The options of an IP header that later fragments repeat: those with the copy bit, in
/// order, NOPs left out, padded with EOL to a multiple of 4 bytes.
struct CopiedOptions {
    bytes: [u8; 40],
    len: usize,
}

impl CopiedOptions {
    /// The copied options of the IP header `header` (exactly its header-length bytes), as
    /// far as the option list is well formed.
    fn of(header: &[u8]) -> CopiedOptions {
        let mut out = CopiedOptions {
            bytes: [0; 40],
            len: 0,
        };
        let mut at = IP_LEN;
        while at < header.len() {
            match ip_option_at(header, at) {
                IpOptionAt::Nop => at += 1,
                IpOptionAt::End | IpOptionAt::BadLength => break,
                IpOptionAt::Option { kind, len } => {
                    if kind & 0x80 != 0 {
                        out.bytes[out.len..out.len + len].copy_from_slice(&header[at..at + len]);
                        out.len += len;
                    }
                    at += len;
                }
            }
        }
        // The padding is EOL, which is zero.
        out.len = out.len.next_multiple_of(4);
        out
    }

    /// The options and their padding.
    fn bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// `IPFragmenter(MTU [, HONOR_DF, VERBOSE, HEADROOM])`, push only, on packets with an IP
/// header annotation. A packet whose bytes from the IP header on fit in MTU passes unchanged.
/// A larger one is split: each fragment carries (MTU - its header length) rounded down to a
/// multiple of 8 payload bytes, the last one the rest; the first fragment is the packet itself
/// cut short (with whatever precedes its IP header and all its options), the others are new
/// packets starting at the IP header with only the options that have the copy bit, and all
/// the annotations of the original. Offsets continue from the packet's own, MF is set on all
/// but the last fragment (on that too when the packet had it), checksums are recomputed.
///
/// A packet with DF (when `HONOR_DF`, the default) or whose first fragment could not carry 8
/// bytes goes to output 1 (dropped when there is none) and is counted in `drops`; the first 5
/// (all with `VERBOSE`) are reported as `IPFragmenter(MTU) DF SRC DST len=LEN`. Without
/// HONOR_DF, a DF packet gets a pseudo-random IP id and loses DF. `fragments` counts the
/// fragments sent. New fragments get `HEADROOM` bytes of headroom. Packets without a whole
/// IP header at the annotation, or larger than MTU with an IP length past their end, are
/// dropped and counted in `malformed`.
pub struct IPFragmenter {
    mtu: usize,
    honor_df: bool,
    verbose: bool,
    headroom: usize,
    drops: u64,
    fragments: u64,
    malformed: u64,
    /// State of the generator of IP ids for DF packets fragmented anyway.
    random: u32,
    pool: PacketPool,
}

impl Default for IPFragmenter {
    fn default() -> Self {
        IPFragmenter {
            mtu: 0,
            honor_df: true,
            verbose: false,
            headroom: DEFAULT_HEADROOM,
            drops: 0,
            fragments: 0,
            malformed: 0,
            random: 0x2545_f491,
            pool: PacketPool::default(),
        }
    }
}

impl IPFragmenter {
    /// The next pseudo-random IP id (xorshift32 stirred with the clock's nanoseconds).
    fn random_id(&mut self, nsec: u32) -> u16 {
        let mut x = (self.random ^ nsec).max(1);
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.random = x;
        x as u16
    }

    /// Splits `p` (IP header of `hlen` bytes at `nh`) and emits the fragments, or sends it
    /// to output 1.
    fn fragment(&mut self, mut p: Packet, nh: usize, hlen: usize, ctx: &mut PushContext<'_>) {
        let ip = &p.data()[nh..];
        let first_dlen = (self.mtu as i64 - hlen as i64) & !7;
        let off_field = be16(ip, 6).unwrap_or(0);
        if (off_field & IP_DF != 0 && self.honor_df) || first_dlen < 8 {
            if self.verbose || self.drops < REPORTED_DF {
                ctx.chatter(format_args!(
                    "IPFragmenter({}) DF {} {} len={}",
                    self.mtu,
                    fmt_ip(&[ip[12], ip[13], ip[14], ip[15]]),
                    fmt_ip(&[ip[16], ip[17], ip[18], ip[19]]),
                    p.len()
                ));
            }
            self.drops += 1;
            ctx.output(1, p);
            return;
        }
        let ip_len = usize::from(be16(ip, 2).unwrap_or(0));
        if ip_len > ip.len() {
            self.malformed += 1;
            return;
        }
        let first_dlen = first_dlen as usize;
        let in_dlen = ip_len.saturating_sub(hlen);
        let options = CopiedOptions::of(&ip[..hlen]);
        let seed = ctx.now().nsec;
        let id = (off_field & IP_DF != 0).then(|| self.random_id(seed));
        let h = &mut p.data_mut()[nh..nh + hlen];
        if let Some(id) = id {
            h[4..6].copy_from_slice(&id.to_be_bytes());
            h[6] &= !((IP_DF >> 8) as u8);
        }
        let had_mf = h[6] & (IP_MF >> 8) as u8 != 0;
        h[2..4].copy_from_slice(&((hlen + first_dlen) as u16).to_be_bytes());
        h[6] |= (IP_MF >> 8) as u8;
        set_ip_checksum(h);
        let mut first = p.clone();
        first.truncate(nh + hlen + first_dlen);
        ctx.output(0, first);
        self.fragments += 1;

        let ip = &p.data()[nh..];
        let off_field = be16(ip, 6).unwrap_or(0);
        let out_hlen = IP_LEN + options.len;
        let per_fragment = (self.mtu - out_hlen) & !7;
        let mut off = first_dlen;
        while off < in_dlen {
            let dlen = per_fragment.min(in_dlen - off);
            let mut q = self.pool.zeroed(self.headroom, out_hlen + dlen);
            let d = q.data_mut();
            d[..IP_LEN].copy_from_slice(&ip[..IP_LEN]);
            d[IP_LEN..out_hlen].copy_from_slice(options.bytes());
            d[out_hlen..].copy_from_slice(&ip[hlen + off..hlen + off + dlen]);
            d[0] = (d[0] & 0xf0) | (out_hlen / 4) as u8;
            d[2..4].copy_from_slice(&((out_hlen + dlen) as u16).to_be_bytes());
            let mut field = off_field.wrapping_add((off >> 3) as u16);
            if off + dlen >= in_dlen && !had_mf {
                field &= !IP_MF;
            }
            d[6..8].copy_from_slice(&field.to_be_bytes());
            set_ip_checksum(&mut d[..out_hlen]);
            q.set_network_header(0);
            q.anno = p.anno;
            ctx.output(0, q);
            self.fragments += 1;
            off += dlen;
        }
    }
}

impl ElementClass for IPFragmenter {
    const NAME: &'static str = "IPFragmenter";
    const PORTS: Ports = Ports::parse("1/1-2");
    const PROCESSING: ProcessingSpec = ProcessingSpec::PUSH;
    const EXAMPLE: &'static str = "1500, HONOR_DF false";
}

impl Element for IPFragmenter {
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        let mtu = args.read_mp("MTU", |s| {
            parse_u64(s).and_then(|v| u32::try_from(v).map_err(|_| String::from("out of range")))
        });
        self.honor_df = args.read_p("HONOR_DF", parse_bool).unwrap_or(true);
        self.verbose = args.read_p("VERBOSE", parse_bool).unwrap_or(false);
        if let Some(h) = args.read_kw("HEADROOM", parse_u64) {
            let h = usize::try_from(h).unwrap_or(usize::MAX);
            self.headroom = ctx.limits.check_headroom("HEADROOM", h)?;
        }
        self.pool = ctx.pool.clone();
        if let Some(mtu) = mtu {
            if mtu < 8 {
                return Err(String::from("MTU must be at least 8"));
            }
            self.mtu = mtu as usize;
        }
        Ok(())
    }

    fn push(&mut self, _port: usize, p: Packet, ctx: &mut PushContext<'_>) {
        let Some((nh, hlen)) = ip_header_span(&p) else {
            self.malformed += 1;
            return;
        };
        if p.len() - nh <= self.mtu {
            ctx.output(0, p);
        } else {
            self.fragment(p, nh, hlen, ctx);
        }
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["drops", "fragments", "malformed"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        counter_handler(
            name,
            &[
                ("drops", self.drops),
                ("fragments", self.fragments),
                ("malformed", self.malformed),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::net::in_cksum;
    use crate::elements::testing::*;
    use alloc::vec::Vec;

    fn fragmenter(config: &str, noutputs: usize) -> Harness<IPFragmenter> {
        Harness::new(IPFragmenter::default(), "f", config, noutputs).unwrap()
    }

    /// A UDP datagram of `total` bytes with `options`, fragment field `frag`, annotated at 0.
    fn datagram(total: usize, options: &[u8], frag: u16) -> Packet {
        let mut ip = ip_header(17, total as u16, [10, 0, 0, 2], [10, 0, 1, 2], options);
        ip[6..8].copy_from_slice(&frag.to_be_bytes());
        set_ip_checksum(&mut ip);
        ip.extend((0..total - ip.len()).map(|i| i as u8));
        let mut p = dump_packet(&ip);
        p.set_network_header(0);
        p
    }

    /// Checks every fragment's header and returns (offset, MF, payload) of each.
    fn pieces(frags: &[Packet]) -> Vec<(usize, bool, Vec<u8>)> {
        frags
            .iter()
            .map(|f| {
                let d = f.data();
                let hlen = usize::from(d[0] & 15) * 4;
                assert_eq!(usize::from(be16(d, 2).unwrap()), d.len());
                assert_eq!(in_cksum(&d[..hlen]), 0);
                let field = be16(d, 6).unwrap();
                (
                    usize::from(field & 0x1fff) * 8,
                    field & IP_MF != 0,
                    d[hlen..].to_vec(),
                )
            })
            .collect()
    }

    #[test]
    fn small_packets_pass() {
        let mut h = fragmenter("576", 2);
        let p = datagram(576, &[], IP_DF);
        let (port, out) = h.route(p.clone()).unwrap();
        assert_eq!((port, out.data()), (0, p.data()));
    }

    #[test]
    fn fragments_reassemble() {
        let mut h = fragmenter("576", 2);
        let mut p = datagram(1000, &[], 0);
        p.anno.paint = 7;
        h.push(0, p.clone());
        let frags = h.take(0);
        let got = pieces(&frags);
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].0, got[0].1, got[0].2.len()), (0, true, 552));
        assert_eq!((got[1].0, got[1].1, got[1].2.len()), (552, false, 428));
        let joined: Vec<u8> = got.iter().flat_map(|g| g.2.clone()).collect();
        assert_eq!(&joined[..], &p.data()[20..]);
        assert!(frags.iter().all(|f| f.anno.paint == 7));
        assert_eq!(&frags[1].data()[4..6], &p.data()[4..6]);
        assert_eq!(h.element.read_handler("fragments").unwrap(), "2");
    }

    #[test]
    fn only_copied_options_are_repeated() {
        let mut h = fragmenter("100", 2);
        // Router Alert (copied), NOP, Record Route (not copied), EOL: ihl 9.
        let opts = [0x94, 4, 0, 0, 1, 7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0];
        let p = datagram(300, &opts, 0);
        h.push(0, p.clone());
        let frags = h.take(0);
        assert_eq!(frags[0].data()[0], 0x49);
        assert_eq!(&frags[0].data()[20..36], &opts);
        for f in &frags[1..] {
            assert_eq!(f.data()[0], 0x46);
            assert_eq!(&f.data()[20..24], &[0x94, 4, 0, 0]);
        }
        let got = pieces(&frags);
        // 100 - 36 = 64 in the first, 100 - 24 = 76 -> 72 in the others.
        let sizes: Vec<usize> = got.iter().map(|g| g.2.len()).collect();
        assert_eq!(sizes, [64, 72, 72, 56]);
        let joined: Vec<u8> = got.iter().flat_map(|g| g.2.clone()).collect();
        assert_eq!(&joined[..], &p.data()[36..]);
    }

    #[test]
    fn middle_fragments_keep_mf_and_offsets() {
        let mut h = fragmenter("576", 2);
        h.push(0, datagram(720, &[], IP_MF | 10));
        let got = pieces(&h.take(0));
        assert_eq!(
            got.iter().map(|g| (g.0, g.1)).collect::<Vec<_>>(),
            [(80, true), (632, true)]
        );
    }

    #[test]
    fn df_goes_to_output_1_and_is_reported_five_times() {
        let mut h = fragmenter("576", 2);
        for _ in 0..7 {
            let (port, _) = h.route(datagram(1000, &[], IP_DF)).unwrap();
            assert_eq!(port, 1);
        }
        assert_eq!(h.platform.chatter.len(), 5);
        assert_eq!(
            h.platform.chatter[0],
            "IPFragmenter(576) DF 10.0.0.2 10.0.1.2 len=1000"
        );
        assert_eq!(h.element.read_handler("drops").unwrap(), "7");
        // The whole packet's length is reported; VERBOSE reports every one.
        let mut v = fragmenter("100, true, true", 1);
        for _ in 0..6 {
            let mut p = dump_packet(&[&[0u8; 14][..], datagram(120, &[], IP_DF).data()].concat());
            p.set_network_header(14);
            assert!(v.route(p).is_none());
        }
        assert_eq!(v.platform.chatter.len(), 6);
        assert!(v.platform.chatter[5].ends_with("len=134"));
        // A header too large for one 8-byte piece: output 1 even without DF.
        let mut s = fragmenter("27", 2);
        assert_eq!(s.route(datagram(40, &[0x94, 4, 0, 0], 0)).unwrap().0, 1);
    }

    #[test]
    fn honor_df_false_fragments_with_a_new_id() {
        let mut h = fragmenter("576, HONOR_DF false", 1);
        h.push(0, datagram(1000, &[], IP_DF));
        let frags = h.take(0);
        assert_eq!(frags.len(), 2);
        for f in &frags {
            assert_eq!(f.data()[6] & 0x40, 0);
            assert_eq!(&f.data()[4..6], &frags[0].data()[4..6]);
        }
        assert_eq!(pieces(&frags).len(), 2);
    }

    #[test]
    fn first_fragment_keeps_what_precedes_the_header() {
        let mut h = fragmenter("576", 1);
        let ip = datagram(1000, &[], 0);
        let mut p = dump_packet(&[&[0xee; 14][..], ip.data()].concat());
        p.set_network_header(14);
        h.push(0, p);
        let frags = h.take(0);
        assert_eq!(frags[0].len(), 14 + 572);
        assert_eq!(&frags[0].data()[..14], &[0xee; 14]);
        assert_eq!(frags[1].len(), 20 + 428);
        assert_eq!(frags[1].network_header_offset(), Some(0));
    }

    #[test]
    fn configuration_and_malformed_packets() {
        let cfg = |c: &str| configure(&mut IPFragmenter::default(), "f", c, 1, 2);
        assert_eq!(cfg("7").unwrap_err(), "MTU must be at least 8");
        assert!(cfg("").is_err());
        assert!(cfg("1500, HEADROOM 100000").is_err());
        assert!(cfg("1500, HEADROOM 0, VERBOSE true").is_ok());
        let mut h = fragmenter("100", 2);
        // IP length past the end of the packet.
        let mut p = datagram(300, &[], 0);
        p.take_back(10);
        h.push(0, p);
        // No annotation.
        h.push(0, dump_packet(datagram(300, &[], 0).data()));
        assert!(h.take(0).is_empty() && h.take(1).is_empty());
        assert_eq!(h.element.read_handler("malformed").unwrap(), "2");
    }
}
