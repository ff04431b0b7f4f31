//! IP routing tables: LinearIPLookup, StaticIPLookup, RadixIPLookup, DirectIPLookup and
//! RangeIPLookup, one element over one [`RouteTable`] building block.
//!
//! Every class looks up the destination-IP annotation by longest-prefix match, writes the
//! route's gateway (when it has one) to the annotation and emits the packet on the route's
//! output; packets without a route are dropped. The classes differ only where Click's do: the
//! message printed for a packet without a route, the handlers (StaticIPLookup cannot change),
//! non-prefix masks (DirectIPLookup and RangeIPLookup refuse them: Click's tables index
//! corrupt memory with them), and the order in which the `table` handler lists routes (Click's
//! data structures reuse freed slots differently; DirectIPLookup and RangeIPLookup list by a
//! hash of the prefix).

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::marker::PhantomData;
use core::sync::atomic::{AtomicU32, Ordering};

use crate::action::{ActionEnv, SimpleAction, Verdict};
use crate::args::{parse_i64, parse_ip, parse_ip_prefix, uncomment, Args};
use crate::class::{ElementClass, Ports, ProcessingSpec};
use crate::element::ConfigureContext;
use crate::elements::net::fmt_ip;
use crate::packet::Packet;
use crate::sort;

/// One route: packets to `addr/mask` leave on `port`, to gateway `gw` (0: none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    /// The destination prefix (host byte order, already masked).
    pub addr: u32,
    /// The mask (host byte order).
    pub mask: u32,
    /// The gateway (0: no gateway; the annotation is left alone).
    pub gw: u32,
    /// The output port; -1 in a `remove` command that names no output (matches any).
    pub port: i32,
}

impl Route {
    /// True when `a` falls in the route's prefix.
    fn contains(&self, a: u32) -> bool {
        a & self.mask == self.addr
    }

    /// True when `other` names the same prefix and, if it names an output, the same gateway
    /// and output (Click's `IPRoute::match`).
    fn matches(&self, other: &Route) -> bool {
        self.addr == other.addr
            && self.mask == other.mask
            && (other.port < 0 || (self.gw == other.gw && self.port == other.port))
    }

    /// `ADDR/MASK GW PORT` with single spaces (`-` for no gateway), as in Click's messages.
    pub fn unparse(&self) -> String {
        format!(
            "{} {} {}",
            unparse_prefix(self.addr, self.mask),
            unparse_gw(self.gw),
            self.port
        )
    }

    /// The line of the `table` handler: columns padded with tabs as Click pads them.
    fn unparse_table_line(&self, out: &mut String) {
        let prefix = unparse_prefix(self.addr, self.mask);
        out.push_str(&prefix);
        out.push('\t');
        if prefix.len() + 1 < 17 {
            out.push('\t');
        }
        let gw = unparse_gw(self.gw);
        out.push_str(&gw);
        out.push('\t');
        if gw.len() + 1 < 9 {
            out.push('\t');
        }
        out.push_str(&format!("{}\n", self.port));
    }
}

/// `A.B.C.D/LEN` for a prefix mask, `A.B.C.D/M.A.S.K` otherwise (Click's `unparse_with_mask`).
fn unparse_prefix(addr: u32, mask: u32) -> String {
    if is_prefix_mask(mask) {
        format!("{}/{}", fmt_ip(&addr.to_be_bytes()), mask.leading_ones())
    } else {
        format!(
            "{}/{}",
            fmt_ip(&addr.to_be_bytes()),
            fmt_ip(&mask.to_be_bytes())
        )
    }
}

/// The gateway column: the address, or `-` for none.
fn unparse_gw(gw: u32) -> String {
    if gw == 0 {
        String::from("-")
    } else {
        fmt_ip(&gw.to_be_bytes())
    }
}

/// True for masks made of leading ones.
fn is_prefix_mask(mask: u32) -> bool {
    mask.leading_ones() + mask.trailing_zeros() == 32
}

/// Parses a route as Click's `cp_ip_route` does: `ADDR/MASK [GW|-] OUT`, where a bare ADDR
/// is a host route and, for `remove`, OUT may be left out (then it is -1).
pub fn parse_route(s: &str, remove: bool) -> Option<Route> {
    let mut words = s.split_ascii_whitespace();
    let (addr, mask) = parse_ip_prefix(words.next()?).ok()?;
    let (addr, mask) = (u32::from_be_bytes(addr), u32::from_be_bytes(mask));
    let mut gw = 0;
    let mut word = words.next();
    if let Some(w) = word {
        if w == "-" {
            word = words.next();
        } else if let Ok(g) = parse_ip(w) {
            gw = u32::from_be_bytes(g);
            word = words.next();
        }
    }
    let port = match word {
        Some(w) => i32::try_from(parse_i64(w).ok()?).ok()?,
        None if remove => -1,
        None => return None,
    };
    if words.next().is_some() {
        return None;
    }
    Some(Route {
        addr: addr & mask,
        mask,
        gw,
        port,
    })
}

/// Where a table puts a new route, which decides the order of the `table` handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// LinearIPLookup: the first freed slot, else the end; a replaced route stays in place.
    FirstFree,
    /// RadixIPLookup: the most recently freed slot, else the end; a replaced route moves
    /// there and its old slot is freed after it.
    LastFreed,
    /// DirectIPLookup and RangeIPLookup: listed by Click's hash of the prefix, the newest
    /// prefix first within a hash bucket; the default route is the oldest of its bucket.
    Hashed,
}

/// Why a table refused a change (Click's `-EEXIST`, `-ENOENT`, `-ENOMEM`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableError {
    /// A route for the prefix exists and replacing was not allowed (carries it).
    Exists(Route),
    /// No route matches.
    NotFound,
    /// The table holds its capacity of routes.
    Full,
}

/// One stored route and, for [`Order::Hashed`], when its prefix entered the table.
#[derive(Clone, Copy, Debug)]
struct Slot {
    route: Route,
    age: u64,
}

/// A routing table with longest-prefix lookup, bounded to a capacity of routes.
///
/// Routes live in slots (whose order the `table` handler shows); prefix routes are also
/// indexed by prefix length and address, so a lookup is a binary search per prefix length in
/// use and a change costs O(log n) searches plus one sorted insertion. Routes with non-prefix
/// masks are looked up by scanning, in slot order, as LinearIPLookup does.
#[derive(Debug)]
pub struct RouteTable {
    slots: Vec<Option<Slot>>,
    /// Freed slots: the most recent last ([`Order::LastFreed`]).
    free_stack: Vec<usize>,
    /// Freed slots, lowest first ([`Order::FirstFree`], [`Order::Hashed`]).
    free_low: BTreeSet<usize>,
    /// Per prefix length, the (address, slot) of its routes, sorted by address.
    index: [Vec<(u32, usize)>; 33],
    /// Bit `len` set when `index[len]` is not empty.
    lengths: u64,
    /// Slots of the routes with non-prefix masks.
    odd: Vec<usize>,
    /// The prefix routes flattened into address ranges, for the data path.
    flat: FlatRoutes,
    order: Order,
    live: usize,
    capacity: usize,
    /// The age the next new prefix gets ([`Order::Hashed`]).
    next_age: u64,
}

/// The mask of a `len`-bit prefix.
fn prefix_mask(len: u32) -> u32 {
    u32::MAX.checked_shl(32 - len).unwrap_or(0)
}

/// A table's prefix routes flattened into disjoint address ranges: the addresses from
/// `starts[k]` up to the next start all have `routes[k]` as their most specific route. A lookup
/// is one binary search, whatever the number of prefix lengths in use, and the route found is
/// read from the range itself. Rebuilt, lazily, after a change to the table; 24 bytes a range,
/// at most two ranges a route and one more, up to twice that once padded.
#[derive(Debug, Default)]
struct FlatRoutes {
    /// First address of each range, ascending; the first is 0. The last range is repeated up
    /// to a power of two, so that the search halves its window exactly.
    starts: Vec<u32>,
    /// The route of each range (`None`: no route).
    routes: Vec<Option<Route>>,
    /// The address looked up last and its range, as Click's LinearIPLookup remembers its last
    /// lookup: the packets of a flow, which come in bursts, are searched for once.
    last: (u32, usize),
    /// True when the table changed since the ranges were built.
    stale: bool,
}

impl FlatRoutes {
    /// The route of the range holding `a` (the ranges are built).
    #[inline]
    fn lookup(&mut self, a: u32) -> Option<&Route> {
        let k = if a == self.last.0 {
            self.last.1
        } else {
            let k = self.search(a);
            self.last = (a, k);
            k
        };
        self.routes.get(k)?.as_ref()
    }

    /// The range holding `a`: the last start at or below it. The window [base, base + 2 *
    /// half) always holds it (the first start is 0), and every step halves it without a
    /// branch on the data.
    #[inline]
    fn search(&self, a: u32) -> usize {
        let mut base = 0;
        let mut half = self.starts.len() / 2;
        while half > 0 {
            let probe = base + half;
            if self.starts.get(probe).is_some_and(|&s| s <= a) {
                base = probe;
            }
            half /= 2;
        }
        base
    }

    /// Appends the range starting at `start` with `route`, unless it goes on the previous one.
    fn push(&mut self, start: u32, route: Option<Route>) {
        if self.routes.last() != Some(&route) {
            self.starts.push(start);
            self.routes.push(route);
        }
    }

    /// Repeats the last range up to a power of two of ranges.
    fn pad(&mut self) {
        let n = self.starts.len().next_power_of_two();
        if let (Some(&start), Some(&route)) = (self.starts.last(), self.routes.last()) {
            self.starts.resize(n, start);
            self.routes.resize(n, route);
        }
    }
}

impl RouteTable {
    /// An empty table holding at most `capacity` routes.
    pub fn new(order: Order, capacity: usize) -> RouteTable {
        RouteTable {
            slots: Vec::new(),
            free_stack: Vec::new(),
            free_low: BTreeSet::new(),
            index: core::array::from_fn(|_| Vec::new()),
            lengths: 0,
            odd: Vec::new(),
            flat: FlatRoutes {
                stale: true,
                ..FlatRoutes::default()
            },
            order,
            live: 0,
            capacity,
            next_age: 1,
        }
    }

    /// The route in slot `i`.
    fn route(&self, i: usize) -> Option<&Route> {
        self.slots.get(i).and_then(Option::as_ref).map(|s| &s.route)
    }

    /// The slot of the route for exactly `addr/mask`.
    fn find(&self, addr: u32, mask: u32) -> Option<usize> {
        if !is_prefix_mask(mask) {
            return self.odd.iter().copied().find(|&i| {
                self.route(i)
                    .is_some_and(|r| r.addr == addr && r.mask == mask)
            });
        }
        let bucket = &self.index[mask.leading_ones() as usize];
        let k = bucket.binary_search_by_key(&addr, |e| e.0).ok()?;
        Some(bucket[k].1)
    }

    /// The most specific route containing `a` (of equally specific ones, the last in slot
    /// order, as LinearIPLookup picks).
    pub fn lookup(&self, a: u32) -> Option<&Route> {
        if !self.odd.is_empty() {
            let mut best: Option<&Route> = None;
            for r in self.slots.iter().flatten().map(|s| &s.route) {
                if r.contains(a) && best.is_none_or(|b| r.mask & b.mask == b.mask) {
                    best = Some(r);
                }
            }
            return best;
        }
        self.lookup_slot(a).and_then(|i| self.route(i))
    }

    /// The slot of the most specific prefix route containing `a`, through the index.
    fn lookup_slot(&self, a: u32) -> Option<usize> {
        let mut lengths = self.lengths;
        while lengths != 0 {
            let len = 63 - lengths.leading_zeros();
            lengths &= !(1 << len);
            let bucket = &self.index[len as usize];
            if let Ok(k) = bucket.binary_search_by_key(&(a & prefix_mask(len)), |e| e.0) {
                return Some(bucket[k].1);
            }
        }
        None
    }

    /// The same route as [`RouteTable::lookup`], faster: through the table flattened into
    /// address ranges (rebuilt first if the table changed), unless routes with non-prefix
    /// masks force a scan.
    #[inline]
    pub fn lookup_flat(&mut self, a: u32) -> Option<&Route> {
        if !self.odd.is_empty() {
            return self.lookup(a);
        }
        if self.flat.stale {
            self.flatten();
        }
        self.flat.lookup(a)
    }

    /// Rebuilds the address ranges of the prefix routes: a range starts at every prefix's
    /// first address and after every prefix's last one, so the routes containing an address
    /// (and the most specific of them) are the same throughout a range; neighbouring ranges
    /// with the same route are merged.
    #[cold]
    fn flatten(&mut self) {
        let mut bounds: Vec<u32> = Vec::with_capacity(2 * self.live + 1);
        bounds.push(0);
        for r in self.slots.iter().flatten().map(|s| &s.route) {
            bounds.push(r.addr);
            if let Some(after) = (r.addr | !r.mask).checked_add(1) {
                bounds.push(after);
            }
        }
        sort::by_key(&mut bounds, |&b| u128::from(b));
        bounds.dedup();
        let mut flat = core::mem::take(&mut self.flat);
        flat.starts.clear();
        flat.routes.clear();
        for b in bounds {
            flat.push(b, self.lookup_slot(b).and_then(|i| self.route(i)).copied());
        }
        flat.pad();
        // Address 0 lies in the first range.
        flat.last = (0, 0);
        flat.stale = false;
        self.flat = flat;
    }

    /// Adds `route`; an existing route for the prefix is replaced when `replace` is set, and
    /// returned either way.
    pub fn add(&mut self, route: Route, replace: bool) -> Result<Option<Route>, TableError> {
        self.flat.stale = true;
        let Some(i) = self.find(route.addr, route.mask) else {
            if self.live >= self.capacity {
                return Err(TableError::Full);
            }
            let age = if self.order == Order::Hashed && route.mask == 0 {
                0
            } else {
                self.next_age += 1;
                self.next_age
            };
            let i = self.take_free_slot();
            self.slots[i] = Some(Slot { route, age });
            self.live += 1;
            self.index_insert(&route, i);
            return Ok(None);
        };
        let Some(old) = self.slots[i] else {
            return Err(TableError::NotFound);
        };
        if !replace {
            return Err(TableError::Exists(old.route));
        }
        if self.order == Order::LastFreed {
            // The new route takes the free slot; the old one is freed after it.
            let j = self.take_free_slot();
            self.slots[j] = Some(Slot { route, age: 0 });
            self.slots[i] = None;
            self.free_stack.push(i);
            self.index_remove(&old.route, i);
            self.index_insert(&route, j);
        } else {
            self.slots[i] = Some(Slot { route, ..old });
        }
        Ok(Some(old.route))
    }

    /// A free slot as the table's order picks it (a new one at the end if none is free).
    fn take_free_slot(&mut self) -> usize {
        let free = match self.order {
            Order::FirstFree | Order::Hashed => self.free_low.pop_first(),
            Order::LastFreed => self.free_stack.pop(),
        };
        free.unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        })
    }

    /// Indexes `route`, stored in slot `i`.
    fn index_insert(&mut self, route: &Route, i: usize) {
        if !is_prefix_mask(route.mask) {
            self.odd.push(i);
            return;
        }
        let len = route.mask.leading_ones() as usize;
        let bucket = &mut self.index[len];
        let k = bucket.partition_point(|e| e.0 < route.addr);
        bucket.insert(k, (route.addr, i));
        self.lengths |= 1 << len;
    }

    /// Removes `route`, stored in slot `i`, from the index.
    fn index_remove(&mut self, route: &Route, i: usize) {
        if !is_prefix_mask(route.mask) {
            self.odd.retain(|&j| j != i);
            return;
        }
        let len = route.mask.leading_ones() as usize;
        let bucket = &mut self.index[len];
        if let Ok(k) = bucket.binary_search_by_key(&route.addr, |e| e.0) {
            bucket.remove(k);
        }
        if bucket.is_empty() {
            self.lengths &= !(1 << len);
        }
    }

    /// Removes the route matching `route` (any gateway and output when its port is -1).
    pub fn remove(&mut self, route: &Route) -> Result<Route, TableError> {
        self.flat.stale = true;
        let i = self
            .find(route.addr, route.mask)
            .ok_or(TableError::NotFound)?;
        match self.slots[i] {
            Some(s) if s.route.matches(route) => {
                self.slots[i] = None;
                self.live -= 1;
                match self.order {
                    Order::LastFreed => self.free_stack.push(i),
                    Order::FirstFree | Order::Hashed => {
                        self.free_low.insert(i);
                    }
                }
                self.index_remove(&s.route, i);
                Ok(s.route)
            }
            _ => Err(TableError::NotFound),
        }
    }

    /// Removes every route.
    pub fn flush(&mut self) {
        *self = RouteTable {
            next_age: self.next_age,
            ..RouteTable::new(self.order, self.capacity)
        };
    }

    /// The `table` handler: one line per route in the table's order.
    pub fn dump(&self) -> String {
        let mut slots: Vec<&Slot> = self.slots.iter().flatten().collect();
        if self.order == Order::Hashed {
            sort::by_key(&mut slots, |s| {
                let hash = prefix_hash(s.route.addr, s.route.mask.leading_ones());
                (u128::from(hash) << 64) | u128::from(u64::MAX - s.age)
            });
        }
        let mut out = String::new();
        for s in slots {
            s.route.unparse_table_line(&mut out);
        }
        out
    }
}

/// DirectIPLookup's hash of a prefix, which orders its `table` handler.
fn prefix_hash(prefix: u32, len: u32) -> u32 {
    let mut hash = prefix ^ (len << 5) ^ (prefix.wrapping_shr(len >> 2)).wrapping_sub(len);
    hash ^= (hash >> 23) ^ (hash >> 15).wrapping_mul(len) ^ (prefix >> 17).wrapping_mul(53);
    hash = hash.wrapping_sub(
        (prefix >> 3) ^ (hash.wrapping_shr(len)).wrapping_mul(7) ^ (hash >> 11).wrapping_mul(103),
    );
    (hash ^ (hash >> 17)) & 0xffff
}

/// What distinguishes the five lookup classes.
pub trait LookupKind: 'static {
    /// The class name.
    const NAME: &'static str;
    /// Where new routes go (the order of the `table` handler).
    const ORDER: Order;
    /// True when masks must be prefixes.
    const PREFIX_MASKS_ONLY: bool;
    /// The message printed (at most five times per process, as Click's static counter) for a
    /// packet without a route, and its counter; `None` for a silent drop.
    const NO_ROUTE: Option<(&'static str, &'static AtomicU32)>;
    /// The write handlers.
    const WRITE_HANDLERS: &'static [&'static str];
}

/// Times `LinearIPLookup: no route` was printed in this process.
static LINEAR_COMPLAINTS: AtomicU32 = AtomicU32::new(0);
/// Times `IPRouteTable: no route` was printed in this process.
static TABLE_COMPLAINTS: AtomicU32 = AtomicU32::new(0);

/// Handlers that change a table.
const CHANGE_HANDLERS: &[&str] = &["add", "set", "remove", "ctrl"];
/// As [`CHANGE_HANDLERS`] with `flush`.
const CHANGE_AND_FLUSH_HANDLERS: &[&str] = &["add", "set", "remove", "ctrl", "flush"];

/// LinearIPLookup: a linear table.
pub struct Linear;
/// StaticIPLookup: LinearIPLookup whose routes are fixed by its configuration.
pub struct Static;
/// RadixIPLookup.
pub struct Radix;
/// DirectIPLookup (prefix masks only).
pub struct Direct;
/// RangeIPLookup (prefix masks only).
pub struct Range;

impl LookupKind for Linear {
    const NAME: &'static str = "LinearIPLookup";
    const ORDER: Order = Order::FirstFree;
    const PREFIX_MASKS_ONLY: bool = false;
    const NO_ROUTE: Option<(&'static str, &'static AtomicU32)> =
        Some(("LinearIPLookup", &LINEAR_COMPLAINTS));
    const WRITE_HANDLERS: &'static [&'static str] = CHANGE_HANDLERS;
}

impl LookupKind for Static {
    const NAME: &'static str = "StaticIPLookup";
    const ORDER: Order = Order::FirstFree;
    const PREFIX_MASKS_ONLY: bool = false;
    const NO_ROUTE: Option<(&'static str, &'static AtomicU32)> =
        Some(("LinearIPLookup", &LINEAR_COMPLAINTS));
    const WRITE_HANDLERS: &'static [&'static str] = &[];
}

impl LookupKind for Radix {
    const NAME: &'static str = "RadixIPLookup";
    const ORDER: Order = Order::LastFreed;
    const PREFIX_MASKS_ONLY: bool = false;
    const NO_ROUTE: Option<(&'static str, &'static AtomicU32)> =
        Some(("IPRouteTable", &TABLE_COMPLAINTS));
    const WRITE_HANDLERS: &'static [&'static str] = CHANGE_AND_FLUSH_HANDLERS;
}

impl LookupKind for Direct {
    const NAME: &'static str = "DirectIPLookup";
    const ORDER: Order = Order::Hashed;
    const PREFIX_MASKS_ONLY: bool = true;
    const NO_ROUTE: Option<(&'static str, &'static AtomicU32)> = None;
    const WRITE_HANDLERS: &'static [&'static str] = CHANGE_AND_FLUSH_HANDLERS;
}

impl LookupKind for Range {
    const NAME: &'static str = "RangeIPLookup";
    const ORDER: Order = Order::Hashed;
    const PREFIX_MASKS_ONLY: bool = true;
    const NO_ROUTE: Option<(&'static str, &'static AtomicU32)> = None;
    const WRITE_HANDLERS: &'static [&'static str] = CHANGE_AND_FLUSH_HANDLERS;
}

/// A routing element: `CLASS(ADDR/MASK [GW] OUT, ...)`, one input, as many outputs as the
/// routes use. Read handlers `table` and `lookup ADDR` (the handler name followed by the
/// address: `PORT [GW]`, -1 for no route); write handlers `add`, `set`, `remove`, `ctrl`
/// (several `add`/`set`/`remove` lines applied atomically) and, except Linear and Static,
/// `flush`. The number of routes is bounded by the configuration limits' capacity.
pub struct RouteLookup<K: LookupKind> {
    table: RouteTable,
    noutputs: usize,
    kind: PhantomData<K>,
}

/// LinearIPLookup.
pub type LinearIPLookup = RouteLookup<Linear>;
/// StaticIPLookup.
pub type StaticIPLookup = RouteLookup<Static>;
/// RadixIPLookup.
pub type RadixIPLookup = RouteLookup<Radix>;
/// DirectIPLookup.
pub type DirectIPLookup = RouteLookup<Direct>;
/// RangeIPLookup.
pub type RangeIPLookup = RouteLookup<Range>;

impl<K: LookupKind> Default for RouteLookup<K> {
    fn default() -> Self {
        RouteLookup {
            table: RouteTable::new(K::ORDER, 0),
            noutputs: 0,
            kind: PhantomData,
        }
    }
}

impl<K: LookupKind> ElementClass for RouteLookup<K> {
    const NAME: &'static str = K::NAME;
    const PORTS: Ports = Ports::parse("1/-");
    const PROCESSING: ProcessingSpec = ProcessingSpec::PUSH;
    const EXAMPLE: &'static str = "10.0.0.0/8 0, 10.1.0.0/16 10.0.0.1 1, 0.0.0.0/0 0";
}

/// A command of the `ctrl` handler (and of `add`, `set` and `remove`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Command {
    Add,
    Set,
    Remove,
}

impl<K: LookupKind> RouteLookup<K> {
    /// Says that a packet to `dst` had no route (the first five times in the process).
    #[cold]
    #[inline(never)]
    fn no_route(dst: [u8; 4], env: &mut dyn ActionEnv) {
        if let Some((who, complaints)) = K::NO_ROUTE {
            if complaints.fetch_add(1, Ordering::Relaxed) < 5 {
                env.chatter(format_args!("{who}: no route for {}", fmt_ip(&dst)));
            }
        }
    }

    /// Parses one route and checks its output and mask.
    fn checked_route(&self, text: &str, command: Command) -> Result<Route, String> {
        let remove = command == Command::Remove;
        let route = parse_route(text, remove).ok_or_else(|| {
            format!(
                "expected 'ADDR/MASK [GATEWAY{}'",
                if remove { " OUTPUT]" } else { "] OUTPUT" }
            )
        })?;
        let lowest = if remove { -1 } else { 0 };
        if route.port < lowest || route.port as i64 >= self.noutputs as i64 {
            return Err(String::from("bad OUTPUT"));
        }
        if K::PREFIX_MASKS_ONLY && !is_prefix_mask(route.mask) {
            return Err(format!(
                "{}: mask is not a prefix",
                unparse_prefix(route.addr, route.mask)
            ));
        }
        Ok(route)
    }

    /// Runs one command; gives what undoes it.
    fn run(&mut self, command: Command, text: &str) -> Result<Undo, String> {
        let route = self.checked_route(text, command)?;
        let done = match command {
            Command::Add | Command::Set => {
                self.table
                    .add(route, command == Command::Set)
                    .map(|old| match old {
                        Some(old) => Undo::Restore(old),
                        None => Undo::Remove(route),
                    })
            }
            Command::Remove => self.table.remove(&route).map(Undo::Restore),
        };
        done.map_err(|e| match e {
            TableError::Exists(old) => {
                format!("conflict with existing route '{}'", old.unparse())
            }
            TableError::NotFound => format!("route '{}' not found", route.unparse()),
            TableError::Full => format!("no memory to store route '{}'", route.unparse()),
        })
    }

    /// The `ctrl` handler: every line a command; on the first failure the earlier ones are
    /// undone.
    fn ctrl(&mut self, text: &str) -> Result<(), String> {
        let text = uncomment(text);
        let mut undo = Vec::new();
        for line in text.lines() {
            let line = line.trim_start();
            let (word, rest) = line
                .split_once(|c: char| c.is_ascii_whitespace())
                .unwrap_or((line, ""));
            let command = match word {
                "" => continue,
                "add" => Ok(Command::Add),
                "set" => Ok(Command::Set),
                "remove" => Ok(Command::Remove),
                _ => Err(format!("bad command '{word}'")),
            }
            .and_then(|c| self.run(c, rest));
            match command {
                Ok(u) => undo.push(u),
                Err(e) => {
                    for u in undo.into_iter().rev() {
                        self.undo(u);
                    }
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Reverts one command.
    fn undo(&mut self, undo: Undo) {
        // Reverting restores a state the table held before, so it cannot fail.
        let _ = match undo {
            Undo::Remove(route) => self.table.remove(&route).map(|_| None),
            Undo::Restore(route) => self.table.add(route, true),
        };
    }

    /// The `lookup` read handler for `addr`.
    fn lookup_text(&self, addr: &str) -> Option<String> {
        let a = u32::from_be_bytes(parse_ip(addr.trim()).ok()?);
        Some(match self.table.lookup(a) {
            Some(r) if r.gw != 0 => format!("{} {}", r.port, fmt_ip(&r.gw.to_be_bytes())),
            Some(r) => format!("{}", r.port),
            None => String::from("-1"),
        })
    }
}

/// How to revert a command of a `ctrl` transaction.
enum Undo {
    /// Remove the route that was added.
    Remove(Route),
    /// Put back the route that was replaced or removed.
    Restore(Route),
}

impl<K: LookupKind> SimpleAction for RouteLookup<K> {
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        self.noutputs = ctx.noutputs;
        self.table = RouteTable::new(K::ORDER, ctx.limits.capacity);
        let mut errors = Vec::new();
        for (i, text) in args.take_rest().iter().enumerate() {
            let n = i + 1;
            match self.checked_route(text, Command::Add) {
                Err(e) if e == "bad OUTPUT" => errors.push(format!("argument {n} bad OUTPUT")),
                Err(e) if e.starts_with("expected") => errors.push(format!(
                    "argument {n} should be 'ADDR/MASK [GATEWAY] OUTPUT'"
                )),
                Err(e) => errors.push(format!("argument {n}: {e}")),
                // A second route for a prefix is ignored (Click warns that it was replaced,
                // but keeps the first).
                Ok(route) => {
                    if let Err(TableError::Full) = self.table.add(route, false) {
                        errors.push(format!(
                            "argument {n}: more than the limit of {} routes",
                            ctx.limits.capacity
                        ));
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("\n"))
        }
    }

    #[inline]
    fn action(&mut self, p: &mut Packet, env: &mut dyn ActionEnv) -> Verdict {
        let dst = p.anno.dst_ip;
        match self.table.lookup_flat(u32::from_be_bytes(dst)) {
            Some(r) => {
                if r.gw != 0 {
                    p.anno.dst_ip = r.gw.to_be_bytes();
                }
                Verdict::Out(r.port as usize)
            }
            None => {
                Self::no_route(dst, env);
                Verdict::Drop
            }
        }
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["table"]
    }

    /// `table`, and `lookup ADDR` (a read handler with a parameter).
    fn read_handler(&self, name: &str) -> Option<String> {
        if name == "table" {
            return Some(self.table.dump());
        }
        let addr = name.strip_prefix("lookup")?;
        if !addr.starts_with(|c: char| c.is_ascii_whitespace()) {
            return None;
        }
        self.lookup_text(addr)
    }

    fn write_handlers(&self) -> &'static [&'static str] {
        K::WRITE_HANDLERS
    }

    fn write_handler(&mut self, name: &str, value: &str) -> Result<(), String> {
        if !K::WRITE_HANDLERS.contains(&name) {
            return Err(format!("no write handler '{name}'"));
        }
        match name {
            "add" => self.run(Command::Add, value).map(drop),
            "set" => self.run(Command::Set, value).map(drop),
            "remove" => self.run(Command::Remove, value).map(drop),
            "ctrl" => self.ctrl(value),
            "flush" => {
                self.table.flush();
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
    use alloc::string::ToString;
    use alloc::vec;

    /// The routes of the `iplookup` middlebox case.
    const ROUTES: [&str; 9] = [
        "10.0.0.0/8 1",
        "10.0.0.0/24 2",
        "10.0.1.0/24 10.0.1.254 3",
        "10.0.1.128/25 4",
        "10.0.1.200/32 5",
        "172.16.0.0/12 10.0.0.254 6",
        "192.168.0.0/255.255.0.0 3",
        "198.51.100.0/24 192.0.2.1 0",
        "255.255.255.255/32 0",
    ];

    /// Each destination of the case's trace, with the output and annotation Click gives it
    /// (from `expected.txt`: the outer source and destination IPEncap wrote).
    /// An output port and the destination annotation after the lookup.
    type Routed = Option<(usize, [u8; 4])>;

    const EXPECTED: [([u8; 4], Routed); 12] = [
        ([10, 0, 0, 5], Some((2, [10, 0, 0, 5]))),
        ([10, 0, 1, 5], Some((3, [10, 0, 1, 254]))),
        ([10, 0, 1, 130], Some((4, [10, 0, 1, 130]))),
        ([10, 0, 1, 200], Some((5, [10, 0, 1, 200]))),
        ([10, 9, 9, 9], Some((1, [10, 9, 9, 9]))),
        ([172, 20, 1, 1], Some((6, [10, 0, 0, 254]))),
        ([172, 32, 0, 1], None),
        ([192, 168, 44, 1], Some((3, [192, 168, 44, 1]))),
        ([198, 51, 100, 7], Some((0, [192, 0, 2, 1]))),
        ([255, 255, 255, 255], Some((0, [255, 255, 255, 255]))),
        ([0, 0, 0, 0], None),
        ([8, 8, 8, 8], None),
    ];

    fn harness<K: LookupKind>(routes: &[&str], noutputs: usize) -> Harness<RouteLookup<K>> {
        Harness::new(
            RouteLookup::<K>::default(),
            K::NAME,
            &routes.join(", "),
            noutputs,
        )
        .unwrap()
    }

    fn check_case<K: LookupKind>(routes: &[&str]) {
        let mut h = harness::<K>(routes, 7);
        for (dst, want) in EXPECTED {
            let mut p = dump_packet(&ipv4(17, [10, 0, 0, 2], dst, &[0; 8]));
            p.anno.dst_ip = dst;
            let got = h.route(p).map(|(port, p)| (port, p.anno.dst_ip));
            assert_eq!(got, want, "{} {dst:?}", K::NAME);
        }
    }

    #[test]
    fn every_class_routes_the_middlebox_case_like_click() {
        let reversed: Vec<&str> = ROUTES.iter().rev().copied().collect();
        check_case::<Linear>(&ROUTES);
        check_case::<Static>(&ROUTES);
        check_case::<Radix>(&reversed);
        check_case::<Direct>(&ROUTES);
        let mut range = ROUTES;
        range[..5].reverse();
        check_case::<Range>(&range);
    }

    #[test]
    fn no_route_messages_are_click_s() {
        let mut h = harness::<Linear>(&ROUTES, 7);
        let mut p = dump_packet(&[]);
        p.anno.dst_ip = [8, 8, 8, 8];
        assert!(h.route(p).is_none());
        // Printed at most five times per process, like Click's static counter (other tests
        // may have used some of them).
        assert!(h.platform.chatter.len() <= 1);
        for line in &h.platform.chatter {
            assert_eq!(line, "LinearIPLookup: no route for 8.8.8.8");
        }
        let mut d = harness::<Direct>(&ROUTES, 7);
        assert!(d.route(dump_packet(&[])).is_none());
        assert!(d.platform.chatter.is_empty());
    }

    #[test]
    fn route_syntax() {
        let r = |s| parse_route(s, false);
        assert_eq!(
            r("18.26.4/24 - 1"),
            Some(Route {
                addr: 0x121a_0400,
                mask: 0xffff_ff00,
                gw: 0,
                port: 1
            })
        );
        // The address is masked; a bare address is a host route.
        assert_eq!(r("10.1.2.3/8 0").map(|r| r.addr), Some(0x0a00_0000));
        assert_eq!(r("10.1.2.3 0").map(|r| r.mask), Some(u32::MAX));
        assert_eq!(
            r("0/0 10.0.0.1 0x1").map(|r| (r.gw, r.port)),
            Some((0x0a00_0001, 1))
        );
        assert_eq!(r("10.0.0.0/8"), None);
        assert_eq!(r("10.0.0.0/8 1 2"), None);
        assert_eq!(r("10.0.0.0/8 bogus 1"), None);
        assert_eq!(parse_route("10.0.0.0/8", true).map(|r| r.port), Some(-1));
        let mut e = LinearIPLookup::default();
        let err = configure(&mut e, "rt", "10.0.0.0/8 1, nonsense", 1, 1).unwrap_err();
        assert_eq!(
            err,
            "argument 1 bad OUTPUT\nargument 2 should be 'ADDR/MASK [GATEWAY] OUTPUT'"
        );
        let mut d = DirectIPLookup::default();
        let err = configure(&mut d, "rt", "10.0.0.0/255.0.255.0 0", 1, 1).unwrap_err();
        assert_eq!(
            err,
            "argument 1: 10.0.0.0/255.0.255.0: mask is not a prefix"
        );
    }

    #[test]
    fn table_handler_pads_like_click() {
        let h = harness::<Linear>(&ROUTES, 7);
        assert_eq!(
            h.element.read_handler("table").unwrap(),
            "10.0.0.0/8\t\t-\t\t1\n\
             10.0.0.0/24\t\t-\t\t2\n\
             10.0.1.0/24\t\t10.0.1.254\t3\n\
             10.0.1.128/25\t\t-\t\t4\n\
             10.0.1.200/32\t\t-\t\t5\n\
             172.16.0.0/12\t\t10.0.0.254\t6\n\
             192.168.0.0/16\t\t-\t\t3\n\
             198.51.100.0/24\t\t192.0.2.1\t0\n\
             255.255.255.255/32\t-\t\t0\n"
        );
        assert_eq!(
            h.element.read_handler("lookup 10.0.1.9").as_deref(),
            Some("3 10.0.1.254")
        );
        assert_eq!(
            h.element.read_handler("lookup 10.9.0.1").as_deref(),
            Some("1")
        );
        assert_eq!(
            h.element.read_handler("lookup 8.8.8.8").as_deref(),
            Some("-1")
        );
        assert_eq!(h.element.read_handler("lookup x"), None);
        assert_eq!(h.element.read_handler("lookups 8.8.8.8"), None);
    }

    #[test]
    fn handlers_change_the_table_with_click_s_errors() {
        let mut h = harness::<Linear>(&["10.0.0.0/8 0", "10.1.0.0/16 1"], 2);
        let e = &mut h.element;
        assert_eq!(
            e.write_handler("add", "10.0.0.0/8 1"),
            Err("conflict with existing route '10.0.0.0/8 - 0'".to_string())
        );
        assert_eq!(
            e.write_handler("add", "10.2.0.0/16 2"),
            Err("bad OUTPUT".to_string())
        );
        assert_eq!(
            e.write_handler("add", "10.2.0.0/16"),
            Err("expected 'ADDR/MASK [GATEWAY] OUTPUT'".to_string())
        );
        assert_eq!(
            e.write_handler("remove", "10.2.0.0/16"),
            Err("route '10.2.0.0/16 - -1' not found".to_string())
        );
        assert_eq!(
            e.write_handler("remove", "10.1.0.0/16 0"),
            Err("route '10.1.0.0/16 - 0' not found".to_string())
        );
        e.write_handler("set", "10.0.0.0/8 10.0.0.1 1").unwrap();
        e.write_handler("remove", "10.0.0.0/8").unwrap();
        e.write_handler("add", "10.2.0.0/16 0").unwrap();
        // Linear reuses the first free slot; a replaced route stays in place.
        assert_eq!(
            e.read_handler("table").unwrap(),
            "10.2.0.0/16\t\t-\t\t0\n10.1.0.0/16\t\t-\t\t1\n"
        );
        // ctrl: all or nothing.
        assert_eq!(
            e.write_handler(
                "ctrl",
                "add 10.3.0.0/16 0\nremove 10.1.0.0/16\nadd 10.2.0.0/16 1"
            ),
            Err("conflict with existing route '10.2.0.0/16 - 0'".to_string())
        );
        assert_eq!(
            e.read_handler("table").unwrap(),
            "10.2.0.0/16\t\t-\t\t0\n10.1.0.0/16\t\t-\t\t1\n"
        );
        assert_eq!(
            e.write_handler("ctrl", "set 10.2.0.0/16 1\nfrobnicate"),
            Err("bad command 'frobnicate'".to_string())
        );
        assert_eq!(e.read_handler("lookup 10.2.0.1").as_deref(), Some("0"));
        e.write_handler(
            "ctrl",
            "\nadd 10.3.0.0/16 /* new */ 0\n\nremove 10.1.0.0/16 1\n",
        )
        .unwrap();
        assert_eq!(
            e.read_handler("table").unwrap(),
            "10.2.0.0/16\t\t-\t\t0\n10.3.0.0/16\t\t-\t\t0\n"
        );
        assert!(e.write_handler("flush", "").is_err());
        // StaticIPLookup cannot change.
        let s = harness::<Static>(&["10.0.0.0/8 0"], 1);
        assert!(s.element.write_handlers().is_empty());
    }

    #[test]
    fn radix_reuses_the_last_freed_slot() {
        let mut h = harness::<Radix>(&["1.0.0.0/8 0", "2.0.0.0/8 0", "3.0.0.0/8 0"], 2);
        let e = &mut h.element;
        // A replaced route moves to the end; its old slot is freed.
        e.write_handler("set", "1.0.0.0/8 1").unwrap();
        e.write_handler("remove", "2.0.0.0/8").unwrap();
        e.write_handler("add", "4.0.0.0/8 0").unwrap();
        e.write_handler("add", "5.0.0.0/8 0").unwrap();
        assert_eq!(
            e.read_handler("table").unwrap(),
            "5.0.0.0/8\t\t-\t\t0\n4.0.0.0/8\t\t-\t\t0\n3.0.0.0/8\t\t-\t\t0\n1.0.0.0/8\t\t-\t\t1\n"
        );
        e.write_handler("flush", "").unwrap();
        assert_eq!(e.read_handler("table").unwrap(), "");
        assert_eq!(e.read_handler("lookup 1.1.1.1").as_deref(), Some("-1"));
    }

    #[test]
    fn direct_lists_by_prefix_hash_newest_first() {
        let mut t = RouteTable::new(Order::Hashed, 8);
        let route = |s| parse_route(s, false).unwrap();
        for s in ["0/0 0", "10.0.0.0/8 0", "10.1.0.0/16 0", "10.1.2.0/24 0"] {
            t.add(route(s), false).unwrap();
        }
        let mut want: Vec<(u32, u64, Route)> = t
            .slots
            .iter()
            .flatten()
            .map(|s| {
                let r = s.route;
                (
                    prefix_hash(r.addr, r.mask.leading_ones()),
                    u64::MAX - s.age,
                    r,
                )
            })
            .collect();
        want.sort_by_key(|w| (w.0, w.1));
        let mut text = String::new();
        for (_, _, r) in want {
            r.unparse_table_line(&mut text);
        }
        assert_eq!(t.dump(), text);
        // The default route keeps the oldest place when it comes back.
        let default = route("0/0 1");
        t.remove(&default).unwrap_err();
        t.remove(&route("0/0 0")).unwrap();
        t.add(default, false).unwrap();
        assert_eq!(
            t.slots
                .iter()
                .flatten()
                .find(|s| s.route.mask == 0)
                .unwrap()
                .age,
            0
        );
    }

    #[test]
    fn indexed_lookup_agrees_with_a_scan() {
        let mut x: u32 = 0x9e37_79b9;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        for order in [Order::FirstFree, Order::LastFreed, Order::Hashed] {
            let mut t = RouteTable::new(order, 1000);
            let mut routes = Vec::new();
            let mut last = 0;
            for round in 0..600 {
                // Few distinct top bits, so that prefixes nest.
                let len = next() % 33;
                let addr = (next() & 0xc0ff_0f0f) & prefix_mask(len);
                let r = Route {
                    addr,
                    mask: prefix_mask(len),
                    gw: next() & 1,
                    port: (next() % 4) as i32,
                };
                if round % 3 == 2 {
                    let _ = t.remove(&Route { port: -1, ..r });
                    routes.retain(|o: &Route| (o.addr, o.mask) != (r.addr, r.mask));
                } else {
                    let _ = t.add(r, round % 2 == 0);
                    if let Some(o) = routes
                        .iter_mut()
                        .find(|o: &&mut Route| (o.addr, o.mask) == (r.addr, r.mask))
                    {
                        if round % 2 == 0 {
                            *o = r;
                        }
                    } else {
                        routes.push(r);
                    }
                }
                // The flattened ranges, and the memo of the last address looked up (the
                // previous round's, looked up again after the change), follow every change.
                let a = next() & 0xc0ff_0f0f;
                for a in [last, a, a] {
                    let indexed = t.lookup(a).copied();
                    assert_eq!(t.lookup_flat(a).copied(), indexed, "{order:?} {a:#x}");
                }
                last = a;
            }
            assert_eq!(t.live, routes.len());
            // Random addresses, and every prefix's edges (where the flattened ranges start).
            let edges: Vec<u32> = routes
                .iter()
                .flat_map(|r| {
                    let last = r.addr | !r.mask;
                    [r.addr.wrapping_sub(1), r.addr, last, last.wrapping_add(1)]
                })
                .collect();
            let random = (0..2000).map(|_| next() & 0xc0ff_0f0f | (next() & 0x3f00_f0f0));
            for a in random.collect::<Vec<_>>().into_iter().chain(edges) {
                let want = routes
                    .iter()
                    .filter(|r| r.contains(a))
                    .max_by_key(|r| r.mask.leading_ones());
                assert_eq!(t.lookup(a), want, "{order:?} {a:#x}");
                assert_eq!(t.lookup_flat(a), want, "flattened, {order:?} {a:#x}");
            }
        }
    }

    #[test]
    fn non_prefix_masks_follow_linear_lookup() {
        let mut h = harness::<Linear>(&["10.0.0.0/8 0", "10.0.0.0/255.0.255.0 1"], 2);
        let mut route = |a: [u8; 4]| {
            let mut p = dump_packet(&[]);
            p.anno.dst_ip = a;
            h.route(p).map(|(port, _)| port)
        };
        assert_eq!(route([10, 5, 0, 7]), Some(1));
        assert_eq!(route([10, 5, 1, 7]), Some(0));
        assert_eq!(route([11, 5, 0, 7]), None);
        let e = &mut h.element;
        e.write_handler("remove", "10.0.0.0/255.0.255.0").unwrap();
        assert_eq!(e.read_handler("lookup 10.5.0.7").as_deref(), Some("0"));
        assert_eq!(e.read_handler("table").unwrap(), "10.0.0.0/8\t\t-\t\t0\n");
    }

    #[test]
    fn tables_are_bounded() {
        let mut t = RouteTable::new(Order::LastFreed, 2);
        let route = |s| parse_route(s, false).unwrap();
        t.add(route("1.0.0.0/8 0"), false).unwrap();
        t.add(route("2.0.0.0/8 0"), false).unwrap();
        assert_eq!(t.add(route("3.0.0.0/8 0"), false), Err(TableError::Full));
        // Replacing needs no room.
        assert!(t.add(route("2.0.0.0/8 1"), true).is_ok());
        assert_eq!(t.live, 2);
        let mut e = RadixIPLookup::default();
        let limits = crate::Limits {
            capacity: 1,
            ..crate::Limits::HOST
        };
        let pool = crate::packet::PacketPool::default();
        let outputs = vec![crate::element::Processing::Push; 1];
        let ctx = ConfigureContext {
            name: "rt",
            ninputs: 1,
            noutputs: 1,
            input_processing: &outputs,
            output_processing: &outputs,
            pool: &pool,
            limits: &limits,
            peers: &[],
        };
        let mut args = Args::parse("1.0.0.0/8 0, 2.0.0.0/8 0");
        assert_eq!(
            crate::element::Element::configure(&mut e, &mut args, &ctx),
            Err("argument 2: more than the limit of 1 routes".to_string())
        );
    }
}
