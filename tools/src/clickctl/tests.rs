//! clickctl against an in-memory xenstored whose guest side is the guest's own protocol
//! logic (`clickos_kernel::control`), acting whenever clickctl waits.

use super::*;
use click_elements::Limits;
use clickos_kernel::control::{Control, KeyStore, LoadHost, Routers};
use clickos_kernel::xenstore::XsError;
use std::collections::{BTreeMap, VecDeque};

const DOM: &str = "/local/domain/5/";

/// The guest's clock and heap as the protocol sees them: time stands still, memory is
/// plentiful, and there is no traffic to forward.
struct IdleGuest;

impl LoadHost for IdleGuest {
    fn now(&self) -> u64 {
        0
    }

    fn heap(&self) -> (usize, usize) {
        (0, 4 << 20)
    }

    fn forward(&mut self, _routers: &Routers) {}
}

/// Keys, the watch events the guest has not handled yet, and the guest.
struct Sim {
    keys: BTreeMap<String, String>,
    events: VecDeque<String>,
    guest: Option<Control>,
}

/// The guest's view: paths relative to its home; its writes fire its watch too.
struct GuestView<'a> {
    keys: &'a mut BTreeMap<String, String>,
    events: &'a mut VecDeque<String>,
}

impl KeyStore for GuestView<'_> {
    fn read(&mut self, path: &str) -> Result<String, XsError> {
        self.keys
            .get(&format!("{DOM}{path}"))
            .cloned()
            .ok_or(XsError::Errno(2))
    }

    fn write(&mut self, path: &str, value: &str) -> Result<(), XsError> {
        self.keys.insert(format!("{DOM}{path}"), value.to_string());
        self.events.push_back(path.to_string());
        Ok(())
    }
}

impl Sim {
    fn new() -> Sim {
        let mut keys = BTreeMap::new();
        keys.insert("/local/domain/0/name".to_string(), "Domain-0".to_string());
        keys.insert(format!("{DOM}name"), "clickos-b".to_string());
        keys.insert(format!("{DOM}data/clickos"), String::new());
        keys.insert(format!("{DOM}data/clickos/ready"), "1".to_string());
        Sim {
            keys,
            events: VecDeque::new(),
            guest: Some(Control::new(Limits::for_heap(4 << 20))),
        }
    }
}

impl Store for Sim {
    fn read(&mut self, path: &str) -> Result<Option<String>, String> {
        Ok(self.keys.get(path).cloned())
    }

    fn write(&mut self, path: &str, value: &str) -> Result<(), String> {
        self.keys.insert(path.to_string(), value.to_string());
        if let Some(rel) = path.strip_prefix(DOM) {
            self.events.push_back(rel.to_string());
        }
        Ok(())
    }

    fn rm(&mut self, path: &str) -> Result<(), String> {
        let below = format!("{path}/");
        self.keys.retain(|k, _| k != path && !k.starts_with(&below));
        Ok(())
    }

    fn list(&mut self, path: &str) -> Result<Vec<String>, String> {
        let below = format!("{path}/");
        let mut names: Vec<String> = self
            .keys
            .keys()
            .filter_map(|k| k.strip_prefix(&below))
            .map(|rest| rest.split('/').next().unwrap_or(rest).to_string())
            .collect();
        names.dedup();
        Ok(names)
    }

    fn pause(&mut self) {
        let Some(guest) = self.guest.as_mut() else {
            return;
        };
        while let Some(path) = self.events.pop_front() {
            let mut view = GuestView {
                keys: &mut self.keys,
                events: &mut self.events,
            };
            guest.handle(&path, &mut view, &mut IdleGuest);
        }
    }
}

fn ctl() -> Ctl<Sim> {
    Ctl {
        store: Sim::new(),
        timeout: Duration::from_millis(300),
    }
}

const COUNTED: &str = "FromDevice(0) -> c :: Counter -> EtherMirror -> ToDevice(0);\n";

#[test]
fn domains_by_name_or_id() {
    let mut c = ctl();
    assert_eq!(c.domid("clickos-b"), Ok(5));
    assert_eq!(c.domid("5"), Ok(5));
    assert_eq!(c.domid("nope"), Err("no domain named 'nope'".to_string()));
    assert_eq!(c.domid("9"), Err("no domain 9".to_string()));
}

#[test]
fn install_writes_992_byte_chunks_and_waits_for_the_guest() {
    let mut c = ctl();
    let mut config = String::from(COUNTED);
    while config.len() < 70 * 1024 {
        config.push_str("// a comment line that makes the configuration larger than 64 KiB\n");
    }
    c.install(5, 0, &config).unwrap();
    let home = "/local/domain/5/data/clickos/0";
    let chunk0 = c.store.keys[&format!("{home}/config/0")].clone();
    assert_eq!(chunk0.len(), CHUNK);
    let n = config.len().div_ceil(CHUNK);
    assert!(c
        .store
        .keys
        .contains_key(&format!("{home}/config/{}", n - 1)));
    assert!(!c.store.keys.contains_key(&format!("{home}/config/{n}")));
    assert_eq!(c.store.keys[&format!("{home}/generation")], "1");
    // A shorter config leaves no chunk of the longer one behind.
    c.install(5, 0, COUNTED).unwrap();
    assert!(!c.store.keys.contains_key(&format!("{home}/config/1")));
    assert_eq!(c.store.keys[&format!("{home}/generation")], "2");
}

#[test]
fn a_rejected_config_is_an_error_with_the_guests_diagnostics() {
    let mut c = ctl();
    c.install(5, 0, COUNTED).unwrap();
    let err = c
        .install(5, 0, "FromDevice(0)\n -> Nope -> ToDevice(0);")
        .unwrap_err();
    assert!(
        err.contains("data/clickos/0/config:2:5: undeclared element 'Nope'"),
        "{err}"
    );
    let status = c.status(5).unwrap();
    assert!(
        status.starts_with("router 0: Error, generation 1"),
        "{status}"
    );
    assert!(
        status.contains("  error: data/clickos/0/config:2:5:"),
        "{status}"
    );
}

#[test]
fn handlers_are_read_and_written() {
    let mut c = ctl();
    c.install(5, 0, COUNTED).unwrap();
    assert_eq!(c.read_handler(5, 0, "c.count").as_deref(), Ok("0"));
    assert_eq!(c.read_handler(5, 0, "c.class").as_deref(), Ok("Counter"));
    c.write_handler(5, 0, "c.reset", "").unwrap();
    let err = c.read_handler(5, 0, "x.count").unwrap_err();
    assert!(err.contains("no element named 'x'"), "{err}");
    let err = c.write_handler(5, 0, "c.count", "3").unwrap_err();
    assert!(err.contains("no write handler"), "{err}");
    assert!(split_handler("count").is_err());
    assert_eq!(split_handler("a/b.c.d"), Ok(("a/b.c", "d")));
}

#[test]
fn stop_and_timeouts_name_what_was_awaited() {
    let mut c = ctl();
    c.install(5, 0, COUNTED).unwrap();
    c.stop(5, 0).unwrap();
    c.store.pause();
    let err = c.read_handler(5, 0, "c.count").unwrap_err();
    assert_eq!(err, "router 0 is not running");
    c.store.guest = None; // the guest stops answering
    let err = c.read_handler(5, 0, "c.count").unwrap_err();
    assert!(
        err.starts_with(
            "timed out after 0.3 s waiting for /local/domain/5/data/clickos/0/elements/c/count"
        ),
        "{err}"
    );
}

#[test]
fn status_needs_the_protocol_and_lists_routers() {
    let mut c = ctl();
    assert_eq!(c.status(5).unwrap(), "no routers\n");
    c.install(5, 3, COUNTED).unwrap();
    assert!(c
        .status(5)
        .unwrap()
        .starts_with("router 3: Running, generation 1"));
    c.store.keys.remove("/local/domain/5/data/clickos");
    assert!(c
        .status(5)
        .unwrap_err()
        .contains("does not serve the control protocol"));
}

#[test]
fn xl_names() {
    assert_eq!(
        xl_config_name("memory = 8\nname = \"clickos-b\"\n").as_deref(),
        Some("clickos-b")
    );
    assert_eq!(xl_config_name("name='x'").as_deref(), Some("x"));
    assert_eq!(xl_config_name("hostname = \"y\""), None);
}

#[test]
fn install_waits_for_the_guest_to_be_ready() {
    let mut c = ctl();
    c.store.keys.remove("/local/domain/5/data/clickos/ready");
    c.timeout = Duration::from_millis(50);
    let e = c.install(5, 0, COUNTED).unwrap_err();
    assert!(
        e.contains("waiting for /local/domain/5/data/clickos/ready"),
        "{e}"
    );
    // Nothing was written before the guest was ready.
    assert!(!c
        .store
        .keys
        .contains_key("/local/domain/5/data/clickos/0/status"));
}
