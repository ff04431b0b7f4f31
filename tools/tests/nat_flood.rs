//! A flood of distinct flows through a NAT under `click-run`: the rewriter's table stays at its
//! capacity, the flows it cannot keep are refused and counted, and what the NAT adds to the
//! process's peak memory does not grow with the number of flows (the table is allocated when
//! the router is built). The peak is compared with the same run without the rewriter, so that
//! the rest of the driver (which reads the trace) does not count.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;

/// The Internet checksum of `data`.
fn cksum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Writes a pcap of `flows` UDP packets, each of a flow of its own (source address and port).
fn write_flood(path: &Path, flows: u32) {
    let mut w = BufWriter::new(fs::File::create(path).expect("pcap"));
    let header: [u32; 5] = [0xa1b2_c3d4, 0x0004_0002, 0, 0, 65535];
    for v in header {
        w.write_all(&v.to_le_bytes()).unwrap();
    }
    w.write_all(&1u32.to_le_bytes()).unwrap();
    let mut frame = [0u8; 42];
    frame[..12].copy_from_slice(&[0, 0, 0xc0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
    frame[12..14].copy_from_slice(&[8, 0]);
    frame[14..24].copy_from_slice(&[0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17]);
    frame[30..34].copy_from_slice(&[198, 51, 100, 7]);
    frame[36..38].copy_from_slice(&53u16.to_be_bytes());
    frame[38..40].copy_from_slice(&8u16.to_be_bytes());
    for i in 0..flows {
        frame[26..30].copy_from_slice(&(0x0a00_0000 | (i >> 16)).to_be_bytes());
        frame[34..36].copy_from_slice(&(i as u16).to_be_bytes());
        frame[24..26].fill(0);
        let sum = cksum(&frame[14..34]);
        frame[24..26].copy_from_slice(&sum.to_be_bytes());
        for v in [1_700_000_000, 0, 42, 42] {
            w.write_all(&u32::to_le_bytes(v)).unwrap();
        }
        w.write_all(&frame).unwrap();
    }
    w.flush().unwrap();
}

/// Runs `config` (`{}` for the trace's path) with `handlers`; returns their answers and the
/// peak memory in KiB.
fn run(config: &str, pcap: &Path, handlers: &[&str]) -> (Vec<String>, u64) {
    let config = config.replace("{}", &pcap.display().to_string());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_click-run"));
    cmd.args(["-t", "-e", &config]);
    for h in handlers {
        cmd.args(["-h", h]);
    }
    let out = cmd.output().expect("click-run runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "click-run failed: {stderr}");
    let peak = stderr
        .lines()
        .find_map(|l| l.strip_prefix("click-run: peak memory "))
        .and_then(|l| l.trim_end_matches(" KiB").parse().ok())
        .expect("peak memory line");
    let answers = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty() && !l.ends_with(':'))
        .map(String::from)
        .collect();
    (answers, peak)
}

/// The NAT over `flows` new flows: its handlers' answers, and the peak memory it adds to the
/// same run without it (KiB).
fn nat_over(dir: &Path, flows: u32) -> (Vec<String>, i64) {
    let pcap = dir.join(format!("flood-{flows}.pcap"));
    write_flood(&pcap, flows);
    let nat = "FromDump({}, STOP true) -> CheckIPHeader(14)
        -> rw :: IPRewriter(pattern 192.0.2.1 1024-65535# - - 0 0, MAPPING_CAPACITY 4096,
                            UDP_GUARANTEE 3600) -> Discard;";
    let bare = "FromDump({}, STOP true) -> CheckIPHeader(14) -> Discard;";
    let handlers = ["rw.size", "rw.mapping_failures", "rw.capacity"];
    let (answers, with_nat) = run(nat, &pcap, &handlers);
    let (_, without) = run(bare, &pcap, &[]);
    let _ = fs::remove_file(&pcap);
    (answers, with_nat as i64 - without as i64)
}

#[test]
fn a_million_new_flows_keep_the_table_full_and_memory_flat() {
    let dir = std::env::temp_dir().join(format!("clickos-nat-flood-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let (small, small_cost) = nat_over(&dir, 20_000);
    let (large, large_cost) = nat_over(&dir, 1_000_000);
    let _ = fs::remove_dir_all(&dir);
    // Full at 4096 flows; every other new flow refused and counted.
    assert_eq!(small, ["4096", "15904", "4096"]);
    assert_eq!(large, ["4096", "995904", "4096"]);
    // Fifty times the flows, the same table: what the NAT costs differs by noise only.
    assert!(
        large_cost < small_cost + 1024,
        "the NAT's memory grew from {small_cost} KiB to {large_cost} KiB"
    );
}
