//! The client against an in-memory xenstored behind 1 KiB rings.

use super::*;
use alloc::collections::BTreeMap;
use alloc::string::ToString;
use alloc::vec;
use netfront::Store as _;

/// An in-memory xenstored: requests go through a 1 KiB request ring, replies through a
/// 1 KiB response ring refilled from a backlog whenever the client notifies or waits.
struct MemStore {
    keys: BTreeMap<String, String>,
    req_ring: VecDeque<u8>,
    rsp_ring: VecDeque<u8>,
    backlog: VecDeque<u8>,
    decoder: Decoder,
    inbox: VecDeque<Message>,
    watches: Vec<(String, String)>,
    txns: BTreeMap<u32, Vec<(String, String)>>,
    next_tx: u32,
    fail_commits: u32,
    now: Nanos,
    max_rsp_seen: usize,
    /// Fire this event (path, token) right before the next reply.
    event_before_reply: Option<(String, String)>,
}

const DOM: &str = "/local/domain/5/";

impl MemStore {
    fn new() -> Self {
        MemStore {
            keys: BTreeMap::new(),
            req_ring: VecDeque::new(),
            rsp_ring: VecDeque::new(),
            backlog: VecDeque::new(),
            decoder: Decoder::new(PAYLOAD_MAX),
            inbox: VecDeque::new(),
            watches: Vec::new(),
            txns: BTreeMap::new(),
            next_tx: 1,
            fail_commits: 0,
            now: 0,
            max_rsp_seen: 0,
            event_before_reply: None,
        }
    }

    fn abs(path: &str) -> String {
        if path.starts_with('/') {
            path.to_string()
        } else {
            format!("{DOM}{path}")
        }
    }

    fn emit(&mut self, ty: u32, req_id: u32, tx_id: u32, body: &[u8]) {
        let h = Header {
            ty,
            req_id,
            tx_id,
            len: body.len() as u32,
        };
        self.backlog.extend(h.encode());
        self.backlog.extend(body);
    }

    fn fire(&mut self, changed: &str) {
        let hits: Vec<(String, String)> = self
            .watches
            .iter()
            .filter(|(p, _)| {
                changed == Self::abs(p) || changed.starts_with(&format!("{}/", Self::abs(p)))
            })
            .cloned()
            .collect();
        for (path, token) in hits {
            let rel = changed.strip_prefix(DOM).filter(|_| !path.starts_with('/'));
            let shown = rel.unwrap_or(changed).to_string();
            self.emit(
                XS_WATCH_EVENT,
                0,
                0,
                format!("{shown}\0{token}\0").as_bytes(),
            );
        }
    }

    fn set(&mut self, path: &str, value: &str) {
        let p = Self::abs(path);
        self.keys.insert(p.clone(), value.to_string());
        self.fire(&p);
    }

    fn serve(&mut self) {
        let bytes: Vec<u8> = self.req_ring.drain(..).collect();
        self.decoder.feed(&bytes, &mut self.inbox);
        while let Some(m) = self.inbox.pop_front() {
            if let Some((p, t)) = self.event_before_reply.take() {
                self.emit(XS_WATCH_EVENT, 0, 0, format!("{p}\0{t}\0").as_bytes());
            }
            self.handle(m);
        }
        while self.rsp_ring.len() < RING_SIZE as usize {
            match self.backlog.pop_front() {
                Some(b) => self.rsp_ring.push_back(b),
                None => break,
            }
        }
    }

    fn handle(&mut self, m: Message) {
        let h = m.header;
        let args: Vec<&[u8]> = m.body.split(|&b| b == 0).collect();
        let arg = |i: usize| core::str::from_utf8(args.get(i).copied().unwrap_or(b"")).unwrap();
        let err = |s: &mut Self, e: &str| {
            s.emit(XS_ERROR, h.req_id, h.tx_id, format!("{e}\0").as_bytes())
        };
        match h.ty {
            XS_READ => match self.keys.get(&Self::abs(arg(0))).cloned() {
                Some(v) => self.emit(XS_READ, h.req_id, h.tx_id, v.as_bytes()),
                None => err(self, "ENOENT"),
            },
            XS_WRITE => {
                let nul = m.body.iter().position(|&b| b == 0).unwrap();
                let path = core::str::from_utf8(&m.body[..nul]).unwrap().to_string();
                let value = core::str::from_utf8(&m.body[nul + 1..])
                    .unwrap()
                    .to_string();
                if h.tx_id != 0 {
                    self.txns.entry(h.tx_id).or_default().push((path, value));
                } else {
                    self.set(&path, &value);
                }
                self.emit(XS_WRITE, h.req_id, h.tx_id, b"OK\0");
            }
            XS_DIRECTORY => {
                let dir = format!("{}/", Self::abs(arg(0)));
                let mut names: Vec<String> = self
                    .keys
                    .keys()
                    .filter_map(|k| k.strip_prefix(&dir))
                    .map(|rest| rest.split('/').next().unwrap().to_string())
                    .collect();
                names.dedup();
                if names.is_empty() && !self.keys.contains_key(&Self::abs(arg(0))) {
                    return err(self, "ENOENT");
                }
                let mut body = Vec::new();
                for n in names {
                    body.extend(n.as_bytes());
                    body.push(0);
                }
                self.emit(XS_DIRECTORY, h.req_id, h.tx_id, &body);
            }
            XS_RM => {
                let p = Self::abs(arg(0));
                let before = self.keys.len();
                self.keys
                    .retain(|k, _| *k != p && !k.starts_with(&format!("{p}/")));
                if before == self.keys.len() {
                    return err(self, "ENOENT");
                }
                self.fire(&p);
                self.emit(XS_RM, h.req_id, h.tx_id, b"OK\0");
            }
            XS_MKDIR => {
                let p = Self::abs(arg(0));
                self.keys.entry(p).or_default();
                self.emit(XS_MKDIR, h.req_id, h.tx_id, b"OK\0");
            }
            XS_WATCH => {
                let (path, token) = (arg(0).to_string(), arg(1).to_string());
                self.watches.push((path.clone(), token.clone()));
                self.emit(XS_WATCH, h.req_id, 0, b"OK\0");
                self.emit(
                    XS_WATCH_EVENT,
                    0,
                    0,
                    format!("{path}\0{token}\0").as_bytes(),
                );
            }
            XS_UNWATCH => {
                let (path, token) = (arg(0), arg(1));
                self.watches.retain(|(p, t)| !(p == path && t == token));
                self.emit(XS_UNWATCH, h.req_id, 0, b"OK\0");
            }
            XS_TRANSACTION_START => {
                let id = self.next_tx;
                self.next_tx += 1;
                self.txns.insert(id, Vec::new());
                self.emit(
                    XS_TRANSACTION_START,
                    h.req_id,
                    0,
                    format!("{id}\0").as_bytes(),
                );
            }
            XS_TRANSACTION_END => {
                let writes = self.txns.remove(&h.tx_id).unwrap_or_default();
                if arg(0) == "T" {
                    if self.fail_commits > 0 {
                        self.fail_commits -= 1;
                        return err(self, "EAGAIN");
                    }
                    for (p, v) in writes {
                        self.set(&p, &v);
                    }
                }
                self.emit(XS_TRANSACTION_END, h.req_id, 0, b"OK\0");
            }
            _ => err(self, "EINVAL"),
        }
    }
}

impl Transport for MemStore {
    fn send(&mut self, data: &[u8]) -> usize {
        let room = RING_SIZE as usize - self.req_ring.len();
        let n = room.min(data.len());
        self.req_ring.extend(&data[..n]);
        n
    }
    fn recv(&mut self, buf: &mut [u8]) -> usize {
        self.max_rsp_seen = self.max_rsp_seen.max(self.rsp_ring.len());
        let n = self.rsp_ring.len().min(buf.len());
        for b in buf.iter_mut().take(n) {
            *b = self.rsp_ring.pop_front().unwrap();
        }
        n
    }
    fn notify(&mut self) {
        self.serve();
    }
    fn wait(&mut self, _deadline: Nanos) {
        self.now += 1_000;
        self.serve();
    }
    fn now(&self) -> Nanos {
        self.now
    }
}

fn client() -> Client<MemStore> {
    Client::new(MemStore::new(), 1_000_000)
}

#[test]
fn read_write_directory_rm() {
    let mut c = client();
    c.write(0, "device/vif/0/mac", "00:16:3e:00:00:02").unwrap();
    c.write(0, "device/vif/1/mac", "00:16:3e:00:00:03").unwrap();
    assert_eq!(c.read(0, "device/vif/0/mac").unwrap(), "00:16:3e:00:00:02");
    assert_eq!(
        c.read(0, "/local/domain/5/device/vif/1/mac").unwrap(),
        "00:16:3e:00:00:03"
    );
    assert_eq!(c.directory(0, "device/vif").unwrap(), vec!["0", "1"]);
    assert!(c.read(0, "nothing").unwrap_err().is_not_found());
    c.rm(0, "device/vif/1").unwrap();
    assert_eq!(c.directory(0, "device/vif").unwrap(), vec!["0"]);
    c.mkdir(0, "data").unwrap();
    assert_eq!(c.read(0, "data").unwrap(), "");
    assert_eq!(c.stats().stray_replies, 0);
}

#[test]
fn large_values_stream_through_the_1k_rings() {
    let mut c = client();
    let big: String = (0..4000).map(|i| (b'a' + (i % 26) as u8) as char).collect();
    // The request (path + 4000 bytes) and the reply are both bigger than a ring.
    c.write(0, "data/clickos/0/config/0", &big).unwrap();
    assert_eq!(c.read(0, "data/clickos/0/config/0").unwrap(), big);
    assert!(c.transport().max_rsp_seen <= RING_SIZE as usize);
    let many: Vec<String> = (0..300).map(|i| format!("key{i:04}")).collect();
    for k in &many {
        c.write(0, &format!("dir/{k}"), "v").unwrap();
    }
    // A listing of ~2.4 KB.
    assert_eq!(c.directory(0, "dir").unwrap(), many);
    assert_eq!(
        c.write(0, "x", &"y".repeat(PAYLOAD_MAX)),
        Err(XsError::TooLarge)
    );
}

#[test]
fn watches_fire_with_their_tokens_and_survive_requests() {
    let mut c = client();
    c.watch("control/shutdown", "shutdown").unwrap();
    c.watch("data/clickos", "clickos").unwrap();
    // xenstored fires each watch once when it is set.
    assert_eq!(c.take_event().unwrap().token, "shutdown");
    assert_eq!(c.take_event().unwrap().token, "clickos");
    assert_eq!(c.take_event(), None);
    // An event that arrives ahead of a reply is queued, not taken for the reply.
    c.transport().event_before_reply = Some(("data/clickos/0/status".into(), "clickos".into()));
    c.write(0, "control/shutdown", "poweroff").unwrap();
    assert_eq!(
        c.take_event_where(|t| t == "shutdown").unwrap().path,
        "control/shutdown"
    );
    let ev = c.take_event().unwrap();
    assert_eq!(
        (ev.path.as_str(), ev.token.as_str()),
        ("data/clickos/0/status", "clickos")
    );
    // Writes below a watched path fire it.
    c.write(0, "data/clickos/0/config/0", "x").unwrap();
    assert_eq!(c.take_event().unwrap().path, "data/clickos/0/config/0");
    c.unwatch("data/clickos", "clickos").unwrap();
    c.write(0, "data/clickos/0/config/1", "x").unwrap();
    assert_eq!(c.take_event(), None);
}

#[test]
fn transactions_retry_on_eagain() {
    let mut c = client();
    c.transport().fail_commits = 2;
    let mut runs = 0;
    c.transaction(5, |c, tx| {
        runs += 1;
        c.write(tx, "device/vif/0/state", "4")?;
        c.write(tx, "device/vif/0/event-channel", "9")
    })
    .unwrap();
    assert_eq!(runs, 3);
    assert_eq!(c.read(0, "device/vif/0/state").unwrap(), "4");
    c.transport().fail_commits = 5;
    assert_eq!(
        c.transaction(2, |c, tx| c.write(tx, "a", "b")),
        Err(XsError::Errno(EAGAIN))
    );
    assert!(c.read(0, "a").unwrap_err().is_not_found());
}

#[test]
fn netfront_store_adapter() {
    let mut c = client();
    c.write(0, "/local/domain/0/backend/vif/5/0/state", "2")
        .unwrap();
    let path = "/local/domain/0/backend/vif/5/0/state";
    let t = c.transaction_start().unwrap();
    netfront::Store::write(&mut c, netfront::TxnId(t), "device/vif/0/state", "4").unwrap();
    c.transport().fail_commits = 1;
    assert_eq!(
        netfront::Store::transaction_end(&mut c, netfront::TxnId(t), true),
        Err(netfront::StoreError::Again)
    );
    assert_eq!(
        netfront::Store::read(&mut c, netfront::TxnId::NONE, "nope"),
        Err(netfront::StoreError::NotFound)
    );
    // First wait sets the watch and returns; the next one sees the initial firing.
    c.wait_for_change(path).unwrap();
    c.wait_for_change(path).unwrap();
    // Nothing changed: the wait times out.
    assert_eq!(c.wait_for_change(path), Err(netfront::StoreError::Timeout));
    c.transport().set(path, "4");
    c.wait_for_change(path).unwrap();
    // Other watches' events are left alone.
    c.watch("control/shutdown", "shutdown").unwrap();
    c.transport().set(path, "5");
    c.wait_for_change(path).unwrap();
    assert_eq!(c.take_event().unwrap().token, "shutdown");
    c.forget_change_watches();
    c.transport().set(path, "6");
    assert_eq!(c.take_event(), None);
}

#[test]
fn decoder_handles_any_split_and_skips_oversized() {
    let mut wire = Vec::new();
    let msgs = [
        (XS_READ, 1u32, b"hello".to_vec()),
        (XS_WATCH_EVENT, 0, b"a\0t\0".to_vec()),
        (XS_READ, 2, vec![7u8; 300]),
    ];
    for (ty, id, body) in &msgs {
        wire.extend(
            Header {
                ty: *ty,
                req_id: *id,
                tx_id: 0,
                len: body.len() as u32,
            }
            .encode(),
        );
        wire.extend(body);
    }
    for split in 1..40 {
        let mut d = Decoder::new(100);
        let mut out = VecDeque::new();
        for chunk in wire.chunks(split) {
            d.feed(chunk, &mut out);
        }
        assert!(!d.in_message());
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].body, b"hello");
        assert_eq!(parse_watch_event(&out[1].body).unwrap().token, "t");
        assert!(out[2].oversized && out[2].body.is_empty());
    }
}

#[test]
fn stray_and_error_replies() {
    let mut c = client();
    // A reply nobody asked for (an old request id) is dropped.
    c.transport().emit(XS_READ, 999, 0, b"old");
    c.write(0, "k", "v").unwrap();
    assert_eq!(c.stats().stray_replies, 1);
    // A server that never answers: timeout, not a hang.
    let mut quiet = Client::new(Silent(0), 10_000);
    assert_eq!(quiet.read(0, "k"), Err(XsError::Timeout));
}

struct Silent(Nanos);

impl Transport for Silent {
    fn send(&mut self, data: &[u8]) -> usize {
        data.len()
    }
    fn recv(&mut self, _buf: &mut [u8]) -> usize {
        0
    }
    fn notify(&mut self) {}
    fn wait(&mut self, deadline: Nanos) {
        self.0 = deadline;
    }
    fn now(&self) -> Nanos {
        self.0
    }
}

/// A xenstored that never reads requests and sends a watch event at every read of its
/// ring (one message, then an empty ring until the client looks again); each look at the
/// clock moves it on by a millisecond.
struct Flood {
    now: core::cell::Cell<Nanos>,
    sent: bool,
}

impl Transport for Flood {
    fn send(&mut self, _data: &[u8]) -> usize {
        0
    }
    fn recv(&mut self, buf: &mut [u8]) -> usize {
        self.sent = !self.sent;
        if !self.sent {
            return 0;
        }
        let body = b"/local/domain/5/data/x\0tok\0";
        let header = Header {
            ty: XS_WATCH_EVENT,
            req_id: 0,
            tx_id: 0,
            len: body.len() as u32,
        }
        .encode();
        buf[..HEADER_SIZE].copy_from_slice(&header);
        buf[HEADER_SIZE..HEADER_SIZE + body.len()].copy_from_slice(body);
        HEADER_SIZE + body.len()
    }
    fn notify(&mut self) {}
    fn wait(&mut self, deadline: Nanos) {
        self.now.set(self.now.get().max(deadline));
    }
    fn now(&self) -> Nanos {
        self.now.set(self.now.get() + 1_000_000);
        self.now.get()
    }
}

#[test]
fn a_full_request_ring_times_out_even_while_xenstored_keeps_sending() {
    let flood = Flood {
        now: core::cell::Cell::new(0),
        sent: false,
    };
    let mut c = Client::new(flood, 50_000_000);
    assert_eq!(c.read(0, "data/x"), Err(XsError::Timeout));
    assert!(c.stats().events > 0);
}
