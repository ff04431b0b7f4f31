//! The simplest elements: Null passes packets on, Discard drops them, Idle does nothing.

use alloc::format;
use alloc::string::String;

use crate::element::PullContext;
use crate::element::{Element, PushContext};
use crate::packet::Packet;

/// Passes every packet through unchanged (push or pull).
pub struct Null;

impl Element for Null {
    fn class_name(&self) -> &'static str {
        "Null"
    }

    fn push(&mut self, _port: usize, packet: Packet, ctx: &mut PushContext<'_>) {
        ctx.output(0, packet);
    }

    fn pull(&mut self, _port: usize, ctx: &mut PullContext<'_>) -> Option<Packet> {
        ctx.pull(0)
    }
}

/// Drops every packet it receives, counting them.
#[derive(Default)]
pub struct Discard {
    count: u64,
}

impl Element for Discard {
    fn class_name(&self) -> &'static str {
        "Discard"
    }

    fn port_count(&self) -> &'static str {
        "1/0"
    }

    fn processing(&self) -> &'static str {
        "a/"
    }

    fn push(&mut self, _port: usize, _packet: Packet, _ctx: &mut PushContext<'_>) {
        self.count += 1;
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["count"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        (name == "count").then(|| format!("{}", self.count))
    }
}

/// Has any number of ports and never moves a packet: a placeholder source or sink.
pub struct Idle;

impl Element for Idle {
    fn class_name(&self) -> &'static str {
        "Idle"
    }

    fn port_count(&self) -> &'static str {
        "-/-"
    }

    fn processing(&self) -> &'static str {
        "a/a"
    }

    fn push(&mut self, _port: usize, _packet: Packet, _ctx: &mut PushContext<'_>) {}
}
