//! DriverManager: a script that decides when the driver stops.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::args::{parse_i64, parse_seconds, split_words, Args};
use crate::class::{ElementClass, Ports};
use crate::element::{ConfigureContext, Element, TaskContext, TaskStatus};
use crate::packet::Timestamp;

/// One DriverManager instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    /// Wait for N stop requests.
    Pause(usize),
    /// Wait this many nanoseconds.
    Wait(u64),
    /// Write `value` to `element.handler`.
    Write(String, String, String),
    /// Print the value of `element.handler` on stdout.
    Print(String, String),
    /// Call `element.handler` and discard the value.
    Read(String, String),
    /// Stop the driver.
    Stop,
}

fn handler_path(s: &str) -> Result<(String, String), String> {
    match s.rsplit_once('.') {
        Some((e, h)) if !e.is_empty() && !h.is_empty() => Ok((e.to_string(), h.to_string())),
        _ => Err(format!("bad handler name '{s}'")),
    }
}

fn parse_step(arg: &str) -> Result<Step, String> {
    let words = split_words(arg);
    let rest = |n: usize| words.get(n..).map(|w| w.join(" ")).unwrap_or_default();
    match words.as_slice() {
        ["pause"] => Ok(Step::Pause(1)),
        ["pause", n] => Ok(Step::Pause(
            usize::try_from(parse_i64(n)?).map_err(|_| "pause: count must be >= 0")?,
        )),
        ["stop"] | ["quit"] => Ok(Step::Stop),
        ["wait", t] | ["wait_time", t] => Ok(Step::Wait(parse_seconds(t)?)),
        ["write", h, ..] => {
            let (e, h) = handler_path(h)?;
            Ok(Step::Write(e, h, rest(2)))
        }
        ["print", h] => {
            let (e, h) = handler_path(h)?;
            Ok(Step::Print(e, h))
        }
        ["read", h] => {
            let (e, h) = handler_path(h)?;
            Ok(Step::Read(e, h))
        }
        _ => Err(format!("unknown instruction '{arg}'")),
    }
}

/// Runs a script of `pause`, `wait`, `write`, `read`, `print` and `stop` instructions; the
/// driver stops when the script ends. With no instructions it waits for one stop request.
#[derive(Default)]
pub struct DriverManager {
    steps: Vec<Step>,
    next: usize,
    pauses_used: usize,
    wait_until: Option<Timestamp>,
}

fn add_nanos(t: Timestamp, ns: u64) -> Timestamp {
    let total = u64::from(t.nsec) + ns % 1_000_000_000;
    Timestamp {
        sec: t.sec + ns / 1_000_000_000 + total / 1_000_000_000,
        nsec: (total % 1_000_000_000) as u32,
    }
}

impl ElementClass for DriverManager {
    const NAME: &'static str = "DriverManager";
    const PORTS: Ports = Ports::parse("0/0");
}

impl Element for DriverManager {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        let mut errors = Vec::new();
        for arg in args.take_rest() {
            match parse_step(&arg) {
                Ok(step) => self.steps.push(step),
                Err(e) => errors.push(e),
            }
        }
        if self.steps.is_empty() {
            self.steps.push(Step::Pause(1));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("\n"))
        }
    }

    fn manages_driver(&self) -> bool {
        true
    }

    fn has_task(&self) -> bool {
        true
    }

    fn run_task(&mut self, ctx: &mut TaskContext<'_>) -> TaskStatus {
        while let Some(step) = self.steps.get(self.next).cloned() {
            match step {
                Step::Pause(n) => {
                    if ctx.router.stop_requests() < self.pauses_used + n {
                        return TaskStatus::Idle;
                    }
                    self.pauses_used += n;
                }
                Step::Wait(ns) => {
                    let now = ctx.push.now();
                    let until = *self.wait_until.get_or_insert(add_nanos(now, ns));
                    if now < until {
                        // Keep the driver busy while the clock runs.
                        return TaskStatus::Worked;
                    }
                    self.wait_until = None;
                }
                Step::Write(e, h, v) => {
                    if let Err(msg) = ctx.router.write_handler(&e, &h, &v) {
                        ctx.push.chatter(format_args!("DriverManager: {msg}"));
                    }
                }
                Step::Print(e, h) => match ctx.router.read_handler(&e, &h) {
                    Ok(v) => ctx.push.platform().print(&v),
                    Err(msg) => ctx.push.chatter(format_args!("DriverManager: {msg}")),
                },
                Step::Read(e, h) => {
                    if let Err(msg) = ctx.router.read_handler(&e, &h) {
                        ctx.push.chatter(format_args!("DriverManager: {msg}"));
                    }
                }
                Step::Stop => break,
            }
            self.next += 1;
        }
        ctx.router.stop_now();
        TaskStatus::Done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_instructions() {
        assert_eq!(parse_step("pause"), Ok(Step::Pause(1)));
        assert_eq!(parse_step("wait 0.2s"), Ok(Step::Wait(200_000_000)));
        assert_eq!(
            parse_step("write uq.active true"),
            Ok(Step::Write("uq".into(), "active".into(), "true".into()))
        );
        assert_eq!(
            parse_step("print q.drops"),
            Ok(Step::Print("q".into(), "drops".into()))
        );
        assert!(parse_step("dance").is_err());
        assert!(parse_step("print nodot").is_err());
    }
}
