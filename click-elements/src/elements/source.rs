//! InfiniteSource: emits copies of one packet, as fast as it is allowed to.

use alloc::format;
use alloc::string::String;

use crate::args::{parse_bool, parse_i64, unquote_bytes, Args};
use crate::class::{ElementClass, Ports, ProcessingSpec};
use crate::element::{
    ConfigureContext, Element, Processing, PullContext, TaskContext, TaskStatus, DEFAULT_BURST,
};
use crate::packet::Packet;

/// Click's default InfiniteSource payload.
const DEFAULT_DATA: &[u8] =
    b"Random bullshit in a packet, at least 64 bytes long. Well, now it is.";

/// Generates packets: clones of one buffer (so writers pay one lazy copy each).
pub struct InfiniteSource {
    template: Packet,
    limit: Option<u64>,
    burst: usize,
    stop: bool,
    timestamp: bool,
    active: bool,
    push_output: bool,
    count: u64,
}

impl Default for InfiniteSource {
    fn default() -> Self {
        InfiniteSource {
            template: Packet::from_slice(DEFAULT_DATA),
            limit: None,
            burst: DEFAULT_BURST,
            stop: false,
            timestamp: true,
            active: true,
            push_output: true,
            count: 0,
        }
    }
}

impl InfiniteSource {
    fn remaining(&self) -> u64 {
        self.limit
            .map_or(u64::MAX, |l| l.saturating_sub(self.count))
    }

    fn make(&mut self, now: crate::packet::Timestamp) -> Packet {
        self.count += 1;
        let mut p = self.template.clone();
        if self.timestamp {
            p.anno.timestamp = now;
        }
        p
    }
}

/// Builds the payload from DATA (unquoted, `\<hex>` allowed) and LENGTH (truncate or repeat).
fn payload(data: Option<alloc::vec::Vec<u8>>, length: Option<usize>) -> alloc::vec::Vec<u8> {
    let data = data.unwrap_or_else(|| DEFAULT_DATA.into());
    match length {
        Some(len) if !data.is_empty() => data.iter().copied().cycle().take(len).collect(),
        Some(len) => alloc::vec![0; len],
        None => data,
    }
}

impl ElementClass for InfiniteSource {
    const NAME: &'static str = "InfiniteSource";
    const PORTS: Ports = Ports::parse("0/1");
    const PROCESSING: ProcessingSpec = ProcessingSpec::parse("/a");
}

impl Element for InfiniteSource {
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        let data = args.read_p("DATA", |s| Ok(unquote_bytes(s)));
        let limit = args.read_p("LIMIT", parse_i64);
        let burst = args.read_p("BURST", parse_i64);
        let active = args.read_p("ACTIVE", parse_bool);
        let length = args.read_kw("LENGTH", parse_i64);
        let stop = args.read_kw("STOP", parse_bool);
        let timestamp = args.read_kw("TIMESTAMP", parse_bool);
        let length = match length {
            Some(l) if !(0..=65535).contains(&l) => return Err("LENGTH: out of range".into()),
            Some(l) => Some(ctx.limits.check_packet_length("LENGTH", l as usize)?),
            None => None,
        };
        if let Some(data) = &data {
            ctx.limits.check_packet_length("DATA", data.len())?;
        }
        self.template = ctx.pool.packet_from_slice(&payload(data, length));
        self.limit = limit.and_then(|l| u64::try_from(l).ok());
        if let Some(b) = burst {
            if b < 1 {
                return Err("BURST: must be at least 1".into());
            }
            let b = usize::try_from(b).unwrap_or(usize::MAX);
            self.burst = ctx.limits.check_burst("BURST", b)?;
        }
        self.active = active.unwrap_or(true);
        self.stop = stop.unwrap_or(false);
        self.timestamp = timestamp.unwrap_or(true);
        self.push_output = ctx.output_processing.first() == Some(&Processing::Push);
        Ok(())
    }

    fn pull(&mut self, _port: usize, ctx: &mut PullContext<'_>) -> Option<Packet> {
        if !self.active || self.remaining() == 0 {
            return None;
        }
        let now = ctx.platform().now();
        Some(self.make(now))
    }

    fn has_task(&self) -> bool {
        self.push_output
    }

    fn run_task(&mut self, ctx: &mut TaskContext<'_>) -> TaskStatus {
        if !self.active {
            return TaskStatus::Idle;
        }
        let n = (self.burst as u64).min(self.remaining());
        if n == 0 {
            return TaskStatus::Done;
        }
        let now = if self.timestamp {
            ctx.push.now()
        } else {
            Default::default()
        };
        // One clock read per burst; every packet is a clone of the template.
        self.count += n;
        if let Some(out) = ctx.push.output_mut(0) {
            let template = &self.template;
            out.extend((0..n).map(|_| {
                let mut p = template.clone();
                p.anno.timestamp = now;
                p
            }));
        }
        if self.remaining() == 0 && self.stop {
            ctx.router.request_stop();
        }
        TaskStatus::Worked
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["count", "active", "limit", "burst"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        match name {
            "count" => Some(format!("{}", self.count)),
            "active" => Some(format!("{}", self.active)),
            "limit" => Some(self.limit.map_or("-1".into(), |l| format!("{l}"))),
            "burst" => Some(format!("{}", self.burst)),
            _ => None,
        }
    }

    fn write_handlers(&self) -> &'static [&'static str] {
        &["active", "reset", "limit"]
    }

    fn write_handler(&mut self, name: &str, value: &str) -> Result<(), String> {
        match name {
            "active" => self.active = parse_bool(value.trim())?,
            "reset" => self.count = 0,
            "limit" => self.limit = u64::try_from(parse_i64(value.trim())?).ok(),
            _ => return Err(format!("no write handler '{name}'")),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_length_truncates_or_repeats() {
        assert_eq!(payload(Some(b"abc".to_vec()), Some(7)), b"abcabca");
        assert_eq!(payload(None, Some(4)), b"Rand");
        assert_eq!(payload(Some(alloc::vec![]), Some(2)), [0, 0]);
        assert_eq!(payload(None, None).len(), 69);
    }
}
