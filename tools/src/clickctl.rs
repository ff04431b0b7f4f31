//! `clickctl`: installs, starts, stops and inspects the Click routers of clickos-rs guests
//! from a Xen host's dom0, through XenStore and the ClickOS control protocol (see the
//! README's "Control plane").
//!
//! The operations run against [`Store`]; [`XenStoreSocket`] talks to xenstored over its Unix
//! socket, and the tests use an in-memory store answered by the guest's own protocol logic.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

pub use clickos_protocol::clickos::CHUNK;
use clickos_protocol::clickos::{Key, ERROR, HALTED, READY, ROOT, RUNNING};
use clickos_protocol::xenstore::{
    self as xs, Header, HEADER_SIZE, XS_DIRECTORY, XS_ERROR, XS_READ, XS_RM, XS_WRITE,
};

/// The XenStore operations clickctl needs, on absolute paths.
pub trait Store {
    /// The value at `path`, `None` if there is no such key.
    fn read(&mut self, path: &str) -> Result<Option<String>, String>;
    /// Writes `value` at `path`.
    fn write(&mut self, path: &str, value: &str) -> Result<(), String>;
    /// Removes `path` and everything below it (no error if it does not exist).
    fn rm(&mut self, path: &str) -> Result<(), String>;
    /// The children of `path` (empty if it does not exist).
    fn list(&mut self, path: &str) -> Result<Vec<String>, String>;
    /// Lets time pass between two polls.
    fn pause(&mut self);
}

/// What clickctl does, with the store and how long it waits for the guest.
pub struct Ctl<S: Store> {
    /// The store.
    pub store: S,
    /// How long to wait for the guest to act on a request.
    pub timeout: Duration,
}

/// The absolute path of router `rid`'s `key` in domain `domid`.
fn router_key(domid: u32, rid: u32, key: Key<'_>) -> String {
    format!("/local/domain/{domid}/{}", key.path(ROOT, rid))
}

/// Splits `ELEMENT.HANDLER` at its last dot.
pub fn split_handler(spec: &str) -> Result<(&str, &str), String> {
    match spec.rsplit_once('.') {
        Some((e, h)) if !e.is_empty() && !h.is_empty() => Ok((e, h)),
        _ => Err(format!("'{spec}' is not ELEMENT.HANDLER")),
    }
}

impl<S: Store> Ctl<S> {
    /// Resolves a domain name or id to its id.
    pub fn domid(&mut self, domain: &str) -> Result<u32, String> {
        if let Ok(id) = domain.parse::<u32>() {
            if self
                .store
                .read(&format!("/local/domain/{id}/name"))?
                .is_some()
            {
                return Ok(id);
            }
            return Err(format!("no domain {id}"));
        }
        for id in self.store.list("/local/domain")? {
            let name = self.store.read(&format!("/local/domain/{id}/name"))?;
            if name.as_deref() == Some(domain) {
                return id.parse().map_err(|_| format!("bad domain id '{id}'"));
            }
        }
        Err(format!("no domain named '{domain}'"))
    }

    /// Polls `check` until it gives an answer or the timeout passes (`what` names what was
    /// awaited in the error).
    fn wait_for<T>(
        &mut self,
        what: &str,
        mut check: impl FnMut(&mut S) -> Result<Option<T>, String>,
    ) -> Result<T, String> {
        let deadline = Instant::now() + self.timeout;
        loop {
            if let Some(v) = check(&mut self.store)? {
                return Ok(v);
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "timed out after {} s waiting for {what}",
                    self.timeout.as_secs_f32()
                ));
            }
            self.store.pause();
        }
    }

    /// Waits until the guest has written `data/clickos/ready`, which it does once it watches
    /// for configurations (writing one earlier could go unseen).
    pub fn wait_ready(&mut self, domid: u32) -> Result<(), String> {
        let key = format!("/local/domain/{domid}/{READY}");
        self.wait_for(&key.clone(), |s| Ok(s.read(&key)?.map(|_| ())))
    }

    /// Installs `config` as router `rid` (chunks, then `status = Running`) once the guest is
    /// ready, and waits until the guest runs it; returns the swap time in microseconds.
    pub fn install(&mut self, domid: u32, rid: u32, config: &str) -> Result<u64, String> {
        self.wait_ready(domid)?;
        self.store.rm(&router_key(domid, rid, Key::Config))?;
        let mut rest = config;
        let mut i = 0;
        while !rest.is_empty() {
            let mut cut = rest.len().min(CHUNK);
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            self.store
                .write(&router_key(domid, rid, Key::Chunk(i)), &rest[..cut])?;
            rest = &rest[cut..];
            i += 1;
        }
        self.start(domid, rid)
    }

    /// Asks the guest to (re)load router `rid` from its chunks and waits for the outcome;
    /// returns the swap time in microseconds.
    pub fn start(&mut self, domid: u32, rid: u32) -> Result<u64, String> {
        let key = |k| router_key(domid, rid, k);
        let generation = self.store.read(&key(Key::Generation))?;
        self.store.write(&key(Key::Status), RUNNING)?;
        let what = format!(
            "{} to change or {} to be {ERROR}",
            key(Key::Generation),
            key(Key::Status)
        );
        self.wait_for(&what, |s| {
            if s.read(&key(Key::Generation))? != generation {
                let swap = s.read(&key(Key::SwapUs))?.unwrap_or_default();
                return Ok(Some(Ok(swap.parse().unwrap_or(0))));
            }
            if s.read(&key(Key::Status))?.as_deref() == Some(ERROR) {
                let error = s.read(&key(Key::Error))?.unwrap_or_default();
                return Ok(Some(Err(format!(
                    "the guest rejected the configuration:\n{error}"
                ))));
            }
            Ok(None)
        })?
    }

    /// Stops router `rid`.
    pub fn stop(&mut self, domid: u32, rid: u32) -> Result<(), String> {
        self.store
            .write(&router_key(domid, rid, Key::Status), HALTED)
    }

    /// Calls read handler `element.handler` of router `rid`.
    pub fn read_handler(&mut self, domid: u32, rid: u32, spec: &str) -> Result<String, String> {
        let (element, handler) = split_handler(spec)?;
        let answer = router_key(domid, rid, Key::Handler(element, handler));
        let error = router_key(domid, rid, Key::HandlerError(element, handler));
        self.store.rm(&answer)?;
        self.store.rm(&error)?;
        self.store.write(
            &router_key(domid, rid, Key::ReadRequest(element, handler)),
            "",
        )?;
        self.wait_for(&answer.clone(), |s| {
            if let Some(v) = s.read(&answer)? {
                return Ok(Some(Ok(v)));
            }
            Ok(s.read(&error)?.map(Err))
        })?
    }

    /// Calls write handler `element.handler` of router `rid` with `value`.
    pub fn write_handler(
        &mut self,
        domid: u32,
        rid: u32,
        spec: &str,
        value: &str,
    ) -> Result<(), String> {
        let (element, handler) = split_handler(spec)?;
        let done = router_key(domid, rid, Key::Written(element, handler));
        let error = router_key(domid, rid, Key::HandlerError(element, handler));
        self.store.rm(&done)?;
        self.store.rm(&error)?;
        self.store.write(
            &router_key(domid, rid, Key::Handler(element, handler)),
            value,
        )?;
        self.wait_for(&done.clone(), |s| {
            if s.read(&done)?.is_some() {
                return Ok(Some(Ok(())));
            }
            Ok(s.read(&error)?.map(Err))
        })?
    }

    /// One line per router of the domain: id, status, generation, swap time, error.
    pub fn status(&mut self, domid: u32) -> Result<String, String> {
        let root = format!("/local/domain/{domid}/{ROOT}");
        if self.store.read(&root)?.is_none() {
            return Err(format!(
                "{root} does not exist: the guest does not serve the control protocol (yet)"
            ));
        }
        let mut rids: Vec<u32> = self
            .store
            .list(&root)?
            .iter()
            .filter_map(|r| r.parse().ok())
            .collect();
        rids.sort_unstable();
        let mut out = String::new();
        if rids.is_empty() {
            out.push_str("no routers\n");
        }
        for rid in rids {
            let mut get = |k: Key<'_>| -> Result<String, String> {
                Ok(self
                    .store
                    .read(&router_key(domid, rid, k))?
                    .unwrap_or_else(|| "-".into()))
            };
            let (status, generation, swap) =
                (get(Key::Status)?, get(Key::Generation)?, get(Key::SwapUs)?);
            let error = get(Key::Error)?;
            out.push_str(&format!(
                "router {rid}: {status}, generation {generation}, last swap {swap} us\n"
            ));
            if !error.is_empty() && error != "-" {
                for line in error.lines() {
                    out.push_str(&format!("  error: {line}\n"));
                }
            }
        }
        Ok(out)
    }
}

/// The `name = "..."` of an xl configuration.
pub fn xl_config_name(cfg: &str) -> Option<String> {
    cfg.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        if key.trim() != "name" {
            return None;
        }
        let v = value.trim().trim_end_matches(';').trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))?;
        Some(v.to_string())
    })
}

/// xenstored over its Unix socket (`XENSTORED_PATH`, or `/run/xenstored/socket`).
pub struct XenStoreSocket {
    stream: UnixStream,
    next_id: u32,
}

impl XenStoreSocket {
    /// Connects to xenstored.
    pub fn connect() -> Result<Self, String> {
        let candidates: Vec<String> = match std::env::var("XENSTORED_PATH") {
            Ok(p) => vec![p],
            Err(_) => vec![
                "/run/xenstored/socket".into(),
                "/var/run/xenstored/socket".into(),
            ],
        };
        let mut last = String::new();
        for path in &candidates {
            match UnixStream::connect(path) {
                Ok(stream) => return Ok(XenStoreSocket { stream, next_id: 1 }),
                Err(e) => last = format!("{path}: {e}"),
            }
        }
        Err(format!(
            "cannot reach xenstored ({last}); run clickctl in dom0 as root"
        ))
    }

    /// One request, its reply: `Ok(Some(payload))`, `Ok(None)` for ENOENT, `Err` otherwise.
    fn request(&mut self, ty: u32, payload: &[u8]) -> Result<Option<Vec<u8>>, String> {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        let msg = xs::request(ty, id, 0, payload).ok_or_else(|| {
            format!(
                "request of {} bytes is over XenStore's {}",
                payload.len(),
                xs::PAYLOAD_MAX
            )
        })?;
        let io = |e: std::io::Error| format!("xenstored: {e}");
        self.stream.write_all(&msg).map_err(io)?;
        loop {
            let mut header = [0u8; HEADER_SIZE];
            self.stream.read_exact(&mut header).map_err(io)?;
            let h = Header::decode(&header);
            let (rty, rid, len) = (h.ty, h.req_id, h.len as usize);
            if len > xs::PAYLOAD_MAX {
                return Err(format!("xenstored sent a {len}-byte reply"));
            }
            let mut body = vec![0u8; len];
            self.stream.read_exact(&mut body).map_err(io)?;
            if rid != id {
                continue; // a watch event or a stale reply: not ours
            }
            if rty == XS_ERROR {
                let name = String::from_utf8_lossy(&body)
                    .trim_end_matches('\0')
                    .to_string();
                return if name == "ENOENT" {
                    Ok(None)
                } else {
                    Err(format!("xenstored: {name}"))
                };
            }
            return Ok(Some(body));
        }
    }
}

impl Store for XenStoreSocket {
    fn read(&mut self, path: &str) -> Result<Option<String>, String> {
        let body = self.request(XS_READ, &xs::path_payload(path))?;
        Ok(body.map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    fn write(&mut self, path: &str, value: &str) -> Result<(), String> {
        self.request(XS_WRITE, &xs::write_payload(path, value))
            .map_err(|e| format!("writing {path}: {e}"))?
            .map(drop)
            .ok_or_else(|| format!("writing {path}: no such domain path"))
    }

    fn rm(&mut self, path: &str) -> Result<(), String> {
        self.request(XS_RM, &xs::path_payload(path))
            .map(drop)
            .map_err(|e| format!("removing {path}: {e}"))
    }

    fn list(&mut self, path: &str) -> Result<Vec<String>, String> {
        let body = self.request(XS_DIRECTORY, &xs::path_payload(path))?;
        Ok(body
            .map(|b| {
                b.split(|&c| c == 0)
                    .filter(|s| !s.is_empty())
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect()
            })
            .unwrap_or_default())
    }

    fn pause(&mut self) {
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub mod libvirt;

#[cfg(test)]
mod tests;
