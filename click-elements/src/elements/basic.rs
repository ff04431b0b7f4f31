//! The simplest elements: Null passes packets on, Discard drops them, Idle does nothing.

use alloc::format;
use alloc::string::String;

use crate::args::Args;
use crate::class::{ElementClass, Ports, ProcessingSpec};
use crate::element::{
    Batch, ConfigureContext, Element, Processing, PullContext, PushContext, TaskContext,
    TaskStatus, DEFAULT_BURST,
};
use crate::packet::Packet;

/// Passes every packet through unchanged (push or pull).
#[derive(Default)]
pub struct Null;

impl ElementClass for Null {
    const NAME: &'static str = "Null";
}

impl Element for Null {
    fn push(&mut self, _port: usize, packet: Packet, ctx: &mut PushContext<'_>) {
        ctx.output(0, packet);
    }

    fn push_batch(&mut self, _port: usize, batch: &mut Batch, ctx: &mut PushContext<'_>) {
        ctx.output_batch(0, batch);
    }

    fn pull(&mut self, _port: usize, ctx: &mut PullContext<'_>) -> Option<Packet> {
        ctx.pull(0)
    }
}

/// Drops every packet it receives, counting them; pulls with its own task when its input is
/// pull.
#[derive(Default)]
pub struct Discard {
    count: u64,
    pull_input: bool,
}

impl ElementClass for Discard {
    const NAME: &'static str = "Discard";
    const PORTS: Ports = Ports::parse("1/0");
    const PROCESSING: ProcessingSpec = ProcessingSpec::parse("a/");
}

impl Element for Discard {
    fn configure(&mut self, _args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        self.pull_input = ctx.input_processing.first() == Some(&Processing::Pull);
        Ok(())
    }

    fn push(&mut self, _port: usize, _packet: Packet, _ctx: &mut PushContext<'_>) {
        self.count += 1;
    }

    fn push_batch(&mut self, _port: usize, batch: &mut Batch, _ctx: &mut PushContext<'_>) {
        self.count += batch.len() as u64;
        batch.clear();
    }

    fn has_task(&self) -> bool {
        self.pull_input
    }

    fn run_task(&mut self, ctx: &mut TaskContext<'_>) -> TaskStatus {
        let mut n = 0;
        while n < DEFAULT_BURST {
            if ctx.pull(0).is_none() {
                break;
            }
            n += 1;
        }
        self.count += n as u64;
        if n > 0 {
            TaskStatus::Worked
        } else {
            TaskStatus::Idle
        }
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["count"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        (name == "count").then(|| format!("{}", self.count))
    }
}

/// Has any number of ports and never moves a packet: a placeholder source or sink.
#[derive(Default)]
pub struct Idle;

impl ElementClass for Idle {
    const NAME: &'static str = "Idle";
    const PORTS: Ports = Ports::parse("-/-");
}

impl Element for Idle {
    fn push(&mut self, _port: usize, _packet: Packet, _ctx: &mut PushContext<'_>) {}
}
