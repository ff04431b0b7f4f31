//! AverageCounter: counts packets and bytes and their average rate since the first packet.

use alloc::format;
use alloc::string::String;

use crate::action::{ActionEnv, SimpleAction, Verdict};
use crate::args::{parse_uint_max, Args};
use crate::class::ElementClass;
use crate::element::ConfigureContext;
use crate::elements::net::fmt_g12;
use crate::packet::{Packet, Timestamp};

/// Click's jiffies at user level: milliseconds, as a wrapping 32-bit count.
const HZ: u32 = 1000;

/// The jiffies of `t`.
fn jiffies(t: Timestamp) -> u32 {
    t.millis() as u32
}

/// Passes packets unchanged, counting them (`count`, `byte_count`) and their average rate
/// (`rate`, `byte_rate`: per second between the first and the latest packet, as `%.12g`).
/// `AverageCounter([IGNORE])`: packets in the first IGNORE seconds are not counted. `reset`
/// starts over. Counts are 32-bit and wrap, as in Click.
#[derive(Default)]
pub struct AverageCounter {
    count: u32,
    byte_count: u32,
    /// Jiffies of the first packet (0: none yet).
    first: u32,
    /// Jiffies of the latest packet.
    last: u32,
    /// IGNORE in jiffies.
    ignore: u32,
}

impl AverageCounter {
    /// The average of `count` per second.
    fn rate(&self, count: u32) -> String {
        let d = self
            .last
            .wrapping_sub(self.first)
            .wrapping_sub(self.ignore)
            .max(1);
        fmt_g12(f64::from(count) * f64::from(HZ) / f64::from(d))
    }
}

impl ElementClass for AverageCounter {
    const NAME: &'static str = "AverageCounter";
    const EXAMPLE: &'static str = "IGNORE 1";
}

impl SimpleAction for AverageCounter {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        let ignore = args.read_p("IGNORE", |s| parse_uint_max(s, u64::from(u32::MAX)));
        self.ignore = (ignore.unwrap_or(0) as u32).wrapping_mul(HZ);
        Ok(())
    }

    fn action(&mut self, p: &mut Packet, env: &mut dyn ActionEnv) -> Verdict {
        let now = jiffies(env.now());
        if self.first == 0 {
            self.first = now;
        }
        if now.wrapping_sub(self.first) >= self.ignore {
            self.count = self.count.wrapping_add(1);
            self.byte_count = self.byte_count.wrapping_add(p.len() as u32);
        }
        self.last = now;
        Verdict::Out(0)
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["count", "byte_count", "rate", "byte_rate"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        match name {
            "count" => Some(format!("{}", self.count)),
            "byte_count" => Some(format!("{}", self.byte_count)),
            "rate" => Some(self.rate(self.count)),
            "byte_rate" => Some(self.rate(self.byte_count)),
            _ => None,
        }
    }

    fn write_handlers(&self) -> &'static [&'static str] {
        &["reset"]
    }

    fn write_handler(&mut self, name: &str, _value: &str) -> Result<(), String> {
        match name {
            "reset" => {
                *self = AverageCounter {
                    ignore: self.ignore,
                    ..AverageCounter::default()
                };
                Ok(())
            }
            _ => Err(format!("no write handler '{name}'")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::testing::*;

    fn at(h: &mut Harness<AverageCounter>, ms: u64, len: usize) {
        h.platform.now = Timestamp {
            sec: 1_700_000_000 + ms / 1000,
            nsec: (ms % 1000) as u32 * 1_000_000,
        };
        assert_eq!(h.route(dump_packet(&alloc::vec![0; len])).unwrap().0, 0);
    }

    #[test]
    fn counts_and_rates() {
        let mut h = Harness::new(AverageCounter::default(), "a", "", 1).unwrap();
        // No packets: rates are 0 (the span counts as one jiffy).
        assert_eq!(h.element.read_handler("rate").unwrap(), "0");
        at(&mut h, 0, 60);
        // One packet: its own jiffy.
        assert_eq!(h.element.read_handler("rate").unwrap(), "1000");
        at(&mut h, 1500, 100);
        at(&mut h, 3000, 40);
        assert_eq!(h.element.read_handler("count").unwrap(), "3");
        assert_eq!(h.element.read_handler("byte_count").unwrap(), "200");
        assert_eq!(h.element.read_handler("rate").unwrap(), "1");
        assert_eq!(
            h.element.read_handler("byte_rate").unwrap(),
            "66.6666666667"
        );
        h.element.write_handler("reset", "").unwrap();
        assert_eq!(h.element.read_handler("count").unwrap(), "0");
    }

    #[test]
    fn ignore_skips_the_first_seconds() {
        let mut h = Harness::new(AverageCounter::default(), "a", "2", 1).unwrap();
        at(&mut h, 0, 10);
        at(&mut h, 1999, 10);
        at(&mut h, 2000, 10);
        at(&mut h, 4000, 10);
        assert_eq!(h.element.read_handler("count").unwrap(), "2");
        // (4000 - 0 - 2000) jiffies for 2 packets.
        assert_eq!(h.element.read_handler("rate").unwrap(), "1");
        assert!(configure(&mut AverageCounter::default(), "a", "-1", 1, 1).is_err());
    }
}
