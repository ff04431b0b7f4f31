//! Hostile and careless configurations: each is loaded by `click-run` under an address-space
//! limit (`ulimit -v`) and must be refused with a clean `file:line:column` error and exit
//! status 1 — never an abort, an out-of-memory kill or a stack overflow. Some loads that used
//! to crash must now simply work (a long push chain on a small stack).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output};

/// The address-space limit every case runs under, in KiB (`ulimit -v`).
const ADDRESS_SPACE_KIB: usize = 1 << 20;

/// Runs click-run on `config` (written to a file named `hostile.click`) under the address-space
/// limit and a `stack_kib` stack, with `args` after the file.
fn click_run(config: &str, stack_kib: usize, args: &[&str]) -> Output {
    let dir = tempdir();
    let file = dir.join("hostile.click");
    std::fs::write(&file, config).expect("write config");
    let script =
        format!("ulimit -v {ADDRESS_SPACE_KIB} && ulimit -s {stack_kib} && exec \"$0\" \"$@\"",);
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_click-run"))
        .arg("hostile.click")
        .args(args)
        .current_dir(&dir)
        .output()
        .expect("run click-run");
    let _ = std::fs::remove_dir_all(&dir);
    out
}

fn tempdir() -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "clickos-hostile-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The configuration is refused: exit status 1 (not a signal), no panic or allocation
/// failure, and a `hostile.click:LINE:COL: ` line containing `message`.
fn assert_refused(name: &str, config: &str, message: &str, args: &[&str]) {
    let out = click_run(config, 8192, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{name}: want exit status 1, got {:?}; stderr:\n{}",
        out.status,
        truncated(&stderr)
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("memory allocation"),
        "{name}: {}",
        truncated(&stderr)
    );
    let located = stderr.lines().any(|l| {
        l.contains(message)
            && l.strip_prefix("hostile.click:").is_some_and(|rest| {
                let mut parts = rest.splitn(3, ':');
                let line = parts.next().and_then(|n| n.parse::<u32>().ok());
                let col = parts.next().and_then(|n| n.parse::<u32>().ok());
                line.is_some() && col.is_some()
            })
    });
    assert!(
        located,
        "{name}: no 'hostile.click:LINE:COL: ...{message}...' line in:\n{}",
        truncated(&stderr)
    );
}

fn truncated(s: &str) -> String {
    s.chars().take(2000).collect()
}

/// `n` compound classes, each instantiating the previous one `fanout` times in a row.
fn nested_compounds(n: usize, fanout: usize) -> String {
    let mut c = String::from("elementclass C0 { input -> Null -> output }\n");
    for i in 1..n {
        let body = vec![format!("C{}", i - 1); fanout].join(" -> ");
        writeln!(c, "elementclass C{i} {{ input -> {body} -> output }}").unwrap();
    }
    writeln!(c, "Idle -> C{} -> Discard;", n - 1).unwrap();
    c
}

#[test]
fn resource_hungry_arguments_are_refused() {
    let cases = [
        (
            "device burst",
            "FromDevice(0, BURST 1000000000000) -> Discard;",
            "BURST: 1000000000000 is more than the limit",
        ),
        (
            "todevice burst",
            "Idle -> ToDevice(0, BURST 1000000000000);",
            "BURST: 1000000000000 is more than the limit",
        ),
        (
            "source burst",
            "InfiniteSource(BURST 1000000000) -> Discard;",
            "BURST: 1000000000 is more than the limit",
        ),
        (
            "source length",
            "InfiniteSource(LENGTH 4000000000) -> Discard;",
            "LENGTH: out of range",
        ),
        (
            "unstrip",
            "Idle -> Unstrip(65535) -> Discard;",
            "LENGTH: 65535 is more than the limit",
        ),
        (
            "queue capacity",
            "Idle -> Queue(1000000000) -> Discard;",
            "CAPACITY: 1000000000 is more than the limit",
        ),
        (
            "arp capacity",
            "Idle -> ARPQuerier(10.0.0.1, 0:0:0:0:0:1, CAPACITY 100000000000) -> Discard; Idle -> [1]ARPQuerier@2;",
            "CAPACITY: 100000000000 is more than the limit",
        ),
        (
            "dump burst",
            "FromDump(x.pcap, BURST 10000000000) -> Discard;",
            "BURST: 10000000000 is more than the limit",
        ),
        (
            "port number",
            "Idle -> t :: Tee; t[5000] -> Discard;",
            "port 5000 of 't' is more than the limit",
        ),
    ];
    for (name, config, message) in cases {
        assert_refused(name, config, message, &[]);
    }
}

/// IPFilter patterns nested beyond the bound (parentheses, `not`s, `?:` chains) are refused
/// without deep recursion; a program beyond the capacity limit is refused before it is built.
#[test]
fn hostile_ip_patterns_are_refused() {
    let parens = format!(
        "Idle -> IPFilter(allow {}tcp{}) -> Discard;",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    assert_refused("parentheses", &parens, "nested too deeply", &[]);
    let nots = format!(
        "Idle -> IPClassifier({}tcp) -> Discard;",
        "! ".repeat(100_000)
    );
    assert_refused("nots", &nots, "nested too deeply", &[]);
    let chain = format!(
        "Idle -> IPClassifier({}udp) -> Discard;",
        "tcp ? syn : ".repeat(100_000)
    );
    assert_refused("ternaries", &chain, "nested too deeply", &[]);
    // Each relation on an alternating-bit value becomes 32 word tests.
    let big = vec!["ip[0:4] > 0x55555555"; 40_000].join(" or ");
    let config = format!("Idle -> IPClassifier({big}) -> Discard;");
    assert_refused("program size", &config, "is more than the limit", &[]);
}

#[test]
fn exponential_expansion_is_refused() {
    assert_refused(
        "self-referencing define",
        "define($X $X$X$X$X$X$X$X$X$X$X)\nInfiniteSource($X) -> Discard;",
        "expanding variables gives more than the limit of",
        &[],
    );
    assert_refused(
        "compounds doubling per level",
        &nested_compounds(40, 2),
        "more than the limit of 100000 elements once compounds are expanded",
        &[],
    );
    assert_refused(
        "compounds nested too deep",
        &nested_compounds(80, 1),
        "compound elements nested more than 64 deep (instantiating 'C15')",
        &[],
    );
}

#[test]
fn sizes_of_the_configuration_itself_are_refused() {
    let mut many = String::new();
    for _ in 0..60_000 {
        many.push_str("Idle -> Discard;\n");
    }
    assert_refused(
        "too many elements",
        &many,
        "more than the limit of 100000 elements",
        &[],
    );
    let mut pull = String::from("InfiniteSource -> Queue");
    for _ in 0..1000 {
        pull.push_str(" -> Null");
    }
    pull.push_str(" -> Unqueue -> Discard;");
    assert_refused(
        "pull chain",
        &pull,
        "pulls through a chain of more than the limit of 256 elements",
        &[],
    );
    let huge = format!("Idle -> Discard; // {}\n", "x".repeat(17 << 20));
    let out = click_run(&huge, 8192, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}", truncated(&stderr));
    assert!(
        stderr.starts_with(
            "hostile.click:1:16777217: configuration is larger than the limit of 16777216 bytes"
        ),
        "{}",
        truncated(&stderr)
    );
}

#[test]
fn a_build_over_its_memory_budget_is_refused() {
    // Each element's configuration expands to 640 KB: far more than 64 MiB in all.
    let mut config = format!("define($X {})\n", "abcdefghij".repeat(64));
    config.push_str("define($Y $X$X$X$X$X$X$X$X$X$X)\ndefine($Z $Y$Y$Y$Y$Y$Y$Y$Y$Y$Y)\n");
    for _ in 0..200 {
        config.push_str("Idle -> Print($Z$Z$Z$Z$Z$Z$Z$Z$Z$Z) -> Discard;\n");
    }
    assert_refused(
        "explicit budget",
        &config,
        "configuration needs more than 65536 KiB of memory to build",
        &["--memory-limit", "64M"],
    );
    // Without --memory-limit, a quarter of the address-space limit (1 GiB) is the budget.
    assert_refused(
        "budget from ulimit -v",
        &config,
        "configuration needs more than 262144 KiB of memory to build",
        &[],
    );
}

#[test]
fn a_long_push_chain_runs_on_a_small_stack() {
    // Forwarding walks the graph without recursion: 5000 elements on a 256 KiB stack.
    let mut config = String::from("InfiniteSource(LIMIT 3, STOP true)");
    for _ in 0..5000 {
        config.push_str(" -> Null");
    }
    config.push_str(" -> c :: Counter -> Discard;");
    let out = click_run(&config, 256, &["-h", "c.count"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{:?} {}",
        out.status,
        truncated(&stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "3\n");
}

#[test]
fn an_unlimited_unqueue_burst_is_bounded() {
    let out = click_run(
        "InfiniteSource(LIMIT 1000) -> Queue(2000) -> Unqueue(BURST 0) -> c :: Counter -> Discard;",
        8192,
        &["-h", "c.count"],
    );
    assert!(out.status.success(), "{:?}", out.status);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1000\n");
}

#[test]
fn a_library_requiring_itself_is_read_a_bounded_number_of_times() {
    // Each read finds the file under a longer name (`././hostile.click`, ...), so only the
    // limit on libraries stops it.
    let out = click_run("require(library ./hostile.click)\n", 8192, &["-q"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}", truncated(&stderr));
    let refusal = stderr
        .lines()
        .find(|l| l.ends_with("more than the limit of 64 libraries"))
        .unwrap_or_else(|| panic!("no refusal in:\n{}", truncated(&stderr)));
    // Located in the deepest library read: `././.../hostile.click:1:9: ...`.
    assert!(refusal.contains("/hostile.click:1:9: "), "{refusal}");
}
