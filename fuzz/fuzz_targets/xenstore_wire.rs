//! Fuzzes the guest's XenStore client from the wire up: arbitrary bytes from xenstored.
//!
//! 1. The message decoder on its own: the same bytes fed whole and in arbitrary chunks must
//!    give the same messages, each of its announced length (or skipped as oversized).
//! 2. The client against a hostile xenstored: replies and watch events are arbitrary
//!    messages (any type, echoed or arbitrary request id, honest or lying length) and raw
//!    bytes, the request ring takes arbitrary amounts, and the client runs a script of
//!    reads, writes, directories, watches, transactions and event waits. Every call must
//!    return (errors are fine), and the counters only grow.
#![no_main]

use std::collections::VecDeque;

use clickos_kernel::xenstore::wire::{
    Header, HEADER_SIZE, XS_DIRECTORY, XS_ERROR, XS_READ, XS_TRANSACTION_END, XS_TRANSACTION_START,
    XS_WATCH, XS_WATCH_EVENT, XS_WRITE,
};
use clickos_kernel::xenstore::{
    parse_directory, parse_watch_event, Client, Decoder, Message, Nanos, Transport, EVENT_QUEUE_MAX,
};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use netfront::Store as _;

/// A xenstored that answers from a script.
struct Hostile<'a> {
    u: Unstructured<'a>,
    /// Reply bytes not yet read by the client.
    pending: VecDeque<u8>,
    /// What the client sent, reassembled to learn its request ids.
    sent: Decoder,
    sent_messages: VecDeque<Message>,
    last_req: u32,
    now: Nanos,
}

impl Hostile<'_> {
    /// Appends the next scripted item to the reply stream; `false` when the script is over.
    fn next_item(&mut self) -> Result<bool> {
        if self.u.is_empty() {
            return Ok(false);
        }
        match self.u.int_in_range(0..=3u8)? {
            0 => {
                let raw: &[u8] = self.u.arbitrary()?;
                self.pending.extend(raw);
            }
            _ => {
                let types = [
                    XS_READ,
                    XS_WRITE,
                    XS_DIRECTORY,
                    XS_WATCH,
                    XS_TRANSACTION_START,
                    XS_TRANSACTION_END,
                    XS_WATCH_EVENT,
                    XS_ERROR,
                ];
                let ty = if self.u.ratio(1, 8)? {
                    self.u.arbitrary()?
                } else {
                    *self.u.choose(&types)?
                };
                let req_id = if self.u.ratio(1, 4)? {
                    self.u.arbitrary()?
                } else {
                    self.last_req
                };
                let body: Vec<u8> = match self.u.int_in_range(0..=3u8)? {
                    0 => b"/local/domain/5/data\0tok\0".to_vec(),
                    1 => b"ENOENT\0".to_vec(),
                    2 => b"7\0".to_vec(),
                    _ => self.u.arbitrary()?,
                };
                let len = if self.u.ratio(1, 8)? {
                    self.u.int_in_range(0..=70_000u32)?
                } else {
                    body.len() as u32
                };
                let header = Header {
                    ty,
                    req_id,
                    tx_id: self.u.arbitrary()?,
                    len,
                };
                self.pending.extend(header.encode());
                self.pending.extend(body);
            }
        }
        Ok(true)
    }
}

impl Transport for Hostile<'_> {
    fn send(&mut self, data: &[u8]) -> usize {
        let room = self.u.int_in_range(0..=1024usize).unwrap_or(1024);
        let n = room.min(data.len());
        self.sent.feed(&data[..n], &mut self.sent_messages);
        while let Some(m) = self.sent_messages.pop_front() {
            self.last_req = m.header.req_id;
        }
        n
    }

    fn recv(&mut self, buf: &mut [u8]) -> usize {
        if self.pending.is_empty() && !matches!(self.next_item(), Ok(true)) {
            return 0;
        }
        let want = self.u.int_in_range(1..=buf.len()).unwrap_or(buf.len());
        let n = want.min(self.pending.len());
        for (slot, byte) in buf.iter_mut().zip(self.pending.drain(..n)) {
            *slot = byte;
        }
        n
    }

    fn notify(&mut self) {}

    fn wait(&mut self, deadline: Nanos) {
        self.now = self.now.max(deadline);
    }

    fn now(&self) -> Nanos {
        self.now
    }
}

/// Part 1: the decoder, whole against chunked.
fn decoder(u: &mut Unstructured) -> Result<()> {
    let limit = u.int_in_range(0..=256usize)?;
    let bytes: Vec<u8> = u.arbitrary()?;
    let mut whole = VecDeque::new();
    let mut d = Decoder::new(limit);
    d.feed(&bytes, &mut whole);
    let mut chunked = VecDeque::new();
    let mut c = Decoder::new(limit);
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        let n = u.int_in_range(1..=rest.len())?;
        c.feed(&rest[..n], &mut chunked);
        rest = &rest[n..];
    }
    assert_eq!(whole, chunked);
    assert_eq!(d.in_message(), c.in_message());
    let mut used = 0usize;
    for m in &whole {
        used += HEADER_SIZE + m.header.len as usize;
        if m.oversized {
            assert!(m.header.len as usize > limit && m.body.is_empty());
        } else {
            assert_eq!(m.body.len(), m.header.len as usize);
        }
        let _ = parse_watch_event(&m.body);
        let _ = parse_directory(&m.body);
    }
    assert!(used <= bytes.len());
    if !d.in_message() {
        assert_eq!(used, bytes.len());
    }
    Ok(())
}

/// Part 2: the client over a hostile xenstored.
fn client(data: &[u8]) {
    let (script, store) = data.split_at(data.len() / 2);
    let mut u = Unstructured::new(script);
    let transport = Hostile {
        u: Unstructured::new(store),
        pending: VecDeque::new(),
        sent: Decoder::new(1 << 16),
        sent_messages: VecDeque::new(),
        last_req: 0,
        now: 0,
    };
    let mut c = Client::new(transport, 1_000);
    let mut last = c.stats();
    for _ in 0..64 {
        if u.is_empty() {
            break;
        }
        let Ok(op) = u.int_in_range(0..=13u8) else {
            break;
        };
        let path = if u.ratio(1, 2).unwrap_or(true) {
            "data/clickos"
        } else {
            "/local/domain/5/device/vif/0/state"
        };
        match op {
            0 => drop(c.read(0, path)),
            1 => drop(c.write(0, path, "Running")),
            2 => drop(c.directory(0, path)),
            3 => drop(c.mkdir(0, path)),
            4 => drop(c.rm(0, path)),
            5 => drop(c.watch(path, "tok")),
            6 => drop(c.unwatch(path, "tok")),
            7 => drop(c.transaction_start()),
            8 => drop(c.transaction_end(7, true)),
            9 => drop(c.transaction(3, |c, tx| {
                c.read(tx, path)?;
                c.write(tx, path, "x")
            })),
            10 => drop(c.take_event()),
            11 => drop(c.wait_event_where(2_000_000, |t| t == "tok")),
            12 => drop(c.wait_for_change(path)),
            _ => c.forget_change_watches(),
        }
        let now = c.stats();
        assert!(now.requests >= last.requests && now.events >= last.events);
        assert!(now.stray_replies >= last.stray_replies && now.oversized >= last.oversized);
        assert!(now.dropped_events >= last.dropped_events);
        assert!(c.queued_events() <= EVENT_QUEUE_MAX);
        last = now;
    }
}

fuzz_target!(|data: &[u8]| {
    if let Some((&first, rest)) = data.split_first() {
        if first & 1 == 0 {
            let _ = decoder(&mut Unstructured::new(rest));
        } else {
            client(rest);
        }
    }
});
