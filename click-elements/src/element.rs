//! The element interface: what every Click element implements, and the contexts the router
//! hands to it.
//!
//! Elements never call each other directly. A push element receives a packet (or a batch) and
//! emits packets on numbered outputs through a [`PushContext`]; the router then forwards each
//! output batch along the connection. A pull element asks its inputs through a
//! [`PullContext`]. Elements with work of their own (sources, `Unqueue`, `ToDevice`) run as
//! tasks through [`Element::run_task`].

use alloc::string::String;
use alloc::vec::Vec;
use core::cell::Cell;
use core::fmt;
use core::time::Duration;

use crate::args::Args;
use crate::packet::{Packet, PacketPool, Timestamp};

/// A burst of packets handed from one element to the next.
pub type Batch = Vec<Packet>;

/// Burst size used when an element is not told otherwise.
pub const DEFAULT_BURST: usize = 32;

/// Applies `keep` to every packet of `batch` in order and removes those it rejects, keeping
/// the order of the rest (like `Vec::retain_mut`, with one call site so that `keep` is
/// inlined into the loop).
#[inline(always)]
pub fn retain_batch(batch: &mut Batch, mut keep: impl FnMut(&mut Packet) -> bool) {
    let mut kept = 0;
    for i in 0..batch.len() {
        if keep(&mut batch[i]) {
            if kept != i {
                batch.swap(kept, i);
            }
            kept += 1;
        }
    }
    batch.truncate(kept);
}

/// How a port moves packets: the upstream element pushes, the downstream element pulls, or
/// either (decided by what it is connected to).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Processing {
    /// Packets are pushed into the port by the upstream element.
    Push,
    /// Packets are pulled through the port by the downstream element.
    Pull,
    /// Push or pull, decided by the neighbours.
    Agnostic,
}

impl Processing {
    /// The word Click uses in messages: `push`, `pull` or `agnostic`.
    pub fn name(self) -> &'static str {
        match self {
            Processing::Push => "push",
            Processing::Pull => "pull",
            Processing::Agnostic => "agnostic",
        }
    }
}

/// Services of the platform the router runs on (the host runner or the guest kernel).
pub trait Platform {
    /// Prints a diagnostic line (Click's `click_chatter`: stderr on the host, console in a guest).
    fn chatter(&mut self, line: &str);
    /// Prints a line of regular output (Click's stdout, e.g. `DriverManager(print ...)`).
    fn print(&mut self, line: &str);
    /// The current wall-clock time.
    fn now(&self) -> Timestamp;
    /// The network device with index `n`, if the platform has one.
    fn device(&mut self, n: usize) -> Option<&mut dyn crate::device::NetDevice>;
}

/// What a push element may do while processing: emit packets and talk to the platform.
pub struct PushContext<'a> {
    pub(crate) outputs: &'a mut [Batch],
    pub(crate) platform: &'a mut dyn Platform,
    pub(crate) name: &'a str,
    /// The time read once for everything one task run (or one external push) triggers.
    pub(crate) clock: Option<&'a Cell<Option<Timestamp>>>,
}

impl<'a> PushContext<'a> {
    /// Makes a context over per-output batches (used by the router and by element tests).
    pub fn new(outputs: &'a mut [Batch], platform: &'a mut dyn Platform, name: &'a str) -> Self {
        PushContext {
            outputs,
            platform,
            name,
            clock: None,
        }
    }

    /// Emits `packet` on output `port`; a packet sent to a port that does not exist is dropped.
    #[inline]
    pub fn output(&mut self, port: usize, packet: Packet) {
        if let Some(batch) = self.outputs.get_mut(port) {
            batch.push(packet);
        }
    }

    /// Emits a whole burst on output `port`, leaving `batch` empty: when nothing was emitted
    /// on that port yet the two vectors are swapped (no packet is moved), otherwise the packets
    /// are appended. A burst sent to a port that does not exist is dropped.
    #[inline]
    pub fn output_batch(&mut self, port: usize, batch: &mut Batch) {
        match self.outputs.get_mut(port) {
            Some(out) if out.is_empty() => core::mem::swap(out, batch),
            Some(out) => out.append(batch),
            None => batch.clear(),
        }
    }

    /// The batch collecting output `port`, for emitting many packets at once.
    #[inline]
    pub fn output_mut(&mut self, port: usize) -> Option<&mut Batch> {
        self.outputs.get_mut(port)
    }

    /// Number of output ports of the element.
    #[inline]
    pub fn noutputs(&self) -> usize {
        self.outputs.len()
    }

    /// The element's name, e.g. `c` or `Classifier@3`.
    pub fn element_name(&self) -> &'a str {
        self.name
    }

    /// Prints a diagnostic line.
    pub fn chatter(&mut self, args: fmt::Arguments<'_>) {
        let line = alloc::fmt::format(args);
        self.platform.chatter(&line);
    }

    /// The current time. In a router, the clock is read once per task run (or external push):
    /// every element a burst passes through sees the same time, as with Click's jiffies.
    #[inline]
    pub fn now(&self) -> Timestamp {
        match self.clock {
            Some(cache) => match cache.get() {
                Some(t) => t,
                None => {
                    let t = self.platform.now();
                    cache.set(Some(t));
                    t
                }
            },
            None => self.platform.now(),
        }
    }

    /// The platform (devices, clock, console).
    pub fn platform(&mut self) -> &mut dyn Platform {
        self.platform
    }
}

/// Access to the upstream side of an element's pull inputs.
pub trait PullInputs {
    /// Pulls one packet through input `port`, or `None` when upstream has nothing.
    fn pull(&mut self, port: usize, platform: &mut dyn Platform) -> Option<Packet>;
}

/// What a pull element may do: pull from its own inputs and talk to the platform.
pub struct PullContext<'a> {
    pub(crate) inputs: &'a mut dyn PullInputs,
    pub(crate) platform: &'a mut dyn Platform,
    pub(crate) name: &'a str,
}

impl<'a> PullContext<'a> {
    /// Makes a context for element `name` (used by the router and by element tests).
    pub fn new(
        inputs: &'a mut dyn PullInputs,
        platform: &'a mut dyn Platform,
        name: &'a str,
    ) -> Self {
        PullContext {
            inputs,
            platform,
            name,
        }
    }

    /// The element's name.
    pub fn element_name(&self) -> &'a str {
        self.name
    }

    /// The current time.
    pub fn now(&self) -> Timestamp {
        self.platform.now()
    }

    /// Pulls one packet from input `port`.
    #[inline]
    pub fn pull(&mut self, port: usize) -> Option<Packet> {
        self.inputs.pull(port, self.platform)
    }

    /// The platform (devices, clock, console).
    pub fn platform(&mut self) -> &mut dyn Platform {
        self.platform
    }
}

/// Router-wide operations available to tasks (driver control and handlers of other elements).
pub trait RouterControl {
    /// Asks the driver to stop (Click's `please_stop_driver`).
    fn request_stop(&mut self);
    /// Number of stop requests made so far.
    fn stop_requests(&self) -> usize;
    /// Stops the driver now, whatever else is running.
    fn stop_now(&mut self);
    /// Calls the read handler `element.handler`.
    fn read_handler(&mut self, element: &str, handler: &str) -> Result<String, String>;
    /// Calls the write handler `element.handler` with `value`.
    fn write_handler(&mut self, element: &str, handler: &str, value: &str) -> Result<(), String>;
}

/// What a task may do: emit on outputs, pull from inputs, control the router.
pub struct TaskContext<'a> {
    /// Emitting packets and platform access.
    pub push: PushContext<'a>,
    /// Pulling from the element's pull inputs.
    pub inputs: &'a mut dyn PullInputs,
    /// Driver control and handlers.
    pub router: &'a mut dyn RouterControl,
}

impl TaskContext<'_> {
    /// Pulls one packet from the element's input `port`.
    pub fn pull(&mut self, port: usize) -> Option<Packet> {
        self.inputs.pull(port, self.push.platform)
    }
}

/// What a task run achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskStatus {
    /// It moved packets or otherwise made progress; run it again soon.
    Worked,
    /// Nothing to do right now; it may have work later.
    Idle,
    /// It will never have work again (a finished source).
    Done,
}

/// The context of `configure`: who the element is and how it is connected.
#[derive(Clone, Copy, Debug)]
pub struct ConfigureContext<'a> {
    /// The element's name.
    pub name: &'a str,
    /// Number of connected (or required) input ports.
    pub ninputs: usize,
    /// Number of connected (or required) output ports.
    pub noutputs: usize,
    /// Resolved processing of each input (agnostic ports already decided).
    pub input_processing: &'a [Processing],
    /// Resolved processing of each output (agnostic ports already decided).
    pub output_processing: &'a [Processing],
    /// The router's packet buffer pool, for elements that make packets.
    pub pool: &'a PacketPool,
    /// What a configuration may ask for: elements check their sizes against it.
    pub limits: &'a crate::limits::Limits,
    /// Every element of the router (name, class, configuration), for elements whose
    /// configuration names another element (an `IPRewriter` input spec naming a
    /// `RoundRobinIPMapper`); empty outside a router.
    pub peers: &'a [crate::lang::FlatElement],
}

impl<'a> ConfigureContext<'a> {
    /// The element called `name` as seen from this element: inside this element's compound
    /// first (`a/b/rw` looks for `a/b/NAME`), then at the top level (Click's `cp_element`).
    pub fn peer(&self, name: &str) -> Option<&'a crate::lang::FlatElement> {
        let scoped = self
            .name
            .rfind('/')
            .map(|slash| alloc::format!("{}/{name}", &self.name[..slash]));
        scoped
            .and_then(|full| self.peers.iter().find(|e| e.name == full))
            .or_else(|| self.peers.iter().find(|e| e.name == name))
    }
}

/// A Click element: what it does with packets. Its class (name, ports, processing) is
/// declared once with [`ElementClass`](crate::class::ElementClass); elements that act on one
/// packet at a time implement [`SimpleAction`](crate::action::SimpleAction) instead.
pub trait Element {
    /// Parses the configuration arguments. `args` follows Click's rules for positional and
    /// keyword arguments; the router reports leftover arguments.
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        let _ = (args, ctx);
        Ok(())
    }

    /// Called once all elements are configured; last chance to refuse to run.
    fn initialize(&mut self) -> Result<(), String> {
        Ok(())
    }

    /// Processes one packet arriving on push input `port`.
    fn push(&mut self, port: usize, packet: Packet, ctx: &mut PushContext<'_>) {
        let _ = (port, ctx);
        drop(packet);
    }

    /// Processes a burst of packets arriving on push input `port`; the batch is left empty.
    /// The default hands the packets to [`Element::push`] one by one.
    fn push_batch(&mut self, port: usize, batch: &mut Batch, ctx: &mut PushContext<'_>) {
        for packet in batch.drain(..) {
            self.push(port, packet, ctx);
        }
    }

    /// Produces a packet for pull output `port`, or `None`.
    fn pull(&mut self, port: usize, ctx: &mut PullContext<'_>) -> Option<Packet> {
        let _ = (port, ctx);
        None
    }

    /// True when the element has a task the router must schedule.
    fn has_task(&self) -> bool {
        false
    }

    /// The platform device this element receives from or transmits on (`FromDevice(N)`,
    /// `ToDevice(N)`), so that a router naming a device the platform lacks is refused before it
    /// runs ([`crate::Router::check_devices`]). `None` for every other element.
    fn device(&self) -> Option<usize> {
        None
    }

    /// True for an element that decides when the driver stops (DriverManager): stop requests
    /// from sources are then left to it instead of stopping the driver at once.
    fn manages_driver(&self) -> bool {
        false
    }

    /// Runs the element's task once.
    fn run_task(&mut self, ctx: &mut TaskContext<'_>) -> TaskStatus {
        let _ = ctx;
        TaskStatus::Done
    }

    /// When the element's timer first fires, after the router starts (Click's
    /// `Timer::schedule_after` in `initialize`); `None`: the element has no timer.
    fn timer_start(&self) -> Option<Duration> {
        None
    }

    /// Runs when the element's timer fires (it may emit packets, like a task); returns how
    /// long until it fires again, or `None` to stop it.
    fn run_timer(&mut self, ctx: &mut TaskContext<'_>) -> Option<Duration> {
        let _ = ctx;
        None
    }

    /// The `config` handler: the configuration as the element understands it. `None` means the
    /// configuration text exactly as written.
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
