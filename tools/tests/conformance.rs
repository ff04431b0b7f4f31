//! Conformance with Click 2.1 (data in tests/data/conformance and tests/data/middlebox): each
//! case's `config.click` is run by `click-run` inside a copy of its directory; the
//! timestamp-free dump of the output pcaps must equal Click's `expected.txt` byte for byte, and
//! the Print/ARPPrint/CheckIPHeader/Queue lines on stderr and the stdout must equal Click's.
//! A case that needs an element class this build lacks is reported as skipped.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use pcap_file::pcap::PcapReader;

/// The directories holding the cases.
fn case_dirs() -> [PathBuf; 2] {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data");
    [data.join("conformance"), data.join("middlebox")]
}

/// Why a case was not compared.
const SKIPPED: &str = "skipped: ";

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

fn run_case(src: &Path) -> Result<(), String> {
    let name = src
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let work =
        std::env::temp_dir().join(format!("clickos-conformance-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    for entry in fs::read_dir(src).map_err(|e| e.to_string())? {
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
    let lacks_class = ["unknown element class", "undeclared element"]
        .iter()
        .any(|m| stderr.contains(m));
    if !output.status.success() && lacks_class {
        let _ = fs::remove_dir_all(&work);
        return Err(format!("{SKIPPED}{}", stderr.trim()));
    }
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
    assert!(cases.len() >= 17, "conformance cases missing: {cases:?}");
    let (skipped, failures): (Vec<String>, Vec<String>) = cases
        .iter()
        .filter_map(|c| {
            let name = c.file_name().map(|n| n.to_string_lossy().into_owned());
            run_case(c)
                .err()
                .map(|e| format!("### {}: {e}", name.unwrap_or_default()))
        })
        .partition(|e| e.contains(SKIPPED));
    for s in &skipped {
        eprintln!("{s}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from Click:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// The ipfragmenter case with its one IPClassifier (`ip[6] & 64 == 0`, DF clear) written as the
/// equivalent Classifier on the stripped packet, for builds without IPClassifier: everything
/// else of the case, Click's expected output included, is compared as it is.
#[test]
fn ipfragmenter_case_with_a_classifier_for_its_ipclassifier() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/middlebox/ipfragmenter");
    let src = std::env::temp_dir().join(format!("clickos-ipfragmenter-{}", std::process::id()));
    let _ = fs::remove_dir_all(&src);
    fs::create_dir_all(&src).expect("temp dir");
    for entry in fs::read_dir(&case).expect("case dir") {
        let entry = entry.expect("case file");
        fs::copy(entry.path(), src.join(entry.file_name())).expect("copy");
    }
    let config = fs::read_to_string(src.join("config.click")).expect("config");
    let ipclassifier = "IPClassifier(ip[6] & 64 == 0)";
    assert!(config.contains(ipclassifier), "{config}");
    let config =
        config.replace(ipclassifier, "df :: Classifier(6/00%40, -)") + "df[1] -> Discard;\n";
    fs::write(src.join("config.click"), config).expect("config");
    let result = run_case(&src);
    let _ = fs::remove_dir_all(&src);
    result.unwrap();
}

/// configs/ip-router.click with FromDump/ToDump for its devices forwards, answers a ping and
/// sends a time-exceeded error (tests/data/ip-router/notes.txt). Classes of the configuration
/// this build lacks (the routing table, Paint, PaintTee) are replaced by Classifier/Null
/// stand-ins that route these packets the same way.
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
    let registry = click_elements::Registry::standard();
    if !registry.contains("StaticIPLookup") {
        let start = config.find("StaticIPLookup(").expect("routing table");
        let end = start + config[start..].find(");").expect("end of the routes") + 2;
        let routes = "Classifier(16/0a000001, 16/0a000000%ffffff00, 16/0a000100%ffffff00);";
        config.replace_range(start..end, routes);
    }
    if !registry.contains("PaintTee") {
        for n in 1..3 {
            config = config.replace(&format!("PaintTee({n})"), "Classifier(-, -)");
        }
    }
    if !registry.contains("Paint") {
        for n in 1..3 {
            config = config.replace(&format!("Paint({n})"), "Null");
        }
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
