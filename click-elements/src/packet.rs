//! Packets: a handle to a reference-counted buffer with headroom and tailroom.
//!
//! A [`Packet`] is a window (`offset`, `len`) into a shared [`Buffer`] plus per-packet
//! [`Annotations`]. `clone()` shares the buffer (Click's `clone`); the first mutable access to a
//! shared buffer copies it (Click's `uniqueify`, "lazy copy"). Pushing a header into the headroom
//! never reallocates when there is room.

use alloc::rc::Rc;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};

/// Headroom reserved in front of freshly made packets (room for VLAN and IP encapsulation).
pub const DEFAULT_HEADROOM: usize = 64;
/// Tailroom reserved after freshly made packets.
pub const DEFAULT_TAILROOM: usize = 0;

/// A point in time carried by a packet: seconds and nanoseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp {
    /// Whole seconds.
    pub sec: u64,
    /// Nanoseconds within the second (`< 1_000_000_000`).
    pub nsec: u32,
}

impl Timestamp {
    /// True for the zero timestamp ("not stamped").
    pub fn is_zero(&self) -> bool {
        self.sec == 0 && self.nsec == 0
    }

    /// Milliseconds since the epoch (Click's jiffies, at 1000 a second).
    pub fn millis(&self) -> i64 {
        (self.sec as i64).saturating_mul(1000) + i64::from(self.nsec / 1_000_000)
    }

    /// This time plus `d` (saturating at the end of time).
    pub fn after(&self, d: core::time::Duration) -> Timestamp {
        let nsec = u64::from(self.nsec) + u64::from(d.subsec_nanos());
        Timestamp {
            sec: self
                .sec
                .saturating_add(d.as_secs())
                .saturating_add(nsec / 1_000_000_000),
            nsec: (nsec % 1_000_000_000) as u32,
        }
    }
}

/// How a packet reached this host at the link level (Click's packet-type annotation), as a
/// device or HostEtherFilter sees its destination address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PacketType {
    /// Addressed to this host (the default).
    #[default]
    Host,
    /// Sent to the link-level broadcast address.
    Broadcast,
    /// Sent to a link-level multicast (group) address.
    Multicast,
    /// Addressed to another host.
    OtherHost,
    /// Sent by this host.
    Outgoing,
    /// Looped back.
    Loopback,
    /// Fast-routed.
    FastRoute,
}

/// Size of Click's annotation area: the byte offsets an `ANNO` argument may name are below it.
pub const ANNO_SIZE: usize = 48;
/// Click's offset of the paint annotation byte (`PAINT_ANNO_OFFSET`).
pub const PAINT_ANNO_OFFSET: usize = 16;
/// Click's offset of the ICMP parameter-problem annotation byte (`ICMP_PARAMPROB_ANNO_OFFSET`).
pub const ICMP_PARAMPROB_ANNO_OFFSET: usize = 17;
/// Click's offset of the fix-IP-source annotation byte (`FIX_IP_SRC_ANNO_OFFSET`).
pub const FIX_IP_SRC_ANNO_OFFSET: usize = 19;

/// Per-packet metadata, as Click's packet annotations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Annotations {
    /// 802.1Q tag control information (network byte order value as a host integer).
    pub vlan_tci: u16,
    /// Destination IPv4 address annotation (`DST_IP_ANNO`).
    pub dst_ip: [u8; 4],
    /// Paint colour.
    pub paint: u8,
    /// Index of the device the packet came from.
    pub device: u16,
    /// Arrival (or creation) time; zero when unstamped.
    pub timestamp: Timestamp,
    /// Bytes of the original frame beyond the data held (snaplen truncation).
    pub extra_length: u32,
    /// The link-level packet type (`PACKET_TYPE_ANNO`).
    pub packet_type: PacketType,
    /// Offset from the IP header of the byte an ICMP parameter problem points at
    /// (`ICMP_PARAMPROB_ANNO`, set by IPGWOptions, read by ICMPError).
    pub param_off: u8,
    /// The IP source must be replaced by the outgoing interface's address (`FIX_IP_SRC_ANNO`,
    /// set by ICMPError, acted on and cleared by FixIPSrc).
    pub fix_ip_src: bool,
}

/// Where a byte of Click's annotation area lives in [`Annotations`].
#[derive(Clone, Copy)]
enum AnnoByte {
    /// Byte `i` of the destination IP address (Click offsets 0-3).
    DstIp(usize),
    /// The paint (offset 16).
    Paint,
    /// The ICMP parameter-problem offset (offset 17).
    ParamOff,
    /// The fix-IP-source flag (offset 19; any non-zero byte sets it, it reads as 1).
    FixIpSrc,
    /// The VLAN TCI, stored in network byte order (offsets 20-21): byte `i` of it.
    VlanTci(usize),
    /// Byte `i` of the extra length, stored in host byte order (offsets 28-31).
    ExtraLength(usize),
}

impl AnnoByte {
    /// The field holding Click offset `offset`, if this implementation keeps that byte.
    fn at(offset: usize) -> Option<AnnoByte> {
        match offset {
            0..=3 => Some(AnnoByte::DstIp(offset)),
            PAINT_ANNO_OFFSET => Some(AnnoByte::Paint),
            ICMP_PARAMPROB_ANNO_OFFSET => Some(AnnoByte::ParamOff),
            FIX_IP_SRC_ANNO_OFFSET => Some(AnnoByte::FixIpSrc),
            20 | 21 => Some(AnnoByte::VlanTci(offset - 20)),
            28..=31 => Some(AnnoByte::ExtraLength(offset - 28)),
            _ => None,
        }
    }
}

impl Annotations {
    /// True when the annotation byte at Click offset `offset` is kept (the destination IP at
    /// 0-3, the paint at 16, the parameter-problem offset at 17, the fix-IP-source flag at 19,
    /// the VLAN TCI at 20-21, the extra length at 28-31): the offsets an `ANNO` argument may
    /// name.
    pub fn has_byte(offset: usize) -> bool {
        AnnoByte::at(offset).is_some()
    }

    /// The annotation byte at Click offset `offset` (`anno_u8`); 0 for a byte not kept.
    pub fn byte(&self, offset: usize) -> u8 {
        match AnnoByte::at(offset) {
            Some(AnnoByte::DstIp(i)) => self.dst_ip[i],
            Some(AnnoByte::Paint) => self.paint,
            Some(AnnoByte::ParamOff) => self.param_off,
            Some(AnnoByte::FixIpSrc) => u8::from(self.fix_ip_src),
            Some(AnnoByte::VlanTci(i)) => self.vlan_tci.to_be_bytes()[i],
            Some(AnnoByte::ExtraLength(i)) => self.extra_length.to_ne_bytes()[i],
            None => 0,
        }
    }

    /// Sets the annotation byte at Click offset `offset` (`set_anno_u8`); a byte not kept is
    /// left alone (configurations are checked with [`Annotations::has_byte`]).
    pub fn set_byte(&mut self, offset: usize, value: u8) {
        match AnnoByte::at(offset) {
            Some(AnnoByte::DstIp(i)) => self.dst_ip[i] = value,
            Some(AnnoByte::Paint) => self.paint = value,
            Some(AnnoByte::ParamOff) => self.param_off = value,
            Some(AnnoByte::FixIpSrc) => self.fix_ip_src = value != 0,
            Some(AnnoByte::VlanTci(i)) => {
                let mut b = self.vlan_tci.to_be_bytes();
                b[i] = value;
                self.vlan_tci = u16::from_be_bytes(b);
            }
            Some(AnnoByte::ExtraLength(i)) => {
                let mut b = self.extra_length.to_ne_bytes();
                b[i] = value;
                self.extra_length = u32::from_ne_bytes(b);
            }
            None => {}
        }
    }
}

/// Storage shared between clones of a packet.
#[derive(Debug)]
struct Buffer {
    bytes: Vec<u8>,
    /// The pool the buffer returns to when its last packet is dropped (none: it is freed).
    /// The reference stays while the buffer waits on the free list, so taking and returning
    /// a buffer touch no pool reference count; the cycle this makes is broken when the last
    /// [`PacketPool`] handle is dropped, which empties the free list.
    pool: Option<Rc<PoolShared>>,
}

impl Buffer {
    fn unpooled(bytes: Vec<u8>) -> Rc<Buffer> {
        Rc::new(Buffer { bytes, pool: None })
    }

    /// A buffer of no pool holding a copy of `bytes` (the lazy copy of a packet made without
    /// a pool): kept out of line so that the pooled copy stays small.
    #[cold]
    #[inline(never)]
    fn unpooled_copy(bytes: &[u8]) -> Rc<Buffer> {
        Buffer::unpooled(bytes.to_vec())
    }
}

/// Counters of a [`PacketPool`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Buffers allocated from the heap so far.
    pub allocated: u64,
    /// Buffers handed out again after being returned.
    pub reused: u64,
    /// Buffers waiting in the pool.
    pub free: usize,
}

#[derive(Debug)]
struct PoolShared {
    free: RefCell<Vec<Rc<Buffer>>>,
    /// Most buffers kept on the free list; zero once the pool is closed.
    max_free: Cell<usize>,
    /// Live [`PacketPool`] handles: the pool is closed when the last one goes.
    handles: Cell<usize>,
    allocated: Cell<u64>,
    reused: Cell<u64>,
}

impl PoolShared {
    /// A unique buffer filled by `fill` (which starts from an empty vector), from the free
    /// list when possible.
    fn take(self: &Rc<Self>, fill: impl FnOnce(&mut Vec<u8>)) -> Rc<Buffer> {
        let recycled = self
            .free
            .try_borrow_mut()
            .ok()
            .and_then(|mut free| free.pop());
        if let Some(mut buf) = recycled {
            // Free buffers are never shared.
            if let Some(b) = Rc::get_mut(&mut buf) {
                self.reused.set(self.reused.get() + 1);
                b.bytes.clear();
                fill(&mut b.bytes);
                return buf;
            }
        }
        self.allocate(fill)
    }

    /// A new buffer filled by `fill` (the free list is empty): kept out of line so that the
    /// recycling path stays small.
    #[cold]
    #[inline(never)]
    fn allocate(self: &Rc<Self>, fill: impl FnOnce(&mut Vec<u8>)) -> Rc<Buffer> {
        self.allocated.set(self.allocated.get() + 1);
        let mut bytes = Vec::new();
        fill(&mut bytes);
        Rc::new(Buffer {
            bytes,
            pool: Some(Rc::clone(self)),
        })
    }

    /// A unique buffer holding a copy of `bytes` (the lazy copy), from the free list when
    /// possible.
    #[inline]
    fn copy_of(self: &Rc<Self>, bytes: &[u8]) -> Rc<Buffer> {
        self.take(|to| to.extend_from_slice(bytes))
    }

    /// Puts a reference to a buffer whose last packet is being dropped on the free list, or
    /// drops it when the list is full (or the pool closed).
    #[inline]
    fn give_back(&self, buf: Rc<Buffer>) {
        if let Ok(mut free) = self.free.try_borrow_mut() {
            if free.len() < self.max_free.get() {
                free.push(buf);
            }
        }
    }

    /// Stops recycling and frees the idle buffers (which hold references to the pool).
    fn close(&self) {
        self.max_free.set(0);
        let idle = core::mem::take(&mut *self.free.borrow_mut());
        drop(idle);
    }
}

/// A recycling allocator for packet buffers: a buffer whose last packet is dropped goes back
/// to its pool, so a steady flow of packets needs no heap allocation. Copies made by the lazy
/// copy come from the pool of the buffer being copied.
#[derive(Debug)]
pub struct PacketPool {
    shared: Rc<PoolShared>,
}

impl Clone for PacketPool {
    fn clone(&self) -> Self {
        self.shared.handles.set(self.shared.handles.get() + 1);
        PacketPool {
            shared: Rc::clone(&self.shared),
        }
    }
}

impl Drop for PacketPool {
    /// Closes the pool with its last handle: buffers still in use are freed when their last
    /// packet goes.
    fn drop(&mut self) {
        let handles = self.shared.handles.get() - 1;
        self.shared.handles.set(handles);
        if handles == 0 {
            self.shared.close();
        }
    }
}

impl Default for PacketPool {
    fn default() -> Self {
        PacketPool::new(4096)
    }
}

impl PacketPool {
    /// A pool keeping at most `max_free` idle buffers.
    pub fn new(max_free: usize) -> PacketPool {
        PacketPool {
            shared: Rc::new(PoolShared {
                free: RefCell::new(Vec::new()),
                max_free: Cell::new(max_free),
                handles: Cell::new(1),
                allocated: Cell::new(0),
                reused: Cell::new(0),
            }),
        }
    }

    /// A packet holding a copy of `data` with `headroom` and `tailroom` around it.
    pub fn packet(&self, headroom: usize, data: &[u8], tailroom: usize) -> Packet {
        let buf = self.shared.take(|bytes| {
            bytes.resize(headroom, 0);
            bytes.extend_from_slice(data);
            bytes.resize(headroom + data.len() + tailroom, 0);
        });
        Packet::from_buffer(buf, headroom, data.len())
    }

    /// A zero-filled packet of `len` bytes with `headroom` bytes of headroom and no tailroom.
    pub fn zeroed(&self, headroom: usize, len: usize) -> Packet {
        let buf = self.shared.take(|bytes| bytes.resize(headroom + len, 0));
        Packet::from_buffer(buf, headroom, len)
    }

    /// A packet holding a copy of `data` with the default headroom and tailroom.
    pub fn packet_from_slice(&self, data: &[u8]) -> Packet {
        self.packet(DEFAULT_HEADROOM, data, DEFAULT_TAILROOM)
    }

    /// The pool's counters.
    pub fn stats(&self) -> PoolStats {
        PoolStats {
            allocated: self.shared.allocated.get(),
            reused: self.shared.reused.get(),
            free: self.shared.free.borrow().len(),
        }
    }
}

/// Marks an absent header annotation.
const NO_HEADER: u32 = u32::MAX;

/// The buffer position of a header `offset` bytes after `start` (saturating below the sentinel).
#[inline]
fn header_position(start: u32, offset: usize) -> u32 {
    (start as usize + offset).min(NO_HEADER as usize - 1) as u32
}

/// A network packet: a window into a shared, reference-counted buffer plus annotations.
///
/// Kept small (56 bytes) because batches move packets by value: offsets are `u32` (buffers
/// never exceed 4 GiB) and absent header annotations are a sentinel rather than an `Option`.
#[derive(Clone, Debug)]
pub struct Packet {
    /// The buffer.
    buf: Rc<Buffer>,
    offset: u32,
    len: u32,
    /// Buffer offset of the MAC header, or [`NO_HEADER`].
    mac_header: u32,
    /// Buffer offset of the network header, or [`NO_HEADER`].
    network_header: u32,
    /// Per-packet metadata.
    pub anno: Annotations,
}

impl Packet {
    /// Makes a packet holding a copy of `data`, with the default headroom and tailroom.
    pub fn from_slice(data: &[u8]) -> Packet {
        Packet::with_room(DEFAULT_HEADROOM, data, DEFAULT_TAILROOM)
    }

    /// Makes a packet holding a copy of `data` with `headroom` bytes before it and `tailroom`
    /// bytes after it.
    pub fn with_room(headroom: usize, data: &[u8], tailroom: usize) -> Packet {
        let mut bytes = vec![0u8; headroom + data.len() + tailroom];
        bytes[headroom..headroom + data.len()].copy_from_slice(data);
        Packet::from_buffer(Buffer::unpooled(bytes), headroom, data.len())
    }

    fn from_buffer(buf: Rc<Buffer>, offset: usize, len: usize) -> Packet {
        Packet {
            buf,
            offset: offset as u32,
            len: len as u32,
            mac_header: NO_HEADER,
            network_header: NO_HEADER,
            anno: Annotations::default(),
        }
    }

    /// Makes a zero-filled packet of `len` bytes with the default headroom.
    pub fn zeroed(len: usize) -> Packet {
        let bytes = vec![0u8; DEFAULT_HEADROOM + len + DEFAULT_TAILROOM];
        Packet::from_buffer(Buffer::unpooled(bytes), DEFAULT_HEADROOM, len)
    }

    /// The packet's bytes.
    #[inline]
    pub fn data(&self) -> &[u8] {
        let start = self.offset as usize;
        &self.bytes()[start..start + self.len as usize]
    }

    /// The whole buffer.
    #[inline(always)]
    fn bytes(&self) -> &[u8] {
        &self.buf.bytes
    }

    /// Length of the packet data in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// True when the packet holds no bytes.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes available in front of the data.
    #[inline]
    pub fn headroom(&self) -> usize {
        self.offset as usize
    }

    /// Bytes available after the data.
    #[inline]
    pub fn tailroom(&self) -> usize {
        self.bytes().len() - self.offset as usize - self.len as usize
    }

    /// True when no other packet shares this one's buffer.
    #[inline]
    pub fn is_unique(&self) -> bool {
        Rc::strong_count(&self.buf) == 1
    }

    /// Mutable access to the packet's bytes; copies the buffer first if it is shared.
    #[inline(always)]
    pub fn data_mut(&mut self) -> &mut [u8] {
        let (start, end) = (self.offset as usize, (self.offset + self.len) as usize);
        &mut self.buffer_mut()[start..end]
    }

    /// Mutable access to the whole buffer; copies it first if it is shared.
    #[inline(always)]
    fn buffer_mut(&mut self) -> &mut [u8] {
        if Rc::get_mut(&mut self.buf).is_none() {
            self.unshare();
        }
        match Rc::get_mut(&mut self.buf) {
            Some(b) => &mut b.bytes,
            // Not reached: `unshare` leaves the buffer unique.
            None => &mut [],
        }
    }

    /// Gives this packet a private copy of its shared buffer (from the buffer's pool if any).
    #[inline(never)]
    fn unshare(&mut self) {
        self.buf = match &self.buf.pool {
            Some(pool) => pool.copy_of(&self.buf.bytes),
            None => Buffer::unpooled_copy(&self.buf.bytes),
        };
    }

    /// Prepends `n` bytes (uninitialised content is zero or stale) and returns the new data.
    /// Uses the headroom when it suffices; otherwise reallocates with fresh headroom.
    #[inline]
    pub fn push_front(&mut self, n: usize) -> &mut [u8] {
        if n > self.offset as usize {
            self.reallocate(n + DEFAULT_HEADROOM, 0);
        }
        self.offset -= n as u32;
        self.len += n as u32;
        self.data_mut()
    }

    /// Removes `n` bytes from the front (at most the whole packet).
    #[inline]
    pub fn pull_front(&mut self, n: usize) {
        let n = n.min(self.len as usize) as u32;
        self.offset += n;
        self.len -= n;
    }

    /// Appends `n` zero bytes at the end, reallocating if the tailroom is too small.
    pub fn put_back(&mut self, n: usize) -> &mut [u8] {
        if n > self.tailroom() {
            self.reallocate(0, n);
        }
        let old = self.len as usize;
        self.len += n as u32;
        let data = self.data_mut();
        data[old..].fill(0);
        data
    }

    /// Removes `n` bytes from the end (at most the whole packet).
    #[inline]
    pub fn take_back(&mut self, n: usize) {
        self.len -= n.min(self.len as usize) as u32;
    }

    /// Shortens the packet to `len` bytes if it is longer.
    #[inline]
    pub fn truncate(&mut self, len: usize) {
        if len < self.len as usize {
            self.len = len as u32;
        }
    }

    /// Copies the data into a fresh buffer with `extra_head` more headroom and `extra_tail` more
    /// tailroom; header annotations keep pointing at the same bytes.
    #[cold]
    #[inline(never)]
    fn reallocate(&mut self, extra_head: usize, extra_tail: usize) {
        let headroom = self.offset as usize + extra_head;
        let len = self.len as usize;
        let mut bytes = vec![0u8; headroom + len + self.tailroom() + extra_tail];
        bytes[headroom..headroom + len].copy_from_slice(self.data());
        let shift = |h: u32| {
            if h == NO_HEADER {
                h
            } else {
                h + extra_head as u32
            }
        };
        self.mac_header = shift(self.mac_header);
        self.network_header = shift(self.network_header);
        let pool = self.buf.pool.clone();
        self.buf = Rc::new(Buffer { bytes, pool });
        self.offset = headroom as u32;
    }

    /// Offset of a header annotation from the start of the data, if set and not before it.
    #[inline]
    fn header_offset(&self, h: u32) -> Option<usize> {
        if h == NO_HEADER {
            None
        } else {
            h.checked_sub(self.offset).map(|o| o as usize)
        }
    }

    /// Offset of the MAC header from the start of the data, if annotated and not before it.
    #[inline]
    pub fn mac_header_offset(&self) -> Option<usize> {
        self.header_offset(self.mac_header)
    }

    /// Annotates the MAC header as starting `offset` bytes into the data.
    #[inline]
    pub fn set_mac_header(&mut self, offset: usize) {
        self.mac_header = header_position(self.offset, offset);
    }

    /// The bytes from the MAC-header annotation to the end of the data, writable (a shared
    /// buffer is copied first). The header may lie in the headroom, as after a `Strip`. `None`
    /// without the annotation or when it lies past the data.
    pub fn mac_header_mut(&mut self) -> Option<&mut [u8]> {
        let end = self.offset + self.len;
        if self.mac_header == NO_HEADER || self.mac_header > end {
            return None;
        }
        let start = self.mac_header as usize;
        self.buffer_mut().get_mut(start..end as usize)
    }

    /// Offset of the network header from the start of the data, if annotated and not before it.
    #[inline]
    pub fn network_header_offset(&self) -> Option<usize> {
        self.header_offset(self.network_header)
    }

    /// Annotates the network (IP) header as starting `offset` bytes into the data.
    #[inline]
    pub fn set_network_header(&mut self, offset: usize) {
        self.network_header = header_position(self.offset, offset);
    }

    /// Removes the network-header annotation.
    pub fn clear_network_header(&mut self) {
        self.network_header = NO_HEADER;
    }

    /// True when the network-header annotation is set (even if it now lies in the headroom).
    pub fn has_network_header(&self) -> bool {
        self.network_header != NO_HEADER
    }

    /// Signed position of the network header relative to the data start, if annotated.
    pub fn network_header_position(&self) -> Option<isize> {
        (self.network_header != NO_HEADER)
            .then(|| self.network_header as isize - self.offset as isize)
    }

    /// The bytes from the MAC header annotation to the end of the data (the header may lie in
    /// the headroom); empty when the annotation is not set or lies past the end.
    #[inline]
    pub fn mac_header_bytes(&self) -> &[u8] {
        self.bytes_from(self.mac_header)
    }

    /// The bytes from the network header annotation to the end of the data (the header may
    /// lie in the headroom); empty when the annotation is not set or lies past the end.
    #[inline]
    pub fn network_header_bytes(&self) -> &[u8] {
        self.bytes_from(self.network_header)
    }

    /// The buffer bytes from position `h` to the end of the data, or nothing.
    #[inline]
    fn bytes_from(&self, h: u32) -> &[u8] {
        let end = self.offset as usize + self.len as usize;
        self.bytes().get(h as usize..end).unwrap_or(&[])
    }

    /// The bytes of the buffer's headroom directly in front of the data (read-only).
    pub fn headroom_bytes(&self) -> &[u8] {
        &self.bytes()[..self.offset as usize]
    }
}

impl Drop for Packet {
    /// Returns the buffer to its pool when this was its last packet: the free list gets a
    /// second reference to it that outlives this packet's (so the field's own drop only
    /// decrements the count).
    #[inline]
    fn drop(&mut self) {
        if Rc::strong_count(&self.buf) == 1 {
            if let Some(pool) = &self.buf.pool {
                pool.give_back(Rc::clone(&self.buf));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clone_shares_until_written() {
        let a = Packet::from_slice(&[1, 2, 3, 4]);
        let mut b = a.clone();
        assert!(!a.is_unique());
        b.data_mut()[0] = 9;
        assert_eq!(a.data(), &[1, 2, 3, 4]);
        assert_eq!(b.data(), &[9, 2, 3, 4]);
        assert!(a.is_unique() && b.is_unique());
    }

    #[test]
    fn push_uses_headroom_without_reallocating() {
        let mut p = Packet::with_room(8, &[5, 6], 0);
        let before = Rc::as_ptr(&p.buf);
        p.push_front(4).copy_from_slice(&[1, 2, 3, 4, 5, 6]);
        assert_eq!(Rc::as_ptr(&p.buf), before);
        assert_eq!(p.data(), &[1, 2, 3, 4, 5, 6]);
        assert_eq!(p.headroom(), 4);
    }

    #[test]
    fn push_beyond_headroom_reallocates_and_keeps_headers() {
        let mut p = Packet::with_room(0, &[0xaa; 20], 0);
        p.set_network_header(14);
        p.push_front(4);
        assert_eq!(p.len(), 24);
        assert_eq!(p.network_header_offset(), Some(18));
        assert_eq!(&p.data()[4..], &[0xaa; 20]);
    }

    #[test]
    fn pull_put_take_and_truncate() {
        let mut p = Packet::with_room(2, &[1, 2, 3, 4, 5], 2);
        p.pull_front(2);
        assert_eq!(p.data(), &[3, 4, 5]);
        p.put_back(3);
        assert_eq!(p.data(), &[3, 4, 5, 0, 0, 0]);
        p.take_back(4);
        assert_eq!(p.data(), &[3, 4]);
        p.truncate(1);
        assert_eq!(p.data(), &[3]);
        p.pull_front(10);
        assert!(p.is_empty());
    }

    #[test]
    fn pool_recycles_buffers_and_lazy_copies() {
        let pool = PacketPool::new(16);
        let template = pool.packet_from_slice(&[1, 2, 3]);
        for _ in 0..100 {
            let mut copy = template.clone();
            copy.data_mut()[0] = 9;
            assert_eq!(copy.data(), &[9, 2, 3]);
        }
        assert_eq!(template.data(), &[1, 2, 3]);
        // The template and one recycled copy buffer: everything else was reused.
        assert_eq!(pool.stats().allocated, 2);
        assert_eq!(pool.stats().reused, 99);
        drop(template);
        assert_eq!(pool.stats().free, 2);
        assert_eq!(core::mem::size_of::<Packet>(), 56);
        let again = pool.packet(0, &[7; 10], 0);
        assert_eq!((again.data(), again.headroom()), (&[7u8; 10][..], 0));
        assert_eq!(pool.stats().allocated, 2);
    }

    #[test]
    fn pool_closes_with_its_last_handle() {
        let pool = PacketPool::new(4);
        let other = pool.clone();
        let p = pool.packet_from_slice(&[1]);
        let in_use = pool.packet_from_slice(&[2]);
        drop(pool);
        drop(p);
        assert_eq!(other.stats().free, 1);
        let shared = Rc::clone(&other.shared);
        drop(other);
        // The idle buffer is freed (no cycle is left) and recycling has stopped.
        assert_eq!(shared.free.borrow().len(), 0);
        assert_eq!(Rc::strong_count(&shared), 2);
        drop(in_use);
        assert_eq!(Rc::strong_count(&shared), 1);
    }

    #[test]
    fn mac_header_in_the_headroom_is_writable() {
        let a = Packet::from_slice(&[1, 2, 3, 4, 5, 6]);
        let mut p = a.clone();
        p.set_mac_header(2);
        assert_eq!(p.mac_header_mut().map(|h| h.len()), Some(4));
        p.pull_front(4);
        let h = p.mac_header_mut().unwrap();
        assert_eq!(h, &[3, 4, 5, 6]);
        h[0] = 9;
        assert_eq!(p.data(), &[5, 6]);
        assert_eq!(a.data(), &[1, 2, 3, 4, 5, 6]);
        p.pull_front(2);
        p.set_mac_header(1);
        assert!(p.mac_header_mut().is_none());
        assert!(Packet::from_slice(&[1]).mac_header_mut().is_none());
    }

    #[test]
    fn header_before_data_is_reported_as_absent_offset() {
        let mut p = Packet::from_slice(&[0; 30]);
        p.set_network_header(14);
        p.pull_front(20);
        assert_eq!(p.network_header_offset(), None);
        assert_eq!(p.network_header_position(), Some(-6));
    }
}
