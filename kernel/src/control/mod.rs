//! The ClickOS control protocol: routers configured, started, stopped and inspected through
//! XenStore, under `data/clickos` of the guest's domain.
//!
//! Tools (clickctl, cosmos) write a router's configuration in chunks to
//! `data/clickos/<rid>/config/<i>` and then `data/clickos/<rid>/status = Running` (or `Halted`
//! to stop it). A read handler is asked for by writing `control/read/<element>/<handler>` and
//! answered under `elements/<element>/<handler>`; a write to `elements/<element>/<handler>`
//! calls the write handler. Beyond ClickOS, the guest reports back: a configuration that does
//! not load sets `status = Error` and `error` to its diagnostics while the running router keeps
//! running; a successful load bumps `generation` and records `swap_us`; handler failures go to
//! `control/error/<element>/<handler>` and completed writes to `control/written/...`.
//!
//! The logic runs against [`KeyStore`], so host tests drive it with an in-memory store.

use crate::net::VifSet;
use crate::xenstore::{Client, Transport, XsError};
use alloc::collections::{BTreeMap, VecDeque};
use alloc::format;
use alloc::string::{String, ToString};
use click_elements::element::Platform;
use click_elements::lang::NoLibraries;
use click_elements::{build_router_monitored, BuildMonitor, Diagnostics, Limits, Registry, Router};
use log::{info, warn};

#[cfg(test)]
mod tests;

use clickos_protocol::clickos::{Key, ERROR, HALTED, RUNNING};
pub use clickos_protocol::clickos::{Request, LEGACY_ROOT, READY, ROOT};

/// Keys the guest itself writes and remembers, to tell their watch echo from a tool's write.
const ECHOES_KEPT: usize = 64;
/// Heap kept out of a build's budget: what the data path and the protocol need meanwhile.
const HEAP_RESERVE: usize = 64 << 10;
/// While a configuration loads, the running routers get a round at least this often.
const FORWARD_EVERY_NS: u64 = 200_000;

/// The running routers, by id.
pub type Routers = BTreeMap<u32, Router>;

/// Runs one round of every router's tasks on `platform`; returns whether any did work.
pub fn run_round(routers: &Routers, platform: &mut dyn Platform) -> bool {
    let mut worked = false;
    for router in routers.values() {
        worked |= router.run_tasks_once(platform).worked;
    }
    worked
}

/// What the guest lends the protocol while a configuration loads: its clock, its heap
/// figures, and a round of forwarding so that traffic keeps flowing meanwhile.
pub trait LoadHost {
    /// The guest clock, in nanoseconds.
    fn now(&self) -> u64;
    /// Bytes of heap in use and free.
    fn heap(&self) -> (usize, usize);
    /// Runs one round of `routers` (the ones that keep running while the new one is built).
    fn forward(&mut self, routers: &Routers);
}

/// A load in progress: holds the build to the heap it may use (half of what is free beyond a
/// reserve, so that even a vector doubling at the last safe point fits) and gives the
/// running routers a round whenever the build has held them up for long enough.
struct Loading<'a> {
    host: &'a mut dyn LoadHost,
    routers: &'a Routers,
    start: u64,
    heap_at_start: usize,
    budget: usize,
    last_forward: u64,
    longest_pause: u64,
}

impl<'a> Loading<'a> {
    fn new(host: &'a mut dyn LoadHost, routers: &'a Routers) -> Loading<'a> {
        let (used, free) = host.heap();
        let now = host.now();
        Loading {
            host,
            routers,
            start: now,
            heap_at_start: used,
            budget: free.saturating_sub(HEAP_RESERVE) / 2,
            last_forward: now,
            longest_pause: 0,
        }
    }

    /// The budget check and, when due, a round of forwarding.
    fn step(&mut self) -> Result<(), String> {
        let (used, _) = self.host.heap();
        if used.saturating_sub(self.heap_at_start) > self.budget {
            return Err(format!(
                "configuration needs more than {} KiB, the memory this guest can spare",
                self.budget / 1024
            ));
        }
        let now = self.host.now();
        if now.saturating_sub(self.last_forward) >= FORWARD_EVERY_NS {
            self.longest_pause = self.longest_pause.max(now - self.last_forward);
            self.host.forward(self.routers);
            self.last_forward = self.host.now();
        }
        Ok(())
    }

    /// The longest time the running routers waited, up to now.
    fn finish(&mut self) -> (u64, u64) {
        let now = self.host.now();
        let pause = self
            .longest_pause
            .max(now.saturating_sub(self.last_forward));
        (now.saturating_sub(self.start), pause)
    }
}

impl BuildMonitor for Loading<'_> {
    fn checkpoint(&mut self) -> Result<(), String> {
        self.step()
    }
}

/// The few XenStore operations the protocol needs, on paths relative to the domain's home.
pub trait KeyStore {
    /// Reads `path`.
    fn read(&mut self, path: &str) -> Result<String, XsError>;
    /// Writes `value` at `path`.
    fn write(&mut self, path: &str, value: &str) -> Result<(), XsError>;
}

impl<T: Transport> KeyStore for Client<T> {
    fn read(&mut self, path: &str) -> Result<String, XsError> {
        Client::read(self, 0, path)
    }

    fn write(&mut self, path: &str, value: &str) -> Result<(), XsError> {
        Client::write(self, 0, path, value)
    }
}

/// What handling a request did, for the console and for tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A configuration was loaded and now runs as router `rid` (replacing any other).
    Loaded {
        /// The router id.
        rid: u32,
        /// Successful loads of this router so far.
        generation: u64,
        /// Nanoseconds from the request to the new router running.
        swap_ns: u64,
        /// The longest the running routers went without a round meanwhile, in nanoseconds.
        pause_ns: u64,
    },
    /// A configuration did not load; the router that was running (if any) still runs.
    Failed {
        /// The router id.
        rid: u32,
        /// The diagnostics, one per line.
        error: String,
    },
    /// Router `rid` was stopped.
    Halted(u32),
    /// A read handler was answered (or its failure reported).
    Read(Result<String, String>),
    /// A write handler was called (or its failure reported).
    Written(Result<(), String>),
    /// Nothing to do: an echo of the guest's own write, a removed key, another status value.
    Ignored,
}

/// The routers of the guest and the protocol state.
pub struct Control {
    registry: Registry,
    limits: Limits,
    routers: Routers,
    generations: BTreeMap<u32, u64>,
    /// `(path, value)` the guest wrote under `elements/`, whose watch events are echoes.
    echoes: VecDeque<(String, String)>,
    /// The vifs a configuration may name; `None`: devices are not checked.
    vifs: Option<VifSet>,
}

impl Control {
    /// No routers yet; the element classes of the image ([`crate::image::registry`]);
    /// configurations within `limits`.
    pub fn new(limits: Limits) -> Self {
        Control::with_registry(limits, crate::image::registry())
    }

    /// [`Control::new`] with the element classes of `registry`.
    pub fn with_registry(limits: Limits, registry: Registry) -> Self {
        Control {
            registry,
            limits,
            routers: BTreeMap::new(),
            generations: BTreeMap::new(),
            echoes: VecDeque::new(),
            vifs: None,
        }
    }

    /// From now on, refuses every configuration whose `FromDevice`/`ToDevice` names a vif
    /// that is not in `vifs` as connected (with the element's `file:line:col`).
    pub fn set_vifs(&mut self, vifs: VifSet) {
        self.vifs = Some(vifs);
    }

    /// Builds a router from `text` within the limits, watched by `monitor`, and checks the
    /// devices it names.
    fn build(
        &self,
        text: &str,
        file: &str,
        monitor: &mut dyn BuildMonitor,
    ) -> Result<Router, Diagnostics> {
        // The guest has no files: `require(library ...)` is refused where it is written.
        let router = build_router_monitored(
            text,
            file,
            &[],
            &self.registry,
            &self.limits,
            monitor,
            &mut NoLibraries,
        )?;
        if let Some(vifs) = &self.vifs {
            router.check_devices(&|n| vifs.check(n))?;
        }
        Ok(router)
    }

    /// Installs router `rid` from `text` (a boot-time configuration; `file` names it in
    /// diagnostics), replacing any router of that id.
    pub fn install(
        &mut self,
        rid: u32,
        text: &str,
        file: &str,
        host: &mut dyn LoadHost,
    ) -> Result<u64, Diagnostics> {
        let mut loading = Loading::new(host, &self.routers);
        let router = self.build(text, file, &mut loading)?;
        self.routers.insert(rid, router);
        let generation = self.generations.entry(rid).or_insert(0);
        *generation += 1;
        Ok(*generation)
    }

    /// The running routers by id.
    pub fn routers(&self) -> impl Iterator<Item = (u32, &Router)> {
        self.routers.iter().map(|(rid, r)| (*rid, r))
    }

    /// Runs one round of every router's tasks; returns whether any did work.
    pub fn run_once(&self, platform: &mut dyn Platform) -> bool {
        run_round(&self.routers, platform)
    }

    /// Stops every router.
    pub fn stop_all(&mut self) {
        self.routers.clear();
    }

    /// Handles the watch event for `path`; `host` lends its clock, heap figures and
    /// forwarding while a configuration loads.
    pub fn handle(
        &mut self,
        path: &str,
        store: &mut dyn KeyStore,
        host: &mut dyn LoadHost,
    ) -> Outcome {
        match Request::parse(path) {
            Some((root, Request::Status(rid))) => self.status_changed(root, rid, store, host),
            Some((root, Request::Read(rid, element, handler))) => {
                self.read_requested(root, rid, element, handler, store)
            }
            Some((root, Request::Write(rid, element, handler))) => {
                self.write_requested(root, rid, element, handler, store)
            }
            None => Outcome::Ignored,
        }
    }

    fn status_changed(
        &mut self,
        root: &str,
        rid: u32,
        store: &mut dyn KeyStore,
        host: &mut dyn LoadHost,
    ) -> Outcome {
        let status = match store.read(&Key::Status.path(root, rid)) {
            Ok(s) => s,
            Err(_) => return Outcome::Ignored,
        };
        match status.trim_end_matches('\0') {
            RUNNING => {}
            HALTED => {
                let was_running = self.routers.remove(&rid).is_some();
                info!(
                    "control: router {rid} halted{}",
                    if was_running {
                        ""
                    } else {
                        " (was not running)"
                    }
                );
                return Outcome::Halted(rid);
            }
            _ => return Outcome::Ignored,
        }
        let file = Key::Config.path(root, rid);
        // The running routers keep forwarding while the new one is read and built.
        let mut loading = Loading::new(host, &self.routers);
        let loaded = read_chunks(store, root, rid, self.limits.config_bytes, &mut loading)
            .and_then(|text| {
                self.build(&text, &file, &mut loading)
                    .map_err(|d| d.to_string())
            });
        let (swap_ns, pause_ns) = loading.finish();
        match loaded {
            Ok(router) => {
                // Between two rounds: the old router finished its last burst, the new one
                // takes the next; frames meanwhile wait in the rings.
                self.routers.insert(rid, router);
                let generation = self.generations.entry(rid).or_insert(0);
                *generation += 1;
                let generation = *generation;
                report(store, &Key::Error.path(root, rid), "");
                report(
                    store,
                    &Key::SwapUs.path(root, rid),
                    &(swap_ns / 1_000).to_string(),
                );
                report(
                    store,
                    &Key::PauseUs.path(root, rid),
                    &(pause_ns / 1_000).to_string(),
                );
                report(
                    store,
                    &Key::Generation.path(root, rid),
                    &generation.to_string(),
                );
                info!(
                    "control: router {rid} running (generation {generation}), swapped in {}.{:03} ms, forwarding paused at most {} us",
                    swap_ns / 1_000_000,
                    swap_ns / 1_000 % 1_000,
                    pause_ns / 1_000
                );
                Outcome::Loaded {
                    rid,
                    generation,
                    swap_ns,
                    pause_ns,
                }
            }
            Err(error) => {
                warn!(
                    "control: router {rid}: configuration rejected{}:\n{error}",
                    if self.routers.contains_key(&rid) {
                        ", the running one stays"
                    } else {
                        ""
                    }
                );
                report(store, &Key::Error.path(root, rid), &error);
                report(store, &Key::Status.path(root, rid), ERROR);
                Outcome::Failed { rid, error }
            }
        }
    }

    fn read_requested(
        &mut self,
        root: &str,
        rid: u32,
        element: &str,
        handler: &str,
        store: &mut dyn KeyStore,
    ) -> Outcome {
        if store
            .read(&Key::ReadRequest(element, handler).path(root, rid))
            .is_err()
        {
            return Outcome::Ignored; // removed, not asked
        }
        let answer = match self.routers.get(&rid) {
            Some(router) => router.read_handler(element, handler),
            None => Err(format!("router {rid} is not running")),
        };
        match &answer {
            Ok(value) => {
                let path = Key::Handler(element, handler).path(root, rid);
                if self.echoes.len() >= ECHOES_KEPT {
                    self.echoes.pop_front();
                }
                self.echoes.push_back((path.clone(), value.clone()));
                report(store, &path, value);
            }
            Err(e) => report(
                store,
                &Key::HandlerError(element, handler).path(root, rid),
                e,
            ),
        }
        Outcome::Read(answer)
    }

    fn write_requested(
        &mut self,
        root: &str,
        rid: u32,
        element: &str,
        handler: &str,
        store: &mut dyn KeyStore,
    ) -> Outcome {
        let path = Key::Handler(element, handler).path(root, rid);
        let Ok(value) = store.read(&path) else {
            return Outcome::Ignored; // removed
        };
        if let Some(i) = self.echoes.iter().position(|(p, _)| *p == path) {
            if let Some((_, written)) = self.echoes.remove(i) {
                if written == value {
                    return Outcome::Ignored; // the guest's own read answer
                }
            }
        }
        let result = match self.routers.get(&rid) {
            Some(router) => router.write_handler(element, handler, &value),
            None => Err(format!("router {rid} is not running")),
        };
        match &result {
            Ok(()) => report(store, &Key::Written(element, handler).path(root, rid), "ok"),
            Err(e) => report(
                store,
                &Key::HandlerError(element, handler).path(root, rid),
                e,
            ),
        }
        Outcome::Written(result)
    }
}

/// Concatenates router `rid`'s chunks `config/0`, `config/1`, ... under `root` up to the
/// first missing one, refusing more than `max` bytes; the running routers get their rounds
/// between chunks.
fn read_chunks(
    store: &mut dyn KeyStore,
    root: &str,
    rid: u32,
    max: usize,
    loading: &mut Loading<'_>,
) -> Result<String, String> {
    let dir = Key::Config.path(root, rid);
    let mut text = String::new();
    for i in 0.. {
        loading.step().map_err(|e| format!("{dir}: {e}"))?;
        let chunk = Key::Chunk(i).path(root, rid);
        match store.read(&chunk) {
            Ok(value) if text.len() + value.len() > max => {
                text.push_str(&value);
                let limits = Limits {
                    config_bytes: max,
                    ..Limits::HOST
                };
                return Err(click_elements::check_config_size(&text, &dir, &limits)
                    .err()
                    .map(|d| d.to_string())
                    .unwrap_or_default());
            }
            Ok(value) => text.push_str(&value),
            Err(e) if e.is_not_found() && i == 0 => {
                return Err(format!("{dir}: no configuration ({chunk} is missing)"))
            }
            Err(e) if e.is_not_found() => break,
            Err(e) => return Err(format!("{chunk}: {e}")),
        }
    }
    Ok(text)
}

/// Writes a report key; a failure is logged (the router itself is not affected).
fn report(store: &mut dyn KeyStore, path: &str, value: &str) {
    if let Err(e) = store.write(path, value) {
        warn!("control: writing {path}: {e}");
    }
}
