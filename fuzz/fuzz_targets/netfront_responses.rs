//! Fuzzes netfront's response handling against a hostile backend: the input is a script of
//! backend moves (good deliveries, arbitrary responses, raw ring slots, arbitrary response
//! producers and event indices, on both rings) interleaved with the guest's receive, buffer
//! drops, transmit and completion. After every step the device's promises are checked: no
//! panic, counters that only grow and match what was handed out, each receive page lent at
//! most once, frames inside their page, bounded work per call, and nothing moving once the
//! device is broken. The simulated netback of the netfront tests serves the rings (it also
//! checks that every granted page is zeroed and that a reposted receive page holds only what
//! the backend wrote).
#![no_main]

#[allow(dead_code)]
#[path = "../../netfront/tests/sim/mod.rs"]
mod sim;

use libfuzzer_sys::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use netfront::wire::{RxResponse, TxResponse, PAGE_SIZE};
use netfront::{Config, DeviceState, Netfront, RxBuffer, SharedPage, Stats, MIN_FRAME};
use sim::{SimEvtchn, World, NODE};

/// Byte offsets in a shared ring page: the four indices, then the slots.
const REQ_EVENT: usize = 4;
const RSP_PROD: usize = 8;
const RSP_EVENT: usize = 12;
const SLOTS: usize = 64;

fn read_u32(page: &SharedPage, offset: usize) -> u32 {
    let mut b = [0u8; 4];
    page.read(offset, &mut b).expect("index inside the page");
    u32::from_ne_bytes(b)
}

fn write_u32(page: &SharedPage, offset: usize, value: u32) {
    page.write(offset, &value.to_ne_bytes())
        .expect("index inside the page");
}

/// What the guest side has seen, to check the device's counters against.
#[derive(Default)]
struct Ledger {
    handed_out: u64,
    bytes_out: u64,
    frames_taken: u64,
}

struct Run<'a> {
    world: World,
    dev: Netfront<SimEvtchn>,
    config: Config,
    held: Vec<RxBuffer>,
    ledger: Ledger,
    last: Stats,
    u: Unstructured<'a>,
}

impl Run<'_> {
    fn step(&mut self) -> libfuzzer_sys::arbitrary::Result<()> {
        let (tx_ring, rx_ring) = self.world.ring_pages();
        match self.u.int_in_range(0..=12u8)? {
            // A well-behaved delivery of n frames of one length.
            0 => {
                let n = self.u.int_in_range(0..=64usize)?;
                let len = self.u.int_in_range(0..=1600usize)?;
                let frames = vec![vec![0x42u8; len]; n];
                self.world.deliver(&frames);
            }
            // Answers to posted requests with arbitrary fields.
            1 => {
                let n = self.u.int_in_range(0..=8usize)?;
                let mut fields = Vec::with_capacity(n);
                for _ in 0..n {
                    let echo: bool = self.u.arbitrary()?;
                    let id: u16 = self.u.arbitrary()?;
                    let offset: u16 = self.u.arbitrary()?;
                    let flags: u16 = self.u.arbitrary()?;
                    let status: i16 = self.u.arbitrary()?;
                    fields.push((echo, id, offset, flags, status));
                }
                self.world.deliver_custom(n, |i, req| {
                    let (echo, id, offset, flags, status) = fields[i];
                    let rsp = RxResponse {
                        id: if echo { req.id } else { id },
                        offset,
                        flags,
                        status,
                    };
                    (vec![0x17; usize::from(status.unsigned_abs()).min(64)], rsp)
                });
            }
            // Raw bytes in a receive or transmit slot the backend owns: one whose request
            // it has consumed (a slot still holding an unconsumed request is the guest's).
            2 | 3 => {
                let rx = self.u.arbitrary()?;
                let (page, size, req_cons) = {
                    let w = self.world.0.borrow();
                    let nb = w.netback.as_ref().expect("backend connected");
                    if rx {
                        (&rx_ring, 8, nb.rx.req_cons())
                    } else {
                        (&tx_ring, 12, nb.tx.req_cons())
                    }
                };
                let unconsumed = read_u32(page, 0).wrapping_sub(req_cons).min(256);
                let owned = 256 - unconsumed;
                if owned > 0 {
                    let back = self.u.int_in_range(1..=owned)?;
                    let slot = req_cons.wrapping_sub(back) as usize % 256;
                    // A response is 8 bytes on the receive ring, 4 on the transmit ring.
                    let bytes: [u8; 8] = self.u.arbitrary()?;
                    let len = if rx { 8 } else { 4 };
                    page.write(SLOTS + slot * size, &bytes[..len])
                        .expect("slot inside the page");
                }
            }
            // A response producer moved by a small step either way, or anywhere.
            4 | 5 => {
                let page = if self.u.arbitrary()? {
                    &rx_ring
                } else {
                    &tx_ring
                };
                let prod = read_u32(page, RSP_PROD);
                let new = if self.u.arbitrary()? {
                    prod.wrapping_add(self.u.int_in_range(-4i32..=260)? as u32)
                } else {
                    self.u.arbitrary()?
                };
                write_u32(page, RSP_PROD, new);
            }
            // Garbage in the event indices (the backend's and the frontend's).
            6 => {
                let page = if self.u.arbitrary()? {
                    &rx_ring
                } else {
                    &tx_ring
                };
                let at = if self.u.arbitrary()? {
                    REQ_EVENT
                } else {
                    RSP_EVENT
                };
                write_u32(page, at, self.u.arbitrary()?);
            }
            // Transmit completion: zero to two arbitrary responses per request.
            7 => {
                let mut answers = Vec::new();
                for _ in 0..self.u.int_in_range(0..=16usize)? {
                    let how = self.u.int_in_range(0..=3u8)?;
                    let id: u16 = self.u.arbitrary()?;
                    let status: i16 = self.u.arbitrary()?;
                    answers.push((how, id, status));
                }
                if self.world.0.borrow().netback.is_some() {
                    self.world.collect_tx_custom(|i, req| {
                        let (how, id, status) = answers.get(i).copied().unwrap_or((0, 0, 0));
                        let good = TxResponse {
                            id: req.id,
                            status: 0,
                        };
                        let odd = TxResponse { id, status };
                        match how {
                            0 => vec![good],
                            1 => vec![odd],
                            2 => vec![],
                            _ => vec![good, odd],
                        }
                    });
                }
            }
            // The guest receives.
            8 => {
                let max = self.u.int_in_range(0..=300usize)?;
                let before = self.held.len();
                let got = self.dev.receive(&mut self.held, max);
                assert_eq!(self.held.len() - before, got);
                assert!(got <= max);
                for buf in &self.held[before..] {
                    assert!(buf.len() >= MIN_FRAME && buf.offset() + buf.len() <= PAGE_SIZE);
                    assert_eq!(buf.data().len(), buf.len());
                    self.ledger.handed_out += 1;
                    self.ledger.bytes_out += buf.len() as u64;
                }
            }
            // The guest drops some of what it holds.
            9 => {
                let keep = self.u.int_in_range(0..=self.held.len())?;
                self.held.truncate(keep);
            }
            // The guest transmits.
            10 => {
                let n = self.u.int_in_range(0..=40usize)?;
                let len = self.u.int_in_range(0..=2100usize)?;
                let frames = vec![vec![0x99u8; len]; n];
                let taken = self.dev.transmit(frames.iter().map(Vec::as_slice));
                assert!(taken <= n);
                self.ledger.frames_taken += taken as u64;
            }
            11 => {
                let room = self.dev.tx_room();
                assert!(room <= usize::from(self.config.tx_buffers));
            }
            _ => {
                self.dev.arm_events();
            }
        }
        self.check();
        Ok(())
    }

    fn check(&mut self) {
        let s = self.dev.stats();
        let l = &self.last;
        let grew = [
            (s.rx_packets, l.rx_packets),
            (s.rx_bytes, l.rx_bytes),
            (s.rx_errors, l.rx_errors),
            (s.rx_bad_id, l.rx_bad_id),
            (s.rx_bad_length, l.rx_bad_length),
            (s.rx_unsupported, l.rx_unsupported),
            (s.tx_packets, l.tx_packets),
            (s.tx_bytes, l.tx_bytes),
            (s.tx_dropped, l.tx_dropped),
            (s.tx_errors, l.tx_errors),
            (s.tx_bad_id, l.tx_bad_id),
            (s.tx_bad_status, l.tx_bad_status),
            (s.tx_orphans, l.tx_orphans),
            (s.ring_overflows, l.ring_overflows),
            (s.ring_rewinds, l.ring_rewinds),
            (s.notifications, l.notifications),
        ];
        assert!(grew.iter().all(|(now, before)| now >= before), "{s:?}");
        // One receive call consumes at most a ring's worth of slots.
        let slots = |s: &Stats| {
            s.rx_packets + s.rx_errors + s.rx_bad_id + s.rx_bad_length + s.rx_unsupported
        };
        assert!(slots(&s) - slots(l) <= 256);
        assert_eq!(s.rx_packets, self.ledger.handed_out);
        assert_eq!(s.rx_bytes, self.ledger.bytes_out);
        assert_eq!(s.tx_packets + s.tx_dropped, self.ledger.frames_taken);
        // A ring fault is counted once, when the device breaks.
        let broken = self.dev.state() == DeviceState::Broken;
        assert_eq!(s.ring_overflows + s.ring_rewinds, u64::from(broken));
        // Every page lent out is lent once.
        let mut ids: Vec<u16> = self.held.iter().map(RxBuffer::id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), self.held.len(), "a receive page lent twice");
        assert!(ids.iter().all(|&id| id < self.config.rx_buffers));
        if broken {
            assert_eq!(self.dev.receive(&mut Vec::new(), usize::MAX), 0);
            assert_eq!(self.dev.transmit([&[0u8; 60][..]]), 0);
            assert_eq!(self.dev.tx_room(), 0);
            assert!(!self.dev.arm_events());
        }
        self.last = self.dev.stats();
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok((rx, tx)) = u.arbitrary::<(u8, u8)>() else {
        return;
    };
    let config = Config {
        rx_buffers: u16::from(rx % 32) + 1,
        tx_buffers: u16::from(tx % 32) + 1,
        transaction_attempts: 1,
    };
    let world = World::new();
    world.0.borrow_mut().lenient = true;
    let dev = Netfront::connect(
        NODE,
        config,
        &mut world.store(),
        &mut world.grants(),
        world.evtchn(),
    )
    .expect("the simulated backend connects");
    let mut run = Run {
        world,
        dev,
        config,
        held: Vec::new(),
        ledger: Ledger::default(),
        last: Stats::default(),
        u,
    };
    for _ in 0..256 {
        if run.u.is_empty() || run.step().is_err() {
            break;
        }
    }
    // The device still disconnects and gives back every grant; held buffers stay readable.
    let Run {
        world, dev, held, ..
    } = run;
    let (_, result) = dev.disconnect(&mut world.store(), &mut world.grants());
    assert_eq!(result, Ok(()));
    assert_eq!(world.active_grants(), 0);
    for buf in &held {
        assert_eq!(buf.data().len(), buf.len());
    }
});
