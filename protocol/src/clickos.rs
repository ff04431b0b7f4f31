//! The ClickOS control protocol's keys, relative to a domain's home (`/local/domain/<id>/`).
//!
//! A tool writes router `<rid>`'s configuration in chunks to `data/clickos/<rid>/config/<i>`,
//! then `status = Running` (or `Halted`); it asks for a read handler by writing
//! `control/read/<element>/<handler>` (answered in `elements/<element>/<handler>`) and calls a
//! write handler by writing `elements/<element>/<handler>`. The guest reports `status = Error`
//! with `error`, `generation`, `swap_us`, `pause_us`, `control/written/...` and
//! `control/error/...`; it writes [`READY`] once it watches for requests.

use alloc::format;
use alloc::string::String;

/// The protocol's directory.
pub const ROOT: &str = "data/clickos";
/// The pre-2016 ClickOS layout (OpenVIM's ClickOS demo writes it), served the same way.
pub const LEGACY_ROOT: &str = "clickos";
/// Written by the guest once it watches [`ROOT`] and [`LEGACY_ROOT`]: a tool that waits for
/// it before writing a configuration cannot race the guest's start.
pub const READY: &str = "data/clickos/ready";
/// Bytes per `config/<i>` chunk, as cosmos writes them.
pub const CHUNK: usize = 992;

/// `status`: load the chunks and run (or replace) the router.
pub const RUNNING: &str = "Running";
/// `status`: stop the router.
pub const HALTED: &str = "Halted";
/// `status` written by the guest: the configuration did not load (see `error`).
pub const ERROR: &str = "Error";

/// A key of one router, under a root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key<'a> {
    /// `config`: the directory of the chunks.
    Config,
    /// `config/<i>`: chunk `i`.
    Chunk(usize),
    /// `status`.
    Status,
    /// `error`: the diagnostics of the last configuration that did not load.
    Error,
    /// `generation`: successful loads so far.
    Generation,
    /// `swap_us`: microseconds the last load took.
    SwapUs,
    /// `pause_us`: the longest the running routers went without forwarding during it.
    PauseUs,
    /// `control/read/<element>/<handler>`: asks for a read handler.
    ReadRequest(&'a str, &'a str),
    /// `elements/<element>/<handler>`: a read handler's answer, or a write handler's call.
    Handler(&'a str, &'a str),
    /// `control/written/<element>/<handler>`: a write handler call succeeded.
    Written(&'a str, &'a str),
    /// `control/error/<element>/<handler>`: why a handler call failed.
    HandlerError(&'a str, &'a str),
}

impl Key<'_> {
    /// The key's path for router `rid` under `root` ([`ROOT`] or [`LEGACY_ROOT`]).
    pub fn path(&self, root: &str, rid: u32) -> String {
        let base = format!("{root}/{rid}");
        match *self {
            Key::Config => format!("{base}/config"),
            Key::Chunk(i) => format!("{base}/config/{i}"),
            Key::Status => format!("{base}/status"),
            Key::Error => format!("{base}/error"),
            Key::Generation => format!("{base}/generation"),
            Key::SwapUs => format!("{base}/swap_us"),
            Key::PauseUs => format!("{base}/pause_us"),
            Key::ReadRequest(e, h) => format!("{base}/control/read/{e}/{h}"),
            Key::Handler(e, h) => format!("{base}/elements/{e}/{h}"),
            Key::Written(e, h) => format!("{base}/control/written/{e}/{h}"),
            Key::HandlerError(e, h) => format!("{base}/control/error/{e}/{h}"),
        }
    }
}

/// What a change under a root asks of the guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request<'a> {
    /// `<rid>/status` changed: load (`Running`) or stop (`Halted`) router `rid`.
    Status(u32),
    /// `<rid>/control/read/<element>/<handler>` was written: answer a read handler.
    Read(u32, &'a str, &'a str),
    /// `<rid>/elements/<element>/<handler>` was written: call a write handler.
    Write(u32, &'a str, &'a str),
}

impl<'a> Request<'a> {
    /// Classifies the path of a watch event, with the root it is under ([`ROOT`] or
    /// [`LEGACY_ROOT`]); everything else under them (config chunks, the guest's own reports)
    /// and outside them is `None`.
    pub fn parse(path: &'a str) -> Option<(&'static str, Request<'a>)> {
        let (root, rest) = [ROOT, LEGACY_ROOT].into_iter().find_map(|root| {
            let rest = path.strip_prefix(root)?.strip_prefix('/')?;
            Some((root, rest))
        })?;
        Request::parse_under(rest).map(|r| (root, r))
    }

    /// Classifies a path relative to a root.
    fn parse_under(rest: &'a str) -> Option<Request<'a>> {
        let (rid, rest) = rest.split_once('/').unwrap_or((rest, ""));
        let rid = rid.parse().ok()?;
        if rest == "status" {
            return Some(Request::Status(rid));
        }
        let handler_path = |p: &'a str| {
            let (element, handler) = p.rsplit_once('/')?;
            (!element.is_empty() && !handler.is_empty()).then_some((element, handler))
        };
        if let Some(p) = rest.strip_prefix("control/read/") {
            let (e, h) = handler_path(p)?;
            return Some(Request::Read(rid, e, h));
        }
        if let Some(p) = rest.strip_prefix("elements/") {
            let (e, h) = handler_path(p)?;
            return Some(Request::Write(rid, e, h));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_requests_agree() {
        // What a tool writes is what the guest classifies, under either root.
        for root in [ROOT, LEGACY_ROOT] {
            let status = Key::Status.path(root, 4);
            assert_eq!(Request::parse(&status), Some((root, Request::Status(4))));
            let read = Key::ReadRequest("a/b", "count").path(root, 0);
            assert_eq!(
                Request::parse(&read),
                Some((root, Request::Read(0, "a/b", "count")))
            );
            let write = Key::Handler("c", "reset").path(root, 1);
            assert_eq!(
                Request::parse(&write),
                Some((root, Request::Write(1, "c", "reset")))
            );
            for reported in [
                Key::Chunk(3),
                Key::Error,
                Key::Generation,
                Key::SwapUs,
                Key::PauseUs,
                Key::Written("c", "reset"),
                Key::HandlerError("c", "reset"),
            ] {
                assert_eq!(Request::parse(&reported.path(root, 0)), None);
            }
        }
        assert_eq!(Request::parse(READY), None);
        assert_eq!(Request::parse("device/vif/0/state"), None);
    }
}
