//! The protocol against an in-memory store, with the tools' writes done by hand.

use super::*;
use alloc::string::ToString;
use alloc::vec;

/// Keys by path; every write is also logged as the watch event it would fire.
#[derive(Default)]
struct MemKeys {
    keys: BTreeMap<String, String>,
    fired: Vec<String>,
}

impl KeyStore for MemKeys {
    fn read(&mut self, path: &str) -> Result<String, XsError> {
        self.keys
            .get(path)
            .cloned()
            .ok_or(XsError::Errno(crate::xenstore::wire::ENOENT))
    }

    fn write(&mut self, path: &str, value: &str) -> Result<(), XsError> {
        self.keys.insert(path.to_string(), value.to_string());
        self.fired.push(path.to_string());
        Ok(())
    }
}

/// The guest as the protocol sees it: a clock that moves `tick` ns per read, a heap that grows
/// by `growth` bytes per look, and the forwarding rounds it was given.
struct TestHost {
    clock: core::cell::Cell<u64>,
    tick: u64,
    used: core::cell::Cell<usize>,
    free: usize,
    growth: usize,
    rounds: usize,
    routers_forwarded: usize,
}

impl TestHost {
    /// A clock that stands still and a heap without end.
    fn quiet() -> TestHost {
        TestHost {
            clock: core::cell::Cell::new(1_000),
            tick: 0,
            used: core::cell::Cell::new(0),
            free: usize::MAX / 4,
            growth: 0,
            rounds: 0,
            routers_forwarded: 0,
        }
    }
}

impl LoadHost for TestHost {
    fn now(&self) -> u64 {
        let t = self.clock.get();
        self.clock.set(t + self.tick);
        t
    }

    fn heap(&self) -> (usize, usize) {
        let used = self.used.get();
        self.used.set(used + self.growth);
        (used, self.free)
    }

    fn forward(&mut self, routers: &Routers) {
        self.rounds += 1;
        self.routers_forwarded = self.routers_forwarded.max(routers.len());
    }
}

/// Writes `config` in chunks of `size` bytes as a tool does, then `status = Running`, and
/// lets the guest handle the events of all of it.
fn install(c: &mut Control, s: &mut MemKeys, rid: u32, config: &str, size: usize) -> Outcome {
    s.keys
        .retain(|k, _| !k.starts_with(&format!("{ROOT}/{rid}/config/")));
    for (i, chunk) in config.as_bytes().chunks(size).enumerate() {
        let chunk = core::str::from_utf8(chunk).unwrap();
        s.write(&format!("{ROOT}/{rid}/config/{i}"), chunk).unwrap();
    }
    s.write(&format!("{ROOT}/{rid}/status"), "Running").unwrap();
    settle(c, s)
}

/// Delivers every fired event until none is left; returns the last outcome that was not
/// `Ignored`.
fn settle(c: &mut Control, s: &mut MemKeys) -> Outcome {
    settle_with(c, s, &mut TestHost::quiet())
}

/// [`settle`] with the given host.
fn settle_with(c: &mut Control, s: &mut MemKeys, host: &mut TestHost) -> Outcome {
    let mut last = Outcome::Ignored;
    while !s.fired.is_empty() {
        let path = s.fired.remove(0);
        let out = c.handle(&path, s, host);
        if out != Outcome::Ignored {
            last = out;
        }
    }
    last
}

fn key(s: &MemKeys, path: &str) -> Option<String> {
    s.keys.get(path).cloned()
}

const PING: &str = "FromDevice(0) -> c :: Counter -> EtherMirror -> ToDevice(0);";

/// The error of a refused configuration for router 0 that ran [`PING`] (generation 1):
/// checks that it reports status Error, stays at generation 1 and still runs `PING`.
fn refused_keeping_ping(c: &Control, s: &MemKeys, out: Outcome) -> String {
    let Outcome::Failed { rid: 0, error } = out else {
        panic!("{out:?}")
    };
    assert_eq!(key(s, "data/clickos/0/status").as_deref(), Some("Error"));
    assert_eq!(key(s, "data/clickos/0/generation").as_deref(), Some("1"));
    let (_, router) = c.routers().next().unwrap();
    assert!(router.find("c").is_some(), "the old router still runs");
    error
}

#[test]
fn paths_are_classified() {
    assert_eq!(
        Request::parse("data/clickos/0/status"),
        Some((ROOT, Request::Status(0)))
    );
    assert_eq!(
        Request::parse("data/clickos/3/control/read/c/count"),
        Some((ROOT, Request::Read(3, "c", "count")))
    );
    assert_eq!(
        Request::parse("data/clickos/1/elements/comp/x/reset"),
        Some((ROOT, Request::Write(1, "comp/x", "reset")))
    );
    assert_eq!(
        Request::parse("clickos/2/status"),
        Some((LEGACY_ROOT, Request::Status(2)))
    );
    for ignored in [
        "data/clickos",
        "data/clickos/ready",
        "clickos/0/config/0",
        "data/clickos/0",
        "data/clickos/0/config/4",
        "data/clickos/0/error",
        "data/clickos/x/status",
        "data/clickos/0/control/read/count",
        "data/clickos/0/control/error/c/count",
        "data/clickos/0/elements/c/",
        "device/vif/0/state",
    ] {
        assert_eq!(Request::parse(ignored), None, "{ignored}");
    }
}

#[test]
fn a_config_in_chunks_over_64_kib_loads_and_is_reported() {
    let mut config = String::new();
    for i in 0..300 {
        config.push_str(&format!(
            "Idle -> c{i} :: Counter -> Discard; // element {i}{}\n",
            " padding".repeat(25)
        ));
    }
    assert!(config.len() > 64 * 1024, "{}", config.len());
    let (mut c, mut s) = (Control::new(Limits::for_heap(4 << 20)), MemKeys::default());
    let out = install(&mut c, &mut s, 0, &config, 992);
    assert_eq!(
        out,
        Outcome::Loaded {
            rid: 0,
            generation: 1,
            swap_ns: 0,
            pause_ns: 0
        }
    );
    let (_, router) = c.routers().next().unwrap();
    assert!(router.find("c299").is_some());
    assert_eq!(key(&s, "data/clickos/0/generation").as_deref(), Some("1"));
    assert_eq!(key(&s, "data/clickos/0/error").as_deref(), Some(""));
    assert_eq!(key(&s, "data/clickos/0/swap_us").as_deref(), Some("0"));
    assert_eq!(key(&s, "data/clickos/0/status").as_deref(), Some("Running"));
}

#[test]
fn a_bad_config_is_reported_with_its_position_and_the_running_router_stays() {
    let (mut c, mut s) = (Control::new(Limits::for_heap(4 << 20)), MemKeys::default());
    install(&mut c, &mut s, 0, PING, 512);
    let out = install(
        &mut c,
        &mut s,
        0,
        "FromDevice(0)\n  -> Bogus -> ToDevice(0);",
        512,
    );
    let error = refused_keeping_ping(&c, &s, out);
    assert!(
        error.contains("data/clickos/0/config:2:6:") && error.contains("Bogus"),
        "{error}"
    );
    assert_eq!(key(&s, "data/clickos/0/error"), Some(error));
    // A missing config is an error too, not a hang or an empty router.
    s.keys.retain(|k, _| !k.contains("/config/"));
    s.write("data/clickos/0/status", "Running").unwrap();
    let Outcome::Failed { error, .. } = settle(&mut c, &mut s) else {
        panic!()
    };
    assert!(error.contains("config/0 is missing"), "{error}");
}

#[test]
fn a_class_left_out_of_the_image_is_refused_where_it_is_named_and_the_router_stays() {
    // An image built for a configuration (`build-image.sh --config`) has its classes alone.
    let mut registry = Registry::new();
    registry.add::<click_elements::elements::FromDevice>();
    registry.add::<click_elements::elements::Counter>();
    registry.add::<click_elements::elements::EtherMirror>();
    registry.add::<click_elements::elements::ToDevice>();
    registry.leave_out(&["IPFilter"], "ping-responder.click");
    let mut c = Control::with_registry(Limits::for_heap(4 << 20), registry);
    let mut s = MemKeys::default();
    install(&mut c, &mut s, 0, PING, 512);
    let out = install(
        &mut c,
        &mut s,
        0,
        "FromDevice(0)\n  -> f :: IPFilter(allow icmp) -> ToDevice(0);",
        512,
    );
    assert_eq!(
        refused_keeping_ping(&c, &s, out),
        "data/clickos/0/config:2:6: element class 'IPFilter' is not in this image \
         (built for ping-responder.click)"
    );
}

#[test]
fn a_library_is_refused_where_it_is_required_the_guest_has_no_files() {
    let (mut c, mut s) = (Control::new(Limits::for_heap(4 << 20)), MemKeys::default());
    let out = install(
        &mut c,
        &mut s,
        0,
        "FromDevice(0) -> ToDevice(0);\nrequire(library lib.click)",
        512,
    );
    let Outcome::Failed { rid: 0, error } = out else {
        panic!("{out:?}")
    };
    assert!(
        error.contains(
            "data/clickos/0/config:2:9: 'require library' may not be used in this driver"
        ),
        "{error}"
    );
}

#[test]
fn a_config_naming_a_missing_or_failed_vif_is_refused_where_it_names_it() {
    let mut vifs = VifSet::default();
    vifs.add_connected(0);
    vifs.add_connected(1);
    vifs.add_failed(3);
    let (mut c, mut s) = (Control::new(Limits::for_heap(4 << 20)), MemKeys::default());
    c.set_vifs(vifs);
    let wire = "FromDevice(0) -> ToDevice(1);\nFromDevice(1) -> ToDevice(0);";
    assert!(matches!(
        install(&mut c, &mut s, 0, wire, 992),
        Outcome::Loaded { generation: 1, .. }
    ));
    let out = install(
        &mut c,
        &mut s,
        0,
        "FromDevice(0) -> ToDevice(1);\nFromDevice(2) -> ToDevice(3);",
        992,
    );
    let Outcome::Failed { rid: 0, error } = out else {
        panic!("{out:?}")
    };
    let lines: Vec<&str> = error.lines().collect();
    assert_eq!(lines.len(), 2, "{error}");
    assert!(
        lines[0].starts_with("data/clickos/0/config:2:1: ") && lines[0].contains("no vif 2"),
        "{error}"
    );
    assert!(
        lines[1].starts_with("data/clickos/0/config:2:18: ")
            && lines[1].contains("vif 3 (device/vif/3) failed to connect"),
        "{error}"
    );
    assert_eq!(key(&s, "data/clickos/0/generation").as_deref(), Some("1"));
    // The boot path refuses it too.
    assert!(c
        .install(
            1,
            "Idle -> ToDevice(2);",
            "boot module",
            &mut TestHost::quiet()
        )
        .is_err());
    assert!(c
        .install(1, wire, "boot module", &mut TestHost::quiet())
        .is_ok());
}

#[test]
fn a_good_config_replaces_the_running_one() {
    let (mut c, mut s) = (Control::new(Limits::for_heap(4 << 20)), MemKeys::default());
    install(&mut c, &mut s, 0, PING, 992);
    let out = install(&mut c, &mut s, 0, "FromDevice(0) -> d :: Discard;", 992);
    assert!(
        matches!(out, Outcome::Loaded { generation: 2, .. }),
        "{out:?}"
    );
    let (_, router) = c.routers().next().unwrap();
    assert!(router.find("d").is_some() && router.find("c").is_none());
    // Shorter configs leave no trace of longer ones: the tool removes old chunks.
    assert_eq!(key(&s, "data/clickos/0/config/1"), None);
}

#[test]
fn read_handlers_are_answered_and_their_echo_is_not_a_write() {
    let (mut c, mut s) = (Control::new(Limits::for_heap(4 << 20)), MemKeys::default());
    install(&mut c, &mut s, 0, PING, 992);
    s.write("data/clickos/0/control/read/c/count", "").unwrap();
    let out = settle(&mut c, &mut s);
    assert_eq!(out, Outcome::Read(Ok("0".to_string())));
    assert_eq!(
        key(&s, "data/clickos/0/elements/c/count").as_deref(),
        Some("0")
    );
    s.write("data/clickos/0/control/read/nope/count", "")
        .unwrap();
    let out = settle(&mut c, &mut s);
    assert!(matches!(out, Outcome::Read(Err(_))), "{out:?}");
    let err = key(&s, "data/clickos/0/control/error/nope/count").unwrap();
    assert!(err.contains("no element named 'nope'"), "{err}");
    s.write("data/clickos/0/control/read/c/class", "").unwrap();
    assert_eq!(
        settle(&mut c, &mut s),
        Outcome::Read(Ok("Counter".to_string()))
    );
}

#[test]
fn write_handlers_are_called_and_confirmed() {
    let (mut c, mut s) = (Control::new(Limits::for_heap(4 << 20)), MemKeys::default());
    install(&mut c, &mut s, 0, PING, 992);
    s.write("data/clickos/0/elements/c/reset", "").unwrap();
    assert_eq!(settle(&mut c, &mut s), Outcome::Written(Ok(())));
    assert_eq!(
        key(&s, "data/clickos/0/control/written/c/reset").as_deref(),
        Some("ok")
    );
    s.write("data/clickos/0/elements/c/count", "5").unwrap();
    let Outcome::Written(Err(e)) = settle(&mut c, &mut s) else {
        panic!()
    };
    assert!(e.contains("no write handler 'c.count'"), "{e}");
    assert_eq!(key(&s, "data/clickos/0/control/error/c/count"), Some(e));
}

#[test]
fn routers_are_independent_and_halt() {
    let (mut c, mut s) = (Control::new(Limits::for_heap(4 << 20)), MemKeys::default());
    install(&mut c, &mut s, 0, PING, 992);
    install(&mut c, &mut s, 7, "Idle -> x :: Counter -> Discard;", 992);
    assert_eq!(
        c.routers().map(|(rid, _)| rid).collect::<Vec<_>>(),
        vec![0, 7]
    );
    s.write("data/clickos/7/control/read/c/count", "").unwrap();
    assert!(matches!(settle(&mut c, &mut s), Outcome::Read(Err(_))));
    s.write("data/clickos/0/status", "Halted").unwrap();
    assert_eq!(settle(&mut c, &mut s), Outcome::Halted(0));
    assert_eq!(c.routers().map(|(rid, _)| rid).collect::<Vec<_>>(), vec![7]);
    s.write("data/clickos/0/control/read/c/count", "").unwrap();
    let Outcome::Read(Err(e)) = settle(&mut c, &mut s) else {
        panic!()
    };
    assert_eq!(e, "router 0 is not running");
}

/// Writes `config` as router `rid`'s chunks and `status = Running`, without handling events.
fn write_config(s: &mut MemKeys, rid: u32, config: &str) {
    for (i, chunk) in config.as_bytes().chunks(992).enumerate() {
        let chunk = core::str::from_utf8(chunk).unwrap();
        s.write(&format!("{ROOT}/{rid}/config/{i}"), chunk).unwrap();
    }
    s.write(&format!("{ROOT}/{rid}/status"), "Running").unwrap();
}

#[test]
fn the_running_router_keeps_forwarding_while_a_large_config_loads() {
    let (mut c, mut s) = (Control::new(Limits::for_heap(4 << 20)), MemKeys::default());
    install(&mut c, &mut s, 0, PING, 992);
    let mut config = String::new();
    for i in 0..300 {
        config.push_str(&format!("Idle -> c{i} :: Counter -> Discard;\n"));
    }
    write_config(&mut s, 0, &config);
    // Every look at the clock takes 50 us: the build must hand over to the data path.
    let mut host = TestHost {
        tick: 50_000,
        ..TestHost::quiet()
    };
    let out = settle_with(&mut c, &mut s, &mut host);
    let Outcome::Loaded { pause_ns, .. } = out else {
        panic!("{out:?}")
    };
    assert!(host.rounds > 100, "{} rounds", host.rounds);
    assert_eq!(host.routers_forwarded, 1);
    // Between two rounds: a look at the heap and the clock, a step of the build.
    assert!(pause_ns <= 1_000_000, "{pause_ns}");
    let pause: u64 = key(&s, "data/clickos/0/pause_us").unwrap().parse().unwrap();
    assert_eq!(pause, pause_ns / 1_000);
}

#[test]
fn a_config_that_outgrows_the_heap_is_refused_and_the_running_router_stays() {
    let (mut c, mut s) = (Control::new(Limits::for_heap(4 << 20)), MemKeys::default());
    install(&mut c, &mut s, 0, PING, 992);
    let mut config = String::new();
    for i in 0..200 {
        config.push_str(&format!("Idle -> c{i} :: Counter -> Discard;\n"));
    }
    write_config(&mut s, 0, &config);
    // 1 MiB free, and every step of the build takes 8 KiB.
    let mut host = TestHost {
        free: 1 << 20,
        growth: 8 << 10,
        ..TestHost::quiet()
    };
    let out = settle_with(&mut c, &mut s, &mut host);
    let Outcome::Failed { error, .. } = out else {
        panic!("{out:?}")
    };
    assert!(
        error.contains("configuration needs more than 480 KiB, the memory this guest can spare"),
        "{error}"
    );
    assert!(error.starts_with("data/clickos/0/config"), "{error}");
    assert_eq!(key(&s, "data/clickos/0/status").as_deref(), Some("Error"));
    assert!(c.routers().next().unwrap().1.find("c").is_some());
}

#[test]
fn a_config_over_the_size_limit_is_refused_while_reading_chunks() {
    let limits = Limits::for_heap(1 << 20);
    let (mut c, mut s) = (Control::new(limits), MemKeys::default());
    let config = "// padding\n".repeat(limits.config_bytes / 10);
    write_config(&mut s, 0, &config);
    let out = settle(&mut c, &mut s);
    let Outcome::Failed { error, .. } = out else {
        panic!("{out:?}")
    };
    let line = limits.config_bytes / 11 + 1;
    let column = limits.config_bytes % 11 + 1;
    assert_eq!(
        error,
        format!(
            "data/clickos/0/config:{line}:{column}: configuration is larger than the limit of {} bytes",
            limits.config_bytes
        )
    );
}

#[test]
fn the_pre_2016_layout_is_served_under_its_own_root() {
    let (mut c, mut s) = (Control::new(Limits::for_heap(4 << 20)), MemKeys::default());
    s.write("clickos/0/config/0", PING).unwrap();
    s.write("clickos/0/status", "Running").unwrap();
    assert!(matches!(
        settle(&mut c, &mut s),
        Outcome::Loaded { generation: 1, .. }
    ));
    assert_eq!(key(&s, "clickos/0/generation").as_deref(), Some("1"));
    s.write("clickos/0/control/read/c/count", "").unwrap();
    assert_eq!(settle(&mut c, &mut s), Outcome::Read(Ok("0".into())));
    assert_eq!(key(&s, "clickos/0/elements/c/count").as_deref(), Some("0"));
}
