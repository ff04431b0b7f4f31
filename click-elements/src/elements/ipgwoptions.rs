//! IPGWOptions: the IP options every router processes (Record Route and Timestamp).

use alloc::string::String;
use alloc::vec::Vec;

use crate::action::{counter_handler, ActionEnv, SimpleAction, Verdict};
use crate::args::{parse_ip, Args};
use crate::class::{ElementClass, Ports, ProcessingSpec};
use crate::element::ConfigureContext;
use crate::elements::ip::parse_ip_list;
use crate::elements::net::{
    ip_header_span, ip_option_at, set_ip_checksum, IpOptionAt, IPOPT_RR, IPOPT_TS, IP_LEN,
};
use crate::packet::{Packet, Timestamp};

/// The most header bytes an option walk touches: a 60-byte header and the two bytes after
/// it, where the pointer or flags of an option cut short at the header's end are read.
const SPAN: usize = 62;

/// What the option walk decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// Every option is fine.
    Pass,
    /// A parameter problem at this offset from the IP header.
    Error(usize),
    /// An option's pointer or flags lie past the end of the packet.
    Malformed,
}

/// `IPGWOptions(MYADDR [, OTHERADDRS])` on packets with an IP header annotation: processes
/// Record Route (MYADDR is recorded at the pointer, which moves on by 4; a full option is
/// left alone) and Timestamp (flag 0 records the time, flag 1 MYADDR and the time, flag 3 the
/// time when the prespecified address is MYADDR or one of OTHERADDRS; a full flag 0/1 option
/// counts an overflow). The time is milliseconds since midnight UTC. A packet with either
/// option gets a recomputed header checksum.
///
/// Options with a bad length, Record Route with a pointer below 4 (other than full), Timestamp
/// with a pointer below 5, flag 2 or above 3, or an overflow count already at 15 send the
/// packet to output 1 (dropped when there is none, counted in `drops`) with the `param_off`
/// annotation set to the offset of the offending byte from the IP header, for ICMPError's
/// parameter problem; changes already made to earlier options stay, without a new checksum,
/// as in Click. Packets without a whole IP header at the annotation, or whose last option's
/// pointer or flags lie past the packet's end, are dropped and counted in `malformed`.
#[derive(Default)]
pub struct IPGWOptions {
    preferred: [u8; 4],
    my_addrs: Vec<[u8; 4]>,
    drops: u64,
    malformed: u64,
}

/// Milliseconds since midnight UTC, as an IP timestamp (network byte order).
fn ip_timestamp(now: Timestamp) -> [u8; 4] {
    let ms = (now.sec % 86_400) * 1000 + u64::from(now.nsec / 1_000_000);
    (ms as u32).to_be_bytes()
}

impl IPGWOptions {
    /// Walks the options of the IP header `h[..hlen]` (`h` may hold a byte or two after it),
    /// changing them in place. Gives whether a Record Route or Timestamp option was met and
    /// the outcome.
    fn process(&self, h: &mut [u8], hlen: usize, now: [u8; 4]) -> (bool, Outcome) {
        let mut touched = false;
        let mut oi = IP_LEN;
        while oi < hlen {
            let (kind, len) = match ip_option_at(&h[..hlen], oi) {
                IpOptionAt::Nop => {
                    oi += 1;
                    continue;
                }
                IpOptionAt::End => break,
                IpOptionAt::BadLength => return (touched, Outcome::Error(oi + 1)),
                IpOptionAt::Option { kind, len } => (kind, len),
            };
            if kind != IPOPT_RR && kind != IPOPT_TS {
                oi += len;
                continue;
            }
            touched = true;
            // The 1-origin pointer, as an offset into the option.
            let Some(p) = h.get(oi + 2).map(|&b| usize::from(b).wrapping_sub(1)) else {
                return (touched, Outcome::Malformed);
            };
            let step = if kind == IPOPT_RR {
                self.record_route(h, oi, len, p)
            } else {
                let Some(&flags) = h.get(oi + 3) else {
                    return (touched, Outcome::Malformed);
                };
                self.timestamp(h, oi, len, p, flags, now)
            };
            if let Err(at) = step {
                return (touched, Outcome::Error(at));
            }
            oi += len;
        }
        (touched, Outcome::Pass)
    }

    /// Record Route at `oi` (`len` bytes, pointer offset `p`); `Err` with the offset of the
    /// offending byte.
    fn record_route(&self, h: &mut [u8], oi: usize, len: usize, p: usize) -> Result<(), usize> {
        if (3..=len.saturating_sub(4)).contains(&p) {
            h[oi + p..oi + p + 4].copy_from_slice(&self.preferred);
            h[oi + 2] = h[oi + 2].wrapping_add(4);
            Ok(())
        } else if p != len {
            Err(oi + 2)
        } else {
            Ok(())
        }
    }

    /// Timestamp at `oi` (`len` bytes, pointer offset `p`, overflow/flags byte `flags`).
    fn timestamp(
        &self,
        h: &mut [u8],
        oi: usize,
        len: usize,
        p: usize,
        flags: u8,
        now: [u8; 4],
    ) -> Result<(), usize> {
        let (overflow, flag) = (flags >> 4, flags & 0x0f);
        // `p` wrapped around for a zero pointer.
        if !(4..=255).contains(&p) {
            return Err(oi + 2);
        }
        let room = |n: usize| p + n <= len;
        let overflowed = match flag {
            0 if room(4) => {
                h[oi + p..oi + p + 4].copy_from_slice(&now);
                h[oi + 2] = h[oi + 2].wrapping_add(4);
                false
            }
            1 if room(8) => {
                h[oi + p..oi + p + 4].copy_from_slice(&self.preferred);
                h[oi + p + 4..oi + p + 8].copy_from_slice(&now);
                h[oi + 2] = h[oi + 2].wrapping_add(8);
                false
            }
            0 | 1 => true,
            3 if room(8) => {
                let addr = [h[oi + p], h[oi + p + 1], h[oi + p + 2], h[oi + p + 3]];
                if self.my_addrs.contains(&addr) {
                    h[oi + p + 4..oi + p + 8].copy_from_slice(&now);
                    h[oi + 2] = h[oi + 2].wrapping_add(8);
                }
                false
            }
            _ => return Err(oi + 3),
        };
        if overflowed {
            if overflow == 15 {
                return Err(oi + 3);
            }
            h[oi + 3] = ((overflow + 1) << 4) | flag;
        }
        Ok(())
    }
}

impl ElementClass for IPGWOptions {
    const NAME: &'static str = "IPGWOptions";
    const PORTS: Ports = Ports::parse("1/1-2");
    const PROCESSING: ProcessingSpec = ProcessingSpec::parse("a/ah");
    const EXAMPLE: &'static str = "10.0.1.1, 10.0.0.1 10.0.1.1";
}

impl SimpleAction for IPGWOptions {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        let preferred = args.read_mp("MYADDR", parse_ip);
        let mut others = args.read_p("OTHERADDRS", parse_ip_list).unwrap_or_default();
        if let Some(a) = preferred {
            self.preferred = a;
            others.push(a);
        }
        self.my_addrs = others;
        Ok(())
    }

    fn action(&mut self, p: &mut Packet, env: &mut dyn ActionEnv) -> Verdict {
        let Some((nh, hlen)) = ip_header_span(p) else {
            self.malformed += 1;
            return Verdict::Drop;
        };
        if hlen <= IP_LEN {
            return Verdict::Out(0);
        }
        let n = (hlen + 2).min(p.len() - nh);
        let mut h = [0u8; SPAN];
        h[..n].copy_from_slice(&p.data()[nh..nh + n]);
        let (touched, outcome) = self.process(&mut h[..n], hlen, ip_timestamp(env.now()));
        if outcome == Outcome::Malformed {
            self.malformed += 1;
            return Verdict::Drop;
        }
        if touched {
            let data = &mut p.data_mut()[nh..nh + n];
            data.copy_from_slice(&h[..n]);
            if outcome == Outcome::Pass {
                set_ip_checksum(&mut data[..hlen]);
            }
        }
        match outcome {
            Outcome::Error(at) => {
                self.drops += 1;
                p.anno.param_off = at as u8;
                Verdict::Out(1)
            }
            _ => Verdict::Out(0),
        }
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["drops", "malformed"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        counter_handler(
            name,
            &[("drops", self.drops), ("malformed", self.malformed)],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::net::in_cksum;
    use crate::elements::testing::*;
    use alloc::vec;

    const ME: [u8; 4] = [10, 0, 1, 1];

    fn gw(noutputs: usize) -> Harness<IPGWOptions> {
        Harness::new(
            IPGWOptions::default(),
            "gw",
            "10.0.1.1, 10.0.0.1 10.0.1.1",
            noutputs,
        )
        .unwrap()
    }

    /// A UDP packet with `options`, header annotated at 0.
    fn with_options(options: &[u8]) -> Packet {
        let total = 20 + options.len() + 8;
        let mut ip = ip_header(17, total as u16, [10, 0, 0, 2], [10, 0, 1, 2], options);
        ip.extend_from_slice(&[0xab; 8]);
        let mut p = dump_packet(&ip);
        p.set_network_header(0);
        p
    }

    #[test]
    fn record_route() {
        let mut h = gw(2);
        let (port, out) = h
            .route(with_options(&[7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]))
            .unwrap();
        assert_eq!(port, 0);
        assert_eq!(&out.data()[20..32], &[7, 11, 8, 10, 0, 1, 1, 0, 0, 0, 0, 0]);
        assert_eq!(in_cksum(&out.data()[..32]), 0);
        // Unaligned pointer 6: recorded at option byte 5.
        let out = h
            .route(with_options(&[7, 11, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0]))
            .unwrap()
            .1;
        assert_eq!(
            &out.data()[20..32],
            &[7, 11, 10, 0, 0, 10, 0, 1, 1, 0, 0, 0]
        );
        // Full (pointer = length + 1): untouched.
        let full = with_options(&[7, 7, 8, 1, 2, 3, 4, 0]);
        let (port, out) = h.route(full.clone()).unwrap();
        assert_eq!((port, out.data()), (0, full.data()));
        // Pointer 2: parameter problem at the pointer byte, packet unchanged.
        let bad = with_options(&[7, 7, 2, 0, 0, 0, 0, 0]);
        let (port, out) = h.route(bad.clone()).unwrap();
        assert_eq!((port, out.data(), out.anno.param_off), (1, bad.data(), 22));
        assert_eq!(h.element.read_handler("drops").unwrap(), "1");
    }

    #[test]
    fn timestamps() {
        let mut h = gw(2);
        // 12:34:56.789 UTC.
        h.platform.now = Timestamp {
            sec: 1_700_000_000 - 1_700_000_000 % 86_400 + 45_296,
            nsec: 789_000_000,
        };
        let ms = 45_296_789u32.to_be_bytes();
        let out = h
            .route(with_options(&[68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0]))
            .unwrap()
            .1;
        assert_eq!(&out.data()[20..24], &[68, 12, 9, 0]);
        assert_eq!(&out.data()[24..28], &ms);
        let out = h
            .route(with_options(&[68, 12, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0]))
            .unwrap()
            .1;
        assert_eq!(&out.data()[24..32], &[&ME[..], &ms[..]].concat()[..]);
        // Flag 3: only our addresses get a time.
        let mine = with_options(&[68, 12, 5, 3, 10, 0, 0, 1, 0, 0, 0, 0]);
        assert_eq!(
            &h.route(mine).unwrap().1.data()[22..32],
            &[13, 3, 10, 0, 0, 1, ms[0], ms[1], ms[2], ms[3]]
        );
        let other = with_options(&[68, 12, 5, 3, 192, 0, 2, 1, 0, 0, 0, 0]);
        assert_eq!(h.route(other.clone()).unwrap().1.data(), other.data());
        // Overflow counts, up to 15.
        let out = h
            .route(with_options(&[68, 8, 9, 0x30, 0, 0, 0, 0]))
            .unwrap()
            .1;
        assert_eq!(out.data()[23], 0x40);
        assert_eq!(in_cksum(&out.data()[..28]), 0);
        for (opt, at) in [
            (vec![68, 8, 9, 0xf0, 0, 0, 0, 0], 23),
            (vec![68, 8, 5, 2, 0, 0, 0, 0], 23),
            (vec![68, 8, 3, 0, 0, 0, 0, 0], 22),
            (vec![68, 8, 0, 0, 0, 0, 0, 0], 22),
        ] {
            let (port, out) = h.route(with_options(&opt)).unwrap();
            assert_eq!((port, out.anno.param_off), (1, at), "{opt:?}");
        }
    }

    #[test]
    fn option_walk() {
        let mut h = gw(2);
        // NOPs are skipped, EOL ends the walk, other options are left alone.
        let eol = with_options(&[0, 7, 7, 4, 0, 0, 0, 0]);
        assert_eq!(h.route(eol.clone()).unwrap().1.data(), eol.data());
        let out = h.route(with_options(&[1, 7, 7, 4, 0, 0, 0, 0])).unwrap().1;
        assert_eq!(&out.data()[24..28], &ME);
        let lsrr = with_options(&[131, 7, 4, 1, 2, 3, 4, 0]);
        assert_eq!(h.route(lsrr.clone()).unwrap().1.data(), lsrr.data());
        // Bad lengths point at the length byte.
        for (opt, at) in [
            (vec![7, 1, 0, 0], 21),
            (vec![1, 131, 16, 4], 22),
            (vec![1, 1, 1, 7], 24),
        ] {
            let (port, out) = h.route(with_options(&opt)).unwrap();
            assert_eq!((port, out.anno.param_off), (1, at), "{opt:?}");
        }
        // An error after a recorded route keeps the change and the old checksum.
        let both = with_options(&[7, 7, 4, 0, 0, 0, 0, 68, 4, 3, 0, 0]);
        let (port, out) = h.route(both.clone()).unwrap();
        assert_eq!((port, out.anno.param_off), (1, 29));
        assert_eq!(&out.data()[20..28], &[7, 7, 8, 10, 0, 1, 1, 68]);
        assert_eq!(&out.data()[10..12], &both.data()[10..12]);
        // Without output 1 errors are dropped.
        let mut one = gw(1);
        assert!(one.route(with_options(&[7, 1, 0, 0])).is_none());
        assert_eq!(h.element.read_handler("drops").unwrap(), "4");
    }

    #[test]
    fn options_at_the_end_of_the_packet() {
        let mut h = gw(2);
        // A Timestamp cut to 3 bytes at the header's end reads and writes the next byte.
        let mut p = with_options(&[1, 68, 3, 9]);
        p.data_mut()[24] = 0x20;
        let (port, out) = h.route(p.clone()).unwrap();
        assert_eq!((port, out.data()[24]), (0, 0x30));
        assert_eq!(in_cksum(&out.data()[..24]), 0);
        // ...and is malformed when the packet ends there.
        p.take_back(8);
        assert!(h.route(p).is_none());
        let mut rr = with_options(&[1, 1, 7, 2]);
        rr.take_back(8);
        assert!(h.route(rr).is_none());
        assert!(h.route(dump_packet(&[0x46; 30])).is_none());
        assert_eq!(h.element.read_handler("malformed").unwrap(), "3");
    }
}
