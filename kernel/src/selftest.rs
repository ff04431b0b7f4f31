//! Self-tests the guest runs at boot, selected on its command line (see [`crate::cmdline`]).
//! They are platform-independent and also run on the host against a fake clock.

use crate::sched::{Nanos, Platform, Scheduler, Task, Wait};
use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

/// Nanoseconds in a millisecond.
pub const MS: Nanos = 1_000_000;
/// Nanoseconds in a second.
pub const SECOND: Nanos = 1_000_000_000;

/// One wake-up recorded by the scheduler self-test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wakeup {
    /// The sleeper's name.
    pub name: &'static str,
    /// How long it asked to sleep.
    pub asked: Nanos,
    /// How long it actually slept.
    pub slept: Nanos,
}

/// Outcome of the scheduler self-test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchedReport {
    /// Wake-ups in the order they happened.
    pub wakeups: Vec<Wakeup>,
    /// How many times the scheduler blocked the domain.
    pub blocks: u64,
}

/// Why the scheduler self-test failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SchedError {
    /// The sleepers woke in another order than their deadlines.
    Order(SchedReport),
    /// A sleeper woke before its deadline.
    Early(Wakeup),
    /// The scheduler never blocked: it must have spun.
    NeverBlocked,
}

struct Sleeper {
    name: &'static str,
    delay: Nanos,
    start: Option<Nanos>,
    log: Rc<RefCell<Vec<Wakeup>>>,
}

impl Task for Sleeper {
    fn name(&self) -> &'static str {
        self.name
    }

    fn run(&mut self, now: Nanos) -> Wait {
        match self.start {
            None => {
                self.start = Some(now);
                Wait::Until(now + self.delay)
            }
            Some(start) => {
                self.log.borrow_mut().push(Wakeup {
                    name: self.name,
                    asked: self.delay,
                    slept: now - start,
                });
                Wait::Done
            }
        }
    }
}

/// Three tasks sleep 30, 10 and 20 ms on the timer (spawned in that order); they must wake
/// shortest first, none early, and the scheduler must block while they sleep.
pub fn sched_selftest<P: Platform>(platform: &mut P) -> Result<SchedReport, SchedError> {
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut sched = Scheduler::new();
    for (name, ms) in [("sleep30", 30), ("sleep10", 10), ("sleep20", 20)] {
        sched.spawn(Box::new(Sleeper {
            name,
            delay: ms * MS,
            start: None,
            log: log.clone(),
        }));
    }
    sched.run(platform);
    let report = SchedReport {
        wakeups: log.borrow().clone(),
        blocks: sched.stats().blocks,
    };
    if let Some(early) = report.wakeups.iter().find(|w| w.slept < w.asked) {
        return Err(SchedError::Early(*early));
    }
    let names: Vec<&str> = report.wakeups.iter().map(|w| w.name).collect();
    if names != ["sleep10", "sleep20", "sleep30"] {
        return Err(SchedError::Order(report));
    }
    if report.blocks == 0 {
        return Err(SchedError::NeverBlocked);
    }
    Ok(report)
}

/// A task that wakes once per `period`, `ticks` times, calling `on_tick` with the tick number.
pub struct Ticker<F: FnMut(u32)> {
    period: Nanos,
    ticks: u32,
    done: u32,
    next: Option<Nanos>,
    on_tick: F,
}

impl<F: FnMut(u32)> Ticker<F> {
    /// A ticker of `ticks` wake-ups, `period` apart.
    pub fn new(period: Nanos, ticks: u32, on_tick: F) -> Self {
        Ticker {
            period,
            ticks,
            done: 0,
            next: None,
            on_tick,
        }
    }
}

impl<F: FnMut(u32)> Task for Ticker<F> {
    fn name(&self) -> &'static str {
        "ticker"
    }

    fn run(&mut self, now: Nanos) -> Wait {
        if self.next.is_some() {
            self.done += 1;
            (self.on_tick)(self.done);
        }
        if self.done >= self.ticks {
            return Wait::Done;
        }
        // Fixed-rate: the next deadline follows the previous one, not the late wake-up.
        let next = self
            .next
            .map_or(now, |t| t.max(now.saturating_sub(self.period)))
            + self.period;
        self.next = Some(next);
        Wait::Until(next)
    }
}

/// Sleeps `secs` seconds in one-second ticks, calling `on_tick` each second. Returns the
/// number of times the scheduler blocked (one per tick when the platform really blocks).
pub fn idle<P: Platform>(platform: &mut P, secs: u32, on_tick: impl FnMut(u32) + 'static) -> u64 {
    let mut sched = Scheduler::new();
    sched.spawn(Box::new(Ticker::new(SECOND, secs, on_tick)));
    sched.run(platform);
    sched.stats().blocks
}

/// Recurses with a 1 KiB frame until the stack runs out (the guard page under it must stop
/// this with a fault); returns only if the recursion bottomed out, which it never should.
#[inline(never)]
pub fn overflow_stack(depth: u64) -> u64 {
    let frame = core::hint::black_box([depth as u8; 1024]);
    if depth == u64::MAX {
        return depth;
    }
    let below = overflow_stack(depth + 1);
    core::hint::black_box(below + u64::from(frame[0]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::tests::FakePlatform;

    #[test]
    fn sleepers_wake_in_deadline_order() {
        let mut p = FakePlatform {
            now: 1_000,
            ..FakePlatform::default()
        };
        let r = sched_selftest(&mut p).unwrap();
        assert_eq!(r.wakeups.len(), 3);
        assert_eq!(r.wakeups[0].slept, 10 * MS);
        assert_eq!(r.blocks, 3);
        assert_eq!(
            p.blocks.iter().map(|b| b.0).collect::<Vec<_>>(),
            vec![
                Some(1_000 + 10 * MS),
                Some(1_000 + 20 * MS),
                Some(1_000 + 30 * MS)
            ]
        );
    }

    #[test]
    fn idle_blocks_once_per_tick() {
        let ticks = Rc::new(RefCell::new(Vec::new()));
        let seen = ticks.clone();
        let mut p = FakePlatform::default();
        let blocks = idle(&mut p, 3, move |n| seen.borrow_mut().push(n));
        assert_eq!(blocks, 3);
        assert_eq!(*ticks.borrow(), vec![1, 2, 3]);
        assert_eq!(p.now, 3 * SECOND);
    }
}
