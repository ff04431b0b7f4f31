//! Switches: elements that send each packet to one of their outputs — HashSwitch (by a byte
//! sum), RoundRobinSwitch (in turn), Switch (the output a handler chooses) and StaticSwitch.

use alloc::format;
use alloc::string::String;

use crate::args::{parse_i64, parse_u64, Args};
use crate::class::{ElementClass, Ports, ProcessingSpec};
use crate::element::{Batch, ConfigureContext, Element, PushContext};
use crate::packet::Packet;

/// Pushes `packet` to `port` (`None`: dropped).
fn output_to(ctx: &mut PushContext<'_>, port: Option<usize>, packet: Packet) {
    if let Some(port) = port {
        ctx.output(port, packet);
    }
}

/// Parses an output number, where a negative one means "drop everything".
fn parse_output(s: &str) -> Result<Option<usize>, String> {
    let v = parse_i64(s)?;
    Ok(usize::try_from(v).ok())
}

/// Sends each packet to an output chosen from the sum `d` of the `LENGTH` bytes at `OFFSET`:
/// with 2, 4 or 8 outputs `(d ^ d >> 4) & (n - 1)`, otherwise `d % n`. Packets too short to
/// hold those bytes go to output 0. `HashSwitch(OFFSET, LENGTH)`.
#[derive(Default)]
pub struct HashSwitch {
    offset: usize,
    length: usize,
    noutputs: usize,
}

impl HashSwitch {
    /// The output for `data`.
    fn port(&self, data: &[u8]) -> usize {
        let Some(bytes) = data.get(self.offset..self.offset + self.length) else {
            return 0;
        };
        let d: usize = bytes.iter().map(|&b| usize::from(b)).sum();
        match self.noutputs {
            2 | 4 | 8 => (d ^ (d >> 4)) & (self.noutputs - 1),
            n => d % n.max(1),
        }
    }
}

/// Parses a byte offset or count into a packet (at most 65535).
fn parse_packet_offset(s: &str) -> Result<usize, String> {
    parse_u64(s).and_then(|v| {
        usize::try_from(v)
            .ok()
            .filter(|&v| v <= 0xffff)
            .ok_or_else(|| String::from("out of range"))
    })
}

impl ElementClass for HashSwitch {
    const NAME: &'static str = "HashSwitch";
    const PORTS: Ports = Ports::parse("1/1-");
    const PROCESSING: ProcessingSpec = ProcessingSpec::PUSH;
    const EXAMPLE: &'static str = "26, 8";
}

impl Element for HashSwitch {
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        self.offset = args.read_mp("OFFSET", parse_packet_offset).unwrap_or(0);
        self.length = args.read_mp("LENGTH", parse_packet_offset).unwrap_or(1);
        self.noutputs = ctx.noutputs;
        if self.length == 0 {
            return Err(String::from("length must be > 0"));
        }
        Ok(())
    }

    fn push(&mut self, _port: usize, packet: Packet, ctx: &mut PushContext<'_>) {
        let port = self.port(packet.data());
        ctx.output(port, packet);
    }
}

/// Sends packets to its outputs in turn: 0, 1, ..., n - 1, 0, ...
#[derive(Default)]
pub struct RoundRobinSwitch {
    next: usize,
    noutputs: usize,
}

impl ElementClass for RoundRobinSwitch {
    const NAME: &'static str = "RoundRobinSwitch";
    const PORTS: Ports = Ports::parse("1/1-");
    const PROCESSING: ProcessingSpec = ProcessingSpec::PUSH;
}

impl Element for RoundRobinSwitch {
    fn configure(&mut self, _args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        self.noutputs = ctx.noutputs;
        Ok(())
    }

    fn push(&mut self, _port: usize, packet: Packet, ctx: &mut PushContext<'_>) {
        let port = self.turn();
        ctx.output(port, packet);
    }

    fn push_batch(&mut self, _port: usize, batch: &mut Batch, ctx: &mut PushContext<'_>) {
        for packet in batch.drain(..) {
            let port = self.turn();
            ctx.output(port, packet);
        }
    }
}

impl RoundRobinSwitch {
    /// The output whose turn it is; moves the turn on.
    #[inline(always)]
    fn turn(&mut self) -> usize {
        let port = self.next;
        self.next = if port + 1 >= self.noutputs {
            0
        } else {
            port + 1
        };
        port
    }
}

/// Sends every packet to output `OUTPUT` (default 0; negative: drops them), which the `switch`
/// write handler changes at run time (a value past the last output drops). `Switch([OUTPUT])`;
/// an OUTPUT past the last output is a configuration error.
#[derive(Default)]
pub struct Switch {
    output: Option<usize>,
    noutputs: usize,
}

/// Formats an output as Click does (`-1` for none).
fn fmt_output(output: Option<usize>) -> String {
    match output {
        Some(n) => format!("{n}"),
        None => String::from("-1"),
    }
}

impl ElementClass for Switch {
    const NAME: &'static str = "Switch";
    const PORTS: Ports = Ports::parse("1/-");
    const PROCESSING: ProcessingSpec = ProcessingSpec::PUSH;
    const EXAMPLE: &'static str = "0";
}

impl Element for Switch {
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        self.noutputs = ctx.noutputs;
        self.output = args.read_p("OUTPUT", parse_output).unwrap_or(Some(0));
        match self.output {
            Some(n) if n >= ctx.noutputs => Err(format!("output must be < {}", ctx.noutputs)),
            _ => Ok(()),
        }
    }

    fn push(&mut self, _port: usize, packet: Packet, ctx: &mut PushContext<'_>) {
        output_to(ctx, self.output, packet);
    }

    fn push_batch(&mut self, _port: usize, batch: &mut Batch, ctx: &mut PushContext<'_>) {
        match self.output {
            Some(port) => ctx.output_batch(port, batch),
            None => batch.clear(),
        }
    }

    fn config_string(&self) -> Option<String> {
        Some(fmt_output(self.output))
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["switch"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        (name == "switch").then(|| fmt_output(self.output))
    }

    fn write_handlers(&self) -> &'static [&'static str] {
        &["switch"]
    }

    fn write_handler(&mut self, name: &str, value: &str) -> Result<(), String> {
        if name != "switch" {
            return Err(format!("no write handler '{name}'"));
        }
        let output = parse_output(value.trim())
            .map_err(|_| String::from("Switch output must be integer"))?;
        self.output = output.filter(|&n| n < self.noutputs);
        Ok(())
    }
}

/// Sends every packet to output `OUTPUT`, fixed at configuration; a negative OUTPUT or one
/// past the last output drops everything. `StaticSwitch(OUTPUT)`.
#[derive(Default)]
pub struct StaticSwitch {
    output: Option<usize>,
}

impl ElementClass for StaticSwitch {
    const NAME: &'static str = "StaticSwitch";
    const PORTS: Ports = Ports::parse("1/-");
    const PROCESSING: ProcessingSpec = ProcessingSpec::PUSH;
    const EXAMPLE: &'static str = "1";
}

impl Element for StaticSwitch {
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        let output = args.read_mp("OUTPUT", parse_output).flatten();
        self.output = output.filter(|&n| n < ctx.noutputs);
        Ok(())
    }

    fn push(&mut self, _port: usize, packet: Packet, ctx: &mut PushContext<'_>) {
        output_to(ctx, self.output, packet);
    }

    fn push_batch(&mut self, _port: usize, batch: &mut Batch, ctx: &mut PushContext<'_>) {
        match self.output {
            Some(port) => ctx.output_batch(port, batch),
            None => batch.clear(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::testing::*;
    use alloc::vec::Vec;

    /// The ports that packets with byte sums `sums` (one byte each at offset 0) go to.
    fn hash_ports(noutputs: usize, sums: &[u8]) -> Vec<usize> {
        let mut h = Harness::new(HashSwitch::default(), "h", "0, 1", noutputs).unwrap();
        sums.iter()
            .map(|&d| h.route(dump_packet(&[d])).unwrap().0)
            .collect()
    }

    #[test]
    fn hash_switch_rule() {
        // Powers of two: (d ^ d >> 4) & (n - 1); others: d % n.
        assert_eq!(hash_ports(4, &[0x00, 0x13, 0x21, 0x37]), [0, 2, 3, 0]);
        assert_eq!(hash_ports(8, &[0x1f]), [6]);
        assert_eq!(hash_ports(2, &[0x10]), [1]);
        assert_eq!(hash_ports(3, &[0x13, 200, 2]), [1, 2, 2]);
        assert_eq!(hash_ports(1, &[7]), [0]);
        // The sum is over all LENGTH bytes (it can exceed 255); short packets go to output 0.
        let mut h = Harness::new(HashSwitch::default(), "h", "1, 3", 5).unwrap();
        assert_eq!(h.route(dump_packet(&[9, 200, 100, 3])).unwrap().0, 303 % 5);
        assert_eq!(h.route(dump_packet(&[9, 200, 100])).unwrap().0, 0);
        assert_eq!(h.route(dump_packet(&[])).unwrap().0, 0);
        let mut e = HashSwitch::default();
        assert_eq!(
            configure(&mut e, "h", "0, 0", 1, 2).unwrap_err(),
            "length must be > 0"
        );
        assert!(configure(&mut e, "h", "-1, 2", 1, 2).is_err());
        assert!(configure(&mut e, "h", "0", 1, 2).is_err());
    }

    #[test]
    fn round_robin_cycles() {
        let mut h = Harness::new(RoundRobinSwitch::default(), "r", "", 3).unwrap();
        let ports: Vec<usize> = (0..7)
            .map(|_| h.route(dump_packet(&[])).unwrap().0)
            .collect();
        assert_eq!(ports, [0, 1, 2, 0, 1, 2, 0]);
    }

    #[test]
    fn switch_and_its_handler() {
        let mut h = Harness::new(Switch::default(), "s", "1", 2).unwrap();
        assert_eq!(h.route(dump_packet(&[1])).unwrap().0, 1);
        h.push_batch(0, alloc::vec![dump_packet(&[1]), dump_packet(&[2])]);
        assert_eq!((h.take(0).len(), h.take(1).len()), (0, 2));
        assert_eq!(h.element.read_handler("switch").unwrap(), "1");
        h.element.write_handler("switch", "0").unwrap();
        assert_eq!(h.route(dump_packet(&[1])).unwrap().0, 0);
        // Past the last output: drops, and reads back -1.
        h.element.write_handler("switch", "5").unwrap();
        assert!(h.route(dump_packet(&[1])).is_none());
        assert_eq!(h.element.read_handler("switch").unwrap(), "-1");
        assert_eq!(h.element.config_string().unwrap(), "-1");
        assert_eq!(
            h.element.write_handler("switch", "x").unwrap_err(),
            "Switch output must be integer"
        );
        let mut h = Harness::new(Switch::default(), "s", "-1", 1).unwrap();
        assert!(h.route(dump_packet(&[1])).is_none());
        h.push_batch(0, alloc::vec![dump_packet(&[1])]);
        assert!(h.take(0).is_empty());
        let mut h = Harness::new(Switch::default(), "s", "", 2).unwrap();
        assert_eq!(h.route(dump_packet(&[1])).unwrap().0, 0);
        assert_eq!(
            configure(&mut Switch::default(), "s", "2", 1, 2).unwrap_err(),
            "output must be < 2"
        );
    }

    #[test]
    fn static_switch() {
        let mut h = Harness::new(StaticSwitch::default(), "s", "1", 2).unwrap();
        assert_eq!(h.route(dump_packet(&[1])).unwrap().0, 1);
        h.push_batch(0, alloc::vec![dump_packet(&[1]), dump_packet(&[2])]);
        assert_eq!(h.take(1).len(), 2);
        for config in ["-1", "2"] {
            let mut h = Harness::new(StaticSwitch::default(), "s", config, 2).unwrap();
            assert!(h.route(dump_packet(&[1])).is_none(), "{config}");
        }
        assert!(configure(&mut StaticSwitch::default(), "s", "", 1, 2).is_err());
    }
}
