//! Conformance with Click 2.1 (data in tests/data/conformance and tests/data/middlebox): each
//! case's `config.click` is run by `click-run` inside a copy of its directory; the
//! timestamp-free dump of the output pcaps must equal Click's `expected.txt` byte for byte, the
//! output files must equal Click's own `out*.pcap` (where the case has them) byte for byte
//! except timestamps, and the element lines on stderr and the stdout must equal Click's.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use pcap_file::pcap::PcapReader;

/// The directories holding the cases, one case per subdirectory.
fn case_dirs() -> [PathBuf; 2] {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data");
    [data.join("conformance"), data.join("middlebox")]
}

/// The output pcaps of a case directory, in natural order (out2 before out10).
fn output_pcaps(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = fs::read_dir(dir)
        .expect("case dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("out") && n.ends_with(".pcap"))
        .collect();
    files.sort_by_key(|n| {
        let digits: String = n.chars().filter(|c| c.is_ascii_digit()).collect();
        (digits.parse::<u64>().unwrap_or(0), n.clone())
    });
    files
}

/// A pcap file with the timestamp of every record zeroed (records walked in the byte order
/// of the file's magic), or `None` if it is not a well-formed pcap file.
fn without_timestamps(mut bytes: Vec<u8>) -> Option<Vec<u8>> {
    let magic = bytes.get(..4)?;
    let little = match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => true,
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => false,
        _ => return None,
    };
    let mut off = 24;
    while off < bytes.len() {
        let len: [u8; 4] = bytes.get(off + 8..off + 12)?.try_into().ok()?;
        let caplen = if little {
            u32::from_le_bytes(len)
        } else {
            u32::from_be_bytes(len)
        };
        bytes[off..off + 8].fill(0);
        off += 16 + caplen as usize;
    }
    (off == bytes.len()).then_some(bytes)
}

/// Compares the output pcaps written in `work` with Click's in `src`, byte for byte except
/// timestamps (header, byte order, magic, snaplen, record lengths and data).
fn compare_pcap_files(src: &Path, work: &Path) -> Result<(), String> {
    for name in output_pcaps(src) {
        let read = |dir: &Path| fs::read(dir.join(&name)).map_err(|e| format!("{name}: {e}"));
        let want = without_timestamps(read(src)?).ok_or(format!("{name}: Click's is no pcap"))?;
        let got = without_timestamps(read(work)?).ok_or(format!("{name}: ours is no pcap"))?;
        if got != want {
            let at = got.iter().zip(&want).position(|(a, b)| a != b);
            return Err(format!(
                "{name} differs from Click's file (first difference at byte {:?}, sizes {} and {})",
                at.unwrap_or(got.len().min(want.len())),
                got.len(),
                want.len()
            ));
        }
    }
    Ok(())
}

/// `== FILE linktype=N packets=K` then `IDX caplen=C len=L HEX` per record.
fn canonical_dump(dir: &Path) -> String {
    let mut out = String::new();
    for name in output_pcaps(dir) {
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

fn run_case(src: &Path) -> Result<(), String> {
    let name = src.file_name().unwrap_or_default().to_string_lossy();
    let work =
        std::env::temp_dir().join(format!("clickos-conformance-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    for entry in fs::read_dir(src).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        // Click's output files stay behind: the case must write its own.
        let file = entry.file_name().to_string_lossy().into_owned();
        if !(file.starts_with("out") && file.ends_with(".pcap")) {
            fs::copy(entry.path(), work.join(&file)).map_err(|e| e.to_string())?;
        }
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
    compare_pcap_files(src, &work)?;
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

#[test]
fn every_case_matches_click() {
    let mut cases: Vec<PathBuf> = case_dirs()
        .iter()
        .flat_map(|dir| fs::read_dir(dir).expect("conformance data"))
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 16, "conformance cases missing: {cases:?}");
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(e) = run_case(case) {
            failures.push(format!("### {}: {e}", case.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from Click:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Timestamps are the only bytes the file comparison ignores.
#[test]
fn pcap_comparison_ignores_only_timestamps() {
    let file = fs::read(case_dirs()[1].join("switches/out0.pcap")).expect("Click's pcap");
    let clean = without_timestamps(file.clone()).expect("pcap");
    assert_eq!(clean.len(), file.len());
    assert_eq!(clean[..24], file[..24]);
    assert!(clean[24..32].iter().all(|&b| b == 0));
    assert_eq!(clean[32..40], file[32..40]);
    let mut be = file.clone();
    be[..4].reverse();
    assert!(
        without_timestamps(be).is_none(),
        "records walked in the magic's byte order"
    );
    assert!(without_timestamps(file[..file.len() - 1].to_vec()).is_none());
}

/// configs/ip-router.click with FromDump/ToDump for its devices forwards, answers a ping and
/// sends a time-exceeded error (tests/data/ip-router/notes.txt).
#[test]
fn ip_router_config_forwards() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut config = fs::read_to_string(root.join("configs/ip-router.click")).expect("config");
    let mut replace = |from: &str, to: &str| {
        assert!(config.contains(from), "{from}");
        config = config.replace(from, to);
    };
    replace("FromDevice(0)", "FromDump(in.pcap, STOP true)");
    replace("FromDevice(1)", "Idle");
    for n in 0..2 {
        replace(
            &format!("out{n} :: Queue(200) -> todevice{n} :: ToDevice({n})"),
            &format!("out{n} :: Null -> todevice{n} :: ToDump(out{n}.pcap)"),
        );
    }
    let src = std::env::temp_dir().join(format!("clickos-ip-router-{}", std::process::id()));
    let _ = fs::remove_dir_all(&src);
    fs::create_dir_all(&src).expect("temp dir");
    let data = root.join("tests/data/ip-router");
    for file in ["in.pcap", "expected.txt"] {
        fs::copy(data.join(file), src.join(file)).expect("copy");
    }
    for (file, text) in [("config.click", config.as_str()), ("exit.txt", "0\n")] {
        fs::write(src.join(file), text).expect("write");
    }
    for file in ["stderr.txt", "stdout.txt"] {
        fs::write(src.join(file), "").expect("write");
    }
    let result = run_case(&src);
    let _ = fs::remove_dir_all(&src);
    result.unwrap();
}
