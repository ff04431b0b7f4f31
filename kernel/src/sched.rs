//! Cooperative, run-to-completion scheduler.
//!
//! A task is a state machine: each call to [`Task::run`] does a bounded piece of work and says
//! what it waits for next (nothing, a point in time, or an event channel). When no task is due
//! the scheduler asks the [`Platform`] to block until the earliest deadline or an event, so an
//! idle guest costs no CPU: on Xen this is a one-shot timer plus `SCHEDOP_poll`.

use alloc::boxed::Box;
use alloc::vec::Vec;

/// Nanoseconds of the platform clock (Xen system time on the guest).
pub type Nanos = u64;
/// An event channel port.
pub type Port = u32;

/// What a task waits for after a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// Nothing: run again in the next round.
    Yield,
    /// Run again once the clock reaches this time.
    Until(Nanos),
    /// Run again once this event channel has fired.
    Event(Port),
    /// Run again once any of these event channels has fired or the deadline (if any) passed.
    Any(PortSet, Option<Nanos>),
    /// The task is finished and is dropped.
    Done,
}

/// Up to [`PortSet::CAPACITY`] event channels a task waits on together.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortSet {
    ports: [Port; PortSet::CAPACITY],
    len: u8,
}

impl PortSet {
    /// The most ports a set holds.
    pub const CAPACITY: usize = 8;

    /// Adds `port`; returns false (and leaves the set unchanged) when it is full.
    pub fn insert(&mut self, port: Port) -> bool {
        if self.ports().contains(&port) {
            return true;
        }
        let Some(slot) = self.ports.get_mut(self.len as usize) else {
            return false;
        };
        *slot = port;
        self.len += 1;
        true
    }

    /// The ports.
    pub fn ports(&self) -> &[Port] {
        &self.ports[..self.len as usize]
    }
}

/// A unit of cooperative work.
pub trait Task {
    /// A short name for diagnostics.
    fn name(&self) -> &'static str;
    /// Does some work at time `now` and says what to wait for next.
    fn run(&mut self, now: Nanos) -> Wait;
}

/// What the scheduler needs from the machine.
pub trait Platform {
    /// The current time.
    fn now(&self) -> Nanos;
    /// Blocks until `deadline` (if any) has passed or one of `ports` is pending. May return
    /// early; the scheduler re-checks.
    fn block(&mut self, deadline: Option<Nanos>, ports: &[Port]);
    /// Clears `port`'s pending flag, returning whether it was set.
    fn take_event(&mut self, port: Port) -> bool;
}

struct Slot {
    seq: u64,
    wait: Wait,
    task: Box<dyn Task>,
}

/// Counters of a scheduler's activity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Task runs.
    pub runs: u64,
    /// Times the scheduler blocked the domain because nothing was due.
    pub blocks: u64,
}

/// The run queue.
#[derive(Default)]
pub struct Scheduler {
    slots: Vec<Slot>,
    next_seq: u64,
    stats: Stats,
}

impl Scheduler {
    /// An empty scheduler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a task; it runs in the next round.
    pub fn spawn(&mut self, task: Box<dyn Task>) {
        self.slots.push(Slot {
            seq: self.next_seq,
            wait: Wait::Yield,
            task,
        });
        self.next_seq += 1;
    }

    /// Number of live tasks.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no task is left.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Activity counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Runs tasks until all of them are done, blocking on `platform` whenever none is due.
    pub fn run<P: Platform>(&mut self, platform: &mut P) {
        while !self.slots.is_empty() {
            if !self.run_due(platform) {
                self.block(platform);
            }
        }
    }

    /// Runs every task that is due once: first the ones that yielded or whose event fired,
    /// in spawn order, then the ones whose deadline passed, earliest deadline first.
    /// Returns whether any task ran.
    pub fn run_due<P: Platform>(&mut self, platform: &mut P) -> bool {
        let now = platform.now();
        let mut due: Vec<(Nanos, u64)> = Vec::new();
        for slot in &self.slots {
            let key = match slot.wait {
                Wait::Yield => Some(0),
                Wait::Event(port) if platform.take_event(port) => Some(0),
                Wait::Until(t) if t <= now => Some(t),
                Wait::Any(ports, deadline) => {
                    // Take every pending port of the set (the task looks at all of them).
                    let mut fired = false;
                    for &p in ports.ports() {
                        fired |= platform.take_event(p);
                    }
                    if fired || deadline.is_some_and(|t| t <= now) {
                        Some(0)
                    } else {
                        None
                    }
                }
                _ => None,
            };
            if let Some(key) = key {
                due.push((key, slot.seq));
            }
        }
        due.sort_unstable();
        for &(_, seq) in &due {
            if let Some(slot) = self.slots.iter_mut().find(|s| s.seq == seq) {
                slot.wait = slot.task.run(platform.now());
                self.stats.runs += 1;
            }
        }
        self.slots.retain(|s| s.wait != Wait::Done);
        !due.is_empty()
    }

    /// Blocks until the earliest deadline or any awaited event.
    fn block<P: Platform>(&mut self, platform: &mut P) {
        let deadline = self
            .slots
            .iter()
            .filter_map(|s| match s.wait {
                Wait::Until(t) | Wait::Any(_, Some(t)) => Some(t),
                _ => None,
            })
            .min();
        let mut ports: Vec<Port> = Vec::new();
        for s in &self.slots {
            match s.wait {
                Wait::Event(p) => ports.push(p),
                Wait::Any(set, _) => ports.extend_from_slice(set.ports()),
                _ => {}
            }
        }
        self.stats.blocks += 1;
        platform.block(deadline, &ports);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use alloc::rc::Rc;
    use core::cell::RefCell;

    /// A fake machine: blocking jumps the clock to the deadline, or fires `event_at`.
    #[derive(Default)]
    pub(crate) struct FakePlatform {
        pub now: Nanos,
        pub pending: Vec<Port>,
        pub blocks: Vec<(Option<Nanos>, Vec<Port>)>,
        pub event_at: Option<(Nanos, Port)>,
    }

    impl Platform for FakePlatform {
        fn now(&self) -> Nanos {
            self.now
        }
        fn block(&mut self, deadline: Option<Nanos>, ports: &[Port]) {
            self.blocks.push((deadline, ports.to_vec()));
            match (self.event_at, deadline) {
                (Some((t, p)), d) if d.is_none_or(|d| t < d) => {
                    self.now = self.now.max(t);
                    self.pending.push(p);
                    self.event_at = None;
                }
                (_, Some(d)) => self.now = self.now.max(d),
                (_, None) => panic!("blocked forever"),
            }
        }
        fn take_event(&mut self, port: Port) -> bool {
            let before = self.pending.len();
            self.pending.retain(|&p| p != port);
            before != self.pending.len()
        }
    }

    struct Counter {
        left: u32,
        log: Rc<RefCell<Vec<&'static str>>>,
    }

    impl Task for Counter {
        fn name(&self) -> &'static str {
            "counter"
        }
        fn run(&mut self, _now: Nanos) -> Wait {
            self.log.borrow_mut().push("count");
            self.left -= 1;
            if self.left == 0 {
                Wait::Done
            } else {
                Wait::Yield
            }
        }
    }

    struct EventWaiter {
        port: Port,
        armed: bool,
        log: Rc<RefCell<Vec<&'static str>>>,
    }

    impl Task for EventWaiter {
        fn name(&self) -> &'static str {
            "event"
        }
        fn run(&mut self, _now: Nanos) -> Wait {
            if self.armed {
                self.log.borrow_mut().push("event");
                Wait::Done
            } else {
                self.armed = true;
                Wait::Event(self.port)
            }
        }
    }

    struct AnyWaiter {
        runs: u32,
        log: Rc<RefCell<Vec<&'static str>>>,
    }

    impl Task for AnyWaiter {
        fn name(&self) -> &'static str {
            "any"
        }
        fn run(&mut self, now: Nanos) -> Wait {
            self.runs += 1;
            match self.runs {
                1 => {
                    let mut set = PortSet::default();
                    assert!(set.insert(3) && set.insert(9) && set.insert(9));
                    assert_eq!(set.ports(), &[3, 9]);
                    Wait::Any(set, Some(now + 1_000))
                }
                2 => {
                    self.log.borrow_mut().push("woke");
                    Wait::Any(PortSet::default(), Some(now + 50))
                }
                _ => Wait::Done,
            }
        }
    }

    #[test]
    fn any_waits_on_several_ports_and_a_deadline() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut s = Scheduler::new();
        s.spawn(Box::new(AnyWaiter {
            runs: 0,
            log: log.clone(),
        }));
        let mut p = FakePlatform {
            event_at: Some((200, 9)),
            ..FakePlatform::default()
        };
        s.run(&mut p);
        assert_eq!(
            p.blocks,
            vec![(Some(1_000), vec![3, 9]), (Some(250), vec![])]
        );
        assert_eq!(*log.borrow(), vec!["woke"]);
        assert_eq!(p.now, 250);
        let mut full = PortSet::default();
        for port in 0..PortSet::CAPACITY as u32 {
            assert!(full.insert(port));
        }
        assert!(!full.insert(99));
    }

    #[test]
    fn yielding_tasks_never_block() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut s = Scheduler::new();
        s.spawn(Box::new(Counter {
            left: 3,
            log: log.clone(),
        }));
        let mut p = FakePlatform::default();
        s.run(&mut p);
        assert_eq!(log.borrow().len(), 3);
        assert!(p.blocks.is_empty());
        assert_eq!(s.stats(), Stats { runs: 3, blocks: 0 });
        assert!(s.is_empty());
    }

    #[test]
    fn blocks_on_events_and_wakes_the_waiter() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut s = Scheduler::new();
        s.spawn(Box::new(EventWaiter {
            port: 7,
            armed: false,
            log: log.clone(),
        }));
        let mut p = FakePlatform {
            event_at: Some((500, 7)),
            ..FakePlatform::default()
        };
        s.run(&mut p);
        assert_eq!(p.blocks, vec![(None, vec![7])]);
        assert_eq!(*log.borrow(), vec!["event"]);
        assert_eq!(s.len(), 0);
    }
}
