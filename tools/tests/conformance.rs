//! Conformance with Click 2.1 (data in tests/data/conformance and, for the middlebox elements,
//! tests/data/middlebox): each case's `config.click` is run by `click-run` inside a copy of its
//! directory; the timestamp-free dump of the output pcaps must equal Click's `expected.txt` byte
//! for byte, and the Print/ARPPrint/CheckIPHeader/Queue lines on stderr and the stdout must
//! equal Click's.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use pcap_file::pcap::PcapReader;

/// The directory of the case set `set` (`conformance` or `middlebox`).
fn cases_dir(set: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(set)
}

/// `== FILE linktype=N packets=K` then `IDX caplen=C len=L HEX` per record.
fn canonical_dump(dir: &Path) -> String {
    let mut files: Vec<String> = fs::read_dir(dir)
        .expect("case dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("out") && n.ends_with(".pcap"))
        .collect();
    // Natural order: out2 before out10.
    files.sort_by_key(|n| {
        let digits: String = n.chars().filter(|c| c.is_ascii_digit()).collect();
        (digits.parse::<u64>().unwrap_or(0), n.clone())
    });
    let mut out = String::new();
    for name in files {
        let file = fs::File::open(dir.join(&name)).expect("output pcap");
        let mut reader = PcapReader::new(file).expect("pcap header");
        let linktype = u32::from(reader.header().datalink);
        let mut lines = Vec::new();
        while let Some(record) = reader.next_raw_packet() {
            let r = record.expect("pcap record");
            let hex: String = r.data.iter().map(|b| format!("{b:02x}")).collect();
            lines.push(format!(
                "{} caplen={} len={} {hex}\n",
                lines.len(),
                r.incl_len,
                r.orig_len
            ));
        }
        out.push_str(&format!(
            "== {name} linktype={linktype} packets={}\n",
            lines.len()
        ));
        out.extend(lines);
    }
    out
}

/// Lines that Click prints as implementation noise rather than element output.
fn is_noise(line: &str) -> bool {
    line.starts_with("expensive Packet::push")
}

fn run_case(set: &str, name: &str) -> Result<(), String> {
    let src = cases_dir(set).join(name);
    let work = std::env::temp_dir().join(format!("clickos-{set}-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    for entry in fs::read_dir(&src).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        fs::copy(entry.path(), work.join(entry.file_name())).map_err(|e| e.to_string())?;
    }
    let output = Command::new(env!("CARGO_BIN_EXE_click-run"))
        .arg("config.click")
        .current_dir(&work)
        .output()
        .map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let want_exit: i32 = fs::read_to_string(src.join("exit.txt"))
        .map_err(|e| e.to_string())?
        .trim()
        .parse()
        .map_err(|_| "bad exit.txt".to_string())?;
    if output.status.code() != Some(want_exit) {
        return Err(format!(
            "exit {:?}, Click exits {want_exit}; stderr:\n{stderr}",
            output.status.code()
        ));
    }
    let want = fs::read_to_string(src.join("expected.txt")).map_err(|e| e.to_string())?;
    let got = canonical_dump(&work);
    if got != want {
        return Err(format!(
            "output pcaps differ:\n--- got\n{got}--- want\n{want}"
        ));
    }
    let want_err: Vec<String> = fs::read_to_string(src.join("stderr.txt"))
        .map_err(|e| e.to_string())?
        .lines()
        .filter(|l| !is_noise(l))
        .map(String::from)
        .collect();
    let got_err: Vec<String> = stderr.lines().map(String::from).collect();
    if got_err != want_err {
        return Err(format!(
            "stderr differs:\n--- got\n{stderr}--- want\n{want_err:#?}"
        ));
    }
    let want_out = fs::read_to_string(src.join("stdout.txt")).map_err(|e| e.to_string())?;
    if stdout != want_out {
        return Err(format!(
            "stdout differs:\n--- got\n{stdout}--- want\n{want_out}"
        ));
    }
    let _ = fs::remove_dir_all(&work);
    Ok(())
}

/// Runs every case of `set` (at least `min_cases` of them) and reports all that differ.
fn run_set(set: &str, min_cases: usize) {
    let mut names: Vec<String> = fs::read_dir(cases_dir(set))
        .expect("conformance data")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= min_cases, "{set} cases missing: {names:?}");
    let failures: Vec<String> = names
        .iter()
        .filter_map(|n| run_case(set, n).err().map(|e| format!("### {n}: {e}")))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} {set} cases differ from Click:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
}

#[test]
fn every_case_matches_click() {
    run_set("conformance", 13);
}

#[test]
fn every_middlebox_case_matches_click() {
    run_set("middlebox", 3);
}
