//! The router: elements instantiated from a flat configuration, checked (port counts,
//! push/pull, unused and reused ports), configured, initialized and run.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};

use crate::args::Args;
use crate::class::ClassInfo;
use crate::element::{
    Batch, ConfigureContext, Element, Platform, Processing, PullContext, PullInputs, PushContext,
    RouterControl, TaskContext, TaskStatus,
};
use crate::error::{Diagnostic, Diagnostics, Sources};
use crate::lang::{FlatConfig, FlatConnection};
use crate::limits::{BuildMonitor, Limits, Unmonitored};
use crate::packet::{Packet, PacketPool, Timestamp};
use crate::registry::Registry;

/// Packets each output batch has room for from the start: a default burst.
const SCRATCH_BATCH_CAPACITY: usize = crate::element::DEFAULT_BURST;

/// One element of a running router.
struct Slot {
    name: String,
    info: ClassInfo,
    config: String,
    location: Option<crate::error::Location>,
    element: RefCell<Box<dyn Element>>,
    inputs: Vec<Processing>,
    outputs: Vec<Processing>,
    /// For each push output, the (element, input) it feeds.
    push_to: Vec<Option<(usize, usize)>>,
    /// For each pull input, the (element, output) it pulls from.
    pull_from: Vec<Option<(usize, usize)>>,
    /// Reused output batches, one per output port.
    scratch: RefCell<Vec<Batch>>,
    /// The element's outputs are being forwarded: a push into it now would re-enter it.
    forwarding: Cell<bool>,
    /// When the element's timer fires next (elements with a timer only).
    timer_due: Cell<Option<Timestamp>>,
}

/// A configured, initialized Click router.
pub struct Router {
    sources: Sources,
    slots: Vec<Slot>,
    connections: Vec<FlatConnection>,
    tasks: Vec<usize>,
    /// Elements with a timer.
    timers: Vec<usize>,
    /// The timers were started (they start at the first round, when the clock is known).
    timers_started: Cell<bool>,
    stop_requests: Cell<usize>,
    stopped: Cell<bool>,
    managed: bool,
    /// Packets dropped because an element was re-entered (a push cycle).
    reentry_drops: Cell<u64>,
    /// Elements whose outputs wait to be forwarded, innermost last: forwarding walks the
    /// graph with this stack instead of recursing, so a long chain cannot overflow the
    /// machine stack. Each element is on it at most once, so it never outgrows its capacity.
    pending: RefCell<Vec<usize>>,
    /// Buffers for the packets the elements make.
    pool: PacketPool,
    /// The time of the current task run or external push, read on first use.
    clock: Cell<Option<Timestamp>>,
}

impl Router {
    /// Builds a router from a flat configuration: instantiates, checks, configures and
    /// initializes every element, reporting every error found.
    pub fn new(flat: &FlatConfig, registry: &Registry) -> Result<Router, Diagnostics> {
        Router::build(flat, registry, &Limits::HOST, &mut Unmonitored)
    }

    /// [`Router::new`] within `limits` (checked by the elements as they configure, and on the
    /// depth of pull chains), with `monitor` called after each element is made and configured.
    pub fn build(
        flat: &FlatConfig,
        registry: &Registry,
        limits: &Limits,
        monitor: &mut dyn BuildMonitor,
    ) -> Result<Router, Diagnostics> {
        let mut errors = Vec::new();
        let diag = |location, message: String| flat.sources.diagnostic(location, message);

        if flat.elements.len() > limits.elements {
            return Err(Diagnostics(vec![diag(
                flat.elements.get(limits.elements).map(|e| e.location),
                format!(
                    "more than the limit of {} elements once compounds are expanded",
                    limits.elements
                ),
            )]));
        }
        let mut slots = Vec::with_capacity(flat.elements.len());
        for fe in &flat.elements {
            if let Err(message) = monitor.checkpoint() {
                return Err(Diagnostics(vec![diag(Some(fe.location), message)]));
            }
            let Some(info) = registry.class(&fe.class) else {
                errors.push(diag(Some(fe.location), registry.missing(&fe.class)));
                continue;
            };
            let element = (info.make)();
            slots.push(Slot {
                name: fe.name.clone(),
                info: *info,
                config: fe.config.clone(),
                location: Some(fe.location),
                element: RefCell::new(element),
                inputs: Vec::new(),
                outputs: Vec::new(),
                push_to: Vec::new(),
                pull_from: Vec::new(),
                scratch: RefCell::new(Vec::new()),
                forwarding: Cell::new(false),
                timer_due: Cell::new(None),
            });
        }
        if !errors.is_empty() {
            return Err(Diagnostics(errors));
        }
        let describe = |s: &Slot| format!("{} :: {}", s.name, s.info.name);

        // Port counts, then connections within range.
        let mut used = vec![(0usize, 0usize); slots.len()];
        for c in &flat.connections {
            for (port, slot) in [(c.from_port, c.from), (c.to_port, c.to)] {
                if port >= limits.ports {
                    return Err(Diagnostics(vec![diag(
                        slots[slot].location,
                        format!(
                            "port {port} of '{}' is more than the limit of {} ports",
                            slots[slot].name,
                            limits.ports - 1
                        ),
                    )]));
                }
            }
            used[c.to].0 = used[c.to].0.max(c.to_port + 1);
            used[c.from].1 = used[c.from].1.max(c.from_port + 1);
        }
        for (slot, &(ui, uo)) in slots.iter_mut().zip(&used) {
            let (nin, nout) = slot.info.ports.resolve(ui, uo);
            slot.inputs = slot.info.processing.inputs(nin);
            slot.outputs = slot.info.processing.outputs(nout);
        }
        let mut connections = Vec::new();
        for c in &flat.connections {
            let mut ok = true;
            if c.from_port >= slots[c.from].outputs.len() {
                let s = &slots[c.from];
                errors.push(diag(
                    s.location,
                    format!("'{}' has no output {}", describe(s), c.from_port),
                ));
                ok = false;
            }
            if c.to_port >= slots[c.to].inputs.len() {
                let s = &slots[c.to];
                errors.push(diag(
                    s.location,
                    format!("'{}' has no input {}", describe(s), c.to_port),
                ));
                ok = false;
            }
            if ok {
                connections.push(*c);
            }
        }

        if errors.is_empty() {
            errors.extend(check_push_pull(&mut slots, &connections, &flat.sources));
        }
        if errors.is_empty() {
            errors.extend(check_completeness(&slots, &connections, &flat.sources));
        }
        if !errors.is_empty() {
            return Err(Diagnostics(errors));
        }

        for slot in &mut slots {
            slot.push_to = vec![None; slot.outputs.len()];
            slot.pull_from = vec![None; slot.inputs.len()];
        }
        for c in &connections {
            if slots[c.from].outputs[c.from_port] == Processing::Push {
                slots[c.from].push_to[c.from_port] = Some((c.to, c.to_port));
            } else {
                slots[c.to].pull_from[c.to_port] = Some((c.from, c.from_port));
            }
        }

        if let Some(e) = check_pull_depth(&slots, limits.pull_depth, &flat.sources) {
            return Err(Diagnostics(vec![e]));
        }

        // Configure, then initialize.
        let pool = PacketPool::default();
        for slot in &mut slots {
            if let Err(message) = monitor.checkpoint() {
                return Err(Diagnostics(vec![diag(slot.location, message)]));
            }
            // Full-size batches from the start: batches are swapped along the graph, so one
            // that grew would hand its capacity on and the heap would creep up for a long
            // time (until every batch has met a full burst) before settling.
            *slot.scratch.get_mut() = (0..slot.outputs.len())
                .map(|_| Batch::with_capacity(SCRATCH_BATCH_CAPACITY))
                .collect();
            let ctx = ConfigureContext {
                name: &slot.name,
                ninputs: slot.inputs.len(),
                noutputs: slot.outputs.len(),
                input_processing: &slot.inputs,
                output_processing: &slot.outputs,
                pool: &pool,
                limits,
                peers: &flat.elements,
            };
            let mut args = Args::parse(&slot.config);
            let el = slot.element.get_mut();
            let result = el.configure(&mut args, &ctx).and(args.finish());
            if let Err(e) = result {
                errors.push(diag(
                    slot.location,
                    format!(
                        "While configuring '{} :: {}': {}",
                        slot.name,
                        slot.info.name,
                        e.replace('\n', "; ")
                    ),
                ));
            }
        }
        if errors.is_empty() {
            for slot in &mut slots {
                if let Err(e) = slot.element.get_mut().initialize() {
                    errors.push(diag(
                        slot.location,
                        format!(
                            "While initializing '{} :: {}': {}",
                            slot.name, slot.info.name, e
                        ),
                    ));
                }
            }
        }
        if !errors.is_empty() {
            return Err(Diagnostics(errors));
        }

        let tasks = (0..slots.len())
            .filter(|&i| slots[i].element.borrow().has_task())
            .collect();
        let timers = (0..slots.len())
            .filter(|&i| slots[i].element.borrow().timer_start().is_some())
            .collect();
        let managed = slots.iter().any(|s| s.element.borrow().manages_driver());
        let pending = RefCell::new(Vec::with_capacity(slots.len()));
        Ok(Router {
            sources: flat.sources.clone(),
            slots,
            connections,
            tasks,
            timers,
            timers_started: Cell::new(false),
            stop_requests: Cell::new(0),
            stopped: Cell::new(false),
            managed,
            reentry_drops: Cell::new(0),
            pending,
            pool,
            clock: Cell::new(None),
        })
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when the router has no elements.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The configuration's file name.
    pub fn file(&self) -> &str {
        self.sources.main()
    }

    /// The index of the element called `name`.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.slots.iter().position(|s| s.name == name)
    }

    /// Names of all elements, in router order.
    pub fn element_names(&self) -> impl Iterator<Item = &str> {
        self.slots.iter().map(|s| s.name.as_str())
    }

    /// True once the driver was asked to stop.
    pub fn is_stopped(&self) -> bool {
        self.stopped.get()
    }

    /// Checks every element bound to a platform device ([`Element::device`]) against the
    /// platform: `check(n)` says why device `n` cannot be used (it does not exist, it failed),
    /// and each refusal becomes a diagnostic at the element's `file:line:col`. Call it before
    /// the router replaces a running one: elements only meet the platform when they run.
    pub fn check_devices(
        &self,
        check: &dyn Fn(usize) -> Result<(), String>,
    ) -> Result<(), Diagnostics> {
        let errors: Vec<Diagnostic> = self
            .slots
            .iter()
            .filter_map(|slot| {
                let n = slot.element.borrow().device()?;
                let why = check(n).err()?;
                Some(self.sources.diagnostic(
                    slot.location,
                    format!(
                        "While initializing '{} :: {}': {why}",
                        slot.name, slot.info.name
                    ),
                ))
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Diagnostics(errors))
        }
    }

    /// Packets dropped because a push cycle re-entered an element.
    pub fn reentry_drops(&self) -> u64 {
        self.reentry_drops.get()
    }

    /// Counters of the router's packet buffer pool.
    pub fn pool_stats(&self) -> crate::packet::PoolStats {
        self.pool.stats()
    }

    /// Pushes `batch` into input `port` of element `idx`, then along the graph.
    pub fn push_batch(
        &self,
        idx: usize,
        port: usize,
        batch: &mut Batch,
        platform: &mut dyn Platform,
    ) {
        self.clock.set(None);
        self.push_along(idx, port, batch, platform);
    }

    /// [`Router::push_batch`] within a task run or push (keeps the time already read).
    fn push_along(&self, idx: usize, port: usize, batch: &mut Batch, platform: &mut dyn Platform) {
        if self.process(idx, port, batch, platform) {
            self.forward_from(idx, platform);
        }
    }

    /// Hands `batch` to input `port` of element `idx`, leaving `batch` empty; the element's
    /// output batches then wait to be forwarded. False when the element is already busy (a
    /// push cycle): the batch is dropped and counted.
    fn process(
        &self,
        idx: usize,
        port: usize,
        batch: &mut Batch,
        platform: &mut dyn Platform,
    ) -> bool {
        let slot = &self.slots[idx];
        let busy = slot.forwarding.get();
        let (Ok(mut element), Ok(mut outs), false) = (
            slot.element.try_borrow_mut(),
            slot.scratch.try_borrow_mut(),
            busy,
        ) else {
            self.reentry_drops
                .set(self.reentry_drops.get() + batch.len() as u64);
            batch.clear();
            return false;
        };
        let mut ctx = PushContext::new(&mut outs, platform, &slot.name);
        ctx.clock = Some(&self.clock);
        element.push_batch(port, batch, &mut ctx);
        batch.clear();
        slot.forwarding.set(true);
        true
    }

    /// Forwards the output batches of element `idx`, and of every element they reach, depth
    /// first and in port order (as Click's nested pushes would), without recursion.
    fn forward_from(&self, idx: usize, platform: &mut dyn Platform) {
        // Forwarding does not nest (elements cannot push into the router), so the stack is
        // free; a local one keeps it correct if that ever changes.
        let mut guard = self.pending.try_borrow_mut().ok();
        let mut local = Vec::new();
        let pending: &mut Vec<usize> = match guard.as_deref_mut() {
            Some(p) => p,
            None => &mut local,
        };
        pending.push(idx);
        while let Some(&top) = pending.last() {
            let slot = &self.slots[top];
            let mut outs = slot.scratch.borrow_mut();
            let Some(port) = outs.iter().position(|b| !b.is_empty()) else {
                drop(outs);
                slot.forwarding.set(false);
                pending.pop();
                continue;
            };
            match slot.push_to.get(port).copied().flatten() {
                Some((to, to_port)) => {
                    if self.process(to, to_port, &mut outs[port], platform) {
                        pending.push(to);
                    }
                }
                None => outs[port].clear(),
            }
        }
    }

    /// Pulls one packet from output `port` of element `idx`.
    pub fn pull(&self, idx: usize, port: usize, platform: &mut dyn Platform) -> Option<Packet> {
        let slot = &self.slots[idx];
        let mut element = slot.element.try_borrow_mut().ok()?;
        let mut inputs = RouterInputs { router: self, idx };
        let mut ctx = PullContext::new(&mut inputs, platform, &slot.name);
        element.pull(port, &mut ctx)
    }

    /// Runs every task once, and the timers that are due; returns what the round achieved.
    pub fn run_tasks_once(&self, platform: &mut dyn Platform) -> RoundStatus {
        let mut status = RoundStatus {
            worked: !self.timers.is_empty() && self.run_timers(platform),
            all_done: true,
        };
        for &idx in &self.tasks {
            if self.stopped.get() {
                break;
            }
            match self.run_task(idx, platform) {
                TaskStatus::Worked => {
                    status.worked = true;
                    status.all_done = false;
                }
                TaskStatus::Idle => status.all_done = false,
                TaskStatus::Done => {}
            }
        }
        status
    }

    fn run_task(&self, idx: usize, platform: &mut dyn Platform) -> TaskStatus {
        self.clock.set(None);
        self.with_task_context(idx, platform, |element, ctx| element.run_task(ctx))
            .unwrap_or(TaskStatus::Idle)
    }

    /// Runs `work` on element `idx` with a task context, then forwards what it emitted;
    /// `None` when the element is busy.
    fn with_task_context<R>(
        &self,
        idx: usize,
        platform: &mut dyn Platform,
        work: impl FnOnce(&mut dyn Element, &mut TaskContext<'_>) -> R,
    ) -> Option<R> {
        let slot = &self.slots[idx];
        let mut element = slot.element.try_borrow_mut().ok()?;
        let mut outs = slot.scratch.try_borrow_mut().ok()?;
        let mut inputs = RouterInputs { router: self, idx };
        let mut control = Control { router: self };
        let result = {
            let mut push = PushContext::new(&mut outs, platform, &slot.name);
            push.clock = Some(&self.clock);
            let mut ctx = TaskContext {
                push,
                inputs: &mut inputs,
                router: &mut control,
            };
            work(element.as_mut(), &mut ctx)
        };
        drop(element);
        drop(outs);
        slot.forwarding.set(true);
        self.forward_from(idx, platform);
        Some(result)
    }

    /// Fires the timers that are due (starting them all at the first call); returns whether
    /// any fired.
    fn run_timers(&self, platform: &mut dyn Platform) -> bool {
        let now = platform.now();
        if !self.timers_started.replace(true) {
            for &idx in &self.timers {
                let slot = &self.slots[idx];
                let start = slot.element.borrow().timer_start();
                slot.timer_due.set(start.map(|d| now.after(d)));
            }
        }
        let mut fired = false;
        for &idx in &self.timers {
            let slot = &self.slots[idx];
            if slot.timer_due.get().is_none_or(|due| due > now) {
                continue;
            }
            self.clock.set(Some(now));
            let next = self
                .with_task_context(idx, platform, |element, ctx| element.run_timer(ctx))
                .flatten();
            slot.timer_due.set(next.map(|d| now.after(d)));
            fired = true;
        }
        fired
    }

    /// When the next timer is due, if any is scheduled (a guest sleeps until then).
    pub fn next_timer(&self) -> Option<Timestamp> {
        if !self.timers_started.get() {
            return (!self.timers.is_empty()).then(Timestamp::default);
        }
        self.timers
            .iter()
            .filter_map(|&idx| self.slots[idx].timer_due.get())
            .min()
    }

    /// Runs tasks until the driver is stopped or no task can ever work again. `idle` is
    /// called after a round in which nothing happened; it returns false to stop the driver
    /// (a host runner stops when quiescent, a guest waits for events).
    pub fn run(
        &self,
        platform: &mut dyn Platform,
        mut idle: impl FnMut(&mut dyn Platform) -> bool,
    ) {
        while !self.stopped.get() {
            let round = self.run_tasks_once(platform);
            if round.all_done {
                break;
            }
            if !round.worked && !idle(platform) {
                break;
            }
        }
    }

    /// Calls read handler `handler` of element `element` (default handlers included).
    pub fn read_handler(&self, element: &str, handler: &str) -> Result<String, String> {
        let idx = self
            .find(element)
            .ok_or_else(|| format!("no element named '{element}'"))?;
        let slot = &self.slots[idx];
        let el = slot
            .element
            .try_borrow()
            .map_err(|_| format!("element '{element}' is busy"))?;
        match handler {
            "name" => Ok(slot.name.clone()),
            "class" => Ok(slot.info.name.to_string()),
            "config" => Ok(el.config_string().unwrap_or_else(|| slot.config.clone())),
            "ports" => Ok(self.ports_description(idx)),
            "handlers" => {
                let mut names: Vec<&str> = vec!["name", "class", "config", "ports", "handlers"];
                names.extend(el.read_handlers());
                names.extend(el.write_handlers());
                Ok(names.join("\n"))
            }
            _ => el
                .read_handler(handler)
                .ok_or_else(|| format!("no read handler '{element}.{handler}'")),
        }
    }

    /// Calls write handler `handler` of element `element` with `value`.
    pub fn write_handler(&self, element: &str, handler: &str, value: &str) -> Result<(), String> {
        let idx = self
            .find(element)
            .ok_or_else(|| format!("no element named '{element}'"))?;
        let mut el = self.slots[idx]
            .element
            .try_borrow_mut()
            .map_err(|_| format!("element '{element}' is busy"))?;
        if !el.write_handlers().contains(&handler) {
            return Err(format!("no write handler '{element}.{handler}'"));
        }
        el.write_handler(handler, value)
    }

    fn ports_description(&self, idx: usize) -> String {
        let slot = &self.slots[idx];
        let mut out = String::new();
        let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        out.push_str(&plural(slot.inputs.len(), "input"));
        out.push('\n');
        for (port, p) in slot.inputs.iter().enumerate() {
            let peers: Vec<String> = self
                .connections
                .iter()
                .filter(|c| c.to == idx && c.to_port == port)
                .map(|c| format!("{} [{}]", self.slots[c.from].name, c.from_port))
                .collect();
            out.push_str(&format!("{}\t{}\n", p.name(), peers.join(", ")));
        }
        out.push_str(&plural(slot.outputs.len(), "output"));
        out.push('\n');
        for (port, p) in slot.outputs.iter().enumerate() {
            let peers: Vec<String> = self
                .connections
                .iter()
                .filter(|c| c.from == idx && c.from_port == port)
                .map(|c| format!("[{}] {}", c.to_port, self.slots[c.to].name))
                .collect();
            out.push_str(&format!("{}\t{}\n", p.name(), peers.join(", ")));
        }
        out
    }

    /// The flattened router in Click's `click -o` syntax: declarations, then connections.
    pub fn flat_text(&self) -> String {
        let mut out = String::new();
        for slot in &self.slots {
            let el = slot.element.borrow();
            let config = el.config_string().unwrap_or_else(|| slot.config.clone());
            if config.is_empty() {
                out.push_str(&format!("{} :: {};\n", slot.name, slot.info.name));
            } else {
                out.push_str(&format!(
                    "{} :: {}({});\n",
                    slot.name, slot.info.name, config
                ));
            }
        }
        out.push('\n');
        for c in &self.connections {
            let from = &self.slots[c.from].name;
            let to = &self.slots[c.to].name;
            let fp = if c.from_port == 0 {
                String::new()
            } else {
                format!(" [{}]", c.from_port)
            };
            let tp = if c.to_port == 0 {
                String::new()
            } else {
                format!("[{}] ", c.to_port)
            };
            out.push_str(&format!("{from}{fp} -> {tp}{to};\n"));
        }
        out
    }
}

/// What one round of tasks achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoundStatus {
    /// Some task made progress.
    pub worked: bool,
    /// Every task is finished for good.
    pub all_done: bool,
}

/// Pull access for element `idx`'s inputs.
struct RouterInputs<'r> {
    router: &'r Router,
    idx: usize,
}

impl PullInputs for RouterInputs<'_> {
    fn pull(&mut self, port: usize, platform: &mut dyn Platform) -> Option<Packet> {
        let (from, from_port) = self.router.slots[self.idx]
            .pull_from
            .get(port)
            .copied()
            .flatten()?;
        self.router.pull(from, from_port, platform)
    }
}

/// Router operations handed to tasks.
struct Control<'r> {
    router: &'r Router,
}

impl RouterControl for Control<'_> {
    fn request_stop(&mut self) {
        let r = self.router;
        r.stop_requests.set(r.stop_requests.get() + 1);
        if !r.managed {
            r.stopped.set(true);
        }
    }

    fn stop_requests(&self) -> usize {
        self.router.stop_requests.get()
    }

    fn stop_now(&mut self) {
        self.router.stopped.set(true);
    }

    fn read_handler(&mut self, element: &str, handler: &str) -> Result<String, String> {
        self.router.read_handler(element, handler)
    }

    fn write_handler(&mut self, element: &str, handler: &str, value: &str) -> Result<(), String> {
        self.router.write_handler(element, handler, value)
    }
}

/// Resolves agnostic ports and reports push/pull mismatches (Click's `check_push_and_pull`).
fn check_push_pull(
    slots: &mut [Slot],
    connections: &[FlatConnection],
    sources: &Sources,
) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    // Agnostic inputs and outputs of one element must agree: model them as internal links.
    let mut links: Vec<(usize, usize, usize, usize, bool)> = connections
        .iter()
        .map(|c| (c.from, c.from_port, c.to, c.to_port, false))
        .collect();
    for (i, s) in slots.iter().enumerate() {
        for (ip, p) in s.inputs.iter().enumerate() {
            if *p != Processing::Agnostic {
                continue;
            }
            for (op, q) in s.outputs.iter().enumerate() {
                if *q == Processing::Agnostic {
                    links.push((i, op, i, ip, true));
                }
            }
        }
    }
    let mut dead = vec![false; links.len()];
    loop {
        let mut changed = false;
        for (k, &(f, fp, t, tp, internal)) in links.iter().enumerate() {
            if dead[k] {
                continue;
            }
            let pf = slots[f].outputs[fp];
            let pt = slots[t].inputs[tp];
            match (pf, pt) {
                (Processing::Agnostic, Processing::Agnostic) => {}
                (p, Processing::Agnostic) => {
                    slots[t].inputs[tp] = p;
                    changed = true;
                }
                (Processing::Agnostic, p) => {
                    slots[f].outputs[fp] = p;
                    changed = true;
                }
                (a, b) if a != b => {
                    dead[k] = true;
                    let message = if internal {
                        format!(
                            "agnostic '{} :: {}' in mixed context: {} input {}, {} output {}",
                            slots[f].name,
                            slots[f].info.name,
                            b.name(),
                            tp,
                            a.name(),
                            fp
                        )
                    } else {
                        format!(
                            "'{} :: {}' {} output {} connected to '{} :: {}' {} input {}",
                            slots[f].name,
                            slots[f].info.name,
                            a.name(),
                            fp,
                            slots[t].name,
                            slots[t].info.name,
                            b.name(),
                            tp
                        )
                    };
                    errors.push(sources.diagnostic(slots[f].location, message));
                }
                _ => {}
            }
        }
        if !changed {
            break;
        }
    }
    // Ports nobody decided on are push.
    for s in slots.iter_mut() {
        for p in s.inputs.iter_mut().chain(s.outputs.iter_mut()) {
            if *p == Processing::Agnostic {
                *p = Processing::Push;
            }
        }
    }
    errors
}

/// Reports a chain of pull connections longer than `max` elements (a pull recurses once per
/// element; cycles end where they meet an element already pulling, as at run time).
fn check_pull_depth(slots: &[Slot], max: usize, sources: &Sources) -> Option<Diagnostic> {
    // depth[i]: the longest chain of elements pulled through when element i is pulled.
    const UNSEEN: usize = 0;
    const ON_PATH: usize = usize::MAX;
    let mut depth = vec![UNSEEN; slots.len()];
    for root in 0..slots.len() {
        if depth[root] != UNSEEN {
            continue;
        }
        // Iterative depth-first walk along pull_from, so that the check itself cannot
        // overflow the stack on the chains it refuses.
        let mut path = vec![(root, 0usize)];
        depth[root] = ON_PATH;
        while let Some(&mut (node, ref mut next)) = path.last_mut() {
            let upstream = slots[node].pull_from.get(*next).copied();
            *next += 1;
            match upstream {
                Some(Some((from, _))) if depth[from] == UNSEEN => {
                    depth[from] = ON_PATH;
                    path.push((from, 0));
                }
                Some(_) => {}
                None => {
                    let below = slots[node]
                        .pull_from
                        .iter()
                        .flatten()
                        .map(|&(from, _)| {
                            if depth[from] == ON_PATH {
                                0
                            } else {
                                depth[from]
                            }
                        })
                        .max()
                        .unwrap_or(0);
                    depth[node] = below + 1;
                    path.pop();
                    if depth[node] > max {
                        return Some(sources.diagnostic(
                            slots[node].location,
                            format!(
                                "'{} :: {}' pulls through a chain of more than the limit of {max} elements",
                                slots[node].name, slots[node].info.name
                            ),
                        ));
                    }
                }
            }
        }
    }
    None
}

/// Reports reused push outputs / pull inputs and unused ports.
fn check_completeness(
    slots: &[Slot],
    connections: &[FlatConnection],
    sources: &Sources,
) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    let mut report =
        |s: &Slot, message: String| errors.push(sources.diagnostic(s.location, message));
    for (i, s) in slots.iter().enumerate() {
        for (port, p) in s.outputs.iter().enumerate() {
            let n = connections
                .iter()
                .filter(|c| c.from == i && c.from_port == port)
                .count();
            if n == 0 {
                report(
                    s,
                    format!("'{} :: {}' output {} unused", s.name, s.info.name, port),
                );
            } else if n > 1 && *p == Processing::Push {
                report(
                    s,
                    format!(
                        "illegal reuse of '{} :: {}' push output {}",
                        s.name, s.info.name, port
                    ),
                );
            }
        }
        for (port, p) in s.inputs.iter().enumerate() {
            let n = connections
                .iter()
                .filter(|c| c.to == i && c.to_port == port)
                .count();
            if n == 0 {
                report(
                    s,
                    format!("'{} :: {}' input {} unused", s.name, s.info.name, port),
                );
            } else if n > 1 && *p == Processing::Pull {
                report(
                    s,
                    format!(
                        "illegal reuse of '{} :: {}' pull input {}",
                        s.name, s.info.name, port
                    ),
                );
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::build_router;

    /// A platform without devices whose clock stands still.
    struct QuietPlatform;

    impl Platform for QuietPlatform {
        fn chatter(&mut self, _line: &str) {}
        fn print(&mut self, _line: &str) {}
        fn now(&self) -> crate::packet::Timestamp {
            crate::packet::Timestamp::default()
        }
        fn device(&mut self, _n: usize) -> Option<&mut dyn crate::device::NetDevice> {
            None
        }
    }

    fn build(src: &str) -> Result<Router, Diagnostics> {
        build_router(src, "r.click", &[], &Registry::standard())
    }

    fn messages(src: &str) -> Vec<String> {
        match build(src) {
            Ok(_) => Vec::new(),
            Err(d) => d.0.into_iter().map(|d| alloc::format!("{d}")).collect(),
        }
    }

    #[test]
    fn devices_the_platform_lacks_are_reported_where_they_are_named() {
        let src = "FromDevice(0) -> ToDevice(1);\n  FromDevice(2) -> Discard;\nIdle -> ToDevice(3)";
        let router = build(src).expect("builds without a platform");
        let check = |n: usize| {
            if n < 2 {
                Ok(())
            } else {
                Err(alloc::format!("no device {n}"))
            }
        };
        let m: Vec<String> = match router.check_devices(&check) {
            Ok(()) => Vec::new(),
            Err(d) => d.0.iter().map(|d| alloc::format!("{d}")).collect(),
        };
        assert_eq!(
            m,
            vec![
                "r.click:2:3: While initializing 'FromDevice@3 :: FromDevice': no device 2",
                "r.click:3:9: While initializing 'ToDevice@6 :: ToDevice': no device 3",
            ]
        );
        assert_eq!(router.check_devices(&|_| Ok(())), Ok(()));
    }

    #[test]
    fn push_pull_mismatch_is_reported() {
        let m = messages("Idle -> Queue -> Queue -> Discard");
        assert!(
            m.iter().any(|m| m.ends_with(
                "'Queue@2 :: Queue' pull output 0 connected to 'Queue@3 :: Queue' push input 0"
            )),
            "{m:?}"
        );
    }

    #[test]
    fn unused_and_reused_ports_are_reported_together() {
        let m = messages("s :: InfiniteSource; s -> Discard; s -> Discard; q :: Queue; Idle -> q");
        assert!(
            m.iter()
                .any(|m| m.contains("illegal reuse of 's :: InfiniteSource' push output 0")),
            "{m:?}"
        );
        assert!(
            m.iter().any(|m| m.contains("'q :: Queue' output 0 unused")),
            "{m:?}"
        );
        assert!(m.iter().all(|m| m.starts_with("r.click:")), "{m:?}");
    }

    #[test]
    fn bad_arguments_name_the_keyword() {
        let m = messages("InfiniteSource(LIMIT ten, BOGUS 3) -> Discard");
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("r.click:1:1: While configuring 'InfiniteSource@1 :: InfiniteSource'"),
            "{m:?}"
        );
        assert!(
            m[0].contains("LIMIT: expected integer") && m[0].contains("BOGUS: unknown argument"),
            "{m:?}"
        );
    }

    #[test]
    fn out_of_range_port() {
        let m = messages("Idle -> [1] Discard");
        assert!(
            m.iter()
                .any(|m| m.contains("'Discard@2 :: Discard' has no input 1")),
            "{m:?}"
        );
    }

    #[test]
    fn default_and_element_handlers() {
        let r = build("src :: InfiniteSource(LIMIT 3) -> q :: Queue(5) -> u :: Unqueue(ACTIVE false) -> d :: Discard").unwrap();
        assert_eq!(r.read_handler("q", "class").as_deref(), Ok("Queue"));
        assert_eq!(r.read_handler("q", "config").as_deref(), Ok("5"));
        assert_eq!(r.read_handler("src", "name").as_deref(), Ok("src"));
        let ports = r.read_handler("q", "ports").unwrap();
        assert!(
            ports.starts_with("1 input\npush\tsrc [0]\n1 output\npull\t[0] u\n"),
            "{ports}"
        );
        assert!(r.read_handler("q", "nonesuch").is_err());
        assert!(r.write_handler("q", "config", "x").is_err());
        let mut p = QuietPlatform;
        r.run(&mut p, |_| false);
        assert_eq!(r.read_handler("q", "length").as_deref(), Ok("3"));
        r.write_handler("u", "active", "true").unwrap();
        r.run(&mut p, |_| false);
        assert_eq!(r.read_handler("d", "count").as_deref(), Ok("3"));
        assert_eq!(r.read_handler("q", "length").as_deref(), Ok("0"));
    }

    #[test]
    fn timers_fire_when_due_and_expire_arp_entries() {
        use crate::elements::testing::{arp_request, dump_packet, TestPlatform, SERVER_IP};
        let r = build(
            "Idle -> [0]q :: ARPQuerier(10.10.0.3, 00:15:17:15:5d:75, TIMEOUT 2); \
             Idle -> [1]q; q -> Discard;",
        )
        .unwrap();
        let mut p = TestPlatform {
            now: Timestamp { sec: 100, nsec: 0 },
            ..TestPlatform::default()
        };
        // The first round starts the timer (due after TIMEOUT); nothing is due yet.
        assert!(!r.run_tasks_once(&mut p).worked);
        assert_eq!(r.next_timer(), Some(Timestamp { sec: 102, nsec: 0 }));
        let mut reply = arp_request(SERVER_IP);
        reply[21] = 2;
        let q = r.find("q").unwrap();
        r.push_batch(q, 1, &mut vec![dump_packet(&reply)], &mut p);
        assert!(r.read_handler("q", "table").unwrap().contains("10.10.0.1"));
        p.now = Timestamp { sec: 101, nsec: 0 };
        assert!(!r.run_tasks_once(&mut p).worked);
        // At 103 s the entry (learnt at 100 s, 2 s timeout) has expired: the timer drops it
        // and comes back TIMEOUT later.
        p.now = Timestamp { sec: 103, nsec: 0 };
        assert!(r.run_tasks_once(&mut p).worked);
        assert!(!r.read_handler("q", "table").unwrap().contains("10.10.0.1"));
        assert_eq!(r.next_timer(), Some(Timestamp { sec: 105, nsec: 0 }));
    }
}
