//! A simulated Xen world for netfront host tests: an in-memory XenStore with transactions, a
//! grant table, event channels, and a netback that follows the xenbus handshake and serves
//! the rings the way Linux netback does (grant copy into receive pages, grant copy out of
//! transmit buffers). Deterministic: the backend moves only when the frontend waits on the
//! store or a test calls it.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use netfront::shared::BackRing;
use netfront::wire::{RxRequest, RxResponse, TxRequest, TxResponse, NETIF_RSP_ERROR, PAGE_SIZE};
use netfront::{
    DomId, EventChannel, GrantRef, GrantTable, PlatformError, Port, SharedPage, Store, StoreError,
    TxnId,
};

pub const NODE: &str = "device/vif/0";
pub const BACKEND: &str = "/local/domain/0/backend/vif/1/0";
pub const MAC: [u8; 6] = [0x00, 0x16, 0x3e, 0x12, 0x34, 0x56];
pub const BACKEND_ID: DomId = 0;

pub struct Grant {
    pub domid: DomId,
    pub page: SharedPage,
    pub readonly: bool,
}

pub struct Netback {
    pub tx: BackRing<TxRequest, TxResponse>,
    pub rx: BackRing<RxRequest, RxResponse>,
    pub port: Port,
    ring_refs: [GrantRef; 2],
}

/// How the simulated backend behaves during the handshake.
#[derive(Clone, Copy, Default)]
pub struct Behaviour {
    /// Never leave Connected when the frontend closes (and keep the rings mapped).
    pub refuse_close: bool,
    /// Never reach Connected.
    pub never_connect: bool,
}

#[derive(Default)]
pub struct Inner {
    pub store: BTreeMap<String, String>,
    txn: Option<(u32, BTreeMap<String, String>)>,
    next_txn: u32,
    /// Commits still to fail with EAGAIN.
    pub eagain: u32,
    pub txn_attempts: u32,
    /// The keys of each committed transaction, in commit order.
    pub commits: Vec<Vec<String>>,
    pub grants: BTreeMap<GrantRef, Grant>,
    free_refs: Vec<GrantRef>,
    next_ref: GrantRef,
    /// Grants the backend has mapped (ending them fails with Busy).
    pub mapped: BTreeSet<GrantRef>,
    pub grant_ops: u64,
    pub ports: BTreeMap<Port, DomId>,
    next_port: Port,
    pub closed_ports: Vec<Port>,
    /// Notifications the frontend sent.
    pub frontend_notifies: u64,
    /// Notifications the backend would have sent (the front end asked, by its rsp_event).
    pub backend_notifies: u64,
    pub netback: Option<Netback>,
    pub behaviour: Behaviour,
    /// Check every receive page the frontend posts against what the backend last wrote
    /// there (on in tests; the data-path benchmark turns it off).
    pub audit_pages: bool,
    /// Answer a request naming no usable grant with an error instead of failing the test
    /// (for fuzzing, where the backend itself scribbles over the rings).
    pub lenient: bool,
    /// What the backend last left in each receive page it filled.
    rx_images: BTreeMap<GrantRef, Vec<u8>>,
}

/// The whole of a page.
pub fn image(page: &SharedPage) -> Vec<u8> {
    let mut bytes = vec![0u8; PAGE_SIZE];
    page.read(0, &mut bytes).unwrap();
    bytes
}

#[derive(Clone, Default)]
pub struct World(pub Rc<RefCell<Inner>>);

fn key(path: &str, name: &str) -> String {
    format!("{path}/{name}")
}

impl World {
    /// A world where the toolstack has written the vif's keys and the backend is
    /// initialising.
    pub fn new() -> World {
        let world = World::default();
        {
            let mut w = world.0.borrow_mut();
            w.next_ref = 8;
            w.next_port = 3;
            w.next_txn = 1;
            w.audit_pages = true;
            w.store.insert(key(NODE, "backend"), BACKEND.into());
            w.store.insert(key(NODE, "backend-id"), "0".into());
            w.store.insert(key(NODE, "mac"), "00:16:3e:12:34:56".into());
            w.store.insert(key(NODE, "state"), "1".into());
            w.store.insert(key(BACKEND, "state"), "1".into());
        }
        world
    }

    pub fn store(&self) -> SimStore {
        SimStore(self.clone())
    }
    pub fn grants(&self) -> SimGrants {
        SimGrants(self.clone())
    }
    pub fn evtchn(&self) -> SimEvtchn {
        SimEvtchn(self.clone())
    }

    pub fn get(&self, path: &str) -> Option<String> {
        self.0.borrow().store.get(path).cloned()
    }
    pub fn set(&self, path: &str, value: &str) {
        self.0.borrow_mut().store.insert(path.into(), value.into());
    }
    pub fn remove(&self, path: &str) {
        self.0.borrow_mut().store.remove(path);
    }
    pub fn backend_state(&self) -> Option<String> {
        self.get(&key(BACKEND, "state"))
    }
    pub fn frontend_state(&self) -> Option<String> {
        self.get(&key(NODE, "state"))
    }
    pub fn active_grants(&self) -> usize {
        self.0.borrow().grants.len()
    }
    pub fn grant_ops(&self) -> u64 {
        self.0.borrow().grant_ops
    }
    pub fn frontend_notifies(&self) -> u64 {
        self.0.borrow().frontend_notifies
    }
    pub fn backend_notifies(&self) -> u64 {
        self.0.borrow().backend_notifies
    }
    pub fn behave(&self, behaviour: Behaviour) {
        self.0.borrow_mut().behaviour = behaviour;
    }

    /// The page behind a grant, checked the way the hypervisor checks a grant copy.
    fn granted_page(w: &Inner, gref: GrantRef, write: bool) -> Option<SharedPage> {
        let grant = w.grants.get(&gref)?;
        if grant.domid != BACKEND_ID || (write && grant.readonly) {
            return None;
        }
        Some(grant.page.clone())
    }

    /// Moves the backend one step through the xenbus handshake; `false` when nothing changed.
    pub fn step_backend(&self) -> bool {
        let mut w = self.0.borrow_mut();
        let front = w
            .store
            .get(&key(NODE, "state"))
            .cloned()
            .unwrap_or_default();
        let back = w
            .store
            .get(&key(BACKEND, "state"))
            .cloned()
            .unwrap_or_default();
        let next = match (back.as_str(), front.as_str()) {
            ("" | "0" | "1", _) => "2",
            // Linux netback offers InitWait again when a closed frontend reinitialises.
            ("6", "1") => "2",
            ("2", "4") if !w.behaviour.never_connect => {
                if !Self::map_rings(&mut w) {
                    return false;
                }
                "4"
            }
            ("4", "5" | "6") if !w.behaviour.refuse_close => {
                if let Some(nb) = w.netback.take() {
                    for r in nb.ring_refs {
                        w.mapped.remove(&r);
                    }
                }
                "5"
            }
            ("5", "6") => "6",
            _ => return false,
        };
        w.store.insert(key(BACKEND, "state"), next.into());
        true
    }

    fn map_rings(w: &mut Inner) -> bool {
        let read =
            |w: &Inner, name: &str| -> Option<u32> { w.store.get(&key(NODE, name))?.parse().ok() };
        if w.store
            .get(&key(NODE, "request-rx-copy"))
            .map(String::as_str)
            != Some("1")
        {
            return false;
        }
        let (Some(tx_ref), Some(rx_ref), Some(port)) = (
            read(w, "tx-ring-ref"),
            read(w, "rx-ring-ref"),
            read(w, "event-channel"),
        ) else {
            return false;
        };
        if w.ports.get(&port) != Some(&BACKEND_ID) {
            return false;
        }
        let (Some(tx), Some(rx)) = (
            Self::granted_page(w, tx_ref, true),
            Self::granted_page(w, rx_ref, true),
        ) else {
            return false;
        };
        let mut rx = BackRing::attach(rx);
        // Netback waits for receive requests: ask to be told about the next one.
        rx.final_check_for_requests();
        w.mapped.insert(tx_ref);
        w.mapped.insert(rx_ref);
        w.netback = Some(Netback {
            tx: BackRing::attach(tx),
            rx,
            port,
            ring_refs: [tx_ref, rx_ref],
        });
        true
    }

    /// The backend starts closing on its own (unplug).
    pub fn backend_close(&self) {
        let mut w = self.0.borrow_mut();
        if let Some(nb) = w.netback.take() {
            for r in nb.ring_refs {
                w.mapped.remove(&r);
            }
        }
        w.store.insert(key(BACKEND, "state"), "5".into());
    }

    fn with_netback<R>(&self, f: impl FnOnce(&mut Inner, &mut Netback) -> R) -> R {
        let mut w = self.0.borrow_mut();
        let mut nb = w.netback.take().expect("backend connected");
        let r = f(&mut w, &mut nb);
        w.netback = Some(nb);
        r
    }

    /// Receive requests the backend has not consumed yet.
    pub fn rx_requests(&self) -> u32 {
        self.with_netback(|_, nb| nb.rx.unconsumed_requests())
    }

    /// Answers receive requests with `make(i, request)`, which returns the bytes to copy at
    /// the response's offset (clipped to the page) and the response; stops when the
    /// frontend has no more requests. Returns how many responses were pushed.
    pub fn deliver_custom(
        &self,
        n: usize,
        mut make: impl FnMut(usize, RxRequest) -> (Vec<u8>, RxResponse),
    ) -> usize {
        self.with_netback(|w, nb| {
            let mut done = 0;
            while done < n && nb.rx.unconsumed_requests() > 0 {
                let req = nb.rx.take_request();
                let (bytes, rsp) = make(done, req);
                let Some(page) = Self::granted_page(w, req.gref, true) else {
                    assert!(w.lenient, "rx page {} not granted rw", req.gref);
                    nb.rx.put_response(RxResponse {
                        id: req.id,
                        offset: 0,
                        flags: 0,
                        status: NETIF_RSP_ERROR,
                    });
                    done += 1;
                    continue;
                };
                if w.audit_pages {
                    // A posted page shows the backend nothing it did not write itself.
                    let seen = image(&page);
                    match w.rx_images.get(&req.gref) {
                        Some(left) => assert!(seen == *left, "rx page {} changed", req.gref),
                        None => assert!(seen.iter().all(|&b| b == 0), "rx page not zeroed"),
                    }
                }
                let off = usize::from(rsp.offset).min(PAGE_SIZE);
                let len = bytes.len().min(PAGE_SIZE - off);
                page.write(off, &bytes[..len]).unwrap();
                if w.audit_pages {
                    w.rx_images.insert(req.gref, image(&page));
                }
                nb.rx.put_response(rsp);
                done += 1;
            }
            if nb.rx.push_responses_and_check_notify() {
                w.backend_notifies += 1;
            }
            done
        })
    }

    /// Delivers frames the way netback does (copied at offset 0, status = length).
    pub fn deliver(&self, frames: &[Vec<u8>]) -> usize {
        self.deliver_custom(frames.len(), |i, req| {
            (
                frames[i].clone(),
                RxResponse {
                    id: req.id,
                    offset: 0,
                    flags: 0,
                    status: frames[i].len() as i16,
                },
            )
        })
    }

    /// The shared transmit and receive ring pages, for a test playing a hostile backend that
    /// writes them directly.
    pub fn ring_pages(&self) -> (SharedPage, SharedPage) {
        self.with_netback(|w, nb| {
            let page = |r| Self::granted_page(w, r, true).expect("ring granted");
            (page(nb.ring_refs[0]), page(nb.ring_refs[1]))
        })
    }

    /// Publishes `n` extra receive responses that answer no request (a broken backend).
    pub fn overflow_rx(&self, n: usize) {
        self.with_netback(|_, nb| {
            for _ in 0..n {
                nb.rx.put_response(RxResponse {
                    id: 0,
                    offset: 0,
                    flags: 0,
                    status: 60,
                });
            }
            nb.rx.push_responses_and_check_notify();
        });
    }

    /// Consumes transmit requests, copying each frame out of its granted buffer, and answers
    /// with `answer(i, request)`. Returns the frames.
    pub fn collect_tx_custom(
        &self,
        mut answer: impl FnMut(usize, TxRequest) -> Vec<TxResponse>,
    ) -> Vec<Vec<u8>> {
        self.with_netback(|w, nb| {
            let mut frames = Vec::new();
            while nb.tx.unconsumed_requests() > 0 {
                let req = nb.tx.take_request();
                let page = Self::granted_page(w, req.gref, false)
                    .filter(|_| usize::from(req.offset) + usize::from(req.size) <= PAGE_SIZE);
                let Some(page) = page else {
                    assert!(w.lenient, "bad tx request {req:?}");
                    nb.tx.put_response(TxResponse {
                        id: req.id,
                        status: NETIF_RSP_ERROR,
                    });
                    continue;
                };
                let mut frame = vec![0u8; req.size.into()];
                page.read(req.offset.into(), &mut frame).unwrap();
                for rsp in answer(frames.len(), req) {
                    nb.tx.put_response(rsp);
                }
                frames.push(frame);
            }
            if nb.tx.push_responses_and_check_notify() {
                w.backend_notifies += 1;
            }
            frames
        })
    }

    /// Sends every queued frame and answers OK.
    pub fn collect_tx(&self) -> Vec<Vec<u8>> {
        self.collect_tx_custom(|_, req| {
            vec![TxResponse {
                id: req.id,
                status: 0,
            }]
        })
    }

    /// The backend, idle, asks to be notified of the next transmit request.
    pub fn rearm_tx(&self) -> bool {
        self.with_netback(|_, nb| nb.tx.final_check_for_requests())
    }

    /// The backend, idle, asks to be notified of the next receive request.
    pub fn rearm_rx(&self) -> bool {
        self.with_netback(|_, nb| nb.rx.final_check_for_requests())
    }
}

pub struct SimStore(pub World);

impl Store for SimStore {
    fn read(&mut self, txn: TxnId, path: &str) -> Result<String, StoreError> {
        let w = self.0 .0.borrow();
        if let Some((id, pending)) = &w.txn {
            if txn.0 == *id {
                if let Some(v) = pending.get(path) {
                    return Ok(v.clone());
                }
            }
        }
        w.store.get(path).cloned().ok_or(StoreError::NotFound)
    }

    fn write(&mut self, txn: TxnId, path: &str, value: &str) -> Result<(), StoreError> {
        let mut w = self.0 .0.borrow_mut();
        if txn == TxnId::NONE {
            w.store.insert(path.into(), value.into());
            return Ok(());
        }
        match &mut w.txn {
            Some((id, pending)) if *id == txn.0 => {
                pending.insert(path.into(), value.into());
                Ok(())
            }
            _ => Err(StoreError::Other(22)),
        }
    }

    fn transaction_start(&mut self) -> Result<TxnId, StoreError> {
        let mut w = self.0 .0.borrow_mut();
        if w.txn.is_some() {
            return Err(StoreError::Other(16));
        }
        let id = w.next_txn;
        w.next_txn += 1;
        w.txn = Some((id, BTreeMap::new()));
        w.txn_attempts += 1;
        Ok(TxnId(id))
    }

    fn transaction_end(&mut self, txn: TxnId, commit: bool) -> Result<(), StoreError> {
        let mut w = self.0 .0.borrow_mut();
        let (id, pending) = w.txn.take().ok_or(StoreError::Other(22))?;
        if id != txn.0 {
            return Err(StoreError::Other(22));
        }
        if !commit {
            return Ok(());
        }
        if w.eagain > 0 {
            w.eagain -= 1;
            return Err(StoreError::Again);
        }
        w.commits.push(pending.keys().cloned().collect());
        w.store.extend(pending);
        Ok(())
    }

    fn wait_for_change(&mut self, _path: &str) -> Result<(), StoreError> {
        if self.0.step_backend() {
            Ok(())
        } else {
            Err(StoreError::Timeout)
        }
    }
}

pub struct SimGrants(pub World);

impl GrantTable for SimGrants {
    fn grant(
        &mut self,
        domid: DomId,
        page: &SharedPage,
        readonly: bool,
    ) -> Result<GrantRef, PlatformError> {
        let mut w = self.0 .0.borrow_mut();
        assert!(
            !w.grants.values().any(|g| g.page.same_page(page)),
            "page granted twice"
        );
        assert!(
            image(page).iter().all(|&b| b == 0),
            "page granted before it was zeroed"
        );
        let gref = match w.free_refs.pop() {
            Some(r) => r,
            None => {
                w.next_ref += 1;
                w.next_ref - 1
            }
        };
        w.rx_images.remove(&gref);
        w.grants.insert(
            gref,
            Grant {
                domid,
                page: page.clone(),
                readonly,
            },
        );
        w.grant_ops += 1;
        Ok(gref)
    }

    fn end_access(&mut self, gref: GrantRef) -> Result<(), PlatformError> {
        let mut w = self.0 .0.borrow_mut();
        w.grant_ops += 1;
        if w.mapped.contains(&gref) {
            return Err(PlatformError::Busy);
        }
        w.grants.remove(&gref).ok_or(PlatformError::Failed(-22))?;
        w.free_refs.push(gref);
        Ok(())
    }
}

pub struct SimEvtchn(pub World);

impl EventChannel for SimEvtchn {
    fn alloc_unbound(&mut self, remote: DomId) -> Result<Port, PlatformError> {
        let mut w = self.0 .0.borrow_mut();
        let port = w.next_port;
        w.next_port += 1;
        w.ports.insert(port, remote);
        Ok(port)
    }

    fn notify(&mut self, port: Port) {
        let mut w = self.0 .0.borrow_mut();
        assert!(w.ports.contains_key(&port), "notify on a closed port");
        if let Some(nb) = &w.netback {
            assert_eq!(nb.port, port, "notify on the backend's port");
        }
        w.frontend_notifies += 1;
    }

    fn close(&mut self, port: Port) {
        let mut w = self.0 .0.borrow_mut();
        w.ports.remove(&port);
        w.closed_ports.push(port);
    }
}
