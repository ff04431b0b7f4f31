//! Memory shared with the backend: page allocation, and the two halves of a shared ring.
//!
//! This is the only module of the crate with `unsafe` code. Everything the other domain can
//! touch is reached through raw pointers into pages allocated here: the ring indices as
//! atomics, ring entries with volatile copies, buffer bytes with bounds-checked copies.
//!
//! A backend running on another thread (a simulated netback on another core) reaches the
//! same pages through [`MappedPage`]s: borrowed, sendable views that copy bytes in and out
//! and access the ring indices as atomics, as a driver domain maps a granted frame.
//!
//! The ring follows `io/ring.h`: a 64-byte header (`req_prod`, `req_event`, `rsp_prod`,
//! `rsp_event`, a private area and padding) followed by a power-of-two number of slots, each
//! holding a request or a response. The free-running 32-bit indices are masked to a slot.

use alloc::alloc::{alloc_zeroed, dealloc, Layout};
use alloc::rc::Rc;
use core::marker::PhantomData;
use core::ptr::NonNull;
use core::sync::atomic::{fence, AtomicU32, Ordering};

use crate::wire::{
    ring_entries, slot_size, RxRequest, RxResponse, TxRequest, TxResponse, PAGE_SIZE,
    RING_HEADER_SIZE,
};

/// An access outside a page's 4096 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfPage;

/// What is wrong with a response producer index the backend published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProducerError {
    /// It claims more responses than requests were published.
    Overrun,
    /// It went back behind a producer index already seen (responses taken back).
    Rewound,
}

struct PageAlloc {
    ptr: NonNull<u8>,
}

impl PageAlloc {
    const LAYOUT: Layout = match Layout::from_size_align(PAGE_SIZE, PAGE_SIZE) {
        Ok(layout) => layout,
        Err(_) => panic!("page layout"),
    };
}

impl Drop for PageAlloc {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from `alloc_zeroed` with this same layout and is freed only here,
        // when the last `SharedPage` handle goes away.
        unsafe { dealloc(self.ptr.as_ptr(), Self::LAYOUT) }
    }
}

/// A 4 KiB, page-aligned, zero-initialised page that can be granted to another domain.
///
/// Handles are reference counted: cloning one gives another handle to the same page, and the
/// memory is freed when the last handle drops. The frontend keeps a handle for as long as a
/// grant may be active, so a page is never freed under the backend. A platform (or a
/// simulated backend) may keep handles too, but must touch a page only when the netif
/// protocol gives it to the peer: after a request naming it was pushed, before the response.
#[derive(Clone)]
pub struct SharedPage {
    inner: Rc<PageAlloc>,
}

impl core::fmt::Debug for SharedPage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SharedPage({:#x})", self.addr())
    }
}

impl SharedPage {
    /// Allocates a zeroed page; `None` when the heap has no room.
    pub fn new() -> Option<SharedPage> {
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { alloc_zeroed(PageAlloc::LAYOUT) };
        NonNull::new(ptr).map(|ptr| SharedPage {
            inner: Rc::new(PageAlloc { ptr }),
        })
    }

    /// The page's virtual address (page aligned); the platform translates it to a frame when
    /// granting.
    pub fn addr(&self) -> usize {
        self.inner.ptr.as_ptr() as usize
    }

    /// Whether two handles name the same page.
    pub fn same_page(&self, other: &SharedPage) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }

    /// How many handles to the page exist, leaked ones included (the page is freed when the
    /// count would drop to zero).
    pub fn handles(&self) -> usize {
        Rc::strong_count(&self.inner)
    }

    /// Copies bytes out of the page, starting at `offset`.
    pub fn read(&self, offset: usize, out: &mut [u8]) -> Result<(), OutOfPage> {
        copy_out(self, offset, out)
    }

    /// Copies `data` into the page at `offset`.
    pub fn write(&self, offset: usize, data: &[u8]) -> Result<(), OutOfPage> {
        copy_in(self, offset, data)
    }

    /// A view of the page for a backend running on another thread, for as long as this
    /// handle is borrowed.
    ///
    /// # Safety
    ///
    /// The other thread must follow the netif protocol, as the other domain does: touch a
    /// slot or a buffer only while the protocol gives it to that side (a request from its
    /// publication to its response, a response after its producer was read), and publish
    /// with the producer indices, whose release/acquire ordering then orders the plain byte
    /// copies of both threads. A copy racing with the owner's access to the same bytes is a
    /// data race.
    pub unsafe fn map(&self) -> MappedPage<'_> {
        MappedPage {
            ptr: self.inner.ptr,
            _page: PhantomData,
        }
    }

    /// A view of `len` bytes at `offset`, for a received buffer the frontend owns.
    pub(crate) fn bytes(&self, offset: usize, len: usize) -> Result<&[u8], OutOfPage> {
        check(offset, len)?;
        // SAFETY: the range is inside the page, which lives as long as `self`. The crate
        // calls this only for a receive buffer whose response has been consumed and which is
        // not posted on the ring, so by the protocol neither the backend nor a simulated one
        // writes to it while the borrow lasts.
        Ok(unsafe { core::slice::from_raw_parts(self.inner.ptr.as_ptr().add(offset), len) })
    }

    fn index(&self, field: usize) -> &AtomicU32 {
        index(self, field)
    }

    fn load_entry<T: RingEntry>(&self, offset: usize) -> T {
        load_entry(self, offset)
    }

    fn store_entry<T: RingEntry>(&self, offset: usize, value: T) {
        store_entry(self, offset, value)
    }
}

/// A page of the front end seen from another thread: what a backend on another core works
/// on (made by [`SharedPage::map`]). It copies bytes in and out (it never lends them) and
/// reaches the ring indices as atomics; it is valid while the handle it came from is
/// borrowed.
#[derive(Clone, Copy)]
pub struct MappedPage<'a> {
    ptr: NonNull<u8>,
    _page: PhantomData<&'a SharedPage>,
}

// SAFETY: the page stays allocated while the `SharedPage` handle it was mapped from is
// borrowed (the lifetime), and no handle's reference count is touched through the mapping.
// Every access through it is a bounds-checked byte copy, a volatile copy of a whole ring
// entry or an atomic index access; who may access what, when, is the netif protocol, which
// the creator of the mapping promised to follow (`SharedPage::map`).
unsafe impl Send for MappedPage<'_> {}

impl MappedPage<'_> {
    /// Copies bytes out of the page, starting at `offset`.
    pub fn read(&self, offset: usize, out: &mut [u8]) -> Result<(), OutOfPage> {
        copy_out(self, offset, out)
    }

    /// Copies `data` into the page at `offset`.
    pub fn write(&self, offset: usize, data: &[u8]) -> Result<(), OutOfPage> {
        copy_in(self, offset, data)
    }
}

impl core::fmt::Debug for MappedPage<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "MappedPage({:#x})", self.ptr.as_ptr() as usize)
    }
}

fn check(offset: usize, len: usize) -> Result<(), OutOfPage> {
    match offset.checked_add(len) {
        Some(end) if end <= PAGE_SIZE => Ok(()),
        _ => Err(OutOfPage),
    }
}

fn copy_out<M: PageMemory + ?Sized>(m: &M, offset: usize, out: &mut [u8]) -> Result<(), OutOfPage> {
    check(offset, out.len())?;
    // SAFETY: the range is inside the live page (checked above; `PageMemory` pages live as
    // long as the borrow of `m`); `out` is a distinct Rust allocation, so the regions do not
    // overlap; u8 has no invalid values.
    unsafe {
        core::ptr::copy_nonoverlapping(m.base().as_ptr().add(offset), out.as_mut_ptr(), out.len())
    }
    Ok(())
}

fn copy_in<M: PageMemory + ?Sized>(m: &M, offset: usize, data: &[u8]) -> Result<(), OutOfPage> {
    check(offset, data.len())?;
    // SAFETY: the range is inside the live page (checked above). `copy` tolerates overlap
    // (should `data` come from this very page). Writers and the views of `bytes` are kept
    // apart by the protocol, as `SharedPage` and `SharedPage::map` require.
    unsafe { core::ptr::copy(data.as_ptr(), m.base().as_ptr().add(offset), data.len()) }
    Ok(())
}

fn index<M: PageMemory + ?Sized>(m: &M, field: usize) -> &AtomicU32 {
    debug_assert!(field < 4);
    // SAFETY: the four ring indices are the first 16 bytes of the page, 4-byte aligned
    // (the page is page aligned); the page outlives the borrow of `m`; both ends access
    // the indices as whole aligned 32-bit words, atomically.
    unsafe { AtomicU32::from_ptr(m.base().as_ptr().add(field * 4).cast::<u32>()) }
}

fn load_entry<M: PageMemory + ?Sized, T: RingEntry>(m: &M, offset: usize) -> T {
    assert!(offset % core::mem::align_of::<T>() == 0);
    assert!(offset + core::mem::size_of::<T>() <= PAGE_SIZE);
    // SAFETY: in bounds and aligned (asserted); `T` is one of the sealed wire structs, made
    // of integers only, so any bit pattern is valid; volatile so the copy is taken once and
    // the other end cannot change it under our checks.
    unsafe { core::ptr::read_volatile(m.base().as_ptr().add(offset).cast::<T>()) }
}

fn store_entry<M: PageMemory + ?Sized, T: RingEntry>(m: &M, offset: usize, value: T) {
    assert!(offset % core::mem::align_of::<T>() == 0);
    assert!(offset + core::mem::size_of::<T>() <= PAGE_SIZE);
    // SAFETY: in bounds and aligned (asserted); `T` is plain integers.
    unsafe { core::ptr::write_volatile(m.base().as_ptr().add(offset).cast::<T>(), value) }
}

/// A ring page a [`BackRing`] can work on: a [`SharedPage`] handle, or a [`MappedPage`] on
/// another thread (sealed).
pub trait PageMemory: sealed::Memory {}
impl PageMemory for SharedPage {}
impl PageMemory for MappedPage<'_> {}

mod sealed {
    use core::ptr::NonNull;

    /// The start of a live, page-aligned 4 KiB page.
    pub trait Memory {
        fn base(&self) -> NonNull<u8>;
    }
    impl Memory for super::SharedPage {
        fn base(&self) -> NonNull<u8> {
            self.inner.ptr
        }
    }
    impl Memory for super::MappedPage<'_> {
        fn base(&self) -> NonNull<u8> {
            self.ptr
        }
    }

    pub trait Sealed {}
    impl Sealed for super::TxRequest {}
    impl Sealed for super::TxResponse {}
    impl Sealed for super::RxRequest {}
    impl Sealed for super::RxResponse {}
}

/// A netif ring entry: one of the `#[repr(C)]` integer-only wire structs (sealed).
pub trait RingEntry: Copy + sealed::Sealed {}
impl RingEntry for TxRequest {}
impl RingEntry for TxResponse {}
impl RingEntry for RxRequest {}
impl RingEntry for RxResponse {}

const REQ_PROD: usize = 0;
const REQ_EVENT: usize = 1;
const RSP_PROD: usize = 2;
const RSP_EVENT: usize = 3;

/// Slot geometry of a ring of `Req`/`Rsp` entries.
struct Geometry<Req, Rsp>(PhantomData<(Req, Rsp)>);

impl<Req, Rsp> Geometry<Req, Rsp> {
    const SLOT: usize = slot_size(core::mem::size_of::<Req>(), core::mem::size_of::<Rsp>());
    const ENTRIES: u32 = ring_entries(Self::SLOT) as u32;

    fn offset(idx: u32) -> usize {
        RING_HEADER_SIZE + (idx & (Self::ENTRIES - 1)) as usize * Self::SLOT
    }
}

/// The front (requesting) half of a shared ring: pushes requests, consumes responses.
/// Keeps the private producer index (`req_prod_pvt`) and consumer index (`rsp_cons`).
pub struct FrontRing<Req, Rsp> {
    page: SharedPage,
    req_prod_pvt: u32,
    /// The last producer index published (kept here: the shared copy is writable by the
    /// backend).
    req_prod_pushed: u32,
    rsp_cons: u32,
    /// The backend's response producer as last read and checked: responses up to it may be
    /// taken, and it never moves back.
    rsp_prod_checked: u32,
    _entries: PhantomData<(Req, Rsp)>,
}

impl<Req: RingEntry, Rsp: RingEntry> FrontRing<Req, Rsp> {
    /// Entries in the ring.
    pub const SIZE: u32 = Geometry::<Req, Rsp>::ENTRIES;

    /// Initialises the shared ring in `page` (producers 0, events 1, padding zeroed) and
    /// attaches the front half to it.
    pub fn new(page: SharedPage) -> Self {
        Self::attach_at(page, 0)
    }

    fn attach_at(page: SharedPage, start: u32) -> Self {
        // Zero the whole header, private area and padding included.
        let zeros = [0u8; RING_HEADER_SIZE];
        // The header is always inside the page.
        let _ = page.write(0, &zeros);
        page.index(REQ_PROD).store(start, Ordering::Relaxed);
        page.index(RSP_PROD).store(start, Ordering::Relaxed);
        page.index(REQ_EVENT)
            .store(start.wrapping_add(1), Ordering::Relaxed);
        page.index(RSP_EVENT)
            .store(start.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::SeqCst);
        FrontRing {
            page,
            req_prod_pvt: start,
            req_prod_pushed: start,
            rsp_cons: start,
            rsp_prod_checked: start,
            _entries: PhantomData,
        }
    }

    /// The shared page.
    pub fn page(&self) -> &SharedPage {
        &self.page
    }

    /// Requests produced locally, pushed or not (`req_prod_pvt`).
    pub fn req_prod_pvt(&self) -> u32 {
        self.req_prod_pvt
    }

    /// Responses consumed (`rsp_cons`).
    pub fn rsp_cons(&self) -> u32 {
        self.rsp_cons
    }

    /// Requests produced whose responses have not been consumed.
    pub fn outstanding(&self) -> u32 {
        self.req_prod_pvt.wrapping_sub(self.rsp_cons)
    }

    /// Requests published whose responses have not been consumed: the most responses a
    /// well-behaved backend can have published.
    pub fn unanswered(&self) -> u32 {
        self.req_prod_pushed.wrapping_sub(self.rsp_cons)
    }

    /// Free request slots (`RING_FREE_REQUESTS`).
    pub fn free_requests(&self) -> u32 {
        Self::SIZE.wrapping_sub(self.outstanding())
    }

    /// Writes `req` into the next free slot without publishing it; `false` when the ring is
    /// full.
    pub fn put_request(&mut self, req: Req) -> bool {
        if self.free_requests() == 0 {
            return false;
        }
        self.page
            .store_entry(Geometry::<Req, Rsp>::offset(self.req_prod_pvt), req);
        self.req_prod_pvt = self.req_prod_pvt.wrapping_add(1);
        true
    }

    /// Publishes the requests written so far (`RING_PUSH_REQUESTS_AND_CHECK_NOTIFY`):
    /// `true` when the backend asked to be notified of one of them (its `req_event` lies in
    /// the newly published range).
    pub fn push_requests_and_check_notify(&mut self) -> bool {
        let old = self.page.index(REQ_PROD).load(Ordering::Relaxed);
        let new = self.req_prod_pvt;
        // Requests are visible before the producer index (write barrier).
        self.page.index(REQ_PROD).store(new, Ordering::Release);
        self.req_prod_pushed = new;
        // The new producer is visible before we read the event index (full barrier).
        fence(Ordering::SeqCst);
        let event = self.page.index(REQ_EVENT).load(Ordering::Relaxed);
        new.wrapping_sub(event) < new.wrapping_sub(old)
    }

    /// The backend's response producer index (`rsp_prod`), read with acquire ordering so
    /// the responses before it can be read.
    pub fn rsp_prod(&self) -> u32 {
        self.page.index(RSP_PROD).load(Ordering::Acquire)
    }

    /// Responses published and not yet consumed (`RING_HAS_UNCONSUMED_RESPONSES`), as the
    /// backend claims; [`FrontRing::check_responses`] is what makes them takeable.
    pub fn unconsumed_responses(&self) -> u32 {
        self.rsp_prod().wrapping_sub(self.rsp_cons)
    }

    /// Reads the backend's response producer once and checks it: it may not claim more
    /// responses than requests were published ([`ProducerError::Overrun`]), nor go back
    /// behind the producer last checked ([`ProducerError::Rewound`]). A good producer
    /// becomes the limit of [`FrontRing::take_response`]; returns how many responses can be
    /// taken. A bad one changes nothing.
    pub fn check_responses(&mut self) -> Result<u32, ProducerError> {
        let prod = self.rsp_prod();
        let available = prod.wrapping_sub(self.rsp_cons);
        if available > self.unanswered() {
            return Err(ProducerError::Overrun);
        }
        if available < self.rsp_prod_checked.wrapping_sub(self.rsp_cons) {
            return Err(ProducerError::Rewound);
        }
        self.rsp_prod_checked = prod;
        Ok(available)
    }

    /// Copies the response at `rsp_cons` out of the ring (one volatile read of the whole
    /// entry: the caller checks and uses that copy only) and advances past it; `None` when
    /// every response up to the producer last accepted by [`FrontRing::check_responses`]
    /// was taken.
    pub fn take_response(&mut self) -> Option<Rsp> {
        if self.rsp_cons == self.rsp_prod_checked {
            return None;
        }
        let rsp = self
            .page
            .load_entry(Geometry::<Req, Rsp>::offset(self.rsp_cons));
        self.rsp_cons = self.rsp_cons.wrapping_add(1);
        Some(rsp)
    }

    /// `RING_FINAL_CHECK_FOR_RESPONSES`: when nothing is pending, asks the backend to notify
    /// on the next response (`rsp_event = rsp_cons + 1`) and checks again; `true` when
    /// responses are pending (so the caller should not sleep).
    pub fn final_check_for_responses(&mut self) -> bool {
        if self.unconsumed_responses() != 0 {
            return true;
        }
        self.page
            .index(RSP_EVENT)
            .store(self.rsp_cons.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::SeqCst);
        self.unconsumed_responses() != 0
    }
}

/// The back (responding) half of a shared ring: consumes requests, pushes responses. The
/// guest never plays this part; it exists for simulated backends in tests and tools.
pub struct BackRing<Req, Rsp, P = SharedPage> {
    page: P,
    rsp_prod_pvt: u32,
    req_cons: u32,
    _entries: PhantomData<(Req, Rsp)>,
}

impl<Req: RingEntry, Rsp: RingEntry, P: PageMemory> BackRing<Req, Rsp, P> {
    /// Entries in the ring.
    pub const SIZE: u32 = Geometry::<Req, Rsp>::ENTRIES;

    /// Attaches to a ring the front end initialised, at its current response producer.
    pub fn attach(page: P) -> Self {
        let start = index(&page, RSP_PROD).load(Ordering::Acquire);
        BackRing {
            page,
            rsp_prod_pvt: start,
            req_cons: start,
            _entries: PhantomData,
        }
    }

    /// Requests consumed so far (`req_cons`).
    pub fn req_cons(&self) -> u32 {
        self.req_cons
    }

    /// Unconsumed requests, bounded by the free response space
    /// (`RING_HAS_UNCONSUMED_REQUESTS`).
    pub fn unconsumed_requests(&self) -> u32 {
        let prod = index(&self.page, REQ_PROD).load(Ordering::Acquire);
        let req = prod.wrapping_sub(self.req_cons);
        let rsp = Self::SIZE.wrapping_sub(self.req_cons.wrapping_sub(self.rsp_prod_pvt));
        req.min(rsp)
    }

    /// Copies the request at `req_cons` and advances past it. Call only while
    /// [`BackRing::unconsumed_requests`] is non-zero.
    pub fn take_request(&mut self) -> Req {
        let req = load_entry(&self.page, Geometry::<Req, Rsp>::offset(self.req_cons));
        self.req_cons = self.req_cons.wrapping_add(1);
        req
    }

    /// Writes a response into the next slot without publishing it. A well-behaved backend
    /// answers only requests it consumed; nothing here stops a misbehaving one.
    pub fn put_response(&mut self, rsp: Rsp) {
        store_entry(
            &self.page,
            Geometry::<Req, Rsp>::offset(self.rsp_prod_pvt),
            rsp,
        );
        self.rsp_prod_pvt = self.rsp_prod_pvt.wrapping_add(1);
    }

    /// `RING_PUSH_RESPONSES_AND_CHECK_NOTIFY`: publishes the responses; `true` when the
    /// front end asked to be notified.
    pub fn push_responses_and_check_notify(&mut self) -> bool {
        let old = index(&self.page, RSP_PROD).load(Ordering::Relaxed);
        let new = self.rsp_prod_pvt;
        index(&self.page, RSP_PROD).store(new, Ordering::Release);
        fence(Ordering::SeqCst);
        let event = index(&self.page, RSP_EVENT).load(Ordering::Relaxed);
        new.wrapping_sub(event) < new.wrapping_sub(old)
    }

    /// `RING_FINAL_CHECK_FOR_REQUESTS`: when nothing is pending, asks the front end to notify
    /// on the next request (`req_event = req_cons + 1`) and checks again.
    pub fn final_check_for_requests(&mut self) -> bool {
        if self.unconsumed_requests() != 0 {
            return true;
        }
        index(&self.page, REQ_EVENT).store(self.req_cons.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::SeqCst);
        self.unconsumed_requests() != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Front = FrontRing<TxRequest, TxResponse>;
    type Back = BackRing<TxRequest, TxResponse>;

    fn req(id: u16) -> TxRequest {
        TxRequest {
            gref: 7,
            offset: 0,
            flags: 0,
            id,
            size: 60,
        }
    }

    #[test]
    fn header_is_initialised_like_shared_ring_init() {
        let page = SharedPage::new().unwrap();
        page.write(0, &[0xff; 64]).unwrap();
        let _front = Front::new(page.clone());
        let mut header = [0u8; 64];
        page.read(0, &mut header).unwrap();
        assert_eq!(&header[0..4], &0u32.to_ne_bytes());
        assert_eq!(&header[4..8], &1u32.to_ne_bytes());
        assert_eq!(&header[8..12], &0u32.to_ne_bytes());
        assert_eq!(&header[12..16], &1u32.to_ne_bytes());
        assert!(header[16..].iter().all(|&b| b == 0));
    }

    #[test]
    fn entries_land_in_slots_after_the_header() {
        let page = SharedPage::new().unwrap();
        let mut front = Front::new(page.clone());
        assert!(front.put_request(req(3)));
        assert!(front.put_request(req(4)));
        let mut raw = [0u8; 12];
        page.read(64 + 12, &mut raw).unwrap();
        assert_eq!(&raw[8..10], &4u16.to_ne_bytes());
    }

    #[test]
    fn full_ring_refuses_requests() {
        let mut front = Front::new(SharedPage::new().unwrap());
        for i in 0..256 {
            assert!(front.put_request(req(i)));
        }
        assert!(!front.put_request(req(0)));
        assert_eq!(front.free_requests(), 0);
    }

    #[test]
    fn notification_only_when_event_index_is_crossed() {
        let page = SharedPage::new().unwrap();
        let mut front = Front::new(page.clone());
        let mut back = Back::attach(page);
        // req_event starts at 1: the first request notifies.
        front.put_request(req(0));
        assert!(front.push_requests_and_check_notify());
        // The backend has not re-armed: no notification.
        front.put_request(req(1));
        assert!(!front.push_requests_and_check_notify());
        // The backend consumes and re-arms: the next push notifies again, once.
        while back.unconsumed_requests() > 0 {
            back.take_request();
        }
        assert!(!back.final_check_for_requests());
        front.put_request(req(2));
        front.put_request(req(3));
        assert!(front.push_requests_and_check_notify());
        front.put_request(req(4));
        assert!(!front.push_requests_and_check_notify());
    }

    #[test]
    fn indices_wrap_around_u32() {
        let page = SharedPage::new().unwrap();
        let mut front = Front::attach_at(page.clone(), u32::MAX - 5);
        let mut back = Back::attach(page);
        for round in 0..3u16 {
            for i in 0..200 {
                assert!(front.put_request(req(round * 1000 + i)));
            }
            front.push_requests_and_check_notify();
            let mut n = 0;
            while back.unconsumed_requests() > 0 {
                let r = back.take_request();
                assert_eq!(r.id, round * 1000 + n);
                back.put_response(TxResponse {
                    id: r.id,
                    status: 0,
                });
                n += 1;
            }
            assert_eq!(n, 200);
            back.push_responses_and_check_notify();
            assert_eq!(front.unconsumed_responses(), 200);
            assert_eq!(front.check_responses(), Ok(200));
            for i in 0..200 {
                assert_eq!(front.take_response().map(|r| r.id), Some(round * 1000 + i));
            }
            assert_eq!(front.take_response(), None);
            assert!(!front.final_check_for_responses());
        }
        assert!(front.rsp_cons() < 1000);
    }

    #[test]
    fn final_check_sees_late_responses() {
        let page = SharedPage::new().unwrap();
        let mut front = Front::new(page.clone());
        let mut back = Back::attach(page);
        front.put_request(req(1));
        front.push_requests_and_check_notify();
        back.take_request();
        back.put_response(TxResponse { id: 1, status: 0 });
        // rsp_event starts at 1: the first response notifies.
        assert!(back.push_responses_and_check_notify());
        assert!(front.final_check_for_responses());
        assert_eq!(front.check_responses(), Ok(1));
        assert!(front.take_response().is_some());
        assert!(!front.final_check_for_responses());
    }

    /// Sets the shared response producer as a hostile backend would.
    fn set_rsp_prod(page: &SharedPage, prod: u32) {
        page.write(RSP_PROD * 4, &prod.to_ne_bytes()).unwrap();
    }

    #[test]
    fn producer_past_the_requests_or_going_back_is_refused() {
        let page = SharedPage::new().unwrap();
        let mut front = Front::new(page.clone());
        for i in 0..4 {
            front.put_request(req(i));
        }
        // Written but not published: not answerable yet.
        set_rsp_prod(&page, 1);
        assert_eq!(front.check_responses(), Err(ProducerError::Overrun));
        assert_eq!(front.take_response(), None);
        front.push_requests_and_check_notify();
        set_rsp_prod(&page, 5);
        assert_eq!(front.check_responses(), Err(ProducerError::Overrun));
        set_rsp_prod(&page, 3);
        assert_eq!(front.check_responses(), Ok(3));
        assert!(front.take_response().is_some());
        // Back to 2: still ahead of the consumer, but behind what was seen.
        set_rsp_prod(&page, 2);
        assert_eq!(front.check_responses(), Err(ProducerError::Rewound));
        // Behind the consumer: wraps to a huge count.
        set_rsp_prod(&page, 0);
        assert_eq!(front.check_responses(), Err(ProducerError::Overrun));
        // A refused producer changes nothing: two checked responses are left.
        assert!(front.take_response().is_some());
        assert!(front.take_response().is_some());
        assert_eq!(front.take_response(), None);
        set_rsp_prod(&page, 4);
        assert_eq!(front.check_responses(), Ok(1));
    }

    #[test]
    fn a_taken_response_is_a_copy() {
        let page = SharedPage::new().unwrap();
        let mut front = Front::new(page.clone());
        let mut back = Back::attach(page.clone());
        front.put_request(req(1));
        front.push_requests_and_check_notify();
        back.take_request();
        back.put_response(TxResponse { id: 1, status: 0 });
        back.push_responses_and_check_notify();
        assert_eq!(front.check_responses(), Ok(1));
        let rsp = front.take_response().unwrap();
        // The backend rewrites the slot after the copy was taken: the copy stands.
        page.write(64, &[0xff; 4]).unwrap();
        assert_eq!(rsp, TxResponse { id: 1, status: 0 });
    }

    #[test]
    fn pages_come_zeroed_even_when_the_heap_memory_was_used() {
        for _ in 0..8 {
            let page = SharedPage::new().unwrap();
            let mut bytes = [0xffu8; PAGE_SIZE];
            page.read(0, &mut bytes).unwrap();
            assert!(bytes.iter().all(|&b| b == 0));
            page.write(0, &[0xa5; PAGE_SIZE]).unwrap();
        }
    }

    #[test]
    fn a_backend_works_through_a_mapping() {
        let page = SharedPage::new().unwrap();
        let buffer = SharedPage::new().unwrap();
        let mut front = Front::new(page.clone());
        // SAFETY: one thread, and the backend below touches the ring and the buffer only
        // between a request's publication and its response.
        let (ring, data) = unsafe { (page.map(), buffer.map()) };
        let mut back: BackRing<TxRequest, TxResponse, MappedPage<'_>> = BackRing::attach(ring);
        buffer.write(100, b"frame").unwrap();
        front.put_request(req(9));
        front.push_requests_and_check_notify();
        assert_eq!(back.unconsumed_requests(), 1);
        assert_eq!(back.take_request().id, 9);
        let mut out = [0u8; 5];
        data.read(100, &mut out).unwrap();
        assert_eq!(&out, b"frame");
        assert_eq!(data.write(4095, &[0; 2]), Err(OutOfPage));
        back.put_response(TxResponse { id: 9, status: 0 });
        back.push_responses_and_check_notify();
        assert_eq!(front.check_responses(), Ok(1));
        assert_eq!(front.take_response().map(|r| r.id), Some(9));
    }

    #[test]
    fn page_access_is_bounds_checked() {
        let page = SharedPage::new().unwrap();
        assert_eq!(page.write(4090, &[0; 7]), Err(OutOfPage));
        assert_eq!(page.read(usize::MAX, &mut [0; 2]), Err(OutOfPage));
        assert!(page.bytes(4096, 0).is_ok());
        assert_eq!(page.addr() % PAGE_SIZE, 0);
    }
}
