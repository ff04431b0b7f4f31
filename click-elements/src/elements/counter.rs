//! Counter: counts packets and bytes and measures their arrival rate.

use alloc::format;
use alloc::string::String;

use crate::args::Args;
use crate::class::ElementClass;
use crate::element::{Batch, ConfigureContext, Element, PullContext, PushContext};
use crate::packet::{Packet, Timestamp};

/// Epochs (milliseconds, Click's jiffies) per second.
const EPOCHS_PER_SEC: u64 = 1000;
/// The EWMA weight of a new epoch is 1/2^STABILITY.
const STABILITY: u32 = 4;

/// An exponentially weighted moving average of a count per epoch, in fixed point with
/// `scale` fraction bits (Click's `RateEWMAX`, epochs of one millisecond, alpha 1/16).
#[derive(Clone, Copy, Debug)]
struct RateEwma {
    scale: u32,
    /// The average per epoch, scaled by 2^scale.
    avg: i64,
    /// The count in the current epoch.
    current: i64,
    epoch: Option<u64>,
}

impl RateEwma {
    fn new(scale: u32) -> RateEwma {
        RateEwma {
            scale,
            avg: 0,
            current: 0,
            epoch: None,
        }
    }

    /// Moves the average one epoch towards `x`.
    fn step(&mut self, x: i64) {
        let target = (x << self.scale) + (1 << (STABILITY - 1));
        self.avg += (target - self.avg) >> STABILITY;
    }

    /// Adds `delta` to the count of the epoch containing `now`.
    fn update(&mut self, now: Timestamp, delta: i64) {
        let epoch = now.sec * EPOCHS_PER_SEC + u64::from(now.nsec) / 1_000_000;
        match self.epoch {
            Some(e) if e == epoch => {}
            Some(e) => {
                self.step(self.current);
                let idle = epoch.saturating_sub(e).saturating_sub(1);
                if idle >= 100 {
                    self.avg = 0;
                } else {
                    for _ in 0..idle {
                        self.step(0);
                    }
                }
                self.current = 0;
                self.epoch = Some(epoch);
            }
            None => self.epoch = Some(epoch),
        }
        self.current += delta;
    }

    /// The rate per second, scaled by 2^scale.
    fn scaled_rate(&self) -> u64 {
        self.avg.max(0) as u64 * EPOCHS_PER_SEC
    }
}

/// Formats a fixed-point number with `bits` fraction bits as the shortest decimal that reads
/// back to the same fixed-point value.
fn fixed_to_decimal(value: u64, bits: u32) -> String {
    let one = 1u64 << bits;
    let int = value >> bits;
    let frac = value & (one - 1);
    if frac == 0 {
        return format!("{int}");
    }
    let mut digits = 1;
    let mut pow: u64 = 10;
    loop {
        // Nearest decimal with `digits` places, and the fixed-point value it reads back as.
        let dec = (frac * pow + one / 2) / one;
        let back = (dec * one + pow / 2) / pow;
        if back == frac || digits >= 6 {
            if dec == pow {
                return format!("{}", int + 1);
            }
            let text = format!("{dec:0width$}", width = digits);
            return format!("{int}.{}", text.trim_end_matches('0'));
        }
        digits += 1;
        pow *= 10;
    }
}

/// Counts the packets and bytes passing through, and measures their rate. Read handlers:
/// `count`, `byte_count`, `rate` (packets/s), `byte_rate`, `bit_rate`; write handler `reset`
/// (also `reset_counts`). Rates are exponentially weighted moving averages over millisecond
/// epochs as of the last packet.
pub struct Counter {
    count: u64,
    byte_count: u64,
    rate: RateEwma,
    byte_rate: RateEwma,
}

impl Default for Counter {
    fn default() -> Self {
        Counter {
            count: 0,
            byte_count: 0,
            rate: RateEwma::new(10),
            byte_rate: RateEwma::new(4),
        }
    }
}

impl Counter {
    #[inline]
    fn account(&mut self, p: &Packet, now: Timestamp) {
        self.count += 1;
        self.byte_count += p.len() as u64;
        self.rate.update(now, 1);
        self.byte_rate.update(now, p.len() as i64);
    }
}

impl ElementClass for Counter {
    const NAME: &'static str = "Counter";
}

impl Element for Counter {
    fn configure(&mut self, _args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        Ok(())
    }

    fn push(&mut self, _port: usize, packet: Packet, ctx: &mut PushContext<'_>) {
        self.account(&packet, ctx.now());
        ctx.output(0, packet);
    }

    /// Counts the whole burst at once: every packet of a burst arrives at the same time, so
    /// one rate update with the burst's packet and byte counts equals one update per packet.
    fn push_batch(&mut self, _port: usize, batch: &mut Batch, ctx: &mut PushContext<'_>) {
        if batch.is_empty() {
            return;
        }
        let now = ctx.now();
        let n = batch.len() as u64;
        let bytes: u64 = batch.iter().map(|p| p.len() as u64).sum();
        self.count += n;
        self.byte_count += bytes;
        self.rate.update(now, n as i64);
        self.byte_rate.update(now, bytes as i64);
        ctx.output_batch(0, batch);
    }

    fn pull(&mut self, _port: usize, ctx: &mut PullContext<'_>) -> Option<Packet> {
        let p = ctx.pull(0)?;
        let now = ctx.platform().now();
        self.account(&p, now);
        Some(p)
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["count", "byte_count", "rate", "bit_rate", "byte_rate"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        match name {
            "count" => Some(format!("{}", self.count)),
            "byte_count" => Some(format!("{}", self.byte_count)),
            "rate" => Some(fixed_to_decimal(self.rate.scaled_rate(), self.rate.scale)),
            "byte_rate" => Some(fixed_to_decimal(
                self.byte_rate.scaled_rate(),
                self.byte_rate.scale,
            )),
            "bit_rate" => Some(fixed_to_decimal(
                self.byte_rate.scaled_rate() * 8,
                self.byte_rate.scale,
            )),
            _ => None,
        }
    }

    fn write_handlers(&self) -> &'static [&'static str] {
        &["reset", "reset_counts"]
    }

    fn write_handler(&mut self, name: &str, _value: &str) -> Result<(), String> {
        match name {
            "reset" | "reset_counts" => {
                *self = Counter::default();
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
    use alloc::vec;

    #[test]
    fn counts_and_reset() {
        let mut h = Harness::new(Counter::default(), "c", "", 1).unwrap();
        h.push(0, dump_packet(&icmp_echo()));
        h.push_batch(0, vec![dump_packet(&[1; 10]), dump_packet(&[])]);
        assert_eq!(h.take(0).len(), 3);
        assert_eq!(h.element.read_handler("count").unwrap(), "3");
        assert_eq!(h.element.read_handler("byte_count").unwrap(), "70");
        h.element.write_handler("reset", "").unwrap();
        assert_eq!(h.element.read_handler("count").unwrap(), "0");
        assert_eq!(h.element.read_handler("byte_count").unwrap(), "0");
        assert_eq!(h.element.read_handler("rate").unwrap(), "0");
        assert!(Harness::new(Counter::default(), "c", "BOGUS 1", 1).is_err());
    }

    #[test]
    fn rate_converges_to_arrival_rate() {
        let mut h = Harness::new(Counter::default(), "c", "", 1).unwrap();
        // One 100-byte packet per millisecond for a second: 1000 packets/s.
        for ms in 0..1000u32 {
            h.platform.now = Timestamp {
                sec: 100,
                nsec: ms * 1_000_000,
            };
            h.push(0, dump_packet(&[0; 100]));
        }
        let rate: f64 = h.element.read_handler("rate").unwrap().parse().unwrap();
        assert!((rate - 1000.0).abs() < 10.0, "{rate}");
        let bytes: f64 = h
            .element
            .read_handler("byte_rate")
            .unwrap()
            .parse()
            .unwrap();
        assert!((bytes - 100_000.0).abs() < 1000.0, "{bytes}");
        let bits: f64 = h.element.read_handler("bit_rate").unwrap().parse().unwrap();
        assert!((bits - 8.0 * bytes).abs() < 1.0, "{bits}");
        // After a long idle period the rate drops to the new (idle) level.
        h.platform.now = Timestamp { sec: 200, nsec: 0 };
        h.push(0, dump_packet(&[0; 100]));
        let rate: f64 = h.element.read_handler("rate").unwrap().parse().unwrap();
        assert!(rate < 1.0, "{rate}");
    }

    #[test]
    fn batch_counting_matches_packet_counting() {
        let mut one = Harness::new(Counter::default(), "c", "", 1).unwrap();
        let mut many = Harness::new(Counter::default(), "c", "", 1).unwrap();
        for ms in 0..300u32 {
            let now = Timestamp {
                sec: 7,
                nsec: (ms / 3) * 1_000_000,
            };
            one.platform.now = now;
            many.platform.now = now;
            let sizes = [60usize, 64, 1500, 0];
            let burst: alloc::vec::Vec<Packet> = sizes
                .iter()
                .map(|&n| dump_packet(&alloc::vec![0; n]))
                .collect();
            for p in burst.iter().cloned() {
                one.push(0, p);
            }
            many.push_batch(0, burst);
        }
        for h in ["count", "byte_count", "rate", "byte_rate", "bit_rate"] {
            assert_eq!(
                one.element.read_handler(h),
                many.element.read_handler(h),
                "{h}"
            );
        }
        assert_eq!(one.take(0).len(), many.take(0).len());
    }

    #[test]
    fn decimal_formatting() {
        assert_eq!(fixed_to_decimal(0, 10), "0");
        assert_eq!(fixed_to_decimal(5 << 10, 10), "5");
        assert_eq!(fixed_to_decimal((5 << 10) + 512, 10), "5.5");
        assert_eq!(fixed_to_decimal((5 << 10) + 256, 10), "5.25");
        assert_eq!(fixed_to_decimal(1, 10), "0.001");
        assert_eq!(fixed_to_decimal(3, 1), "1.5");
        assert_eq!(fixed_to_decimal(1023, 10), "0.999");
        // Every value reads back exactly.
        for v in 0..4096u64 {
            let text = fixed_to_decimal(v, 10);
            let x: f64 = text.parse().unwrap();
            assert_eq!((x * 1024.0).round() as u64, v, "{text}");
        }
    }
}
