//! Fuzzes the ClickOS control protocol (`clickos_kernel::control`) with arbitrary key writes
//! through an in-memory XenStore: configuration chunks (pieces of valid configurations and
//! arbitrary text), status values, read and write handler requests, arbitrary paths and
//! values, removed keys, failing reads and writes, and a clock that may jump back. Every
//! write fires the watch event the guest then handles, as under xenstored.
//!
//! Checked: no panic; an outcome agrees with the routers afterwards (a load runs the router,
//! a halt stops it, a rejected configuration keeps the one that ran) and generations count
//! loads one by one.
#![no_main]

use std::collections::BTreeMap;

use click_elements::device::NetDevice;
use click_elements::element::Platform;
use click_elements::packet::Timestamp;
use std::cell::Cell;

use click_elements::Limits;
use clickos_kernel::control::{Control, KeyStore, LoadHost, Outcome, Routers, ROOT};
use clickos_kernel::xenstore::wire::{EAGAIN, ENOENT};
use clickos_kernel::xenstore::XsError;
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

/// Keys by path; every successful write fires a watch event. Reads and writes fail when the
/// script says so.
#[derive(Default)]
struct Keys {
    keys: BTreeMap<String, String>,
    fired: Vec<String>,
    fail_reads: u8,
    fail_writes: u8,
}

impl KeyStore for Keys {
    fn read(&mut self, path: &str) -> std::result::Result<String, XsError> {
        if self.fail_reads > 0 {
            self.fail_reads -= 1;
            return Err(if self.fail_reads % 2 == 0 {
                XsError::Errno(EAGAIN)
            } else {
                XsError::Timeout
            });
        }
        self.keys.get(path).cloned().ok_or(XsError::Errno(ENOENT))
    }

    fn write(&mut self, path: &str, value: &str) -> std::result::Result<(), XsError> {
        if self.fail_writes > 0 {
            self.fail_writes -= 1;
            return Err(XsError::Errno(EAGAIN));
        }
        self.keys.insert(path.to_string(), value.to_string());
        self.fired.push(path.to_string());
        Ok(())
    }
}

/// The guest as a load sees it: a clock the script moves (and which ticks at every look),
/// a heap of a scripted size, and a round for the running routers when the build pauses.
struct Host {
    clock: Cell<u64>,
    tick: u64,
    free: usize,
}

impl LoadHost for Host {
    fn now(&self) -> u64 {
        let t = self.clock.get();
        self.clock.set(t.saturating_add(self.tick));
        t
    }

    fn heap(&self) -> (usize, usize) {
        (1 << 20, self.free)
    }

    fn forward(&mut self, routers: &Routers) {
        for router in routers.values() {
            router.run_tasks_once(&mut Quiet);
        }
    }
}

/// No devices, no output.
struct Quiet;

impl Platform for Quiet {
    fn chatter(&mut self, _line: &str) {}
    fn print(&mut self, _line: &str) {}
    fn now(&self) -> Timestamp {
        Timestamp { sec: 1, nsec: 0 }
    }
    fn device(&mut self, _n: usize) -> Option<&mut dyn NetDevice> {
        None
    }
}

const CONFIGS: &[&str] = &[
    "FromDevice(0) -> c :: Counter -> EtherMirror -> ToDevice(0);",
    "Idle -> x :: Counter -> Discard;",
    "s :: InfiniteSource(LIMIT 3) -> q :: Queue(4) -> u :: Unqueue -> c :: Counter -> Discard;",
    "FromDevice(0) -> cl :: Classifier(12/0806, 12/0800, -);\
     cl[0] -> ARPResponder(10.0.0.2 00:16:3e:00:00:01) -> ToDevice(0);\
     cl[1] -> Strip(14) -> CheckIPHeader -> ICMPPingResponder -> Unstrip(14) -> EtherMirror -> ToDevice(0);\
     cl[2] -> Discard;",
    "elementclass P { $x | input -> Counter -> output } Idle -> P(1) -> Discard;",
    "Idle -> Bogus -> Discard;",
    "Idle -> t :: Tee(2); t[0] -> Discard; t[1] -> Print(x) -> Discard;",
];

const ELEMENTS: &[&str] = &["c", "x", "q", "u", "cl", "s", "t", "nope", "P@1/x", ""];
const HANDLERS: &[&str] = &[
    "count",
    "reset",
    "class",
    "config",
    "length",
    "highwater_length",
    "drops",
    "name",
    "ports",
    "handlers",
    "rate",
    "",
];

struct Run<'a> {
    u: Unstructured<'a>,
    keys: Keys,
    control: Control,
    host: Host,
    generations: BTreeMap<u32, u64>,
}

impl Run<'_> {
    fn rid(&mut self) -> Result<u32> {
        Ok(if self.u.ratio(1, 8)? {
            self.u.arbitrary()?
        } else {
            self.u.int_in_range(0..=2)?
        })
    }

    fn word(&mut self, from: &[&'static str]) -> Result<String> {
        Ok(if self.u.ratio(1, 8)? {
            self.u.arbitrary::<&str>()?.to_string()
        } else {
            self.u.choose(from)?.to_string()
        })
    }

    fn value(&mut self) -> Result<String> {
        Ok(match self.u.int_in_range(0..=4u8)? {
            0 => "Running".to_string(),
            1 => "Halted".to_string(),
            2 => "".to_string(),
            3 => self
                .u
                .choose(&["Error", "Running\0", "5", "true", "-1"])?
                .to_string(),
            _ => self.u.arbitrary::<&str>()?.to_string(),
        })
    }

    /// One write (or removal) by a tool, as a path and value.
    fn tool_write(&mut self) -> Result<()> {
        let rid = self.rid()?;
        let base = format!("{ROOT}/{rid}");
        match self.u.int_in_range(0..=6u8)? {
            // A whole configuration in chunks, then Running.
            0 => {
                let text = if self.u.ratio(1, 4)? {
                    self.u.arbitrary::<&str>()?.to_string()
                } else {
                    self.u.choose(CONFIGS)?.to_string()
                };
                let size = self.u.int_in_range(1..=64usize)?;
                self.keys
                    .keys
                    .retain(|k, _| !k.starts_with(&format!("{base}/config/")));
                let chars: Vec<char> = text.chars().collect();
                for (i, chunk) in chars.chunks(size).enumerate() {
                    let chunk: String = chunk.iter().collect();
                    let _ = self.keys.write(&format!("{base}/config/{i}"), &chunk);
                }
                let _ = self.keys.write(&format!("{base}/status"), "Running");
            }
            // One chunk, anywhere.
            1 => {
                let i = self.u.int_in_range(0..=4u8)?;
                let v = self.value()?;
                let _ = self.keys.write(&format!("{base}/config/{i}"), &v);
            }
            2 => {
                let v = self.value()?;
                let _ = self.keys.write(&format!("{base}/status"), &v);
            }
            3 => {
                let (e, h) = (self.word(ELEMENTS)?, self.word(HANDLERS)?);
                let _ = self.keys.write(&format!("{base}/control/read/{e}/{h}"), "");
            }
            4 => {
                let (e, h) = (self.word(ELEMENTS)?, self.word(HANDLERS)?);
                let v = self.value()?;
                let _ = self.keys.write(&format!("{base}/elements/{e}/{h}"), &v);
            }
            // A removed key: its event fires, the key is gone.
            5 => {
                if !self.keys.keys.is_empty() {
                    let path = self.u.choose_iter(self.keys.keys.keys())?.clone();
                    self.keys.keys.remove(&path);
                    self.keys.fired.push(path);
                }
            }
            // Anything at all.
            _ => {
                let path = self.u.arbitrary::<&str>()?.to_string();
                let v = self.value()?;
                let _ = self.keys.write(&path, &v);
            }
        }
        Ok(())
    }

    fn handle_events(&mut self) -> Result<()> {
        let mut handled = 0;
        while !self.keys.fired.is_empty() && handled < 64 {
            handled += 1;
            let path = self.keys.fired.remove(0);
            self.keys.fail_reads = if self.u.ratio(1, 16)? { 1 } else { 0 };
            self.keys.fail_writes = if self.u.ratio(1, 16)? { 2 } else { 0 };
            let step: i32 = self.u.int_in_range(-1000..=1_000_000)?;
            let clock = self.host.clock.get().saturating_add_signed(i64::from(step));
            self.host.clock.set(clock);
            self.host.tick = self.u.int_in_range(0..=2_000_000)?;
            self.host.free = if self.u.ratio(1, 16)? {
                self.u.int_in_range(0..=1 << 16)?
            } else {
                4 << 20
            };
            let running_before: Vec<u32> = self.control.routers().map(|(r, _)| r).collect();
            let outcome = self.control.handle(&path, &mut self.keys, &mut self.host);
            let running: Vec<u32> = self.control.routers().map(|(r, _)| r).collect();
            match outcome {
                Outcome::Loaded {
                    rid, generation, ..
                } => {
                    let g = self.generations.entry(rid).or_insert(0);
                    *g += 1;
                    assert_eq!(generation, *g);
                    assert!(running.contains(&rid));
                }
                Outcome::Failed { rid, error } => {
                    assert!(!error.is_empty());
                    assert_eq!(running, running_before, "router {rid} changed on failure");
                }
                Outcome::Halted(rid) => assert!(!running.contains(&rid)),
                Outcome::Read(_) | Outcome::Written(_) | Outcome::Ignored => {
                    assert_eq!(running, running_before);
                }
            }
            if self.u.ratio(1, 4)? {
                self.control.run_once(&mut Quiet);
            }
        }
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let mut run = Run {
        u: Unstructured::new(data),
        keys: Keys::default(),
        control: Control::new(Limits::for_heap(4 << 20)),
        host: Host {
            clock: Cell::new(0),
            tick: 1000,
            free: 4 << 20,
        },
        generations: BTreeMap::new(),
    };
    for _ in 0..32 {
        if run.u.is_empty() || run.tool_write().is_err() || run.handle_events().is_err() {
            break;
        }
    }
});
