//! The building block of most elements (Click's `simple_action`, FastClick's batch
//! `SimpleElement`): the author writes one function from a packet to a [`Verdict`] and gets
//! push, batched push and pull from it.
//!
//! The batched push keeps the packets that go to the output of the burst's first packet out in
//! place (the burst is handed on whole, without moving a packet), sends the others to their
//! outputs in order and drops the rest, so an element written this way costs what a
//! hand-written `retain_batch` loop does.

use alloc::string::String;
use core::fmt;

use crate::args::Args;
use crate::element::{
    Batch, ConfigureContext, Element, PullContext, PushContext, TaskContext, TaskStatus,
};
use crate::packet::{Packet, Timestamp};

/// Where a packet goes after an element's action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Emit the packet on this output.
    Out(usize),
    /// Drop the packet (the element counts it if it wants to).
    Drop,
}

/// What an action may use besides the packet: the time and the console.
pub trait ActionEnv {
    /// The current time (read once per burst in a router).
    fn now(&self) -> Timestamp;
    /// Prints a diagnostic line.
    fn chatter(&mut self, args: fmt::Arguments<'_>);
    /// The element's name, e.g. `c` or `Classifier@3`.
    fn element_name(&self) -> &str;
}

impl ActionEnv for PushContext<'_> {
    fn now(&self) -> Timestamp {
        PushContext::now(self)
    }

    fn chatter(&mut self, args: fmt::Arguments<'_>) {
        PushContext::chatter(self, args)
    }

    fn element_name(&self) -> &str {
        PushContext::element_name(self)
    }
}

/// The environment of a pull: the platform, and the element's name given by the caller.
struct PullEnv<'c, 'a> {
    ctx: &'c mut PullContext<'a>,
}

impl ActionEnv for PullEnv<'_, '_> {
    fn now(&self) -> Timestamp {
        self.ctx.now()
    }

    fn chatter(&mut self, args: fmt::Arguments<'_>) {
        let line = alloc::fmt::format(args);
        self.ctx.platform().chatter(&line);
    }

    fn element_name(&self) -> &str {
        self.ctx.element_name()
    }
}

/// The read handler `name` among an element's counters (`(handler name, value)` pairs),
/// formatted as Click formats integers.
pub fn counter_handler(name: &str, counters: &[(&str, u64)]) -> Option<String> {
    counters
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| alloc::format!("{v}"))
}

/// An element that acts on one packet at a time. Implementing it makes the type an
/// [`Element`]; declare its class with [`ElementClass`](crate::class::ElementClass).
pub trait SimpleAction: 'static {
    /// Parses the configuration arguments (see [`Element::configure`]).
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        let _ = (args, ctx);
        Ok(())
    }

    /// Decides what becomes of `packet` (which it may change or replace).
    fn action(&mut self, packet: &mut Packet, env: &mut dyn ActionEnv) -> Verdict;

    /// The `config` handler (see [`Element::config_string`]).
    fn config_string(&self) -> Option<String> {
        None
    }

    /// Names of the element-specific read handlers.
    fn read_handlers(&self) -> &'static [&'static str] {
        &[]
    }

    /// Calls an element-specific read handler.
    fn read_handler(&self, name: &str) -> Option<String> {
        let _ = name;
        None
    }

    /// Names of the element-specific write handlers.
    fn write_handlers(&self) -> &'static [&'static str] {
        &[]
    }

    /// Calls an element-specific write handler.
    fn write_handler(&mut self, name: &str, value: &str) -> Result<(), String> {
        let _ = value;
        Err(alloc::format!("no write handler '{name}'"))
    }
}

impl<T: SimpleAction> Element for T {
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        SimpleAction::configure(self, args, ctx)
    }

    #[inline]
    fn push(&mut self, _port: usize, mut packet: Packet, ctx: &mut PushContext<'_>) {
        if let Verdict::Out(port) = self.action(&mut packet, ctx) {
            ctx.output(port, packet);
        }
    }

    /// The packets going where the burst's first packet to go out goes (usually all of them,
    /// whatever the output: a routing table's) stay in the burst, which is handed on whole.
    /// While every packet follows the first one, none moves and nothing else is counted.
    #[inline]
    fn push_batch(&mut self, _port: usize, batch: &mut Batch, ctx: &mut PushContext<'_>) {
        let mut main = 0;
        for i in 0..batch.len() {
            match self.action(&mut batch[i], ctx) {
                Verdict::Out(port) if port == main || i == 0 => main = port,
                verdict => return sort_burst(self, batch, ctx, (main, i), verdict),
            }
        }
        ctx.output_batch(main, batch);
    }

    /// A pulled packet that the action sends to another output than 0 is dropped (a pull
    /// returns one packet, on output 0).
    fn pull(&mut self, _port: usize, ctx: &mut PullContext<'_>) -> Option<Packet> {
        let mut packet = ctx.pull(0)?;
        let verdict = self.action(&mut packet, &mut PullEnv { ctx });
        (verdict == Verdict::Out(0)).then_some(packet)
    }

    fn run_task(&mut self, _ctx: &mut TaskContext<'_>) -> TaskStatus {
        TaskStatus::Done
    }

    fn config_string(&self) -> Option<String> {
        SimpleAction::config_string(self)
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        SimpleAction::read_handlers(self)
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        SimpleAction::read_handler(self, name)
    }

    fn write_handlers(&self) -> &'static [&'static str] {
        SimpleAction::write_handlers(self)
    }

    fn write_handler(&mut self, name: &str, value: &str) -> Result<(), String> {
        SimpleAction::write_handler(self, name, value)
    }
}

/// The rest of [`SimpleAction`]'s batched push once packet `i` (given `verdict`) did not follow
/// packets `0..i` out on `main`: the packets going out on the burst's output (fixed by the first
/// packet that goes out) are moved up in order and stay in the burst, the others are sent to
/// their outputs in order, the rest dropped.
fn sort_burst<T: SimpleAction>(
    element: &mut T,
    batch: &mut Batch,
    ctx: &mut PushContext<'_>,
    (mut main, i): (usize, usize),
    mut verdict: Verdict,
) {
    let mut kept = i;
    let mut j = i;
    loop {
        match verdict {
            Verdict::Out(port) if port == main || kept == 0 => {
                main = port;
                if kept != j {
                    batch.swap(kept, j);
                }
                kept += 1;
            }
            // A handle to the same buffer goes out; the one left behind is dropped with the
            // burst's rejects before anything downstream runs, so no write pays a copy for it.
            Verdict::Out(port) => ctx.output(port, batch[j].clone()),
            Verdict::Drop => {}
        }
        j += 1;
        let Some(packet) = batch.get_mut(j) else {
            break;
        };
        verdict = element.action(packet, ctx);
    }
    batch.truncate(kept);
    ctx.output_batch(main, batch);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::class::{ElementClass, Ports, ProcessingSpec};
    use crate::elements::testing::Harness;
    use alloc::vec;
    use alloc::vec::Vec;

    /// Sends a packet to the output its first byte names; 0xff drops it.
    #[derive(Default)]
    struct ByFirstByte;

    impl ElementClass for ByFirstByte {
        const NAME: &'static str = "ByFirstByte";
        const PORTS: Ports = Ports::parse("1/3");
        const PROCESSING: ProcessingSpec = ProcessingSpec::PUSH;
    }

    impl SimpleAction for ByFirstByte {
        fn action(&mut self, p: &mut Packet, _env: &mut dyn ActionEnv) -> Verdict {
            match p.data()[0] {
                0xff => Verdict::Drop,
                port => Verdict::Out(usize::from(port)),
            }
        }
    }

    /// The first bytes and second bytes (the packet's number) of the packets on each output.
    fn burst_through(firsts: &[u8]) -> Vec<Vec<(u8, u8)>> {
        let mut h = Harness::new(ByFirstByte, "b", "", 3).unwrap();
        let burst = (0..)
            .zip(firsts)
            .map(|(i, &f)| Packet::from_slice(&[f, i]))
            .collect();
        h.push_batch(0, burst);
        (0..3)
            .map(|port| {
                let out = h.take(port);
                out.iter().map(|p| (p.data()[0], p.data()[1])).collect()
            })
            .collect()
    }

    #[test]
    fn a_burst_keeps_its_order_on_every_output_whichever_the_first_packet_takes() {
        assert_eq!(
            burst_through(&[0xff, 1, 0, 1, 2, 1, 0xff]),
            [vec![(0, 2)], vec![(1, 1), (1, 3), (1, 5)], vec![(2, 4)]]
        );
        assert_eq!(
            burst_through(&[0, 1, 0, 2]),
            [vec![(0, 0), (0, 2)], vec![(1, 1)], vec![(2, 3)]]
        );
        assert_eq!(burst_through(&[0xff, 0xff]), [vec![], vec![], vec![]]);
    }
}
