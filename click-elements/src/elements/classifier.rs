//! Classifier: sends each packet to the output of the first pattern it matches.
//!
//! Patterns use Click's syntax: clauses `OFFSET/VALUE` or `OFFSET/VALUE%MASK` (hex, two digits
//! per byte, `?` for a wildcard nibble), optionally negated with `!`, all of which must hold;
//! `-` alone matches everything. Offsets count from the start of the packet data.
//!
//! The patterns are compiled into a decision DAG over aligned 32-bit words: each node tests
//! one masked word and jumps on the result. While compiling, the outcome of every test made on
//! the way to a node is remembered, and a later test whose result those outcomes already decide
//! is skipped (so `12/0806 20/0001, 12/0806 20/0002, 12/0800` tests the ethertype word at most
//! once per packet). A clause whose bytes extend past the packet end fails, so its negation
//! holds; bytes that are wholly wildcards are not needed.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::args::Args;
use crate::class::{ElementClass, Ports, ProcessingSpec};
use crate::element::{Batch, ConfigureContext, Element, PushContext};
use crate::elements::decision::{push_classified, Base, Expr, Program, Rule, TestTable, WordTest};
use crate::packet::Packet;

/// Largest packet offset a pattern may name.
const MAX_OFFSET: usize = 0xffff;

/// One clause: all its word tests hold (or, negated, not all of them hold).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Clause {
    negated: bool,
    /// Indexes into the table of distinct tests.
    tests: Vec<usize>,
}

/// A pattern's clauses as one expression: all clauses hold (an empty clause always holds, so
/// its negation never does).
fn pattern_expr(clauses: &[Clause]) -> Expr {
    Expr::And(
        clauses
            .iter()
            .map(|c| {
                let all = Expr::And(c.tests.iter().map(|&t| Expr::Test(t)).collect());
                if c.negated {
                    Expr::Not(alloc::boxed::Box::new(all))
                } else {
                    all
                }
            })
            .collect(),
    )
}

/// The value and mask of one pattern nibble (`?` is a wildcard).
fn nibble(c: u8) -> (u8, u8) {
    match c {
        b'?' => (0, 0),
        _ => ((c as char).to_digit(16).unwrap_or(0) as u8, 0xf),
    }
}

/// Parses pattern number `slot` into clauses, adding its word tests to `tests`.
fn parse_pattern(slot: usize, s: &str, tests: &mut TestTable) -> Result<Vec<Clause>, String> {
    let b = s.as_bytes();
    let mut clauses = Vec::new();
    if s == "-" {
        return Ok(clauses);
    }
    let is_digit = |c: u8| c.is_ascii_hexdigit() || c == b'?';
    let mut i = 0;
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let negated = b[i] == b'!';
        if negated {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
        }
        if i >= b.len() || !b[i].is_ascii_digit() {
            return Err(format!("pattern {slot}: expected a digit"));
        }
        let mut offset: usize = 0;
        while i < b.len() && b[i].is_ascii_digit() {
            offset = offset * 10 + usize::from(b[i] - b'0');
            if offset > MAX_OFFSET {
                return Err(format!("pattern {slot}: offset too large"));
            }
            i += 1;
        }
        if b.get(i) != Some(&b'/') {
            return Err(format!("pattern {slot}: expected '/'"));
        }
        i += 1;
        let value_start = i;
        while i < b.len() && is_digit(b[i]) {
            i += 1;
        }
        let value = &b[value_start..i];
        let mut mask: Option<&[u8]> = None;
        if b.get(i) == Some(&b'%') {
            i += 1;
            let mask_start = i;
            while i < b.len() && is_digit(b[i]) {
                i += 1;
            }
            mask = Some(&b[mask_start..i]);
        }
        if value.len() < 2 {
            return Err(format!("pattern {slot}: value has less than 2 hex digits"));
        }
        if value.len() % 2 != 0 {
            return Err(format!(
                "pattern {slot}: value has odd number of hex digits"
            ));
        }
        if let Some(m) = mask {
            if m.len() != value.len() {
                let which = if m.len() > value.len() { "many" } else { "few" };
                return Err(format!("pattern {slot}: mask has too {which} hex digits"));
            }
        }
        if offset + value.len() / 2 > MAX_OFFSET {
            return Err(format!("pattern {slot}: offset too large"));
        }
        // Gather the clause's bytes into aligned words.
        let mut words: Vec<WordTest> = Vec::new();
        for (k, pair) in value.chunks_exact(2).enumerate() {
            let (hv, hm) = nibble(pair[0]);
            let (lv, lm) = nibble(pair[1]);
            let mut m = hm << 4 | lm;
            let v = hv << 4 | lv;
            if let Some(mask) = mask {
                let (hmv, hmm) = nibble(mask[2 * k]);
                let (lmv, lmm) = nibble(mask[2 * k + 1]);
                m &= (hmv << 4 | lmv) & (hmm << 4 | lmm);
            }
            let at = offset + k;
            let shift = (3 - at % 4) * 8;
            let word_offset = at - at % 4;
            if words.last().map(|w| w.offset) != Some(word_offset) {
                words.push(WordTest::new(Base::Data, word_offset, 0, 0));
            }
            if let Some(w) = words.last_mut() {
                w.mask |= u32::from(m) << shift;
                w.value |= u32::from(v & m) << shift;
            }
        }
        let ids = words
            .into_iter()
            .filter(|w| w.mask != 0)
            .map(|w| tests.intern(w))
            .collect();
        clauses.push(Clause {
            negated,
            tests: ids,
        });
    }
    Ok(clauses)
}

/// Classifies packets by contents; one pattern per output, first match wins, no match drops.
#[derive(Default)]
pub struct Classifier {
    program: Program,
}

impl Classifier {
    /// The output for a packet with contents `data` (`None`: no pattern matches).
    #[inline]
    pub fn classify(&self, data: &[u8]) -> Option<usize> {
        self.program.classify(&[data, &[], &[], &[]])
    }

    /// Number of tests in the compiled program.
    pub fn program_size(&self) -> usize {
        self.program.len()
    }
}

impl ElementClass for Classifier {
    const NAME: &'static str = "Classifier";
    const PORTS: Ports = Ports::parse("1/-");
    const PROCESSING: ProcessingSpec = ProcessingSpec::parse("h/h");
    const EXAMPLE: &'static str = "12/0806 20/0001, !12/0800 30/0a0a%f0f0, 12/0800, -";
}

impl Element for Classifier {
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        let conf = args.take_rest();
        if conf.len() != ctx.noutputs {
            return Err(format!(
                "need {} arguments, one per output port",
                ctx.noutputs
            ));
        }
        let mut tests = TestTable::default();
        let mut rules = Vec::with_capacity(conf.len());
        let mut errors = Vec::new();
        for (slot, s) in conf.iter().enumerate() {
            match parse_pattern(slot, s, &mut tests) {
                Ok(p) => rules.push(Rule {
                    expr: pattern_expr(&p),
                    output: Some(slot),
                }),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(errors.join("\n"));
        }
        self.program = Program::compile(tests.tests(), &rules, ctx.limits)?;
        Ok(())
    }

    fn push(&mut self, _port: usize, packet: Packet, ctx: &mut PushContext<'_>) {
        if let Some(port) = self.classify(packet.data()) {
            ctx.output(port, packet);
        }
    }

    /// Classifies the burst; while every packet goes the same way the whole burst is handed
    /// to that output at once (no packet moves), otherwise packets are sent one by one from the
    /// first that differs.
    fn push_batch(&mut self, _port: usize, batch: &mut Batch, ctx: &mut PushContext<'_>) {
        push_classified(batch, ctx, |p| self.classify(p.data()));
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["program"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        (name == "program").then(|| self.program.unparse())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::testing::*;
    use alloc::vec;

    fn classifier(config: &str, n: usize) -> Classifier {
        let mut c = Classifier::default();
        configure(&mut c, "c", config, 1, n).expect("configures");
        c
    }

    /// The seed Classifier over the classifier-basic case's packets (expected outputs from
    /// Click 2.1: out0 5 packets, out1 1, out2 12, out3 14).
    #[test]
    fn seed_patterns() {
        let c = classifier("12/0806 20/0001, 12/0806 20/0002, 12/0800, -", 4);
        let req = arp_request(SERVER_IP);
        assert_eq!(c.classify(&req), Some(0));
        assert_eq!(c.classify(&req[..42]), Some(0));
        // Truncated ARP (38 bytes) still has bytes 12-13 and 20-21.
        assert_eq!(c.classify(&req[..38]), Some(0));
        let mut reply = req.clone();
        reply[21] = 2;
        assert_eq!(c.classify(&reply), Some(1));
        let mut rarp = req.clone();
        rarp[21] = 3;
        assert_eq!(c.classify(&rarp), Some(3));
        assert_eq!(c.classify(&icmp_echo()), Some(2));
        assert_eq!(c.classify(&icmp_echo()[..14]), Some(2));
        assert_eq!(c.classify(&tagged(&icmp_echo(), 0x8100, 0x602a)), Some(3));
        let mut wol = icmp_echo();
        wol[12..14].copy_from_slice(&[0x08, 0x42]);
        assert_eq!(c.classify(&wol), Some(3));
        // Runts: 10, 12 and 13 bytes fail every clause.
        for n in [0, 10, 12, 13] {
            assert_eq!(c.classify(&icmp_echo()[..n]), Some(3), "{n} bytes");
        }
        // The ethertype word is tested once per packet at most.
        assert!(c.program_size() <= 4, "{}", c.program.unparse());
    }

    #[test]
    fn no_match_drops_and_batch_splits() {
        let mut h = Harness::new(Classifier::default(), "c", "12/0800, 12/0806", 2).unwrap();
        let lldp = ether([1; 6], [2; 6], 0x88cc, &[0; 46], 60);
        h.push_batch(
            0,
            vec![
                Packet::from_slice(&icmp_echo()),
                Packet::from_slice(&lldp),
                Packet::from_slice(&arp_request(SERVER_IP)),
                Packet::from_slice(&icmp_echo()),
            ],
        );
        assert_eq!(h.take(0).len(), 2);
        assert_eq!(h.take(1).len(), 1);
        assert!(h.route(Packet::from_slice(&lldp)).is_none());
    }

    #[test]
    fn batches_go_where_single_packets_go_in_order() {
        let config = "12/0800, 12/0806";
        let lldp = ether([1; 6], [2; 6], 0x88cc, &[0; 46], 60);
        let frames = [icmp_echo(), arp_request(SERVER_IP), lldp];
        for pattern in [
            [0, 0, 0, 0],
            [0, 0, 1, 0],
            [2, 2, 2, 0],
            [1, 1, 1, 1],
            [0, 2, 1, 0],
        ] {
            let burst: Vec<Packet> = pattern
                .iter()
                .enumerate()
                .map(|(i, &k)| {
                    let mut p = Packet::from_slice(&frames[k]);
                    p.anno.paint = i as u8;
                    p
                })
                .collect();
            let mut one = Harness::new(Classifier::default(), "c", config, 2).unwrap();
            let mut many = Harness::new(Classifier::default(), "c", config, 2).unwrap();
            for p in burst.iter().cloned() {
                one.push(0, p);
            }
            many.push_batch(0, burst);
            for port in 0..2 {
                let a: Vec<u8> = one.take(port).iter().map(|p| p.anno.paint).collect();
                let b: Vec<u8> = many.take(port).iter().map(|p| p.anno.paint).collect();
                assert_eq!(a, b, "{pattern:?} port {port}");
            }
        }
    }

    #[test]
    fn short_clause_fails_and_its_negation_holds() {
        let c = classifier("12/08, !12/0800, -", 3);
        let mut f13 = icmp_echo()[..13].to_vec();
        assert_eq!(c.classify(&f13), Some(0));
        f13[12] = 0x86;
        // 12/08 fails on the value, !12/0800 holds because the clause is cut short.
        assert_eq!(c.classify(&f13), Some(1));
        let c = classifier("!12/0800, -", 2);
        assert_eq!(c.classify(&icmp_echo()), Some(1));
        assert_eq!(c.classify(&icmp_echo()[..13]), Some(0));
        assert_eq!(c.classify(&[]), Some(0));
    }

    #[test]
    fn masks_wildcards_and_unaligned_values() {
        let c = classifier("14/4?, 14/06%0f, 13/00??00, 30/0a0a0003%ffff00ff", 4);
        let echo = icmp_echo();
        assert_eq!(c.classify(&echo), Some(0));
        let mut v6 = echo.clone();
        v6[14] = 0x66;
        assert_eq!(c.classify(&v6), Some(1));
        let mut other = echo.clone();
        // 0x55 at 14 fails 14/4? and 14/06%0f (5 != 6); 13/00??00 holds (14 is a wildcard).
        other[14] = 0x55;
        assert_eq!(c.classify(&other), Some(2));
        other[13] = 1;
        assert_eq!(c.classify(&other), Some(3));
        let c = classifier("30/0a0a0003%ffff00ff", 1);
        let mut d = echo.clone();
        d[32] = 0x77;
        assert_eq!(c.classify(&d), Some(0));
        d[33] = 0x04;
        assert_eq!(c.classify(&d), None);
        // Wholly wildcard bytes are not needed.
        let c = classifier("1/ff%ff 2/??, -", 2);
        assert_eq!(c.classify(&[0, 0xff]), Some(0));
    }

    #[test]
    fn several_clauses_and_negations() {
        let c = classifier("12/0800 !23/01 23/11, 12/0800 !23/01, 12/0800, -", 4);
        let mut udp = icmp_echo();
        udp[23] = 0x11;
        assert_eq!(c.classify(&udp), Some(0));
        let mut tcp = icmp_echo();
        tcp[23] = 0x06;
        assert_eq!(c.classify(&tcp), Some(1));
        assert_eq!(c.classify(&icmp_echo()), Some(2));
        assert_eq!(c.classify(&arp_request(SERVER_IP)), Some(3));
    }

    #[test]
    fn configure_errors() {
        let mut c = Classifier::default();
        let e = configure(&mut c, "c", "12/0800, -", 1, 3).unwrap_err();
        assert_eq!(e, "need 3 arguments, one per output port");
        for (pat, msg) in [
            ("x/08", "pattern 0: expected a digit"),
            ("12-08", "pattern 0: expected '/'"),
            ("12/8", "pattern 0: value has less than 2 hex digits"),
            ("12/080", "pattern 0: value has odd number of hex digits"),
            ("12/0800%ff", "pattern 0: mask has too few hex digits"),
            ("12/08%ffff", "pattern 0: mask has too many hex digits"),
            ("99999/08", "pattern 0: offset too large"),
            ("- 12/08", "pattern 0: expected a digit"),
        ] {
            let mut c = Classifier::default();
            assert_eq!(configure(&mut c, "c", pat, 1, 1).unwrap_err(), msg, "{pat}");
        }
        // Every bad pattern is reported.
        let mut c = Classifier::default();
        let e = configure(&mut c, "c", "1/1, -, 3/333", 1, 3).unwrap_err();
        assert!(e.contains("pattern 0") && e.contains("pattern 2"), "{e}");
    }

    #[test]
    fn everything_and_nothing() {
        let c = classifier("-", 1);
        assert_eq!(c.classify(&[]), Some(0));
        assert_eq!(c.program_size(), 0);
        let c = classifier("", 0);
        assert_eq!(c.classify(&icmp_echo()), None);
        // A later pattern identical to an earlier one is unreachable but harmless.
        let c = classifier("12/0800, 12/0800, -", 3);
        assert_eq!(c.classify(&icmp_echo()), Some(0));
        assert_eq!(c.program_size(), 1);
    }

    #[test]
    fn equality_tests_on_one_word_fold_for_full_packets() {
        // The seed firewall: `12/0800 15/cc` tests the word at 12 twice. Click's listing keeps
        // both tests; packets holding the word take one test with the masks joined.
        let c = classifier("12/0806, 12/0800 15/cc, -", 3);
        let listing = c.program.unparse();
        let (exact, long) = listing.split_once("when every word tested").unwrap();
        assert_eq!(exact.matches(" yes->").count(), 3, "{listing}");
        assert_eq!(long.matches(" yes->").count(), 2, "{listing}");
        assert!(
            long.contains("12/080000cc%ffff00ff yes->[1] no->[2]"),
            "{listing}"
        );
        let mut tos = icmp_echo();
        tos[15] = 0xcc;
        assert_eq!(c.classify(&tos), Some(1));
        assert_eq!(c.classify(&icmp_echo()), Some(2));
        assert_eq!(c.classify(&tos[..15]), Some(2));
        tos[12] = 0x09;
        assert_eq!(c.classify(&tos), Some(2));
    }

    /// The bytes at `offset..offset + 4` that exist, as a big-endian word padded with zeros.
    fn partial_word(data: &[u8], offset: usize) -> u32 {
        let mut b = [0u8; 4];
        for (dst, src) in b.iter_mut().zip(data.iter().skip(offset)) {
            *dst = *src;
        }
        u32::from_be_bytes(b)
    }

    /// The compiled program agrees with a direct, pattern-by-pattern evaluation on many
    /// packets (lengths 0..=24 and varied bytes).
    #[test]
    fn compiled_program_agrees_with_direct_evaluation() {
        let config = "0/01 !2/03, 1/0?%f0 3/ff, !0/00 !4/0102, 2/0304%ff0f, 5/?1, 0/01, -";
        let c = classifier(config, 7);
        let mut table = TestTable::default();
        let patterns: Vec<Vec<Clause>> = crate::args::split_args(config)
            .iter()
            .enumerate()
            .map(|(i, s)| parse_pattern(i, s, &mut table).unwrap())
            .collect();
        let tests = table.tests();
        let direct = |data: &[u8]| -> Option<usize> {
            patterns.iter().position(|clauses| {
                clauses.iter().all(|cl| {
                    let all = cl.tests.iter().all(|&t| {
                        let w = tests[t];
                        data.len() >= w.required_length()
                            && partial_word(data, w.offset) & w.mask == w.value
                    });
                    all != cl.negated
                })
            })
        };
        let mut seed: u32 = 12345;
        for n in 0..2000 {
            let len = n % 25;
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1103515245).wrapping_add(12345);
                    [0u8, 1, 2, 3, 4, 0xff, 0x11, 0x0f][(seed >> 16) as usize % 8]
                })
                .collect();
            assert_eq!(c.classify(&data), direct(&data), "{data:?}");
        }
    }

    /// Random pattern sets, small and large (large ones outgrow outcome tracking and are
    /// compiled without it), agree with direct evaluation.
    #[test]
    fn random_pattern_sets_agree_with_direct_evaluation() {
        let mut seed: u32 = 99;
        let mut next = |n: u32| {
            seed = seed.wrapping_mul(1103515245).wrapping_add(12345);
            (seed >> 16) % n
        };
        for npatterns in [3usize, 12, 400] {
            let mut pats = Vec::new();
            for _ in 0..npatterns {
                let mut p = String::new();
                for _ in 0..1 + next(3) {
                    let neg = if next(4) == 0 { "!" } else { "" };
                    let off = next(8);
                    let val = ["00", "01", "0?", "ff", "0001", "?1"][next(6) as usize];
                    p.push_str(&format!("{neg}{off}/{val} "));
                }
                pats.push(p);
            }
            pats.push(String::from("-"));
            let config = pats.join(", ");
            let c = classifier(&config, pats.len());
            let mut table = TestTable::default();
            let patterns: Vec<Vec<Clause>> = pats
                .iter()
                .enumerate()
                .map(|(i, s)| parse_pattern(i, s.trim(), &mut table).unwrap())
                .collect();
            let tests = table.tests();
            for _ in 0..3000 {
                let len = next(11) as usize;
                let data: Vec<u8> = (0..len)
                    .map(|_| [0u8, 1, 0xff, 0x11][next(4) as usize])
                    .collect();
                let direct = patterns.iter().position(|clauses| {
                    clauses.iter().all(|cl| {
                        let all = cl.tests.iter().all(|&t| {
                            let w = tests[t];
                            data.len() >= w.required_length()
                                && partial_word(&data, w.offset) & w.mask == w.value
                        });
                        all != cl.negated
                    })
                });
                assert_eq!(c.classify(&data), direct, "{config} on {data:?}");
            }
        }
    }

    #[test]
    fn program_handler_lists_steps() {
        let c = classifier("12/0800, -", 2);
        let text = c.read_handler("program").unwrap();
        assert!(text.starts_with("start step 0\n"), "{text}");
        assert!(
            text.contains("12/08000000%ffff0000 yes->[0] no->[1]"),
            "{text}"
        );
    }
}
