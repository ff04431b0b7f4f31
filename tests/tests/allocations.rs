//! Zero allocations per packet in the steady state: every benchmark configuration
//! (configs/bench) and every configuration in tests/data/allocations is run for N and for 10N packets under dhat's counting allocator, and the
//! number of heap allocations made while the router runs must not grow with the packet count.
//!
//! Runs without the test harness (`harness = false`) so that no other test thread allocates
//! while the counts are taken. Prints the counts; `cargo test --test allocations -- --nocapture`
//! is not needed, the output is always shown.

use std::path::Path;

use click_elements::device::NetDevice;
use click_elements::element::Platform;
use click_elements::packet::Timestamp;
use click_elements::{build_router, Registry};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// A host-like platform: the system clock, output discarded, no devices.
struct Host;

impl Platform for Host {
    fn chatter(&mut self, _line: &str) {}
    fn print(&mut self, _line: &str) {}
    fn now(&self) -> Timestamp {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp {
            sec: d.as_secs(),
            nsec: d.subsec_nanos(),
        }
    }
    fn device(&mut self, _n: usize) -> Option<&mut dyn NetDevice> {
        None
    }
}

/// Heap allocations made while running `config` for `n` packets (building the router and
/// reading the count afterwards are not included), and the packets counted.
fn allocations_while_running(source: &str, name: &str, n: u64) -> (u64, u64) {
    let defines = vec![("N".to_string(), n.to_string())];
    let router = build_router(source, name, &defines, &Registry::standard())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut platform = Host;
    let before = dhat::HeapStats::get().total_blocks;
    router.run(&mut platform, |_| false);
    let after = dhat::HeapStats::get().total_blocks;
    let count = router
        .read_handler("cnt", "count")
        .expect("cnt.count")
        .trim()
        .parse()
        .expect("a number");
    (after - before, count)
}

fn main() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/bench");
    let mut configs: Vec<_> = std::fs::read_dir(&dir)
        .expect("configs/bench")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "click"))
        .collect();
    configs.sort();
    assert_eq!(
        configs.len(),
        10,
        "ten benchmark configurations (a-e core, f-i middleboxes)"
    );
    // Configurations that exercise elements the benchmarks do not.
    let extra = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/allocations");
    let mut more: Vec<_> = std::fs::read_dir(&extra)
        .expect("tests/data/allocations")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "click"))
        .collect();
    more.sort();
    configs.extend(more);
    const N: u64 = 20_000;
    for path in &configs {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let source = std::fs::read_to_string(path).expect("readable");
        let (small, counted) = allocations_while_running(&source, &name, N);
        assert_eq!(counted, N, "{name}: packets counted");
        let (large, counted) = allocations_while_running(&source, &name, 10 * N);
        assert_eq!(counted, 10 * N, "{name}: packets counted");
        println!(
            "{name}: {small} allocations for {N} packets, {large} for {} packets: {} per packet in steady state",
            10 * N,
            (large as f64 - small as f64) / (9 * N) as f64
        );
        dhat::assert!(
            large <= small,
            "{name}: {large} allocations for {} packets but {small} for {N}",
            10 * N
        );
    }
    println!("allocations: ok");
}
