//! FromDevice and ToDevice: the router's ends at a network device of the platform
//! (a Xen netfront in the guest), in bursts.

use alloc::format;
use alloc::string::{String, ToString};

use crate::args::{parse_i64, Args};
use crate::class::{ElementClass, Ports, ProcessingSpec};
use crate::element::{
    Batch, ConfigureContext, Element, Processing, PushContext, TaskContext, TaskStatus,
    DEFAULT_BURST,
};

/// Parses a device number (`0`, `1`, ...).
fn parse_device(s: &str) -> Result<usize, String> {
    let n = parse_i64(s).map_err(|_| "expected device number".to_string())?;
    usize::try_from(n).map_err(|_| "expected device number".into())
}

fn parse_burst(s: &str) -> Result<usize, String> {
    match parse_i64(s)? {
        b if b >= 1 => Ok(b as usize),
        _ => Err("must be at least 1".into()),
    }
}

/// Receives frames from device N and pushes them, a burst per task run.
pub struct FromDevice {
    device: usize,
    burst: usize,
    count: u64,
    missing_reported: bool,
    batch: Batch,
}

impl Default for FromDevice {
    fn default() -> Self {
        FromDevice {
            device: 0,
            burst: DEFAULT_BURST,
            count: 0,
            missing_reported: false,
            batch: Batch::new(),
        }
    }
}

impl ElementClass for FromDevice {
    const NAME: &'static str = "FromDevice";
    const PORTS: Ports = Ports::parse("0/1");
    const PROCESSING: ProcessingSpec = ProcessingSpec::parse("/h");
    const EXAMPLE: &'static str = "0";
}

impl Element for FromDevice {
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        self.device = args.read_mp("DEVNAME", parse_device).unwrap_or(0);
        if let Some(b) = args.read_p("BURST", parse_burst) {
            self.burst = ctx.limits.check_burst("BURST", b)?;
        }
        // Room for a whole burst now, so the data path never grows it.
        self.batch = Batch::with_capacity(self.burst);
        Ok(())
    }

    fn device(&self) -> Option<usize> {
        Some(self.device)
    }

    fn has_task(&self) -> bool {
        true
    }

    fn run_task(&mut self, ctx: &mut TaskContext<'_>) -> TaskStatus {
        let Some(dev) = ctx.push.platform().device(self.device) else {
            if !self.missing_reported {
                self.missing_reported = true;
                let name = ctx.push.element_name();
                ctx.push
                    .chatter(format_args!("{name}: no device {}", self.device));
            }
            return TaskStatus::Done;
        };
        let n = dev.receive_burst(&mut self.batch, self.burst);
        self.count += n as u64;
        for p in self.batch.drain(..) {
            ctx.push.output(0, p);
        }
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

/// Transmits frames on device N: pushed bursts directly, or pulled by its own task.
pub struct ToDevice {
    device: usize,
    burst: usize,
    pull_input: bool,
    count: u64,
    drops: u64,
    batch: Batch,
}

impl Default for ToDevice {
    fn default() -> Self {
        ToDevice {
            device: 0,
            burst: DEFAULT_BURST,
            pull_input: false,
            count: 0,
            drops: 0,
            batch: Batch::new(),
        }
    }
}

impl ToDevice {
    /// Sends the batch; what the device cannot take is dropped and counted.
    fn transmit(&mut self, ctx: &mut PushContext<'_>, batch: &mut Batch) {
        let offered = batch.len();
        let taken = match ctx.platform().device(self.device) {
            Some(dev) => dev.transmit_burst(batch),
            None => 0,
        };
        self.count += taken as u64;
        self.drops += (offered - taken.min(offered)) as u64;
        batch.clear();
    }
}

impl ElementClass for ToDevice {
    const NAME: &'static str = "ToDevice";
    const PORTS: Ports = Ports::parse("1/0");
    const PROCESSING: ProcessingSpec = ProcessingSpec::parse("a/");
    const EXAMPLE: &'static str = "0";
}

impl Element for ToDevice {
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        self.device = args.read_mp("DEVNAME", parse_device).unwrap_or(0);
        if let Some(b) = args.read_p("BURST", parse_burst) {
            self.burst = ctx.limits.check_burst("BURST", b)?;
        }
        // Room for a whole burst now, so the data path never grows it.
        self.batch = Batch::with_capacity(self.burst);
        self.pull_input = ctx.input_processing.first() == Some(&Processing::Pull);
        Ok(())
    }

    fn device(&self) -> Option<usize> {
        Some(self.device)
    }

    fn push_batch(&mut self, _port: usize, batch: &mut Batch, ctx: &mut PushContext<'_>) {
        self.transmit(ctx, batch);
    }

    fn push(&mut self, _port: usize, packet: crate::packet::Packet, ctx: &mut PushContext<'_>) {
        let mut batch = core::mem::take(&mut self.batch);
        batch.push(packet);
        self.transmit(ctx, &mut batch);
        self.batch = batch;
    }

    fn has_task(&self) -> bool {
        self.pull_input
    }

    fn run_task(&mut self, ctx: &mut TaskContext<'_>) -> TaskStatus {
        let mut batch = core::mem::take(&mut self.batch);
        while batch.len() < self.burst {
            match ctx.pull(0) {
                Some(p) => batch.push(p),
                None => break,
            }
        }
        let worked = !batch.is_empty();
        self.transmit(&mut ctx.push, &mut batch);
        self.batch = batch;
        if worked {
            TaskStatus::Worked
        } else {
            TaskStatus::Idle
        }
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["count", "drops"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        match name {
            "count" => Some(format!("{}", self.count)),
            "drops" => Some(format!("{}", self.drops)),
            _ => None,
        }
    }
}
