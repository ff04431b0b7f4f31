//! ARPQuerier: puts Ethernet headers on IP packets, asking ARP for unknown destinations.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use crate::args::{
    parse_bool, parse_ether, parse_ip, parse_ip_prefix, parse_seconds, parse_u64, Args,
};
use crate::class::{ElementClass, Ports, ProcessingSpec};
use crate::element::{ConfigureContext, Element, PushContext, TaskContext};
use crate::elements::net::{
    be16, bytes4, bytes6, fmt_ether, fmt_ip, fmt_timestamp, ARPHRD_ETHER, ARPOP_REPLY,
    ARPOP_REQUEST, ARP_LEN, ETHERTYPE_ARP, ETHERTYPE_IP, ETHER_LEN,
};
use crate::packet::{Packet, PacketPool, Timestamp};
use crate::sort;

/// What the table knows about one IP address.
#[derive(Debug)]
struct ArpEntry {
    eth: [u8; 6],
    known: bool,
    /// When the entry was last confirmed (ms).
    live_at: i64,
    /// When it was last queried (ms).
    polled_at: i64,
    polls_since_reply: u8,
    /// Packets waiting for the answer, oldest first.
    waiting: VecDeque<Packet>,
}

impl ArpEntry {
    fn new(now: i64) -> ArpEntry {
        ArpEntry {
            eth: [0; 6],
            known: false,
            live_at: now,
            polled_at: now - 1000,
            polls_since_reply: 0,
            waiting: VecDeque::new(),
        }
    }

    fn expired(&self, now: i64, timeout: i64) -> bool {
        timeout > 0 && self.live_at + timeout < now
    }

    fn known(&self, now: i64, timeout: i64) -> bool {
        self.known && !self.expired(now, timeout)
    }

    /// At most 10 queries a second, and one every 2 s after 10 unanswered ones.
    fn allow_poll(&self, now: i64) -> bool {
        let gap = if self.polls_since_reply >= 10 {
            2000
        } else {
            100
        };
        now >= self.polled_at + gap
    }

    fn mark_poll(&mut self, now: i64) {
        self.polled_at = now;
        self.polls_since_reply = self.polls_since_reply.saturating_add(1);
    }
}

/// Encapsulates IP packets (input 0, without Ethernet header, destination in the dst-IP
/// annotation) in Ethernet headers `DST OUR_ETH 0x0800`, learning addresses from ARP replies
/// on input 1. Packets for unknown destinations wait (in order) while a broadcast who-has goes
/// out of the last output (at most 10 a second per address); a reply releases them.
/// 255.255.255.255 and the subnet broadcast go to ff:ff:ff:ff:ff:ff, multicast to
/// 01:00:5e + the low 23 bits, and 0.0.0.0 is dropped with a one-time warning.
///
/// Arguments: `IP` (or `IP/LEN`, which sets the subnet broadcast), `ETH`; keywords
/// `CAPACITY` (waiting packets, default 2048), `ENTRY_CAPACITY`, `ENTRY_PACKET_CAPACITY`,
/// `CAPACITY_SLIM_FACTOR`, `TIMEOUT` (entry lifetime, default 300 s), `BROADCAST`,
/// `POLL_TIMEOUT` (re-query known entries this old, default 60 s), `BROADCAST_POLL`.
pub struct ARPQuerier {
    my_ip: [u8; 4],
    my_eth: [u8; 6],
    broadcast: [u8; 4],
    table: BTreeMap<[u8; 4], ArpEntry>,
    packet_count: usize,
    capacity: usize,
    entry_capacity: usize,
    entry_packet_capacity: usize,
    slim_factor: usize,
    timeout: i64,
    poll_timeout: i64,
    broadcast_poll: bool,
    queries: u64,
    responses: u64,
    drops: u64,
    table_drops: u64,
    zero_warned: bool,
    query_port: usize,
    last_now: i64,
    pool: PacketPool,
}

impl Default for ARPQuerier {
    fn default() -> Self {
        ARPQuerier {
            my_ip: [0; 4],
            my_eth: [0; 6],
            broadcast: [255; 4],
            table: BTreeMap::new(),
            packet_count: 0,
            capacity: 2048,
            entry_capacity: 0,
            entry_packet_capacity: 0,
            slim_factor: 2,
            timeout: 300_000,
            poll_timeout: 60_000,
            broadcast_poll: false,
            queries: 0,
            responses: 0,
            drops: 0,
            table_drops: 0,
            zero_warned: false,
            query_port: 0,
            last_now: 0,
            pool: PacketPool::default(),
        }
    }
}

/// Parses a count keyword.
fn parse_count(s: &str) -> Result<usize, String> {
    usize::try_from(parse_u64(s)?).map_err(|_| String::from("out of range"))
}

/// Parses a time keyword into milliseconds.
fn parse_millis(s: &str) -> Result<i64, String> {
    i64::try_from(parse_seconds(s)? / 1_000_000).map_err(|_| String::from("out of range"))
}

impl ARPQuerier {
    /// The who-has for `dst`, modelled on packet `p` (timestamp and VLAN annotations);
    /// unicast to `unicast` when given and broadcast polling is off.
    fn query(&mut self, p: &Packet, unicast: Option<[u8; 6]>) -> Packet {
        let mut q = [0u8; ETHER_LEN + ARP_LEN];
        let dhost = unicast
            .filter(|_| !self.broadcast_poll)
            .unwrap_or([0xff; 6]);
        q[..6].copy_from_slice(&dhost);
        q[6..12].copy_from_slice(&self.my_eth);
        q[12..14].copy_from_slice(&ETHERTYPE_ARP.to_be_bytes());
        q[14..22].copy_from_slice(&[0, 1, 8, 0, 6, 4, 0, ARPOP_REQUEST as u8]);
        q[22..28].copy_from_slice(&self.my_eth);
        q[28..32].copy_from_slice(&self.my_ip);
        q[38..42].copy_from_slice(&p.anno.dst_ip);
        let mut packet = self.pool.packet_from_slice(&q);
        packet.set_mac_header(0);
        packet.set_network_header(ETHER_LEN);
        packet.anno.timestamp = p.anno.timestamp;
        packet.anno.vlan_tci = p.anno.vlan_tci;
        self.queries += 1;
        packet
    }

    /// How often the expiry timer runs: every `TIMEOUT` (none without a timeout).
    fn expire_interval(&self) -> Option<Duration> {
        u64::try_from(self.timeout)
            .ok()
            .filter(|&ms| ms > 0)
            .map(Duration::from_millis)
    }

    /// Drops expired entries (with their waiting packets) and, over `ENTRY_CAPACITY`, the
    /// oldest entries.
    fn expire(&mut self, now: i64) {
        let timeout = self.timeout;
        let mut dropped = 0;
        self.table.retain(|_, e| {
            let keep = !e.expired(now, timeout);
            if !keep {
                dropped += e.waiting.len();
            }
            keep
        });
        while self.entry_capacity > 0 && self.table.len() > self.entry_capacity {
            let oldest = self
                .table
                .iter()
                .min_by_key(|(_, e)| e.live_at)
                .map(|(ip, _)| *ip);
            match oldest.and_then(|ip| self.table.remove(&ip)) {
                Some(e) => dropped += e.waiting.len(),
                None => break,
            }
        }
        self.packet_count -= dropped;
        self.table_drops += dropped as u64;
    }

    /// Over `CAPACITY` waiting packets: drops the oldest until a `1/CAPACITY_SLIM_FACTOR`
    /// share of the room is free again.
    fn slim(&mut self) {
        if self.capacity == 0 || self.packet_count <= self.capacity {
            return;
        }
        let target = (self.capacity - self.capacity / self.slim_factor).max(1);
        let mut order: Vec<([u8; 4], i64)> =
            self.table.iter().map(|(ip, e)| (*ip, e.live_at)).collect();
        sort::by_key(&mut order, |&(_, t)| u128::from(t.abs_diff(i64::MIN)));
        for (ip, _) in order {
            let Some(e) = self.table.get_mut(&ip) else {
                continue;
            };
            while self.packet_count > target && e.waiting.pop_front().is_some() {
                self.packet_count -= 1;
                self.table_drops += 1;
            }
            if self.packet_count <= target {
                break;
            }
        }
    }

    /// Sends an IP packet (with room for, or already holding, its Ethernet header).
    fn handle_ip(&mut self, mut p: Packet, has_header: bool, now: i64, ctx: &mut PushContext<'_>) {
        if self.my_ip == [0; 4] {
            self.drops += 1;
            return;
        }
        if !has_header {
            p.push_front(ETHER_LEN)[12..14].copy_from_slice(&ETHERTYPE_IP.to_be_bytes());
            p.set_mac_header(0);
            p.set_network_header(ETHER_LEN);
        }
        let dst = p.anno.dst_ip;
        let (timeout, poll_timeout) = (self.timeout, self.poll_timeout);
        let mut poll = None;
        let dhost = match self.table.get_mut(&dst) {
            Some(e) if e.known(now, timeout) => {
                if poll_timeout > 0 && now >= e.live_at + poll_timeout && e.allow_poll(now) {
                    e.mark_poll(now);
                    poll = Some(e.eth);
                }
                e.eth
            }
            _ if dst == [255; 4] || dst == self.broadcast => [0xff; 6],
            _ if dst[0] & 0xf0 == 0xe0 => [0x01, 0x00, 0x5e, dst[1] & 0x7f, dst[2], dst[3]],
            _ if dst == [0; 4] => {
                if !self.zero_warned {
                    self.zero_warned = true;
                    let line = format!(
                        "{} :: ARPQuerier: would query for 0.0.0.0; missing dest IP addr annotation?",
                        ctx.element_name()
                    );
                    ctx.platform().chatter(&line);
                }
                self.drops += 1;
                return;
            }
            _ => {
                self.wait_for_reply(p, dst, now, ctx);
                return;
            }
        };
        if let Some(eth) = poll {
            let q = self.query(&p, Some(eth));
            ctx.output(self.query_port, q);
        }
        let d = p.data_mut();
        d[..6].copy_from_slice(&dhost);
        d[6..12].copy_from_slice(&self.my_eth);
        ctx.output(0, p);
    }

    /// Queues `p` on the (unknown) entry for `dst` and queries if allowed.
    fn wait_for_reply(&mut self, p: Packet, dst: [u8; 4], now: i64, ctx: &mut PushContext<'_>) {
        if let alloc::collections::btree_map::Entry::Vacant(slot) = self.table.entry(dst) {
            slot.insert(ArpEntry::new(now));
            self.expire(now);
        }
        let timeout = self.timeout;
        let Some(e) = self.table.get_mut(&dst) else {
            // Evicted at once (ENTRY_CAPACITY 0 cannot do this; a full table can).
            self.table_drops += 1;
            return;
        };
        // Keep an entry still being asked for just short of expiring.
        if timeout > 0 && e.live_at < now - timeout {
            e.live_at = now - timeout;
        }
        if self.entry_packet_capacity > 0 && e.waiting.len() >= self.entry_packet_capacity {
            self.table_drops += 1;
            return;
        }
        let query = if e.allow_poll(now) {
            e.mark_poll(now);
            true
        } else {
            false
        };
        let q = query.then(|| self.query(&p, None));
        if let Some(e) = self.table.get_mut(&dst) {
            e.waiting.push_back(p);
            self.packet_count += 1;
        }
        self.slim();
        if let Some(q) = q {
            ctx.output(self.query_port, q);
        }
    }

    /// Learns from an ARP reply and sends the packets that waited for it.
    fn handle_response(&mut self, p: &Packet, now: i64, ctx: &mut PushContext<'_>) {
        let d = p.data();
        if d.len() < ETHER_LEN + ARP_LEN {
            return;
        }
        self.responses += 1;
        let (Some(spa), Some(sha)) = (bytes4(d, 28), bytes6(d, 22)) else {
            return;
        };
        if be16(d, 12) != Some(ETHERTYPE_ARP)
            || be16(d, 14) != Some(ARPHRD_ETHER)
            || be16(d, 16) != Some(ETHERTYPE_IP)
            || be16(d, 20) != Some(ARPOP_REPLY)
            || sha[0] & 1 != 0
        {
            return;
        }
        let waiting = self.insert(spa, sha, now);
        for q in waiting {
            self.handle_ip(q, true, now, ctx);
        }
    }

    /// Records `ip` at `eth`; returns the packets that were waiting for it.
    fn insert(&mut self, ip: [u8; 4], eth: [u8; 6], now: i64) -> VecDeque<Packet> {
        let e = self.table.entry(ip).or_insert_with(|| ArpEntry::new(now));
        e.eth = eth;
        e.known = eth != [0xff; 6];
        e.live_at = now;
        e.polls_since_reply = 0;
        e.polled_at = now - 1000;
        let waiting = core::mem::take(&mut e.waiting);
        self.packet_count -= waiting.len();
        self.expire(now);
        waiting
    }

    /// Empties the table, dropping waiting packets, and zeroes the counters.
    fn clear(&mut self) {
        self.table.clear();
        self.packet_count = 0;
        self.queries = 0;
        self.responses = 0;
        self.drops = 0;
        self.table_drops = 0;
    }
}

impl ElementClass for ARPQuerier {
    const NAME: &'static str = "ARPQuerier";
    const PORTS: Ports = Ports::parse("2/1-2");
    const PROCESSING: ProcessingSpec = ProcessingSpec::parse("h/h");
    const EXAMPLE: &'static str = "10.10.0.3/24, 00:15:17:15:5d:75";
}

impl Element for ARPQuerier {
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        // Click's 0 ("no limit") becomes the platform's limit: state that grows with
        // traffic is always bounded.
        let bounded = |what: &str, n: usize| match n {
            0 => Ok(ctx.limits.capacity),
            n => ctx.limits.check_capacity(what, n),
        };
        if let Some(n) = args.read_kw("CAPACITY", parse_count) {
            self.capacity = bounded("CAPACITY", n)?;
        }
        self.entry_capacity = match args.read_kw("ENTRY_CAPACITY", parse_count) {
            Some(n) => bounded("ENTRY_CAPACITY", n)?,
            None => ctx.limits.capacity,
        };
        if let Some(n) = args.read_kw("ENTRY_PACKET_CAPACITY", parse_count) {
            self.entry_packet_capacity = bounded("ENTRY_PACKET_CAPACITY", n)?;
        }
        if let Some(n) = args.read_kw("CAPACITY_SLIM_FACTOR", parse_count) {
            if n == 0 {
                return Err(String::from("CAPACITY_SLIM_FACTOR cannot be zero"));
            }
            self.slim_factor = n;
        }
        if let Some(t) = args.read_kw("TIMEOUT", parse_millis) {
            self.timeout = t;
        }
        let broadcast = args.read_kw("BROADCAST", parse_ip);
        if let Some(t) = args.read_kw("POLL_TIMEOUT", parse_millis) {
            self.poll_timeout = t;
        }
        self.broadcast_poll = args.read_kw("BROADCAST_POLL", parse_bool).unwrap_or(false);
        let prefix = args.read_mp("IP", parse_ip_prefix);
        let eth = args.read_mp("ETH", parse_ether);
        if let (Some((ip, mask)), Some(eth)) = (prefix, eth) {
            self.my_ip = ip;
            self.my_eth = eth;
            let bcast = (u32::from_be_bytes(ip) | !u32::from_be_bytes(mask)).to_be_bytes();
            self.broadcast = broadcast.unwrap_or(if bcast == ip { [255; 4] } else { bcast });
        }
        self.query_port = ctx.noutputs.saturating_sub(1);
        self.pool = ctx.pool.clone();
        Ok(())
    }

    fn push(&mut self, port: usize, packet: Packet, ctx: &mut PushContext<'_>) {
        let now = ctx.now().millis();
        self.last_now = now;
        if port == 0 {
            self.handle_ip(packet, false, now, ctx);
        } else {
            self.handle_response(&packet, now, ctx);
        }
    }

    /// Entries expire on a timer as well as when they are looked at, so that a table nobody
    /// asks about empties (and gives its waiting packets back) on its own.
    fn timer_start(&self) -> Option<Duration> {
        self.expire_interval()
    }

    fn run_timer(&mut self, ctx: &mut TaskContext<'_>) -> Option<Duration> {
        self.expire(ctx.push.now().millis());
        self.expire_interval()
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &[
            "table",
            "stats",
            "count",
            "length",
            "queries",
            "responses",
            "drops",
            "broadcast",
            "ipaddr",
        ]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        Some(match name {
            "table" => {
                let mut entries: Vec<(&[u8; 4], &ArpEntry)> = self.table.iter().collect();
                sort::by_key(&mut entries, |(_, e)| {
                    u128::from(e.live_at.abs_diff(i64::MIN))
                });
                let mut s = String::new();
                for (ip, e) in entries {
                    let age = (self.last_now - e.live_at).max(0) as u64;
                    let age = Timestamp {
                        sec: age / 1000,
                        nsec: (age % 1000) as u32 * 1_000_000,
                    };
                    s.push_str(&format!(
                        "{} {} {} {}\n",
                        fmt_ip(ip),
                        u8::from(e.known(self.last_now, self.timeout)),
                        fmt_ether(&e.eth),
                        fmt_timestamp(&age)
                    ));
                }
                s
            }
            "stats" => format!(
                "{} packets killed\n{} ARP queries sent\n",
                self.drops + self.table_drops,
                self.queries
            ),
            "count" => format!("{}", self.table.len()),
            "length" => format!("{}", self.packet_count),
            "queries" => format!("{}", self.queries),
            "responses" => format!("{}", self.responses),
            "drops" => format!("{}", self.drops),
            "broadcast" => fmt_ip(&self.broadcast),
            "ipaddr" => fmt_ip(&self.my_ip),
            _ => return None,
        })
    }

    fn write_handlers(&self) -> &'static [&'static str] {
        &["insert", "delete", "clear"]
    }

    fn write_handler(&mut self, name: &str, value: &str) -> Result<(), String> {
        let words = crate::args::split_words(value);
        match (name, words.as_slice()) {
            ("insert", [ip, eth]) => {
                let ip = parse_ip(ip).map_err(|e| format!("IP: {e}"))?;
                let eth = parse_ether(eth).map_err(|e| format!("ETH: {e}"))?;
                // Waiting packets stay queued until traffic flows again; a handler has no
                // output to send them on.
                let now = self.last_now;
                let waiting = self.insert(ip, eth, now);
                self.packet_count += waiting.len();
                if let Some(e) = self.table.get_mut(&ip) {
                    e.waiting = waiting;
                }
                Ok(())
            }
            ("insert", _) => Err(String::from("expected IP ETH")),
            ("delete", [ip]) => {
                let ip = parse_ip(ip).map_err(|e| format!("IP: {e}"))?;
                if let Some(e) = self.table.remove(&ip) {
                    self.packet_count -= e.waiting.len();
                    self.table_drops += e.waiting.len() as u64;
                }
                Ok(())
            }
            ("delete", _) => Err(String::from("expected IP")),
            ("clear", _) => {
                self.clear();
                Ok(())
            }
            _ => Err(format!("no write handler '{name}'")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::testing::*;

    fn querier(config: &str, noutputs: usize) -> Harness<ARPQuerier> {
        Harness::with_inputs(ARPQuerier::default(), "arpq", config, 2, noutputs)
            .expect("configures")
    }

    /// An IP packet for `dst` without Ethernet header, with the dst-IP annotation.
    fn ip_to(dst: [u8; 4], tag: u8) -> Packet {
        let mut p = Packet::from_slice(&ipv4(
            1,
            SERVER_IP,
            dst,
            &icmp(0, 0, 1, u16::from(tag), &[]),
        ));
        p.set_network_header(0);
        p.anno.dst_ip = dst;
        p.anno.vlan_tci = 9;
        p
    }

    fn reply_from(ip: [u8; 4], eth: [u8; 6]) -> Packet {
        dump_packet(&ether(
            SERVER_MAC,
            eth,
            0x0806,
            &arp_body(2, eth, ip, SERVER_MAC, SERVER_IP),
            60,
        ))
    }

    fn advance(h: &mut Harness<ARPQuerier>, ms: u32) {
        let t = h.platform.now;
        let total = u64::from(t.nsec / 1_000_000) + u64::from(ms);
        h.platform.now = Timestamp {
            sec: t.sec + total / 1000,
            nsec: (total % 1000) as u32 * 1_000_000,
        };
    }

    #[test]
    fn unknown_destination_is_held_and_queried() {
        let mut h = querier("10.10.0.3, 00:15:17:15:5d:75", 2);
        h.push(0, ip_to(CLIENT_IP, 1));
        assert!(h.take(0).is_empty());
        let q = h.take(1);
        assert_eq!(q.len(), 1);
        let want = ether(
            [0xff; 6],
            SERVER_MAC,
            0x0806,
            &arp_body(1, SERVER_MAC, SERVER_IP, [0; 6], CLIENT_IP),
            0,
        );
        assert_eq!(q[0].data(), &want[..]);
        assert_eq!(q[0].anno.vlan_tci, 9);
        // A second packet within 100 ms is only queued.
        advance(&mut h, 50);
        h.push(0, ip_to(CLIENT_IP, 2));
        assert!(h.take(1).is_empty());
        assert_eq!(h.element.read_handler("length").unwrap(), "2");
        // After 100 ms another query goes out.
        advance(&mut h, 60);
        h.push(0, ip_to(CLIENT_IP, 3));
        assert_eq!(h.take(1).len(), 1);
        // The reply releases the packets in order, with our header.
        h.push(1, reply_from(CLIENT_IP, CLIENT_MAC));
        let out = h.take(0);
        assert_eq!(out.len(), 3);
        for (i, p) in out.iter().enumerate() {
            assert_eq!(&p.data()[..14], &hex("001122334455 001517155d75 0800")[..]);
            assert_eq!(p.data()[14 + 20 + 7], i as u8 + 1);
        }
        assert_eq!(h.element.read_handler("length").unwrap(), "0");
        assert_eq!(h.element.read_handler("queries").unwrap(), "2");
        assert_eq!(h.element.read_handler("responses").unwrap(), "1");
        // Now known: sent at once.
        h.push(0, ip_to(CLIENT_IP, 4));
        assert_eq!(h.take(0).len(), 1);
        assert!(h.take(1).is_empty());
        let table = h.element.read_handler("table").unwrap();
        assert!(
            table.starts_with("10.10.0.1 1 00-11-22-33-44-55 "),
            "{table}"
        );
        assert_eq!(h.element.read_handler("count").unwrap(), "1");
    }

    #[test]
    fn special_destinations() {
        let mut h = querier("10.10.0.3/24, 00:15:17:15:5d:75", 1);
        assert_eq!(h.element.read_handler("broadcast").unwrap(), "10.10.0.255");
        for (dst, mac) in [
            ([255; 4], [0xff; 6]),
            ([10, 10, 0, 255], [0xff; 6]),
            ([224, 0, 0, 251], [0x01, 0x00, 0x5e, 0, 0, 251]),
            ([239, 255, 1, 2], [0x01, 0x00, 0x5e, 0x7f, 1, 2]),
        ] {
            h.push(0, ip_to(dst, 0));
            let out = h.take(0);
            assert_eq!(out.len(), 1);
            assert_eq!(&out[0].data()[..6], &mac);
        }
        // 0.0.0.0: dropped with a single warning.
        h.push(0, ip_to([0; 4], 0));
        h.push(0, ip_to([0; 4], 0));
        assert!(h.take(0).is_empty());
        assert_eq!(
            h.platform.chatter,
            ["arpq :: ARPQuerier: would query for 0.0.0.0; missing dest IP addr annotation?"]
        );
        assert_eq!(h.element.read_handler("drops").unwrap(), "2");
        // In the one-output form, queries use output 0.
        h.push(0, ip_to(CLIENT_IP, 0));
        assert_eq!(be16(h.take(0)[0].data(), 12), Some(0x0806));
    }

    #[test]
    fn learning_only_and_bad_replies() {
        // The seed use: input 0 idle, replies on input 1 only teach.
        let mut h = querier("10.10.0.3, 00:15:17:15:5d:75", 1);
        h.push(1, reply_from(CLIENT_IP, CLIENT_MAC));
        assert!(h.take(0).is_empty());
        assert_eq!(h.element.read_handler("count").unwrap(), "1");
        // Runts, requests, group addresses and other protocols teach nothing.
        let req = dump_packet(&arp_request(SERVER_IP));
        h.push(1, req);
        h.push(1, reply_from([10, 0, 0, 9], [0x01, 0, 0x5e, 0, 0, 1]));
        h.push(1, dump_packet(&arp_request(SERVER_IP)[..41]));
        h.push(1, dump_packet(&[]));
        assert_eq!(h.element.read_handler("count").unwrap(), "1");
        assert_eq!(h.element.read_handler("responses").unwrap(), "3");
        assert!(h.take(0).is_empty());
    }

    #[test]
    fn capacity_and_handlers() {
        let mut h = querier("10.10.0.3, 00:15:17:15:5d:75, ENTRY_PACKET_CAPACITY 2", 2);
        for i in 0..5 {
            h.push(0, ip_to(CLIENT_IP, i));
        }
        assert_eq!(h.element.read_handler("length").unwrap(), "2");
        assert!(h
            .element
            .read_handler("stats")
            .unwrap()
            .starts_with("3 packets killed\n1 ARP"));
        h.element
            .write_handler("insert", "10.10.0.7 00:00:00:00:00:07")
            .unwrap();
        h.push(0, ip_to([10, 10, 0, 7], 0));
        assert_eq!(&h.take(0)[0].data()[..6], &[0, 0, 0, 0, 0, 7]);
        h.element.write_handler("delete", "10.10.0.1").unwrap();
        assert_eq!(h.element.read_handler("length").unwrap(), "0");
        h.element.write_handler("clear", "").unwrap();
        assert_eq!(h.element.read_handler("count").unwrap(), "0");
        assert!(h.element.write_handler("insert", "10.0.0.1").is_err());
        let mut h = querier("10.10.0.3, 00:15:17:15:5d:75, CAPACITY 4", 2);
        for i in 0..6 {
            h.push(0, ip_to([10, 10, 1, i], i));
        }
        assert!(
            h.element
                .read_handler("length")
                .unwrap()
                .parse::<usize>()
                .unwrap()
                <= 4
        );
        let mut e = ARPQuerier::default();
        assert!(configure(&mut e, "q", "10.0.0.1", 2, 1)
            .unwrap_err()
            .contains("ETH"));
        assert!(configure(
            &mut e,
            "q",
            "10.0.0.1, 0:0:0:0:0:1, CAPACITY_SLIM_FACTOR 0",
            2,
            1
        )
        .is_err());
    }

    #[test]
    fn entries_expire_and_known_entries_are_polled() {
        let mut h = querier(
            "10.10.0.3, 00:15:17:15:5d:75, TIMEOUT 10, POLL_TIMEOUT 5",
            2,
        );
        h.push(1, reply_from(CLIENT_IP, CLIENT_MAC));
        advance(&mut h, 6000);
        h.push(0, ip_to(CLIENT_IP, 0));
        assert_eq!(h.take(0).len(), 1);
        let polls = h.take(1);
        assert_eq!(polls.len(), 1);
        assert_eq!(&polls[0].data()[..6], &CLIENT_MAC, "unicast poll");
        advance(&mut h, 5000);
        h.push(0, ip_to(CLIENT_IP, 0));
        assert!(h.take(0).is_empty(), "expired: held again");
        assert_eq!(&h.take(1)[0].data()[..6], &[0xff; 6]);
    }

    #[test]
    fn unconfigured_address_drops() {
        let mut h = querier("0.0.0.0, 00:15:17:15:5d:75", 1);
        h.push(0, ip_to(CLIENT_IP, 0));
        assert!(h.take(0).is_empty());
        assert_eq!(h.element.read_handler("drops").unwrap(), "1");
    }
}
