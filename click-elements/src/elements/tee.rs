//! Tee: copies every packet to each of its outputs.

use alloc::format;
use alloc::string::String;

use crate::args::{parse_u64, Args};
use crate::class::{ElementClass, Ports, ProcessingSpec};
use crate::element::{Batch, ConfigureContext, Element, PushContext};
use crate::packet::Packet;

/// Sends a clone of each packet to every output (the original to the last one). The number
/// of outputs is the number connected; the optional argument `N` must agree with it.
#[derive(Default)]
pub struct Tee {
    noutputs: usize,
}

impl ElementClass for Tee {
    const NAME: &'static str = "Tee";
    const PORTS: Ports = Ports::parse("1/1-");
    const PROCESSING: ProcessingSpec = ProcessingSpec::parse("h/h");
}

impl Element for Tee {
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        let n = args.read_p("N", parse_u64);
        self.noutputs = ctx.noutputs;
        match n {
            Some(n) if n != ctx.noutputs as u64 => Err(format!(
                "{} outputs implies {} arms",
                ctx.noutputs, ctx.noutputs
            )),
            _ => Ok(()),
        }
    }

    fn push(&mut self, _port: usize, packet: Packet, ctx: &mut PushContext<'_>) {
        for port in 1..self.noutputs {
            ctx.output(port - 1, packet.clone());
        }
        ctx.output(self.noutputs.saturating_sub(1), packet);
    }

    fn push_batch(&mut self, _port: usize, batch: &mut Batch, ctx: &mut PushContext<'_>) {
        for port in 1..self.noutputs {
            for p in batch.iter() {
                ctx.output(port - 1, p.clone());
            }
        }
        let last = self.noutputs.saturating_sub(1);
        for p in batch.drain(..) {
            ctx.output(last, p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::testing::*;
    use alloc::vec;

    #[test]
    fn copies_to_every_output() {
        let mut h = Harness::new(Tee::default(), "t", "3", 3).unwrap();
        let echo = icmp_echo();
        h.push(0, dump_packet(&echo));
        h.push_batch(0, vec![dump_packet(&echo[..10]), dump_packet(&[])]);
        for port in 0..3 {
            let got = h.take(port);
            assert_eq!(got.len(), 3, "port {port}");
            assert_eq!(got[0].data(), &echo[..]);
            assert_eq!(got[1].data(), &echo[..10]);
            assert!(got[2].is_empty());
        }
        // Clones share data until written.
        h.push(0, dump_packet(&echo));
        let mut a = h.take(0).pop().unwrap();
        let b = h.take(2).pop().unwrap();
        a.data_mut()[0] = 0xee;
        assert_eq!(b.data(), &echo[..]);
    }

    #[test]
    fn argument_must_match_outputs() {
        assert!(Harness::new(Tee::default(), "t", "", 2).is_ok());
        let mut t = Tee::default();
        assert_eq!(
            configure(&mut t, "t", "3", 1, 2).unwrap_err(),
            "2 outputs implies 2 arms"
        );
        let mut h = Harness::new(Tee::default(), "t", "N 1", 1).unwrap();
        assert!(h.route(dump_packet(&[1])).is_some());
    }
}
