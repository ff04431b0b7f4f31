//! Netfront against a simulated netback over in-memory rings.

mod sim;

use netfront::wire::{
    RxResponse, TxResponse, NETIF_RSP_ERROR, NETRXF_CSUM_BLANK, NETRXF_DATA_VALIDATED,
    NETRXF_EXTRA_INFO, NETRXF_MORE_DATA, PAGE_SIZE,
};
use netfront::{
    Config, DeviceState, Error, Netfront, RxBuffer, StoreError, XenbusState, TX_BUFFER_SIZE,
};
use sim::{Behaviour, SimEvtchn, World, BACKEND, MAC, NODE};

const RX: u32 = 256;

fn connect(world: &World) -> Netfront<SimEvtchn> {
    Netfront::connect(
        NODE,
        Config::default(),
        &mut world.store(),
        &mut world.grants(),
        world.evtchn(),
    )
    .expect("connect")
}

/// A 60-byte frame carrying `seq`.
fn frame(seq: u32) -> Vec<u8> {
    let mut f = vec![0u8; 60];
    f[..6].copy_from_slice(&MAC);
    f[6..12].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    f[14..18].copy_from_slice(&seq.to_be_bytes());
    f
}

fn seq_of(data: &[u8]) -> u32 {
    u32::from_be_bytes(data[14..18].try_into().unwrap())
}

fn receive_all(dev: &mut Netfront<SimEvtchn>) -> Vec<RxBuffer> {
    let mut out = Vec::new();
    dev.receive(&mut out, usize::MAX);
    out
}

#[test]
fn handshake_publishes_rings_and_connects() {
    let world = World::new();
    let dev = connect(&world);
    assert_eq!(dev.mac(), MAC);
    assert_eq!(dev.backend(), BACKEND);
    assert_eq!(dev.backend_id(), 0);
    assert_eq!(dev.state(), DeviceState::Connected);
    assert_eq!(world.frontend_state().as_deref(), Some("4"));
    assert_eq!(world.backend_state().as_deref(), Some("4"));
    assert_eq!(
        world.get("device/vif/0/request-rx-copy").as_deref(),
        Some("1")
    );
    assert_eq!(
        world.get("device/vif/0/feature-rx-notify").as_deref(),
        Some("1")
    );
    let port: u32 = world
        .get("device/vif/0/event-channel")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(port, dev.port());
    {
        let w = world.0.borrow();
        assert_eq!(w.ports.get(&port), Some(&0), "unbound port for the backend");
        for name in ["tx-ring-ref", "rx-ring-ref"] {
            let gref: u32 = w.store[&format!("{NODE}/{name}")].parse().unwrap();
            let grant = &w.grants[&gref];
            assert!(
                !grant.readonly && grant.domid == 0,
                "{name} granted read-write"
            );
        }
        // Two ring pages, 256 receive pages, 128 transmit pages (two buffers each).
        assert_eq!(w.grants.len(), 2 + 256 + 128);
        assert_eq!(w.grants.values().filter(|g| g.readonly).count(), 128);
        assert_eq!(w.txn_attempts, 1);
    }
    // Every receive page was posted before connecting.
    assert_eq!(world.rx_requests(), RX);
}

#[test]
fn handshake_asks_for_complete_checksums_and_single_slot_frames() {
    let world = World::new();
    let _dev = connect(&world);
    assert_eq!(
        world.get("device/vif/0/feature-no-csum-offload").as_deref(),
        Some("1")
    );
    for absent in [
        "feature-sg",
        "feature-gso-tcpv4",
        "feature-gso-tcpv6",
        "feature-ipv6-csum-offload",
    ] {
        assert_eq!(world.get(&format!("{NODE}/{absent}")), None, "{absent}");
    }
}

#[test]
fn the_checksum_key_is_written_in_the_connect_transaction() {
    let world = World::new();
    // Every attempt but the last conflicts: the key is in the store only once the
    // transaction holding the ring references commits, never from an aborted attempt.
    world.0.borrow_mut().eagain = 2;
    let _dev = connect(&world);
    assert_eq!(world.0.borrow().txn_attempts, 3);
    assert_eq!(
        world.get("device/vif/0/feature-no-csum-offload").as_deref(),
        Some("1")
    );
    let commits = world.0.borrow().commits.clone();
    assert_eq!(commits.len(), 1);
    for name in ["state", "tx-ring-ref", "feature-no-csum-offload"] {
        assert!(
            commits[0].contains(&format!("{NODE}/{name}")),
            "{name} in the connect transaction: {commits:?}"
        );
    }
}

#[test]
fn frames_with_partial_checksums_are_dropped_and_counted() {
    let world = World::new();
    let mut dev = connect(&world);
    let flags = [
        NETRXF_CSUM_BLANK | NETRXF_DATA_VALIDATED,
        NETRXF_DATA_VALIDATED,
        0,
        NETRXF_CSUM_BLANK,
    ];
    world.deliver_custom(flags.len(), |i, req| {
        (
            frame(i as u32),
            RxResponse {
                id: req.id,
                offset: 0,
                flags: flags[i],
                status: 60,
            },
        )
    });
    let got = receive_all(&mut dev);
    let seqs: Vec<u32> = got.iter().map(|b| seq_of(b.data())).collect();
    assert_eq!(seqs, vec![1, 2]);
    assert_eq!(got[0].flags(), NETRXF_DATA_VALIDATED);
    let stats = dev.stats();
    assert_eq!(stats.rx_csum_blank, 2);
    assert_eq!(stats.rx_packets, 2);
    drop(got);
    dev.receive(&mut Vec::new(), 0);
    assert_eq!(world.rx_requests(), RX, "every page back on the ring");
}

#[test]
fn a_multi_slot_frame_is_dropped_whole_and_counted_once() {
    let world = World::new();
    let mut dev = connect(&world);
    // good, a three-slot chain, good, then the head and middle of another chain whose tail
    // arrives only in the next burst.
    let slots = [
        (1, 0),
        (90, NETRXF_MORE_DATA),
        (91, NETRXF_MORE_DATA),
        (92, 0),
        (2, 0),
        (93, NETRXF_MORE_DATA | NETRXF_DATA_VALIDATED),
        (94, NETRXF_MORE_DATA),
    ];
    let rsp = |req: netfront::wire::RxRequest, seq: u32, flags| {
        (
            frame(seq),
            RxResponse {
                id: req.id,
                offset: 0,
                flags,
                status: 60,
            },
        )
    };
    world.deliver_custom(slots.len(), |i, req| rsp(req, slots[i].0, slots[i].1));
    let got = receive_all(&mut dev);
    let seqs: Vec<u32> = got.iter().map(|b| seq_of(b.data())).collect();
    assert_eq!(seqs, vec![1, 2]);
    assert_eq!(dev.stats().rx_multislot, 2);
    // The rest of the second chain (its last slot), then a good frame.
    world.deliver_custom(2, |i, req| {
        if i == 0 {
            rsp(req, 95, 0)
        } else {
            rsp(req, 3, 0)
        }
    });
    let more = receive_all(&mut dev);
    assert_eq!(more.len(), 1);
    assert_eq!(seq_of(more[0].data()), 3);
    let stats = dev.stats();
    assert_eq!(stats.rx_multislot, 2, "each chain counted once");
    assert_eq!(
        stats.rx_unsupported + stats.rx_bad_id + stats.rx_bad_length,
        0
    );
    assert_eq!(stats.rx_packets, 3);
    drop((got, more));
    dev.receive(&mut Vec::new(), 0);
    assert_eq!(
        world.rx_requests(),
        RX,
        "every slot of every chain returned"
    );
}

#[test]
fn handshake_waits_for_init_wait_even_without_a_state_key() {
    let world = World::new();
    world.remove(&format!("{BACKEND}/state"));
    let dev = connect(&world);
    assert_eq!(dev.state(), DeviceState::Connected);
}

#[test]
fn handshake_retries_the_transaction_on_eagain() {
    let world = World::new();
    world.0.borrow_mut().eagain = 3;
    let _dev = connect(&world);
    assert_eq!(world.0.borrow().txn_attempts, 4);
    assert_eq!(world.backend_state().as_deref(), Some("4"));
}

#[test]
fn handshake_gives_up_after_the_configured_attempts_and_releases_everything() {
    let world = World::new();
    world.0.borrow_mut().eagain = 100;
    let config = Config {
        transaction_attempts: 5,
        ..Config::default()
    };
    let err = Netfront::connect(
        NODE,
        config,
        &mut world.store(),
        &mut world.grants(),
        world.evtchn(),
    )
    .err();
    assert_eq!(err, Some(Error::TooManyRetries));
    assert_eq!(world.0.borrow().txn_attempts, 5);
    assert_eq!(world.active_grants(), 0);
    assert!(world.0.borrow().ports.is_empty());
    assert_eq!(world.frontend_state().as_deref(), Some("6"));
    // No ring keys leaked into the store from the aborted transactions.
    assert_eq!(world.get("device/vif/0/tx-ring-ref"), None);
}

#[test]
fn handshake_rejects_bad_keys_and_backends_connected_elsewhere() {
    let world = World::new();
    world.set("device/vif/0/mac", "00:16:3e:12:34");
    let err = Netfront::connect(
        NODE,
        Config::default(),
        &mut world.store(),
        &mut world.grants(),
        world.evtchn(),
    )
    .err();
    assert_eq!(err, Some(Error::BadValue("mac")));

    let world = World::new();
    world.remove("device/vif/0/backend");
    let err = Netfront::connect(
        NODE,
        Config::default(),
        &mut world.store(),
        &mut world.grants(),
        world.evtchn(),
    )
    .err();
    assert_eq!(err, Some(Error::Store(StoreError::NotFound)));

    let world = World::new();
    world.set(&format!("{BACKEND}/state"), "4");
    let err = Netfront::connect(
        NODE,
        Config::default(),
        &mut world.store(),
        &mut world.grants(),
        world.evtchn(),
    )
    .err();
    assert_eq!(err, Some(Error::BackendState(XenbusState::Connected)));
    assert_eq!(world.active_grants(), 0);

    let world = World::new();
    let bad = Config {
        rx_buffers: 0,
        ..Config::default()
    };
    let err = Netfront::connect(
        NODE,
        bad,
        &mut world.store(),
        &mut world.grants(),
        world.evtchn(),
    )
    .err();
    assert_eq!(err, Some(Error::BadConfig));
}

#[test]
fn handshake_fails_cleanly_when_the_backend_never_connects() {
    let world = World::new();
    world.behave(Behaviour {
        never_connect: true,
        ..Behaviour::default()
    });
    let err = Netfront::connect(
        NODE,
        Config::default(),
        &mut world.store(),
        &mut world.grants(),
        world.evtchn(),
    )
    .err();
    assert_eq!(err, Some(Error::Store(StoreError::Timeout)));
    assert_eq!(world.active_grants(), 0);
    assert_eq!(world.0.borrow().closed_ports.len(), 1);
}

#[test]
fn frames_go_both_ways_without_touching_the_grant_table() {
    let world = World::new();
    let mut dev = connect(&world);
    let grant_ops = world.grant_ops();

    let frames: Vec<Vec<u8>> = (0..10).map(frame).collect();
    assert_eq!(world.deliver(&frames), 10);
    let got = receive_all(&mut dev);
    assert_eq!(got.len(), 10);
    for (i, buf) in got.iter().enumerate() {
        assert_eq!(buf.data(), &frames[i][..]);
        assert_eq!(buf.offset(), 0);
    }
    drop(got);

    let sent = dev.transmit(frames.iter().map(Vec::as_slice));
    assert_eq!(sent, 10);
    assert_eq!(world.collect_tx(), frames);

    let stats = dev.stats();
    assert_eq!((stats.rx_packets, stats.tx_packets), (10, 10));
    assert_eq!((stats.rx_bytes, stats.tx_bytes), (600, 600));
    assert_eq!(
        world.grant_ops(),
        grant_ops,
        "data path used the grant table"
    );
}

#[test]
fn received_frames_live_in_the_granted_page_and_return_when_dropped() {
    let world = World::new();
    let mut dev = connect(&world);
    let frames: Vec<Vec<u8>> = (0..RX).map(frame).collect();
    assert_eq!(world.deliver(&frames), RX as usize);
    let mut held = receive_all(&mut dev);
    assert_eq!(held.len(), RX as usize);
    // Zero copy: the frame is read straight from the page the backend wrote.
    {
        let w = world.0.borrow();
        let first = &held[0];
        assert!(w
            .grants
            .values()
            .any(|g| g.page.addr() == first.page_addr()));
    }
    // All pages are lent out: the backend has nothing to fill.
    assert_eq!(world.rx_requests(), 0);
    assert_eq!(world.deliver(&[frame(999)]), 0);

    held.truncate(100);
    assert_eq!(receive_all(&mut dev).len(), 0);
    assert_eq!(
        world.rx_requests(),
        RX - 100,
        "dropped pages are posted again"
    );
    drop(held);
    dev.receive(&mut Vec::new(), 0);
    assert_eq!(world.rx_requests(), RX);
}

#[test]
fn rings_wrap_around_many_times() {
    let world = World::new();
    let mut dev = connect(&world);
    let grant_ops = world.grant_ops();
    let mut next_rx = 0u32;
    let mut next_tx = 0u32;
    let mut expect_rx = 0u32;
    let mut expect_tx = 0u32;
    for round in 0..100u32 {
        // Bursts of varying size, up to the whole ring.
        let n = 1 + (round * 37) % 256;
        let frames: Vec<Vec<u8>> = (next_rx..next_rx + n).map(frame).collect();
        next_rx += world.deliver(&frames) as u32;
        let mut got = Vec::new();
        while dev.receive(&mut got, 32) > 0 {}
        for buf in &got {
            assert_eq!(seq_of(buf.data()), expect_rx);
            expect_rx += 1;
        }
        drop(got);

        let frames: Vec<Vec<u8>> = (next_tx..next_tx + n).map(frame).collect();
        let mut offered = frames.iter().map(Vec::as_slice);
        next_tx += dev.transmit(&mut offered) as u32;
        for f in world.collect_tx() {
            assert_eq!(seq_of(&f), expect_tx);
            expect_tx += 1;
        }
    }
    assert_eq!(expect_rx, next_rx);
    assert_eq!(expect_tx, next_tx);
    assert!(
        next_rx > 10 * 256 && next_tx > 10 * 256,
        "{next_rx} {next_tx}"
    );
    let stats = dev.stats();
    assert_eq!(stats.rx_packets, u64::from(next_rx));
    assert_eq!(stats.tx_packets, u64::from(next_tx));
    assert_eq!(
        stats.rx_bad_id + stats.rx_bad_length + stats.tx_bad_id + stats.ring_overflows,
        0
    );
    assert_eq!(world.grant_ops(), grant_ops);
}

#[test]
fn transmit_stops_when_buffers_run_out_and_resumes_after_completion() {
    let world = World::new();
    let config = Config {
        tx_buffers: 8,
        ..Config::default()
    };
    let mut dev = Netfront::connect(
        NODE,
        config,
        &mut world.store(),
        &mut world.grants(),
        world.evtchn(),
    )
    .unwrap();
    let frames: Vec<Vec<u8>> = (0..20).map(frame).collect();
    let mut offered = frames.iter().map(Vec::as_slice);
    assert_eq!(dev.transmit(&mut offered), 8);
    assert_eq!(dev.tx_room(), 0);
    assert_eq!(dev.transmit(&mut offered), 0);
    assert_eq!(world.collect_tx().len(), 8);
    assert_eq!(dev.tx_room(), 8);
    assert_eq!(dev.transmit(&mut offered), 8);
    let sent = world.collect_tx();
    assert_eq!(
        seq_of(&sent[0]),
        8,
        "the frames not taken stayed in the iterator"
    );
}

#[test]
fn transmit_drops_frames_that_do_not_fit() {
    let world = World::new();
    let mut dev = connect(&world);
    let big = vec![0u8; TX_BUFFER_SIZE + 1];
    let runt = [0u8; 13];
    let max = vec![7u8; TX_BUFFER_SIZE];
    let ok = frame(1);
    let burst = [&big[..], &runt[..], &max[..], &ok[..]];
    assert_eq!(dev.transmit(burst), 4);
    assert_eq!(dev.stats().tx_dropped, 2);
    assert_eq!(world.collect_tx(), vec![max, ok]);
}

#[test]
fn notifications_once_per_burst_and_only_when_asked() {
    let world = World::new();
    let mut dev = connect(&world);
    let frames: Vec<Vec<u8>> = (0..32).map(frame).collect();
    let burst = || frames.iter().map(Vec::as_slice);

    // The backend's req_event starts at 1: the first burst notifies, once.
    assert_eq!(dev.transmit(burst()), 32);
    assert_eq!(world.frontend_notifies(), 1);
    // The backend is busy (has not re-armed): no more notifications.
    assert_eq!(dev.transmit(burst()), 32);
    assert_eq!(world.frontend_notifies(), 1);
    // The backend drains the ring and re-arms: the next burst notifies once.
    assert_eq!(world.collect_tx().len(), 64);
    assert!(!world.rearm_tx());
    assert_eq!(dev.transmit(burst()), 32);
    assert_eq!(world.frontend_notifies(), 2);

    // Receive side: the backend drains the receive ring and, idle, asks to hear of new
    // requests.
    let before = world.frontend_notifies();
    let ring: Vec<Vec<u8>> = (0..RX).map(frame).collect();
    assert_eq!(world.deliver(&ring), RX as usize);
    assert!(!world.rearm_rx());
    drop(receive_all(&mut dev));
    assert_eq!(world.frontend_notifies(), before, "nothing posted yet");
    // The pages come back at the next poll: reposting all of them notifies once.
    dev.receive(&mut Vec::new(), 32);
    assert_eq!(world.frontend_notifies(), before + 1);
    // The backend takes some but still has requests, so it does not ask again.
    world.deliver(&frames);
    drop(receive_all(&mut dev));
    dev.receive(&mut Vec::new(), 32);
    assert_eq!(
        world.frontend_notifies(),
        before + 1,
        "backend did not re-arm"
    );
    assert_eq!(world.deliver(&ring), RX as usize);
    assert!(!world.rearm_rx());
    drop(receive_all(&mut dev));
    dev.receive(&mut Vec::new(), 32);
    assert_eq!(world.frontend_notifies(), before + 2);
}

#[test]
fn arming_events_asks_the_backend_for_one_notification() {
    let world = World::new();
    let mut dev = connect(&world);
    // rsp_event starts at 1: the first response notifies.
    world.deliver(&[frame(0)]);
    assert_eq!(world.backend_notifies(), 1);
    assert!(dev.arm_events(), "a response is waiting");
    drop(receive_all(&mut dev));
    // Polling without arming: the backend stays quiet.
    world.deliver(&[frame(1)]);
    assert_eq!(world.backend_notifies(), 1);
    drop(receive_all(&mut dev));
    // About to sleep: arm, and the next response wakes us.
    assert!(!dev.arm_events());
    world.deliver(&[frame(2), frame(3)]);
    assert_eq!(world.backend_notifies(), 2);
}

#[test]
fn malformed_receive_responses_are_dropped_and_counted() {
    let world = World::new();
    let mut dev = connect(&world);
    // Slot by slot: good, bad id, duplicate id, oversize, negative status, runt, a two-slot
    // frame (not negotiated), an extra-info packet (head, extra with MORE, extra), good.
    let mut first_id = 0;
    let n = world.deliver_custom(12, |i, req| {
        let good = |seq| {
            (
                frame(seq),
                RxResponse {
                    id: req.id,
                    offset: 0,
                    flags: 0,
                    status: 60,
                },
            )
        };
        let rsp = |id, offset, flags, status| RxResponse {
            id,
            offset,
            flags,
            status,
        };
        match i {
            0 => {
                first_id = req.id;
                good(100)
            }
            1 => (frame(1), rsp(req.id ^ 0x40, 0, 0, 60)),
            2 => (frame(2), rsp(first_id, 0, 0, 60)),
            3 => (frame(3), rsp(req.id, 4000, 0, 200)),
            4 => (frame(4), rsp(req.id, 0, 0, NETIF_RSP_ERROR)),
            5 => (frame(5), rsp(req.id, 0, 0, 0)),
            6 => (frame(6), rsp(req.id, 0, NETRXF_MORE_DATA, 60)),
            7 => (frame(7), rsp(req.id, 0, 0, 60)),
            8 => (frame(8), rsp(req.id, 0, NETRXF_EXTRA_INFO, 60)),
            // Extra-info slots: type 1 (GSO), flags MORE, then the last one.
            9 => (vec![], rsp(u16::from_ne_bytes([1, 1]), 0, 0, 0)),
            10 => (vec![], rsp(u16::from_ne_bytes([1, 0]), 0, 0, 0)),
            _ => good(101),
        }
    });
    assert_eq!(n, 12);
    let got = receive_all(&mut dev);
    let seqs: Vec<u32> = got.iter().map(|b| seq_of(b.data())).collect();
    assert_eq!(seqs, vec![100, 101]);
    let stats = dev.stats();
    assert_eq!(stats.rx_bad_id, 2);
    assert_eq!(stats.rx_bad_length, 2);
    assert_eq!(stats.rx_errors, 1);
    assert_eq!(stats.rx_unsupported, 3);
    assert_eq!(stats.rx_multislot, 1);
    assert_eq!(stats.rx_packets, 2);
    assert_eq!(dev.state(), DeviceState::Connected);
    // No page was lost: the bad ones went straight back, the good ones follow when dropped.
    assert_eq!(world.rx_requests(), RX - 2);
    drop(got);
    dev.receive(&mut Vec::new(), 0);
    assert_eq!(world.rx_requests(), RX);
    // And the device still works.
    world.deliver(&[frame(7)]);
    assert_eq!(seq_of(receive_all(&mut dev)[0].data()), 7);
}

#[test]
fn lengths_up_to_the_end_of_the_page_are_accepted() {
    let world = World::new();
    let mut dev = connect(&world);
    world.deliver_custom(1, |_, req| {
        (
            vec![0xab; 96],
            RxResponse {
                id: req.id,
                offset: (PAGE_SIZE - 96) as u16,
                flags: 0,
                status: 96,
            },
        )
    });
    let got = receive_all(&mut dev);
    assert_eq!(got[0].data(), &[0xab; 96][..]);
    assert_eq!(got[0].offset(), PAGE_SIZE - 96);
}

#[test]
fn malformed_transmit_responses_are_dropped_and_counted() {
    let world = World::new();
    let config = Config {
        tx_buffers: 4,
        ..Config::default()
    };
    let mut dev = Netfront::connect(
        NODE,
        config,
        &mut world.store(),
        &mut world.grants(),
        world.evtchn(),
    )
    .unwrap();
    let frames: Vec<Vec<u8>> = (0..4).map(frame).collect();
    assert_eq!(dev.transmit(frames.iter().map(Vec::as_slice)), 4);
    let mut first = 0;
    world.collect_tx_custom(|i, req| {
        let rsp = |id, status| vec![TxResponse { id, status }];
        match i {
            0 => {
                first = req.id;
                rsp(req.id, 0)
            }
            1 => rsp(first, 0),  // duplicate
            2 => rsp(999, 0),    // unknown id
            _ => rsp(req.id, 7), // not a status
        }
    });
    assert_eq!(
        dev.tx_room(),
        4,
        "ids of lost responses recovered once the ring is idle"
    );
    let stats = dev.stats();
    assert_eq!(stats.tx_bad_id, 2);
    assert_eq!(stats.tx_bad_status, 1);
    assert_eq!(stats.tx_orphans, 2);
    assert_eq!(dev.state(), DeviceState::Connected);

    assert_eq!(dev.transmit(frames.iter().map(Vec::as_slice)), 4);
    world.collect_tx_custom(|_, req| {
        vec![TxResponse {
            id: req.id,
            status: NETIF_RSP_ERROR,
        }]
    });
    assert_eq!(dev.tx_room(), 4);
    assert_eq!(dev.stats().tx_errors, 4);
}

#[test]
fn a_backend_publishing_too_many_responses_breaks_the_device_without_panicking() {
    let world = World::new();
    let mut dev = connect(&world);
    world.deliver(&[frame(0)]);
    world.overflow_rx(300);
    let mut out = Vec::new();
    assert_eq!(dev.receive(&mut out, 32), 0);
    assert_eq!(dev.state(), DeviceState::Broken);
    assert_eq!(dev.stats().ring_overflows, 1);
    assert_eq!(dev.transmit([&frame(1)[..]]), 0);
    assert!(!dev.arm_events());
    // It still disconnects and gives everything back.
    let (_, result) = dev.disconnect(&mut world.store(), &mut world.grants());
    assert_eq!(result, Ok(()));
    assert_eq!(world.active_grants(), 0);
}

#[test]
fn transmit_responses_beyond_requests_break_the_device() {
    let world = World::new();
    let mut dev = connect(&world);
    assert_eq!(dev.transmit([&frame(0)[..]]), 1);
    world.collect_tx_custom(|_, req| {
        vec![
            TxResponse {
                id: req.id,
                status: 0,
            },
            TxResponse {
                id: req.id,
                status: 0,
            },
        ]
    });
    assert_eq!(dev.tx_room(), 0);
    assert_eq!(dev.state(), DeviceState::Broken);
}

#[test]
fn disconnect_walks_closing_and_closed_and_ends_every_grant() {
    let world = World::new();
    let mut dev = connect(&world);
    world.deliver(&[frame(0)]);
    let held = receive_all(&mut dev);
    let (stats, result) = dev.disconnect(&mut world.store(), &mut world.grants());
    assert_eq!(result, Ok(()));
    assert_eq!(stats.rx_packets, 1);
    assert_eq!(stats.leaked_pages, 0);
    assert_eq!(world.frontend_state().as_deref(), Some("6"));
    assert_eq!(world.backend_state().as_deref(), Some("6"));
    assert_eq!(world.active_grants(), 0);
    assert!(world.0.borrow().ports.is_empty());
    // A buffer held past disconnect stays readable.
    assert_eq!(seq_of(held[0].data()), 0);
    drop(held);

    // The references are reused by the next connection.
    let refs_before = world.0.borrow().grant_ops;
    let dev = connect(&world);
    let tx_ref: u32 = world
        .get("device/vif/0/tx-ring-ref")
        .unwrap()
        .parse()
        .unwrap();
    assert!(tx_ref < 8 + 2 + 256 + 128, "reference {tx_ref} reused");
    assert!(world.0.borrow().grant_ops > refs_before);
    assert_eq!(dev.state(), DeviceState::Connected);
}

#[test]
fn backend_closing_first_is_seen_and_followed() {
    let world = World::new();
    let mut store = world.store();
    let dev = connect(&world);
    assert_eq!(dev.backend_state(&mut store), Ok(XenbusState::Connected));
    assert_eq!(dev.backend_state_path(), format!("{BACKEND}/state"));
    world.backend_close();
    assert_eq!(dev.backend_state(&mut store), Ok(XenbusState::Closing));
    let (_, result) = dev.disconnect(&mut store, &mut world.grants());
    assert_eq!(result, Ok(()));
    assert_eq!(world.backend_state().as_deref(), Some("6"));
    assert_eq!(world.active_grants(), 0);
}

#[test]
fn a_backend_that_keeps_the_rings_mapped_costs_two_leaked_pages_not_a_use_after_free() {
    let world = World::new();
    let dev = connect(&world);
    world.behave(Behaviour {
        refuse_close: true,
        ..Behaviour::default()
    });
    let (stats, result) = dev.disconnect(&mut world.store(), &mut world.grants());
    assert_eq!(result, Err(Error::Store(StoreError::Timeout)));
    assert_eq!(stats.leaked_pages, 2);
    // The ring pages are still granted (the backend maps them); everything else was ended.
    assert_eq!(world.active_grants(), 2);
    // The backend can still safely touch its rings.
    assert_eq!(world.rx_requests(), RX);
}

/// Byte offset of the response producer in a shared ring page.
const RSP_PROD: usize = 8;
/// Byte offset of receive slot `i` in the receive ring page (8-byte entries after the
/// 64-byte header).
fn rx_slot(i: u32) -> usize {
    64 + (i as usize % 256) * 8
}

fn read_u32(page: &netfront::SharedPage, offset: usize) -> u32 {
    let mut b = [0u8; 4];
    page.read(offset, &mut b).unwrap();
    u32::from_ne_bytes(b)
}

/// Every receive slot consumed lands in exactly one counter.
fn rx_slots_counted(dev: &Netfront<SimEvtchn>) -> u64 {
    let s = dev.stats();
    s.rx_packets + s.rx_errors + s.rx_bad_id + s.rx_bad_length + s.rx_unsupported
}

#[test]
fn a_response_is_read_once_so_rewriting_it_later_changes_nothing() {
    let world = World::new();
    let mut dev = connect(&world);
    world.deliver(&[frame(1), frame(2)]);
    let got = receive_all(&mut dev);
    assert_eq!(got.len(), 2);
    // The backend rewrites both consumed responses to claim a huge frame at the end of the
    // page, and bumps nothing else.
    let (_, rx_ring) = world.ring_pages();
    for i in 0..2 {
        let evil = [0xff, 0x0f, 0xf0, 0x0f, 0, 0, 0xff, 0x7f];
        rx_ring.write(rx_slot(i), &evil).unwrap();
    }
    // The frames are what the checked copies said.
    assert_eq!(got[0].data(), &frame(1)[..]);
    assert_eq!((got[1].offset(), got[1].len()), (0, 60));
    // Nothing is consumed twice, and the device is fine.
    let before = dev.stats();
    assert_eq!(receive_all(&mut dev).len(), 0);
    assert_eq!(dev.stats(), before);
    assert_eq!(dev.state(), DeviceState::Connected);
}

#[test]
fn a_response_producer_going_back_breaks_the_device() {
    let world = World::new();
    let mut dev = connect(&world);
    world.deliver(&[frame(1), frame(2), frame(3)]);
    let mut out = Vec::new();
    assert_eq!(dev.receive(&mut out, 1), 1);
    // Two responses left, then the backend takes one back: still ahead of the consumer,
    // but behind the producer already seen.
    let (_, rx_ring) = world.ring_pages();
    assert_eq!(read_u32(&rx_ring, RSP_PROD), 3);
    rx_ring.write(RSP_PROD, &2u32.to_ne_bytes()).unwrap();
    assert_eq!(dev.receive(&mut out, 32), 0);
    assert_eq!(dev.state(), DeviceState::Broken);
    assert_eq!(dev.stats().ring_rewinds, 1);
    assert_eq!(dev.stats().ring_overflows, 0);
    assert_eq!(out.len(), 1);
    // Broken stays broken, whatever the backend does next.
    rx_ring.write(RSP_PROD, &3u32.to_ne_bytes()).unwrap();
    assert_eq!(dev.receive(&mut out, 32), 0);
    assert_eq!(dev.transmit([&frame(9)[..]]), 0);
    let (_, result) = dev.disconnect(&mut world.store(), &mut world.grants());
    assert_eq!(result, Ok(()));
    assert_eq!(world.active_grants(), 0);
}

#[test]
fn a_response_producer_behind_the_consumer_or_far_ahead_breaks_the_device() {
    for prod in [0u32, u32::MAX, 257, 1 << 31] {
        let world = World::new();
        let mut dev = connect(&world);
        assert_eq!(dev.transmit([&frame(0)[..], &frame(1)[..]]), 2);
        world.collect_tx();
        // Both answered; a transmit producer of 0 is now behind the consumer.
        assert_eq!(dev.tx_room(), 256);
        let (tx_ring, _) = world.ring_pages();
        tx_ring.write(RSP_PROD, &prod.to_ne_bytes()).unwrap();
        assert_eq!(dev.tx_room(), 0, "producer {prod}");
        assert_eq!(dev.state(), DeviceState::Broken);
        assert_eq!(dev.stats().ring_overflows, 1);
    }
    // On the receive ring too, with all pages posted.
    let world = World::new();
    let mut dev = connect(&world);
    let (_, rx_ring) = world.ring_pages();
    rx_ring.write(RSP_PROD, &(RX + 1).to_ne_bytes()).unwrap();
    assert_eq!(dev.receive(&mut Vec::new(), usize::MAX), 0);
    assert_eq!(dev.stats().ring_overflows, 1);
    assert_eq!(dev.state(), DeviceState::Broken);
}

#[test]
fn granted_pages_are_zeroed_even_from_a_dirty_heap_and_reposted_pages_hold_only_backend_bytes() {
    // Leave the heap full of freed, dirty pages: the ones granted next may reuse them. The
    // simulated grant table refuses a page that is not all zeros.
    let dirty: Vec<Vec<u8>> = (0..512).map(|_| vec![0xa5u8; PAGE_SIZE]).collect();
    drop(dirty);
    let world = World::new();
    let mut dev = connect(&world);
    assert_eq!(world.active_grants(), 2 + 256 + 128);
    // A long frame, then (in the same pages) short ones: the simulated backend checks every
    // reposted page is byte for byte what it left there (the guest wrote nothing).
    for round in 0..3 {
        let len = if round == 0 { 1500 } else { 60 };
        let frames: Vec<Vec<u8>> = (0..RX).map(|i| vec![i as u8; len]).collect();
        assert_eq!(world.deliver(&frames), RX as usize);
        let got = receive_all(&mut dev);
        assert_eq!(got.len(), RX as usize);
        assert!(got.iter().all(|b| b.len() == len));
        drop(got);
        dev.receive(&mut Vec::new(), 0);
    }
    assert_eq!(dev.stats().rx_packets, 3 * u64::from(RX));
}

#[test]
fn a_buffer_page_the_backend_keeps_mapped_is_leaked_not_freed() {
    let world = World::new();
    let dev = connect(&world);
    // The backend maps one receive page and one transmit page and never lets go.
    let (rx_ref, tx_ref) = {
        let w = world.0.borrow();
        let ring_refs: Vec<u32> = ["tx-ring-ref", "rx-ring-ref"]
            .iter()
            .map(|k| w.store[&format!("{NODE}/{k}")].parse().unwrap())
            .collect();
        let rx = w
            .grants
            .iter()
            .find(|(r, g)| !g.readonly && !ring_refs.contains(r))
            .map(|(r, _)| *r)
            .unwrap();
        let tx = w.grants.iter().find(|(_, g)| g.readonly).map(|(r, _)| *r);
        (rx, tx.unwrap())
    };
    let (kept, ended) = {
        let mut w = world.0.borrow_mut();
        w.mapped.insert(rx_ref);
        w.mapped.insert(tx_ref);
        let other = w
            .grants
            .iter()
            .find(|(r, g)| g.readonly && **r != tx_ref)
            .map(|(_, g)| g.page.clone())
            .unwrap();
        ([rx_ref, tx_ref].map(|r| w.grants[&r].page.clone()), other)
    };
    let (stats, result) = dev.disconnect(&mut world.store(), &mut world.grants());
    assert_eq!(result, Ok(()));
    assert_eq!(stats.leaked_pages, 2);
    assert_eq!(world.active_grants(), 2, "the two mapped grants stay");
    // A page whose grant ended is ours alone now; a kept one still has the frontend's
    // leaked handle besides the grant table's and ours, so it can never be freed.
    assert_eq!(ended.handles(), 1);
    for page in &kept {
        assert_eq!(page.handles(), 3);
    }
    // Reconnecting grants fresh pages and never these references.
    let dev = connect(&world);
    let w = world.0.borrow();
    assert_eq!(w.grants.len(), 2 + 2 + 256 + 128);
    for page in &kept {
        assert_eq!(
            w.grants.values().filter(|g| g.page.same_page(page)).count(),
            1
        );
    }
    drop(w);
    assert_eq!(dev.state(), DeviceState::Connected);
}

/// A backend that answers every posted receive request at once, with `status`.
fn flood(world: &World, status: i16) {
    world.deliver_custom(usize::MAX, |_, req| {
        let rsp = RxResponse {
            id: req.id,
            offset: 0,
            flags: 0,
            status,
        };
        (vec![0x5a; 60], rsp)
    });
}

#[test]
fn a_backend_that_keeps_publishing_cannot_hold_receive() {
    // Good frames, the ring always full of them: each call takes at most `max`, and
    // returns.
    let world = World::new();
    let mut dev = connect(&world);
    let mut out = Vec::new();
    for _ in 0..100 {
        flood(&world, 60);
        let before = rx_slots_counted(&dev);
        assert_eq!(dev.receive(&mut out, 32), 32);
        assert_eq!(rx_slots_counted(&dev) - before, 32);
        out.clear();
        assert!(dev.arm_events(), "the flood is still there");
    }
    // Even with no limit, one call takes at most what was posted when it began.
    for _ in 0..10 {
        flood(&world, 60);
        let before = rx_slots_counted(&dev);
        let n = dev.receive(&mut out, usize::MAX);
        assert!(n <= RX as usize, "{n}");
        assert_eq!(rx_slots_counted(&dev) - before, n as u64);
        out.clear();
    }

    // Errors only: no frame ever comes out, yet every call consumes at most `max` and
    // returns; the pages keep circulating.
    let world = World::new();
    let mut dev = connect(&world);
    for round in 1..=100u64 {
        flood(&world, NETIF_RSP_ERROR);
        assert_eq!(dev.receive(&mut out, 32), 0);
        assert_eq!(dev.stats().rx_errors, 32 * round);
    }
    assert_eq!(dev.state(), DeviceState::Connected);
    assert_eq!(rx_slots_counted(&dev), 3200);
}

#[test]
fn frames_handed_over_in_place_are_the_frames_and_their_pages_go_back() {
    let world = World::new();
    let mut dev = connect(&world);
    let mut seen = Vec::new();
    // More rounds than there are receive pages: every page is reposted after its frame.
    for round in 0..3 * RX / 32 {
        let frames: Vec<Vec<u8>> = (0..32).map(|i| frame(round * 32 + i)).collect();
        assert_eq!(world.deliver(&frames), 32);
        let got = dev.receive_each(usize::MAX, |data| seen.push(seq_of(data)));
        assert_eq!(got, 32);
    }
    assert_eq!(seen, (0..seen.len() as u32).collect::<Vec<_>>());
    assert_eq!(dev.stats().rx_packets, seen.len() as u64);
    // A bounded call takes no more than asked; the rest waits for the next call.
    let frames: Vec<Vec<u8>> = (0..10).map(frame).collect();
    world.deliver(&frames);
    assert_eq!(dev.receive_each(4, |_| {}), 4);
    assert_eq!(dev.receive_each(usize::MAX, |_| {}), 6);
}
