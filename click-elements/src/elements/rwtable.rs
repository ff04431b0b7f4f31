//! What the rewriters share (Click's IPRewriterBase, IPRewriterPattern, IPRewriterFlow): flow
//! identifiers, patterns and input specifications, and the bounded flow table with its
//! expiry heaps.
//!
//! The table is allocated once, at configuration, for `MAPPING_CAPACITY` flows: the flow
//! slots, an open-addressing index of their two entries (forward and reply) and the two
//! expiry heaps (guaranteed and best-effort, as in Click). Nothing is allocated per packet,
//! not even for a new flow, so a flood of new flows cannot grow the heap: once the table is
//! full, a new flow replaces the best-effort flow that expires first or, when every flow is
//! still guaranteed, is refused and counted (`mapping_failures`).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::args::{parse_ip, parse_ip_prefix, parse_uint_max, split_words};
use crate::element::ConfigureContext;
use crate::elements::net::{fmt_ip, update_cksum};

/// IP protocol number of TCP.
pub const IP_PROTO_TCP: u8 = 6;
/// IP protocol number of UDP.
pub const IP_PROTO_UDP: u8 = 17;

/// A flow identifier: addresses and ports (Click's IPFlowID; the protocol selects the map).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlowId {
    /// Source address.
    pub saddr: [u8; 4],
    /// Source port.
    pub sport: u16,
    /// Destination address.
    pub daddr: [u8; 4],
    /// Destination port.
    pub dport: u16,
}

impl FlowId {
    /// The flow of the replies.
    pub fn reverse(&self) -> FlowId {
        FlowId {
            saddr: self.daddr,
            sport: self.dport,
            daddr: self.saddr,
            dport: self.sport,
        }
    }

    /// The 16-bit words in Click's layout (addresses first, then ports), for checksum deltas.
    fn words(&self) -> [u16; 6] {
        let w = |a: [u8; 4], i: usize| u16::from_be_bytes([a[i], a[i + 1]]);
        [
            w(self.saddr, 0),
            w(self.saddr, 2),
            w(self.daddr, 0),
            w(self.daddr, 2),
            self.sport,
            self.dport,
        ]
    }

    /// Click's text form: `(SADDR, SPORT, DADDR, DPORT)`.
    pub fn unparse(&self) -> String {
        format!(
            "({}, {}, {}, {})",
            fmt_ip(&self.saddr),
            self.sport,
            fmt_ip(&self.daddr),
            self.dport
        )
    }

    fn hash(&self, map: u8) -> u64 {
        let a = u64::from(u32::from_be_bytes(self.saddr)) << 32
            | u64::from(u32::from_be_bytes(self.daddr));
        let b = u64::from(self.sport) << 24 | u64::from(self.dport) << 8 | u64::from(map);
        let mut h = a.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ b.wrapping_mul(0xc2b2_ae3d_27d4_eb4f);
        h ^= h >> 31;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ (h >> 29)
    }
}

/// The checksum deltas of a rewrite from `from` to `to`: over the addresses (IP header) and
/// over addresses and ports (TCP/UDP pseudo-header), computed as Click does.
fn csum_deltas(from: &FlowId, to: &FlowId) -> (u16, u16) {
    let (a, b) = (from.words(), to.words());
    let ip = (0..4).fold(0, |d, i| update_cksum(d, a[i], b[i]));
    let l4 = (4..6).fold(ip, |d, i| update_cksum(d, a[i], b[i]));
    (ip, l4)
}

/// Applies a checksum delta in the forward (`reply` false) or reply direction.
pub fn apply_delta(sum: u16, reply: bool, delta: u16) -> u16 {
    if delta == 0 {
        sum
    } else {
        update_cksum(sum, 0, if reply { delta } else { !delta })
    }
}

/// How a flow's timeout is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowKind {
    /// TCP: by connection state (no data both ways, data both ways, done).
    Tcp,
    /// UDP: streaming or not.
    Udp,
    /// One timeout (IPAddrRewriter).
    Plain,
}

/// The timeouts of one kind of flow, in milliseconds (0: none).
#[derive(Clone, Copy, Debug, Default)]
pub struct Timeouts {
    /// The timeout (TCP: of connections without data both ways).
    pub base: i64,
    /// How long a flow is kept for sure after each packet.
    pub guarantee: i64,
    /// TCP connections with data both ways.
    pub data: i64,
    /// TCP connections closed both ways (or reset).
    pub done: i64,
    /// UDP flows with 3 packets and one each way.
    pub streaming: i64,
}

/// TCP state bits (Click's TCPFlow flags).
const TCP_FORWARD_DONE: u8 = 1;
const TCP_BOTH_DONE: u8 = 3;
const TCP_FORWARD_DATA: u8 = 4;
const TCP_BOTH_DATA: u8 = 12;

impl Timeouts {
    #[inline]
    fn flow_timeout(&self, f: &Flow) -> i64 {
        match f.kind {
            FlowKind::Tcp if f.tflags & TCP_BOTH_DONE == TCP_BOTH_DONE => self.done,
            FlowKind::Tcp if f.tflags & TCP_BOTH_DATA == TCP_BOTH_DATA => self.data,
            FlowKind::Udp if f.tflags > 6 => self.streaming,
            _ => self.base,
        }
    }
}

/// One flow: its two entries (forward key and reply key), outputs and expiry.
#[derive(Clone, Copy, Debug)]
pub struct Flow {
    /// Entry keys: `[0]` the original flow, `[1]` the reply of the rewritten flow.
    pub keys: [FlowId; 2],
    /// The map the entries are in (IPRewriter: 0 TCP, 1 UDP).
    pub map: u8,
    /// How its timeout is chosen.
    pub kind: FlowKind,
    /// Which timeouts apply (an index into the table's).
    pub timeouts: u8,
    /// The input whose spec made it.
    pub input: u16,
    /// Output of the forward and of the reply direction.
    pub outputs: [u16; 2],
    /// Checksum delta of the IP header.
    pub ip_delta: u16,
    /// Checksum delta of the TCP/UDP header.
    pub l4_delta: u16,
    /// Connection state (TCP and UDP flags as Click keeps them).
    pub tflags: u8,
    guaranteed: bool,
    expiry: i64,
    heap_pos: u32,
}

impl Flow {
    /// A flow from `flowid` rewritten to `rewritten`.
    pub fn new(
        flowid: FlowId,
        rewritten: FlowId,
        map: u8,
        input: usize,
        outputs: [usize; 2],
    ) -> Flow {
        let (ip_delta, l4_delta) = csum_deltas(&flowid, &rewritten);
        Flow {
            keys: [flowid, rewritten.reverse()],
            map,
            kind: FlowKind::Plain,
            timeouts: 0,
            input: input as u16,
            outputs: [outputs[0] as u16, outputs[1] as u16],
            ip_delta,
            l4_delta,
            tflags: 0,
            guaranteed: false,
            expiry: 0,
            heap_pos: 0,
        }
    }

    /// Updates the TCP state after a packet (`reply`: of the reply direction) with `flags`,
    /// carrying payload or not.
    pub fn track_tcp(&mut self, reply: bool, flags: u8, payload: bool) {
        let dir = u8::from(reply);
        if flags & 0x04 != 0 {
            self.tflags |= TCP_BOTH_DONE;
        } else if flags & 0x01 != 0 {
            self.tflags |= TCP_FORWARD_DONE << dir;
        } else if flags & 0x02 != 0 || payload {
            self.tflags &= !(TCP_FORWARD_DONE << dir);
        }
        if payload {
            self.tflags |= TCP_FORWARD_DATA << dir;
        }
    }

    /// Updates the UDP state after a packet (streaming after 3 packets, one a reply).
    pub fn track_udp(&mut self, reply: bool) {
        if reply {
            self.tflags |= 1;
        }
        if self.tflags < 6 {
            self.tflags += 2;
        }
    }
}

/// Packet counts of one input spec.
#[derive(Clone, Copy, Debug, Default)]
pub struct InputStats {
    /// Flows it made that are in the table.
    pub count: u32,
    /// New flows it could not map (no free port or address, table full of guaranteed flows).
    pub failures: u32,
}

const HEAP_BEST_EFFORT: usize = 0;
const HEAP_GUARANTEED: usize = 1;

/// The bounded flow table: flow slots, an index of their entries and two expiry heaps.
pub struct FlowTable {
    flows: Vec<Flow>,
    live: Vec<bool>,
    free: Vec<u32>,
    /// Open addressing with linear probing: 0 is empty, else `flow * 2 + direction + 1`.
    index: Vec<u32>,
    heaps: [Vec<u32>; 2],
    capacity: usize,
    reserved: usize,
    /// Timeouts by [`Flow::timeouts`].
    pub timeouts: [Timeouts; 2],
    /// Per-input counts.
    pub inputs: Vec<InputStats>,
}

impl Default for FlowTable {
    fn default() -> Self {
        FlowTable::new(0, 0)
    }
}

impl FlowTable {
    /// A table for `capacity` flows made by `ninputs` inputs, allocated now.
    pub fn new(capacity: usize, ninputs: usize) -> FlowTable {
        // One slot more than the capacity: a new flow is stored before the table shrinks.
        let slots = capacity + 1;
        let index_len = (slots * 4).next_power_of_two().max(16);
        FlowTable {
            flows: Vec::with_capacity(slots),
            live: Vec::with_capacity(slots),
            free: Vec::with_capacity(slots),
            index: alloc::vec![0; index_len],
            heaps: [Vec::with_capacity(slots), Vec::with_capacity(slots)],
            capacity,
            reserved: capacity,
            timeouts: [Timeouts::default(); 2],
            inputs: alloc::vec![InputStats::default(); ninputs],
        }
    }

    /// Flows in the table.
    pub fn size(&self) -> usize {
        self.heaps[0].len() + self.heaps[1].len()
    }

    /// The most flows it keeps.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Changes the capacity (at most the one allocated), dropping flows over it.
    pub fn set_capacity(&mut self, capacity: usize, now: i64) -> Result<(), String> {
        if capacity > self.reserved {
            return Err(format!(
                "capacity: {capacity} is more than the configured MAPPING_CAPACITY {}",
                self.reserved
            ));
        }
        self.capacity = capacity;
        self.shrink(now, false);
        Ok(())
    }

    /// The flow in slot `i`.
    pub fn flow(&self, i: u32) -> &Flow {
        &self.flows[i as usize]
    }

    /// The flow in slot `i`, to change.
    pub fn flow_mut(&mut self, i: u32) -> &mut Flow {
        &mut self.flows[i as usize]
    }

    /// Live flows, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = &Flow> {
        self.flows
            .iter()
            .zip(&self.live)
            .filter_map(|(f, &live)| live.then_some(f))
    }

    #[inline]
    fn slot_of(&self, map: u8, key: &FlowId) -> (usize, Option<u32>) {
        let mask = self.index.len() - 1;
        let mut i = key.hash(map) as usize & mask;
        loop {
            match self.index[i] {
                0 => return (i, None),
                v => {
                    let e = v - 1;
                    let f = &self.flows[(e >> 1) as usize];
                    if f.map == map && f.keys[(e & 1) as usize] == *key {
                        return (i, Some(e));
                    }
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// The flow with an entry `key` in `map`, and whether it is the reply entry.
    #[inline]
    pub fn lookup(&self, map: u8, key: &FlowId) -> Option<(u32, bool)> {
        self.slot_of(map, key).1.map(|e| (e >> 1, e & 1 == 1))
    }

    fn unindex(&mut self, mut hole: usize) {
        let mask = self.index.len() - 1;
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let v = self.index[j];
            if v == 0 {
                break;
            }
            let e = v - 1;
            let f = &self.flows[(e >> 1) as usize];
            let home = f.keys[(e & 1) as usize].hash(f.map) as usize & mask;
            // Move the entry back into the hole unless its home lies in (hole, j].
            let stays = if hole <= j {
                hole < home && home <= j
            } else {
                hole < home || home <= j
            };
            if !stays {
                self.index[hole] = v;
                hole = j;
            }
        }
        self.index[hole] = 0;
    }

    fn remove_entry(&mut self, flow: u32, dir: usize) {
        let f = self.flows[flow as usize];
        if let (slot, Some(e)) = self.slot_of(f.map, &f.keys[dir]) {
            if e == flow * 2 + dir as u32 {
                self.unindex(slot);
            }
        }
    }

    /// Stores a new flow (Click's `store_flow`), guaranteed or not, expiring at `expiry`.
    /// An existing flow with the new reply key is replaced. Over capacity, the best-effort
    /// flow that expires first goes; with none, the new flow is refused (`None`, counted as a
    /// failure of its input).
    pub fn add(&mut self, mut flow: Flow, guaranteed: bool, expiry: i64, now: i64) -> Option<u32> {
        if self.capacity == 0 {
            self.count_failure(flow.input);
            return None;
        }
        flow.guaranteed = guaranteed;
        flow.expiry = expiry;
        let input = flow.input as usize;
        let idx = match self.free.pop() {
            Some(i) => {
                self.flows[i as usize] = flow;
                self.live[i as usize] = true;
                i
            }
            None => {
                self.flows.push(flow);
                self.live.push(true);
                (self.flows.len() - 1) as u32
            }
        };
        let (slot, old) = self.slot_of(flow.map, &flow.keys[0]);
        debug_assert!(old.is_none());
        self.index[slot] = idx * 2 + 1;
        match self.slot_of(flow.map, &flow.keys[1]) {
            (slot, None) => self.index[slot] = idx * 2 + 2,
            (_, Some(e)) => {
                if e >> 1 != idx {
                    self.destroy(e >> 1);
                }
                let (slot, _) = self.slot_of(flow.map, &flow.keys[1]);
                if self.index[slot] == 0 {
                    self.index[slot] = idx * 2 + 2;
                }
            }
        }
        self.heap_push(usize::from(guaranteed), idx);
        if let Some(s) = self.inputs.get_mut(input) {
            s.count += 1;
        }
        if self.size() > self.capacity {
            self.shift_best_effort(now);
            let victim = self.heaps[HEAP_BEST_EFFORT].first().copied().unwrap_or(idx);
            self.destroy(victim);
            if victim == idx {
                self.count_failure(input as u16);
                return None;
            }
        }
        Some(idx)
    }

    fn count_failure(&mut self, input: u16) {
        if let Some(s) = self.inputs.get_mut(usize::from(input)) {
            s.failures += 1;
        }
    }

    /// Counts a failure of `input` to map a new flow.
    pub fn fail(&mut self, input: usize) {
        self.count_failure(input as u16);
    }

    /// Removes flow `idx` with its entries.
    pub fn destroy(&mut self, idx: u32) {
        if !self.live.get(idx as usize).copied().unwrap_or(false) {
            return;
        }
        let f = self.flows[idx as usize];
        self.heap_remove(usize::from(f.guaranteed), f.heap_pos as usize);
        self.remove_entry(idx, 0);
        self.remove_entry(idx, 1);
        self.live[idx as usize] = false;
        self.free.push(idx);
        if let Some(s) = self.inputs.get_mut(usize::from(f.input)) {
            s.count -= 1;
        }
    }

    /// Gives flow `idx` a new expiry, guaranteed or not. A later expiry only moves the flow
    /// down its heap.
    pub fn change_expiry(&mut self, idx: u32, guaranteed: bool, expiry: i64) {
        let f = &mut self.flows[idx as usize];
        let (was_guaranteed, old_expiry, pos) = (f.guaranteed, f.expiry, f.heap_pos as usize);
        f.expiry = expiry;
        if was_guaranteed != guaranteed {
            self.heap_remove(usize::from(was_guaranteed), pos);
            self.flows[idx as usize].guaranteed = guaranteed;
            self.heap_push(usize::from(guaranteed), idx);
        } else if expiry > old_expiry {
            self.sift_down(usize::from(guaranteed), pos);
        } else {
            self.heap_fix(usize::from(guaranteed), pos);
        }
    }

    /// After a packet: guaranteed for the guarantee if there is one, else for its timeout. An
    /// unchanged expiry (every packet of a burst after the first: they share one `now`) leaves
    /// the heaps alone.
    #[inline]
    pub fn refresh(&mut self, idx: u32, now: i64) {
        let f = &self.flows[idx as usize];
        let t = &self.timeouts[usize::from(f.timeouts)];
        let (g, e) = if t.guarantee != 0 {
            (true, now + t.guarantee)
        } else {
            (false, now + t.flow_timeout(f))
        };
        if (f.guaranteed, f.expiry) != (g, e) {
            self.change_expiry(idx, g, e);
        }
    }

    /// When a flow stops being kept for sure (end of its guarantee) and becomes best effort.
    pub fn best_effort_expiry(&self, f: &Flow) -> i64 {
        let t = &self.timeouts[usize::from(f.timeouts)];
        f.expiry + t.flow_timeout(f) - t.guarantee
    }

    /// The expiry shown in the tables: the best-effort expiry of a guaranteed flow.
    pub fn shown_expiry(&self, f: &Flow) -> i64 {
        if f.guaranteed {
            self.best_effort_expiry(f)
        } else {
            f.expiry
        }
    }

    fn shift_best_effort(&mut self, now: i64) {
        while let Some(&top) = self.heaps[HEAP_GUARANTEED].first() {
            let f = self.flows[top as usize];
            if f.expiry > now {
                break;
            }
            let e = self.best_effort_expiry(&f);
            self.change_expiry(top, false, e);
        }
    }

    /// Drops expired flows, then flows over the capacity (every flow with `clear_all`).
    pub fn shrink(&mut self, now: i64, clear_all: bool) {
        self.shift_best_effort(now);
        while let Some(&top) = self.heaps[HEAP_BEST_EFFORT].first() {
            if self.flows[top as usize].expiry > now {
                break;
            }
            self.destroy(top);
        }
        let keep = if clear_all { 0 } else { self.capacity };
        while self.size() > keep {
            let h = usize::from(self.heaps[HEAP_BEST_EFFORT].is_empty());
            let top = self.heaps[h][0];
            self.destroy(top);
        }
    }

    // The heaps: each flow knows its position (`heap_pos`); earliest expiry on top.

    fn less(&self, a: u32, b: u32) -> bool {
        self.flows[a as usize].expiry < self.flows[b as usize].expiry
    }

    fn place(&mut self, h: usize, pos: usize, idx: u32) {
        self.heaps[h][pos] = idx;
        self.flows[idx as usize].heap_pos = pos as u32;
    }

    fn heap_push(&mut self, h: usize, idx: u32) {
        self.heaps[h].push(idx);
        let pos = self.heaps[h].len() - 1;
        self.place(h, pos, idx);
        self.sift_up(h, pos);
    }

    fn heap_remove(&mut self, h: usize, pos: usize) {
        let Some(last) = self.heaps[h].pop() else {
            return;
        };
        if pos < self.heaps[h].len() {
            self.place(h, pos, last);
            self.heap_fix(h, pos);
        }
    }

    fn heap_fix(&mut self, h: usize, pos: usize) {
        let pos = self.sift_up(h, pos);
        self.sift_down(h, pos);
    }

    fn sift_up(&mut self, h: usize, mut pos: usize) -> usize {
        let idx = self.heaps[h][pos];
        while pos > 0 {
            let parent = (pos - 1) / 2;
            let p = self.heaps[h][parent];
            if !self.less(idx, p) {
                break;
            }
            self.place(h, pos, p);
            pos = parent;
        }
        self.place(h, pos, idx);
        pos
    }

    fn sift_down(&mut self, h: usize, mut pos: usize) {
        let idx = self.heaps[h][pos];
        let n = self.heaps[h].len();
        loop {
            let mut child = 2 * pos + 1;
            if child >= n {
                break;
            }
            if child + 1 < n && self.less(self.heaps[h][child + 1], self.heaps[h][child]) {
                child += 1;
            }
            let c = self.heaps[h][child];
            if !self.less(c, idx) {
                break;
            }
            self.place(h, pos, c);
            pos = child;
        }
        self.place(h, pos, idx);
    }
}

/// A rewriting pattern `SADDR [SPORT] DADDR [DPORT]` (Click's IPRewriterPattern): fields
/// set (0: left alone), and a range of source addresses or ports to choose from.
#[derive(Clone, Debug, Default)]
pub struct Pattern {
    saddr: [u8; 4],
    sport: u16,
    daddr: [u8; 4],
    dport: u16,
    napt: bool,
    sequential: bool,
    same_first: bool,
    variation_top: u32,
    next_variation: u32,
}

/// `L-H`, `A.B.C.D-E.F.G.H` or `A.B.C.D/LEN`, with `#` (sequential) or `?` (random)
/// suffixes: the first value and the flags.
fn strip_suffix(s: &str, sequential: &mut bool, same_first: &mut bool) -> String {
    if let Some(rest) = s.strip_suffix('#') {
        *sequential = true;
        *same_first = false;
        String::from(rest)
    } else if let Some(rest) = s.strip_suffix('?') {
        *same_first = false;
        String::from(rest)
    } else {
        String::from(s)
    }
}

impl Pattern {
    /// Parses 2 to 4 words (`SADDR DADDR`, `SADDR DADDR SPORT`, `SADDR SPORT DADDR DPORT`).
    pub fn parse(words: &[&str]) -> Result<Pattern, String> {
        if words.len() < 2 || words.len() > 4 {
            return Err(String::from("syntax error"));
        }
        let mut p = Pattern {
            same_first: true,
            napt: words.len() >= 3,
            ..Pattern::default()
        };
        let mut variation = 0u32;
        // Source address.
        let w = words[0];
        if w != "-" {
            if let Ok(a) = parse_ip(w) {
                p.saddr = a;
            } else {
                let body = strip_suffix(w, &mut p.sequential, &mut p.same_first);
                let bad = || String::from("bad source address");
                if let Some((lo, hi)) = body.split_once('-') {
                    let (lo, hi) = (
                        parse_ip(lo).map_err(|_| bad())?,
                        parse_ip(hi).map_err(|_| bad())?,
                    );
                    let (l, h) = (u32::from_be_bytes(lo), u32::from_be_bytes(hi));
                    if h < l {
                        return Err(bad());
                    }
                    p.saddr = lo;
                    variation = h - l;
                } else {
                    let (a, m) = parse_ip_prefix(&body).map_err(|_| bad())?;
                    let (a, m) = (u32::from_be_bytes(a), u32::from_be_bytes(m));
                    if a == 0 || m == 0 || m.leading_ones() + m.trailing_zeros() != 32 {
                        return Err(bad());
                    }
                    let (base, v) = match m {
                        u32::MAX => (a, 0),
                        0xffff_fffe => (a & m, 1),
                        // Not PREFIX.0 nor the broadcast address.
                        _ => ((a & m) | 1, !m - 2),
                    };
                    p.saddr = base.to_be_bytes();
                    variation = v;
                }
            }
        }
        // Source port.
        let mut i = 0;
        if words.len() >= 3 {
            i = if words.len() == 3 { 2 } else { 1 };
            let w = words[i];
            if w != "-" {
                match parse_uint_max(w, 65535) {
                    Ok(port) if port > 0 => p.sport = port as u16,
                    _ => {
                        let body = strip_suffix(w, &mut p.sequential, &mut p.same_first);
                        let bad = || String::from("bad source port");
                        let (lo, hi) = body.split_once('-').ok_or_else(bad)?;
                        let lo = parse_uint_max(lo, 65535).map_err(|_| bad())?;
                        let hi = parse_uint_max(hi, 65535).map_err(|_| bad())?;
                        if hi < lo {
                            return Err(bad());
                        }
                        p.sport = lo as u16;
                        variation = (hi - lo) as u32;
                    }
                }
            }
            i = if words.len() == 3 { 0 } else { 1 };
        }
        // Destination address.
        i += 1;
        if words[i] != "-" {
            p.daddr = parse_ip(words[i]).map_err(|_| String::from("bad destination address"))?;
        }
        // Destination port.
        if words.len() == 4 {
            i += 1;
            if words[i] != "-" {
                match parse_uint_max(words[i], 65535) {
                    Ok(port) if port > 0 => p.dport = port as u16,
                    _ => return Err(String::from("bad destination port")),
                }
            }
        }
        p.variation_top = variation;
        Ok(p)
    }

    /// Click's text form of the pattern.
    pub fn unparse(&self) -> String {
        let mut s = if !self.napt && self.variation_top != 0 {
            let hi = u32::from_be_bytes(self.saddr).wrapping_add(self.variation_top);
            format!("{}-{}", fmt_ip(&self.saddr), fmt_ip(&hi.to_be_bytes()))
        } else if self.saddr != [0; 4] {
            fmt_ip(&self.saddr)
        } else {
            String::from("-")
        };
        if self.napt {
            if self.sport == 0 {
                s.push_str(" -");
            } else if self.variation_top != 0 {
                let hi = u32::from(self.sport) + self.variation_top;
                s.push_str(&format!(" {}-{hi}", self.sport));
            } else {
                s.push_str(&format!(" {}", self.sport));
            }
        }
        if self.daddr != [0; 4] {
            s.push_str(&format!(" {}", fmt_ip(&self.daddr)));
        } else {
            s.push_str(" -");
        }
        if self.napt {
            if self.dport == 0 {
                s.push_str(" -");
            } else {
                s.push_str(&format!(" {}", self.dport));
            }
        }
        s
    }

    /// The rewritten flow of `flowid`, choosing a source port (or address) whose reply is
    /// not in `map` of `table`; `None` when the range is used up. `random` draws a start
    /// for unsequenced ranges.
    pub fn rewrite(
        &mut self,
        flowid: &FlowId,
        table: &FlowTable,
        map: u8,
        random: &mut u32,
    ) -> Option<FlowId> {
        let mut rw = *flowid;
        if self.saddr != [0; 4] {
            rw.saddr = self.saddr;
        }
        if self.sport != 0 {
            rw.sport = self.sport;
        }
        if self.daddr != [0; 4] {
            rw.daddr = self.daddr;
        }
        if self.dport != 0 {
            rw.dport = self.dport;
        }
        if self.variation_top == 0 {
            return Some(rw);
        }
        let top = self.variation_top;
        let mut lookup = rw.reverse();
        let base = if self.napt {
            u32::from(self.sport)
        } else {
            u32::from_be_bytes(self.saddr)
        };
        let free = |l: &FlowId| table.lookup(map, l).is_none();
        let mut found = None;
        if self.same_first {
            let val = u32::from(flowid.sport).wrapping_sub(base);
            if val <= top {
                lookup.dport = flowid.sport;
                if free(&lookup) {
                    found = Some(val);
                }
            }
        }
        if found.is_none() {
            let mut val = if self.sequential {
                if self.next_variation > top {
                    0
                } else {
                    self.next_variation
                }
            } else {
                *random ^= *random << 13;
                *random ^= *random >> 17;
                *random ^= *random << 5;
                (u64::from(*random) % (u64::from(top) + 1)) as u32
            };
            for _ in 0..=top {
                if self.napt {
                    lookup.dport = base.wrapping_add(val) as u16;
                } else {
                    lookup.daddr = base.wrapping_add(val).to_be_bytes();
                }
                if free(&lookup) {
                    found = Some(val);
                    break;
                }
                val = if val == top { 0 } else { val + 1 };
            }
        }
        let val = found?;
        if self.napt {
            rw.sport = lookup.dport;
        } else {
            rw.saddr = lookup.daddr;
        }
        self.next_variation = val.wrapping_add(1);
        Some(rw)
    }
}

/// What an input does with a packet of a flow the table does not know.
#[derive(Clone, Debug)]
pub enum InputSpec {
    /// `drop`, `discard`.
    Drop,
    /// `pass OUTPUT`, `passthrough`, `nochange`: out unchanged, no mapping.
    NoChange(usize),
    /// `keep FOUTPUT ROUTPUT`: map the flow to itself.
    Keep(usize, usize),
    /// `pattern ... FOUTPUT ROUTPUT`: a pattern (index into the element's patterns).
    Pattern(usize, usize, usize),
    /// An IPMapper element (RoundRobinIPMapper): its patterns in turn.
    Mapper(Vec<(usize, usize, usize)>, usize),
}

/// What an input spec decided for a new flow.
pub enum Decision {
    /// Send it out of this output unchanged.
    Pass(usize),
    /// Drop it.
    Drop,
    /// Map it to this flow, forward and reply outputs.
    Map(FlowId, usize, usize),
}

/// Parses a `pattern` rest (`PATTERN FOUTPUT ROUTPUT` or `NAME FOUTPUT ROUTPUT`) into
/// `patterns`; returns the pattern index and the outputs, which must be below `noutputs`
/// when given.
fn parse_pattern_with_ports(
    rest: &str,
    patterns: &mut Vec<Pattern>,
    ctx: &ConfigureContext<'_>,
    noutputs: Option<usize>,
) -> Result<(usize, usize, usize), String> {
    let words = split_words(rest);
    if words.len() <= 2 {
        return Err(String::from("syntax error"));
    }
    let (pat, ports) = words.split_at(words.len() - 2);
    let pattern = if pat.len() == 1 {
        named_pattern(pat[0], ctx)?
    } else {
        Pattern::parse(pat)?
    };
    let port = |s: &str, what: &str| {
        parse_uint_max(s, u64::from(u32::MAX))
            .map(|v| v as usize)
            .map_err(|_| format!("bad {what} port"))
    };
    let fout = port(ports[0], "forward")?;
    let rout = port(ports[1], "reply")?;
    if noutputs.is_some_and(|n| fout >= n || rout >= n) {
        return Err(String::from("output port out of range"));
    }
    patterns.push(pattern);
    Ok((patterns.len() - 1, fout, rout))
}

/// The pattern called `name` by an IPRewriterPatterns element of the router.
fn named_pattern(name: &str, ctx: &ConfigureContext<'_>) -> Result<Pattern, String> {
    for e in ctx.peers.iter().filter(|e| e.class == "IPRewriterPatterns") {
        for arg in crate::args::split_args(&e.config) {
            let words = split_words(&arg);
            if words.first() == Some(&name) {
                return Pattern::parse(&words[1..]);
            }
        }
    }
    Err(format!("no such pattern '{name}'"))
}

/// Parses the patterns of a RoundRobinIPMapper configuration (one per argument), with
/// outputs below `noutputs` when given.
pub fn parse_mapper_patterns(
    config: &str,
    patterns: &mut Vec<Pattern>,
    ctx: &ConfigureContext<'_>,
    noutputs: Option<usize>,
) -> Result<Vec<(usize, usize, usize)>, String> {
    let args = crate::args::split_args(config);
    if args.is_empty() {
        return Err(String::from("no patterns given"));
    }
    args.iter()
        .map(|a| parse_pattern_with_ports(a, patterns, ctx, noutputs))
        .collect()
}

/// Parses input spec `line` of input `input`, adding its patterns to `patterns`.
pub fn parse_input_spec(
    line: &str,
    input: usize,
    patterns: &mut Vec<Pattern>,
    ctx: &ConfigureContext<'_>,
) -> Result<InputSpec, String> {
    let err = |m: String| format!("input spec {input}: {m}");
    let line = line.trim();
    let (word, rest) = line
        .split_once(|c: char| c.is_ascii_whitespace())
        .map_or((line, ""), |(w, r)| (w, r.trim()));
    let out = |s: &str| -> Result<usize, String> {
        let n =
            parse_uint_max(s, u64::from(u32::MAX)).map_err(|_| err(String::from("bad output")))?;
        if n as usize >= ctx.noutputs {
            return Err(err(String::from("output port out of range")));
        }
        Ok(n as usize)
    };
    match word {
        "" => Err(err(String::from("empty argument"))),
        "pass" | "passthrough" | "nochange" => {
            let port = if rest.is_empty() { 0 } else { out(rest)? };
            if port >= ctx.noutputs {
                return Err(err(String::from("output port out of range")));
            }
            Ok(InputSpec::NoChange(port))
        }
        "keep" => match split_words(rest).as_slice() {
            [f, r] => Ok(InputSpec::Keep(out(f)?, out(r)?)),
            _ => Err(err(String::from("bad forward port"))),
        },
        "drop" | "discard" if rest.is_empty() => Ok(InputSpec::Drop),
        "drop" | "discard" => Err(err(format!("syntax error, expected '{word}'"))),
        "pattern" | "xpattern" => {
            let (p, f, r) =
                parse_pattern_with_ports(rest, patterns, ctx, Some(ctx.noutputs)).map_err(err)?;
            Ok(InputSpec::Pattern(p, f, r))
        }
        name => match ctx.peer(name) {
            Some(_) if !rest.is_empty() => {
                Err(err(String::from("syntax error, expected element name")))
            }
            Some(e) if e.class == "RoundRobinIPMapper" => {
                let list = parse_mapper_patterns(&e.config, patterns, ctx, Some(ctx.noutputs))
                    .map_err(err)?;
                Ok(InputSpec::Mapper(list, 0))
            }
            Some(_) => Err(err(String::from("element is not an IPMapper"))),
            None => Err(err(String::from("unknown specification"))),
        },
    }
}

/// Click's `patterns`/`patternN` line of a spec: its kind or pattern, and its flow count.
pub fn unparse_spec(spec: &InputSpec, patterns: &[Pattern], stats: &InputStats) -> String {
    let mut s = match spec {
        InputSpec::Drop => String::from("<drop>"),
        InputSpec::NoChange(_) => String::from("<nochange>"),
        InputSpec::Keep(..) => String::from("<keep>"),
        InputSpec::Pattern(p, ..) => patterns[*p].unparse(),
        InputSpec::Mapper(..) => String::from("<mapper>"),
    };
    if stats.count != 0 {
        s.push_str(&format!(" [{}]", stats.count));
    }
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fid(a: u8, sp: u16, b: u8, dp: u16) -> FlowId {
        FlowId {
            saddr: [10, 0, 0, a],
            sport: sp,
            daddr: [10, 0, 1, b],
            dport: dp,
        }
    }

    #[test]
    fn patterns_parse_and_unparse_as_click() {
        let p = |s: &str| Pattern::parse(&split_words(s)).map(|p| p.unparse());
        assert_eq!(
            p("1.0.0.1 1024-65535# - -").unwrap(),
            "1.0.0.1 1024-65535 - -"
        );
        assert_eq!(
            p("192.0.2.10-192.0.2.12# -").unwrap(),
            "192.0.2.10-192.0.2.12 -"
        );
        assert_eq!(p("- - 10.0.0.9 80").unwrap(), "- - 10.0.0.9 80");
        assert_eq!(p("10.1.0.0/24 -").unwrap(), "10.1.0.1-10.1.0.254 -");
        assert_eq!(p("1.0.0.1 80# - -").unwrap_err(), "bad source port");
        assert_eq!(p("x -").unwrap_err(), "bad source address");
        assert_eq!(p("1.0.0.1 20-10 - -").unwrap_err(), "bad source port");
        assert_eq!(p("- - y -").unwrap_err(), "bad destination address");
        assert_eq!(p("-").unwrap_err(), "syntax error");
    }

    #[test]
    fn sequential_ports_skip_used_ones_and_run_out() {
        let mut table = FlowTable::new(16, 1);
        let mut pat = Pattern::parse(&split_words("1.0.0.1 5000-5001# - -")).unwrap();
        let mut rnd = 1;
        let a = pat
            .rewrite(&fid(1, 40, 2, 80), &table, 0, &mut rnd)
            .unwrap();
        assert_eq!((a.saddr, a.sport), ([1, 0, 0, 1], 5000));
        table.add(Flow::new(fid(1, 40, 2, 80), a, 0, 0, [0, 1]), true, 10, 0);
        let b = pat
            .rewrite(&fid(1, 41, 2, 80), &table, 0, &mut rnd)
            .unwrap();
        assert_eq!(b.sport, 5001);
        table.add(Flow::new(fid(1, 41, 2, 80), b, 0, 0, [0, 1]), true, 10, 0);
        assert!(pat
            .rewrite(&fid(1, 42, 2, 80), &table, 0, &mut rnd)
            .is_none());
        // Another map (UDP in IPRewriter) has its ports free; the counter is shared.
        assert_eq!(
            pat.rewrite(&fid(1, 42, 2, 80), &table, 1, &mut rnd)
                .unwrap()
                .sport,
            5000
        );
    }

    #[test]
    fn full_table_refuses_while_guaranteed_and_evicts_best_effort() {
        let mut table = FlowTable::new(2, 1);
        table.timeouts[0] = Timeouts {
            base: 100,
            guarantee: 10,
            ..Timeouts::default()
        };
        for i in 0..3u8 {
            let f = fid(i, 1, 1, 1);
            let got = table.add(Flow::new(f, f, 0, 0, [0, 0]), true, 10, 0);
            assert_eq!(got.is_some(), i < 2);
        }
        assert_eq!(
            (
                table.size(),
                table.inputs[0].failures,
                table.inputs[0].count
            ),
            (2, 1, 2)
        );
        // At 20 ms the guarantees are over: a new flow replaces the first to expire.
        let f = fid(9, 1, 1, 1);
        assert!(table
            .add(Flow::new(f, f, 0, 0, [0, 0]), true, 30, 20)
            .is_some());
        assert_eq!(table.size(), 2);
        assert!(table.lookup(0, &fid(0, 1, 1, 1)).is_none());
        assert!(table.lookup(0, &f).is_some());
        // Everything expires by 200 ms.
        table.shrink(200, false);
        assert_eq!((table.size(), table.inputs[0].count), (0, 0));
        assert!(table.lookup(0, &f.reverse()).is_none());
    }

    #[test]
    fn index_survives_churn() {
        let mut table = FlowTable::new(64, 1);
        let mut live = Vec::new();
        for i in 0..5000u32 {
            let f = FlowId {
                saddr: i.to_be_bytes(),
                sport: (i % 7) as u16,
                daddr: [1, 2, 3, 4],
                dport: 80,
            };
            let r = FlowId {
                sport: 1000 + (i % 60000) as u16,
                ..f
            };
            if let Some(idx) = table.add(
                Flow::new(f, r, 0, 0, [0, 0]),
                false,
                i64::from(i),
                i64::from(i),
            ) {
                live.push((idx, f));
            }
            assert!(table.size() <= 64);
        }
        for f in table.iter() {
            let f = *f;
            assert!(table.lookup(0, &f.keys[0]).is_some_and(|(_, r)| !r));
            assert!(table.lookup(0, &f.keys[1]).is_some_and(|(_, r)| r));
        }
        assert_eq!(table.iter().count(), 64);
    }
}
