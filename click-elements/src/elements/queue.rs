//! Queue (push in, pull out, tail drop) and Unqueue (pulls and pushes on).

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;

use crate::args::{parse_bool, parse_i64, Args};
use crate::class::{ElementClass, ProcessingSpec};
use crate::element::{
    ConfigureContext, Element, PullContext, PushContext, TaskContext, TaskStatus,
};
use crate::packet::Packet;

/// A FIFO between a push and a pull path; drops arriving packets when full.
pub struct Queue {
    packets: VecDeque<Packet>,
    capacity: usize,
    drops: u64,
    highwater: usize,
    warned: bool,
}

impl Default for Queue {
    fn default() -> Self {
        Queue {
            packets: VecDeque::new(),
            capacity: 1000,
            drops: 0,
            highwater: 0,
            warned: false,
        }
    }
}

impl ElementClass for Queue {
    const NAME: &'static str = "Queue";
    const PROCESSING: ProcessingSpec = ProcessingSpec::parse("h/l");
}

impl Element for Queue {
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        if let Some(c) = args.read_p("CAPACITY", parse_i64) {
            let c = usize::try_from(c).map_err(|_| "CAPACITY: must be >= 0")?;
            self.capacity = ctx.limits.check_capacity("CAPACITY", c)?;
        }
        Ok(())
    }

    fn push(&mut self, _port: usize, packet: Packet, ctx: &mut PushContext<'_>) {
        if self.packets.len() >= self.capacity {
            self.drops += 1;
            if !self.warned {
                self.warned = true;
                let name = ctx.element_name();
                let line = format!("{name} :: Queue: overflow");
                ctx.platform().chatter(&line);
            }
            return;
        }
        self.packets.push_back(packet);
        self.highwater = self.highwater.max(self.packets.len());
    }

    fn pull(&mut self, _port: usize, _ctx: &mut PullContext<'_>) -> Option<Packet> {
        self.packets.pop_front()
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["length", "highwater_length", "capacity", "drops"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        match name {
            "length" => Some(format!("{}", self.packets.len())),
            "highwater_length" => Some(format!("{}", self.highwater)),
            "capacity" => Some(format!("{}", self.capacity)),
            "drops" => Some(format!("{}", self.drops)),
            _ => None,
        }
    }

    fn write_handlers(&self) -> &'static [&'static str] {
        &["reset"]
    }

    fn write_handler(&mut self, name: &str, _value: &str) -> Result<(), String> {
        match name {
            "reset" => {
                self.packets.clear();
                self.drops = 0;
                self.highwater = 0;
                Ok(())
            }
            _ => Err(format!("no write handler '{name}'")),
        }
    }
}

/// Pulls packets from its input and pushes them to its output, a burst per task run.
pub struct Unqueue {
    burst: usize,
    active: bool,
    count: u64,
}

impl Default for Unqueue {
    fn default() -> Self {
        Unqueue {
            burst: 1,
            active: true,
            count: 0,
        }
    }
}

impl ElementClass for Unqueue {
    const NAME: &'static str = "Unqueue";
    const PROCESSING: ProcessingSpec = ProcessingSpec::parse("l/h");
}

impl Element for Unqueue {
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        if let Some(b) = args.read_p("BURST", parse_i64) {
            // Click treats a non-positive burst as "unlimited": here, as many as a burst may
            // hold (the packets of one run are batched, so they must be bounded).
            self.burst = match usize::try_from(b) {
                Ok(b) if b > 0 => ctx.limits.check_burst("BURST", b)?,
                _ => ctx.limits.burst,
            };
        }
        self.active = args.read_kw("ACTIVE", parse_bool).unwrap_or(true);
        Ok(())
    }

    fn has_task(&self) -> bool {
        true
    }

    fn run_task(&mut self, ctx: &mut TaskContext<'_>) -> TaskStatus {
        if !self.active {
            return TaskStatus::Idle;
        }
        let mut moved = 0;
        while moved < self.burst {
            let Some(p) = ctx.pull(0) else { break };
            ctx.push.output(0, p);
            moved += 1;
        }
        self.count += moved as u64;
        if moved > 0 {
            TaskStatus::Worked
        } else {
            TaskStatus::Idle
        }
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["count", "active", "burst"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        match name {
            "count" => Some(format!("{}", self.count)),
            "active" => Some(format!("{}", self.active)),
            "burst" => Some(format!("{}", self.burst)),
            _ => None,
        }
    }

    fn write_handlers(&self) -> &'static [&'static str] {
        &["active", "reset"]
    }

    fn write_handler(&mut self, name: &str, value: &str) -> Result<(), String> {
        match name {
            "active" => self.active = parse_bool(value.trim())?,
            "reset" => self.count = 0,
            _ => return Err(format!("no write handler '{name}'")),
        }
        Ok(())
    }
}
