//! The XenStore client: requests with ids, read/write/directory/rm/mkdir, transactions with
//! retry on `EAGAIN`, and watches with tokens.
//!
//! The protocol logic (framing, reply matching, watch-event dispatch) runs over a small
//! [`Transport`]: on the guest the shared store ring (`xen::store`), in host tests an
//! in-memory server. Messages of either direction may be larger than the 1 KiB rings, so
//! they are streamed: a request is written as room appears, and a reply is consumed as it
//! arrives and reassembled in a [`Decoder`] (never waited for whole in the ring, which is
//! how Mini-OS hung ClickOS on configurations over ~1 KB). Watch events that arrive while a
//! request is outstanding are queued for [`Client::take_event`].

pub mod wire;

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use wire::*;

/// Nanoseconds of the transport's clock.
pub type Nanos = u64;

/// The byte pipe to xenstored.
pub trait Transport {
    /// Copies as much of `data` into the request ring as fits now; returns how much.
    fn send(&mut self, data: &[u8]) -> usize;
    /// Copies reply bytes available now into `buf`; returns how many (0: none yet).
    fn recv(&mut self, buf: &mut [u8]) -> usize;
    /// Tells xenstored that requests were produced or replies consumed.
    fn notify(&mut self);
    /// Blocks until xenstored may have done something, or `deadline` passed (may return
    /// early: callers re-check).
    fn wait(&mut self, deadline: Nanos);
    /// The current time.
    fn now(&self) -> Nanos;
}

/// Why a request failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum XsError {
    /// xenstored answered with an errno (`ENOENT` = 2, `EAGAIN` = 11, ...).
    Errno(i32),
    /// No reply before the deadline.
    Timeout,
    /// The reply is not what the request calls for (the text says what is wrong).
    Protocol(&'static str),
    /// The request payload exceeds [`PAYLOAD_MAX`].
    TooLarge,
}

impl XsError {
    /// Whether this is `ENOENT`.
    pub fn is_not_found(&self) -> bool {
        *self == XsError::Errno(ENOENT)
    }
}

impl core::fmt::Display for XsError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            XsError::Errno(e) => write!(f, "xenstore errno {e}"),
            XsError::Timeout => write!(f, "xenstore timeout"),
            XsError::Protocol(what) => write!(f, "xenstore protocol error: {what}"),
            XsError::TooLarge => write!(f, "xenstore request too large"),
        }
    }
}

/// A transaction id (0: none).
pub type TxId = u32;

/// A fired watch: the path that changed (or was watched) and the watch's token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchEvent {
    /// The path.
    pub path: String,
    /// The token given to [`Client::watch`].
    pub token: String,
}

/// A whole message off the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Its header.
    pub header: Header,
    /// Its payload (empty for a message that exceeded the size limit: see `oversized`).
    pub body: Vec<u8>,
    /// The payload was longer than the decoder accepts and was skipped.
    pub oversized: bool,
}

/// Reassembles messages from bytes as they come off the response ring.
#[derive(Debug)]
pub struct Decoder {
    header: [u8; HEADER_SIZE],
    have: usize,
    current: Option<Header>,
    body: Vec<u8>,
    skip: u32,
    limit: usize,
}

impl Decoder {
    /// A decoder accepting payloads of at most `limit` bytes (larger ones are skipped).
    pub fn new(limit: usize) -> Decoder {
        Decoder {
            header: [0; HEADER_SIZE],
            have: 0,
            current: None,
            body: Vec::new(),
            skip: 0,
            limit,
        }
    }

    /// Whether a message is partly received.
    pub fn in_message(&self) -> bool {
        self.have > 0 || self.current.is_some()
    }

    /// Consumes `data`, appending every message it completes to `out`.
    pub fn feed(&mut self, mut data: &[u8], out: &mut VecDeque<Message>) {
        while !data.is_empty() {
            match self.current {
                None => {
                    let n = (HEADER_SIZE - self.have).min(data.len());
                    self.header[self.have..self.have + n].copy_from_slice(&data[..n]);
                    self.have += n;
                    data = &data[n..];
                    if self.have == HEADER_SIZE {
                        self.have = 0;
                        let h = Header::decode(&self.header);
                        self.body.clear();
                        self.skip = 0;
                        if h.len as usize > self.limit {
                            self.skip = h.len;
                        } else {
                            self.body.reserve(h.len as usize);
                        }
                        self.current = Some(h);
                    }
                }
                Some(h) => {
                    if self.skip > 0 {
                        let n = (self.skip as usize).min(data.len());
                        self.skip -= n as u32;
                        data = &data[n..];
                    } else {
                        let n = (h.len as usize - self.body.len()).min(data.len());
                        self.body.extend_from_slice(&data[..n]);
                        data = &data[n..];
                    }
                }
            }
            if let Some(h) = self.current {
                let oversized = h.len as usize > self.limit;
                let complete = if oversized {
                    self.skip == 0
                } else {
                    self.body.len() == h.len as usize
                };
                if complete {
                    self.current = None;
                    out.push_back(Message {
                        header: h,
                        body: core::mem::take(&mut self.body),
                        oversized,
                    });
                }
            }
        }
    }
}

/// Splits a `path\0token\0` watch-event payload.
pub fn parse_watch_event(body: &[u8]) -> Option<WatchEvent> {
    let mut parts = body.split(|&b| b == 0);
    let path = core::str::from_utf8(parts.next()?).ok()?;
    let token = core::str::from_utf8(parts.next()?).ok()?;
    Some(WatchEvent {
        path: String::from(path),
        token: String::from(token),
    })
}

/// Splits a directory listing (`name\0name\0...`).
pub fn parse_directory(body: &[u8]) -> Result<Vec<String>, XsError> {
    body.split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| {
            core::str::from_utf8(s)
                .map(String::from)
                .map_err(|_| XsError::Protocol("directory entry is not UTF-8"))
        })
        .collect()
}

fn text(body: Vec<u8>) -> Result<String, XsError> {
    let mut body = body;
    if body.last() == Some(&0) {
        body.pop();
    }
    String::from_utf8(body).map_err(|_| XsError::Protocol("value is not UTF-8"))
}

/// Counters of a client.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Requests sent.
    pub requests: u64,
    /// Watch events received.
    pub events: u64,
    /// Replies that matched no outstanding request (dropped).
    pub stray_replies: u64,
    /// Messages over the size limit (skipped).
    pub oversized: u64,
    /// Watch events that could not be parsed, or dropped because the queue was full.
    pub dropped_events: u64,
}

/// Watch events kept before the oldest are dropped.
pub const EVENT_QUEUE_MAX: usize = 1024;

/// A XenStore client over a [`Transport`].
pub struct Client<T: Transport> {
    transport: T,
    next_req: u32,
    decoder: Decoder,
    inbox: VecDeque<Message>,
    events: VecDeque<WatchEvent>,
    timeout: Nanos,
    stats: ClientStats,
    /// Paths watched on behalf of [`netfront::Store::wait_for_change`].
    change_watches: Vec<String>,
}

/// The token prefix of the watches [`netfront::Store::wait_for_change`] sets.
const CHANGE_TOKEN: &str = "change:";

impl<T: Transport> Client<T> {
    /// A client over `transport`, giving up on a reply after `timeout` nanoseconds.
    pub fn new(transport: T, timeout: Nanos) -> Self {
        Client {
            transport,
            next_req: 1,
            decoder: Decoder::new(PAYLOAD_MAX.max(64 * 1024)),
            inbox: VecDeque::new(),
            events: VecDeque::new(),
            timeout,
            stats: ClientStats::default(),
            change_watches: Vec::new(),
        }
    }

    /// The transport.
    pub fn transport(&mut self) -> &mut T {
        &mut self.transport
    }

    /// The counters.
    pub fn stats(&self) -> ClientStats {
        self.stats
    }

    /// Watch events received and not taken yet.
    pub fn queued_events(&self) -> usize {
        self.events.len()
    }

    /// Reads whatever reply bytes are available, without blocking; returns whether any
    /// arrived. Watch events among them are queued.
    pub fn pump(&mut self) -> bool {
        let mut buf = [0u8; RING_SIZE as usize];
        let mut any = false;
        loop {
            let n = self.transport.recv(&mut buf);
            if n == 0 {
                break;
            }
            any = true;
            self.decoder.feed(&buf[..n.min(buf.len())], &mut self.inbox);
        }
        if any {
            // Room was made in the response ring.
            self.transport.notify();
        }
        // Route watch events out of the inbox at once, so replies are all that stays.
        let mut i = 0;
        while i < self.inbox.len() {
            if self.inbox[i].header.ty == XS_WATCH_EVENT {
                if let Some(m) = self.inbox.remove(i) {
                    self.queue_event(m);
                }
            } else {
                i += 1;
            }
        }
        any
    }

    fn queue_event(&mut self, m: Message) {
        match parse_watch_event(&m.body) {
            Some(ev) if !m.oversized => {
                self.stats.events += 1;
                if self.events.len() >= EVENT_QUEUE_MAX {
                    self.events.pop_front();
                    self.stats.dropped_events += 1;
                }
                self.events.push_back(ev);
            }
            _ => self.stats.dropped_events += 1,
        }
    }

    /// The oldest queued watch event (after reading what is available).
    pub fn take_event(&mut self) -> Option<WatchEvent> {
        self.pump();
        self.events.pop_front()
    }

    /// Takes the oldest queued event whose token satisfies `select`, leaving the others.
    pub fn take_event_where(&mut self, select: impl Fn(&str) -> bool) -> Option<WatchEvent> {
        self.pump();
        let i = self.events.iter().position(|e| select(&e.token))?;
        self.events.remove(i)
    }

    /// Waits up to `deadline` for a watch event whose token satisfies `select`.
    pub fn wait_event_where(
        &mut self,
        deadline: Nanos,
        select: impl Fn(&str) -> bool,
    ) -> Option<WatchEvent> {
        loop {
            if let Some(ev) = self.take_event_where(&select) {
                return Some(ev);
            }
            if self.transport.now() >= deadline {
                return None;
            }
            self.transport.wait(deadline);
        }
    }

    /// Sends one request and returns the reply's payload (an `XS_ERROR` reply becomes
    /// [`XsError::Errno`]). The request is streamed into the ring as room appears, and
    /// replies are drained meanwhile.
    pub fn request(&mut self, ty: u32, tx: TxId, parts: &[&[u8]]) -> Result<Vec<u8>, XsError> {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len > PAYLOAD_MAX {
            return Err(XsError::TooLarge);
        }
        let req_id = self.next_req;
        self.next_req = self.next_req.wrapping_add(1).max(1);
        self.stats.requests += 1;
        let header = Header {
            ty,
            req_id,
            tx_id: tx,
            len: len as u32,
        }
        .encode();
        let deadline = self.transport.now().saturating_add(self.timeout);
        let mut chunks: Vec<&[u8]> = Vec::with_capacity(parts.len() + 1);
        chunks.push(&header);
        chunks.extend(parts.iter().copied().filter(|p| !p.is_empty()));
        for mut chunk in chunks {
            while !chunk.is_empty() {
                let n = self.transport.send(chunk).min(chunk.len());
                chunk = &chunk[n..];
                if n > 0 {
                    self.transport.notify();
                    continue;
                }
                // Ring full: xenstored may be waiting for us to read. Whatever it sends
                // meanwhile, the deadline holds.
                let got = self.pump();
                if self.transport.now() >= deadline {
                    return Err(XsError::Timeout);
                }
                if !got {
                    self.transport.wait(deadline);
                }
            }
        }
        loop {
            self.pump();
            while let Some(m) = self.inbox.pop_front() {
                if m.header.req_id != req_id {
                    self.stats.stray_replies += 1;
                    continue;
                }
                if m.oversized {
                    self.stats.oversized += 1;
                    return Err(XsError::Protocol("reply over the size limit"));
                }
                if m.header.ty == XS_ERROR {
                    let name = core::str::from_utf8(&m.body)
                        .unwrap_or("EIO")
                        .trim_end_matches('\0');
                    return Err(XsError::Errno(errno_of(name)));
                }
                if m.header.ty != ty {
                    return Err(XsError::Protocol("reply of another type"));
                }
                return Ok(m.body);
            }
            if self.transport.now() >= deadline {
                return Err(XsError::Timeout);
            }
            self.transport.wait(deadline);
        }
    }

    /// Reads `path`.
    pub fn read(&mut self, tx: TxId, path: &str) -> Result<String, XsError> {
        text(self.request(XS_READ, tx, &[path.as_bytes(), b"\0"])?)
    }

    /// Writes `value` at `path`.
    pub fn write(&mut self, tx: TxId, path: &str, value: &str) -> Result<(), XsError> {
        self.request(XS_WRITE, tx, &[path.as_bytes(), b"\0", value.as_bytes()])
            .map(drop)
    }

    /// Lists the children of `path`.
    pub fn directory(&mut self, tx: TxId, path: &str) -> Result<Vec<String>, XsError> {
        parse_directory(&self.request(XS_DIRECTORY, tx, &[path.as_bytes(), b"\0"])?)
    }

    /// Creates `path` (empty) if it does not exist.
    pub fn mkdir(&mut self, tx: TxId, path: &str) -> Result<(), XsError> {
        self.request(XS_MKDIR, tx, &[path.as_bytes(), b"\0"])
            .map(drop)
    }

    /// Removes `path` and everything under it.
    pub fn rm(&mut self, tx: TxId, path: &str) -> Result<(), XsError> {
        self.request(XS_RM, tx, &[path.as_bytes(), b"\0"]).map(drop)
    }

    /// Watches `path` (and everything under it) with `token`. xenstored fires the watch
    /// once at once.
    pub fn watch(&mut self, path: &str, token: &str) -> Result<(), XsError> {
        self.request(
            XS_WATCH,
            0,
            &[path.as_bytes(), b"\0", token.as_bytes(), b"\0"],
        )
        .map(drop)
    }

    /// Removes a watch and drops its queued events.
    pub fn unwatch(&mut self, path: &str, token: &str) -> Result<(), XsError> {
        let r = self
            .request(
                XS_UNWATCH,
                0,
                &[path.as_bytes(), b"\0", token.as_bytes(), b"\0"],
            )
            .map(drop);
        self.events.retain(|e| e.token != token);
        r
    }

    /// Starts a transaction.
    pub fn transaction_start(&mut self) -> Result<TxId, XsError> {
        let id = text(self.request(XS_TRANSACTION_START, 0, &[b"\0"])?)?;
        match id.trim().parse::<u32>() {
            Ok(id) if id != 0 => Ok(id),
            _ => Err(XsError::Protocol("bad transaction id")),
        }
    }

    /// Ends a transaction, committing it when `commit`; `Err(XsError::Errno(EAGAIN))` when
    /// it conflicted.
    pub fn transaction_end(&mut self, tx: TxId, commit: bool) -> Result<(), XsError> {
        let arg: &[u8] = if commit { b"T\0" } else { b"F\0" };
        self.request(XS_TRANSACTION_END, tx, &[arg]).map(drop)
    }

    /// Runs `body` in a transaction and commits it, starting over when xenstored answers
    /// `EAGAIN` (from the body or the commit), at most `attempts` times.
    pub fn transaction<R>(
        &mut self,
        attempts: u32,
        mut body: impl FnMut(&mut Self, TxId) -> Result<R, XsError>,
    ) -> Result<R, XsError> {
        let mut last = XsError::Errno(EAGAIN);
        for _ in 0..attempts.max(1) {
            let tx = self.transaction_start()?;
            let value = match body(self, tx) {
                Ok(v) => v,
                Err(e) => {
                    let _ = self.transaction_end(tx, false);
                    if e == XsError::Errno(EAGAIN) {
                        last = e;
                        continue;
                    }
                    return Err(e);
                }
            };
            match self.transaction_end(tx, true) {
                Ok(()) => return Ok(value),
                Err(XsError::Errno(EAGAIN)) => last = XsError::Errno(EAGAIN),
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    /// Removes the watches set by `wait_for_change` and their queued events.
    pub fn forget_change_watches(&mut self) {
        for path in core::mem::take(&mut self.change_watches) {
            let _ = self.unwatch(&path, &format!("{CHANGE_TOKEN}{path}"));
        }
    }
}

fn store_error(e: XsError) -> netfront::StoreError {
    match e {
        XsError::Errno(ENOENT) => netfront::StoreError::NotFound,
        XsError::Errno(EAGAIN) => netfront::StoreError::Again,
        XsError::Errno(n) => netfront::StoreError::Other(n),
        XsError::Timeout => netfront::StoreError::Timeout,
        XsError::Protocol(_) | XsError::TooLarge => netfront::StoreError::Other(5),
    }
}

impl<T: Transport> netfront::Store for Client<T> {
    fn read(&mut self, txn: netfront::TxnId, path: &str) -> Result<String, netfront::StoreError> {
        Client::read(self, txn.0, path).map_err(store_error)
    }

    fn write(
        &mut self,
        txn: netfront::TxnId,
        path: &str,
        value: &str,
    ) -> Result<(), netfront::StoreError> {
        Client::write(self, txn.0, path, value).map_err(store_error)
    }

    fn transaction_start(&mut self) -> Result<netfront::TxnId, netfront::StoreError> {
        Client::transaction_start(self)
            .map(netfront::TxnId)
            .map_err(store_error)
    }

    fn transaction_end(
        &mut self,
        txn: netfront::TxnId,
        commit: bool,
    ) -> Result<(), netfront::StoreError> {
        Client::transaction_end(self, txn.0, commit).map_err(store_error)
    }

    /// The first call for a path sets a watch on it and returns; later calls wait for that
    /// watch to fire (up to the client's timeout).
    fn wait_for_change(&mut self, path: &str) -> Result<(), netfront::StoreError> {
        let token = format!("{CHANGE_TOKEN}{path}");
        if !self.change_watches.iter().any(|p| p == path) {
            self.watch(path, &token).map_err(store_error)?;
            self.change_watches.push(String::from(path));
            return Ok(());
        }
        let deadline = self.transport.now().saturating_add(self.timeout);
        match self.wait_event_where(deadline, |t| t == token) {
            Some(_) => {
                // Coalesce: one return covers every queued firing.
                while self.take_event_where(|t| t == token).is_some() {}
                Ok(())
            }
            None => Err(netfront::StoreError::Timeout),
        }
    }
}

#[cfg(test)]
mod tests;
