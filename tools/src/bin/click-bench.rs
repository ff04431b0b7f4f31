//! `click-bench`: runs the benchmark configurations (configs/bench) with `click-run` and, when
//! given, with Click's userlevel driver and FastClick's, pinned to one core and alternating;
//! prints the median packet rates and the ratios as a table, and draws them as an SVG chart.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

const USAGE: &str = "\
usage: click-bench [--runs R] [--packets N] [--core C] [--click PATH] [--fastclick PATH]
                   [--configs DIR] [--chart FILE.svg] [--markdown FILE.md]

  --runs R          runs per configuration and driver (the drivers alternate); the median
                    is reported (default 5)
  --packets N       packets per run, passed as N=... (default 20000000)
  --core C          pin every run to CPU C with taskset (default 1)
  --click PATH      also run Click's userlevel driver at PATH, side by side
  --fastclick PATH  also run FastClick's userlevel driver at PATH, side by side, on the same
                    configurations given its best settings: BURST 32 and TIMESTAMP false on
                    InfiniteSource, CheckIPHeader(OFFSET 14) for CheckIPHeader(14)
  --configs DIR     benchmark configurations (default: configs/bench of this repository)
  --chart FILE      write an SVG bar chart of the medians (default: no chart)
  --markdown FILE   write the result table as Markdown (default: no file)";

/// Another driver measured beside clickos-rs.
struct Peer {
    name: &'static str,
    driver: PathBuf,
    /// The configuration as this driver is given it.
    adapt: fn(&str) -> String,
}

/// Command-line options.
struct Options {
    runs: usize,
    packets: u64,
    core: usize,
    peers: Vec<Peer>,
    configs: PathBuf,
    chart: Option<PathBuf>,
    markdown: Option<PathBuf>,
}

fn parse_options() -> Result<Options, String> {
    let mut o = Options {
        runs: 5,
        packets: 20_000_000,
        core: 1,
        peers: Vec::new(),
        configs: Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/bench"),
        chart: None,
        markdown: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--runs" => o.runs = value()?.parse().map_err(|_| "--runs: not a number")?,
            "--packets" => o.packets = value()?.parse().map_err(|_| "--packets: not a number")?,
            "--core" => o.core = value()?.parse().map_err(|_| "--core: not a number")?,
            "--click" => o.peers.push(Peer {
                name: "Click 2.1",
                driver: value()?.into(),
                adapt: str::to_string,
            }),
            "--fastclick" => o.peers.push(Peer {
                name: "FastClick",
                driver: value()?.into(),
                adapt: fastclick_config,
            }),
            "--configs" => o.configs = value()?.into(),
            "--chart" => o.chart = Some(value()?.into()),
            "--markdown" => o.markdown = Some(value()?.into()),
            _ => return Err(format!("unknown argument '{arg}'")),
        }
    }
    if o.runs == 0 {
        return Err("--runs must be at least 1".into());
    }
    Ok(o)
}

/// The configuration with FastClick's best settings: every InfiniteSource gets `BURST 32`
/// and `TIMESTAMP false` (unless it sets them), `CheckIPHeader(14)` becomes
/// `CheckIPHeader(OFFSET 14)`.
fn fastclick_config(text: &str) -> String {
    let text = text.replace("CheckIPHeader(14)", "CheckIPHeader(OFFSET 14)");
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("InfiniteSource(") {
        let args_start = i + "InfiniteSource(".len();
        out.push_str(&rest[..args_start]);
        rest = &rest[args_start..];
        let mut depth = 1;
        let end = rest
            .char_indices()
            .find_map(|(k, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                (depth == 0).then_some(k)
            })
            .unwrap_or(rest.len());
        let args = &rest[..end];
        out.push_str(args);
        for (key, value) in [("BURST", "32"), ("TIMESTAMP", "false")] {
            if !args.contains(key) {
                out.push_str(&format!(", {key} {value}"));
            }
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// One measured run: packets counted by `cnt` and the wall time of the whole process.
struct Run {
    packets: u64,
    seconds: f64,
    peak_kib: Option<u64>,
}

fn run_once(driver: &Path, config: &Path, o: &Options) -> Result<Run, String> {
    let mut cmd = Command::new("taskset");
    cmd.arg("-c")
        .arg(o.core.to_string())
        .arg(driver)
        .arg(config)
        .arg(format!("N={}", o.packets))
        .arg("-h")
        .arg("cnt.count");
    if driver.file_name().is_some_and(|n| n == "click-run") {
        cmd.arg("-t");
    }
    let start = Instant::now();
    let out = cmd
        .output()
        .map_err(|e| format!("{}: {e}", driver.display()))?;
    let seconds = start.elapsed().as_secs_f64();
    if !out.status.success() {
        return Err(format!(
            "{} {} failed: {}",
            driver.display(),
            config.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let packets = stdout
        .trim()
        .parse()
        .map_err(|_| format!("cnt.count printed '{}'", stdout.trim()))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let peak_kib = stderr
        .lines()
        .find_map(|l| l.strip_prefix("click-run: peak memory "))
        .and_then(|l| l.trim_end_matches(" KiB").parse().ok());
    Ok(Run {
        packets,
        seconds,
        peak_kib,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The median rate of clickos-rs and of each peer on one configuration, the runs of all
/// drivers alternating so that they meet the same machine conditions, and the largest peak
/// memory of clickos-rs.
fn measure(
    ours: &Path,
    peer_configs: &[PathBuf],
    config: &Path,
    o: &Options,
) -> Result<Row, String> {
    let rate = |r: &Run| r.packets as f64 / r.seconds / 1e6;
    let mut our_rates = Vec::new();
    let mut peer_rates = vec![Vec::new(); o.peers.len()];
    let mut peak = None;
    for _ in 0..o.runs {
        let r = run_once(ours, config, o)?;
        our_rates.push(rate(&r));
        peak = peak.max(r.peak_kib);
        for ((peer, peer_config), rates) in o.peers.iter().zip(peer_configs).zip(&mut peer_rates) {
            rates.push(rate(&run_once(&peer.driver, peer_config, o)?));
        }
    }
    Ok(Row {
        name: String::new(),
        ours: median(our_rates),
        peers: peer_rates.into_iter().map(median).collect(),
        peak_kib: peak,
    })
}

/// One configuration's result.
struct Row {
    name: String,
    ours: f64,
    /// Median rate of each peer, in the order of `Options::peers`.
    peers: Vec<f64>,
    peak_kib: Option<u64>,
}

fn table(rows: &[Row], o: &Options) -> String {
    let names: Vec<&str> = o.peers.iter().map(|p| p.name).collect();
    let mut t = format!(
        "Median of {} runs of {} packets{}, pinned to CPU {}.\n\n\
         | configuration | clickos-rs Mpps | ns/packet |",
        o.runs,
        o.packets,
        if names.is_empty() {
            String::new()
        } else {
            format!(" (clickos-rs, {} alternating)", names.join(", "))
        },
        o.core
    );
    for name in &names {
        t.push_str(&format!(" {name} Mpps | ratio |"));
    }
    t.push_str(" peak memory |\n|---|---:|---:|");
    for _ in &names {
        t.push_str("---:|---:|");
    }
    t.push_str("---:|\n");
    for r in rows {
        t.push_str(&format!(
            "| {} | {:.2} | {:.1} |",
            r.name,
            r.ours,
            1e3 / r.ours
        ));
        for p in &r.peers {
            t.push_str(&format!(" {p:.2} | {:.2}x |", r.ours / p));
        }
        let peak = r.peak_kib.map_or("-".into(), |k| format!("{k} KiB"));
        t.push_str(&format!(" {peak} |\n"));
    }
    t
}

/// The ratio to the first peer (Click) the target asks for, drawn as a dashed mark.
const TARGET_RATIO: f64 = 5.0;
/// Bar colours: clickos-rs, then the peers in order.
const COLOURS: [&str; 3] = ["#d9822b", "#5c7cfa", "#51cf66"];

/// A horizontal grouped bar chart of the medians: each clickos-rs bar is labelled with its
/// ratio to the first peer and crossed by a dashed mark at the target ratio of that peer.
fn chart(rows: &[Row], o: &Options) -> String {
    let max = rows
        .iter()
        .flat_map(|r| {
            let target = r.peers.first().map(|c| c * TARGET_RATIO);
            [Some(r.ours), target]
                .into_iter()
                .chain(r.peers.iter().map(|&p| Some(p)))
        })
        .flatten()
        .fold(1.0f64, f64::max);
    let bars = 1 + o.peers.len();
    let (left, width, bar, gap) = (190.0, 520.0, 14.0, 12.0);
    let height = 60.0 + rows.len() as f64 * (bars as f64 * bar + gap) + 10.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"20\" font-size=\"14\">Packet rate, Mpps: median of {runs} runs of \
         {packets} packets, one core</text>\n",
        w = left + width + 110.0,
        runs = o.runs,
        packets = o.packets,
    );
    let mut legend: Vec<String> = vec![match o.peers.first() {
        Some(p) => format!("clickos-rs (ratio to {})", p.name),
        None => "clickos-rs".into(),
    }];
    legend.extend(o.peers.iter().map(|p| p.name.to_string()));
    let mut x = left;
    for (label, colour) in legend.iter().zip(COLOURS) {
        svg.push_str(&format!(
            "<rect x=\"{x}\" y=\"30\" width=\"10\" height=\"10\" fill=\"{colour}\"/>\
             <text x=\"{}\" y=\"39\">{label}</text>\n",
            x + 14.0
        ));
        x += 30.0 + 7.0 * label.len() as f64;
    }
    if let Some(first) = o.peers.first() {
        svg.push_str(&format!(
            "<line x1=\"{x}\" y1=\"28\" x2=\"{x}\" y2=\"42\" stroke=\"black\" \
             stroke-dasharray=\"3,2\"/><text x=\"{}\" y=\"39\">{TARGET_RATIO}x {} (target)</text>\n",
            x + 6.0,
            first.name
        ));
    }
    for (i, r) in rows.iter().enumerate() {
        let y = 60.0 + i as f64 * (bars as f64 * bar + gap);
        svg.push_str(&format!(
            "<text x=\"10\" y=\"{}\">{}</text>\n",
            y + bar + 3.0,
            r.name
        ));
        let ours_label = match r.peers.first() {
            Some(c) => format!("{:.2} ({:.1}x)", r.ours, r.ours / c),
            None => format!("{:.2}", r.ours),
        };
        let values = std::iter::once((r.ours, ours_label))
            .chain(r.peers.iter().map(|&p| (p, format!("{p:.2}"))));
        for (k, ((v, label), colour)) in values.zip(COLOURS).enumerate() {
            let yy = y + k as f64 * bar;
            let w = v / max * width;
            svg.push_str(&format!(
                "<rect x=\"{left}\" y=\"{yy}\" width=\"{w:.1}\" height=\"{}\" fill=\"{colour}\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\">{label}</text>\n",
                bar - 2.0,
                left + w + 4.0,
                yy + bar - 4.0
            ));
        }
        if let Some(c) = r.peers.first() {
            let x = left + c * TARGET_RATIO / max * width;
            svg.push_str(&format!(
                "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"black\" \
                 stroke-dasharray=\"3,2\"/>\n",
                y - 2.0,
                y + bars as f64 * bar
            ));
        }
    }
    svg.push_str("</svg>\n");
    svg
}

fn run() -> Result<(), String> {
    let o = parse_options()?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let ours = exe.with_file_name("click-run");
    if !ours.exists() {
        return Err(format!("{} not found: build it first", ours.display()));
    }
    let mut configs: Vec<PathBuf> = std::fs::read_dir(&o.configs)
        .map_err(|e| format!("{}: {e}", o.configs.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "click"))
        .collect();
    configs.sort();
    let scratch = std::env::temp_dir().join(format!("click-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let mut rows = Vec::new();
    for config in &configs {
        let name = config
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        eprintln!("click-bench: {name}");
        let text =
            std::fs::read_to_string(config).map_err(|e| format!("{}: {e}", config.display()))?;
        let mut peer_configs = Vec::new();
        for (i, peer) in o.peers.iter().enumerate() {
            let path = scratch.join(format!("{name}.{i}.click"));
            std::fs::write(&path, (peer.adapt)(&text))
                .map_err(|e| format!("{}: {e}", path.display()))?;
            peer_configs.push(path);
        }
        let mut row = measure(&ours, &peer_configs, config, &o)?;
        row.name = name;
        rows.push(row);
    }
    let _ = std::fs::remove_dir_all(&scratch);
    let t = table(&rows, &o);
    print!("{t}");
    if let Some(path) = &o.markdown {
        std::fs::write(path, &t).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if let Some(path) = &o.chart {
        std::fs::write(path, chart(&rows, &o)).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    if std::env::args().skip(1).any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("click-bench: {e}\n{USAGE}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fastclick_config;

    #[test]
    fn fastclick_gets_its_best_settings() {
        assert_eq!(
            fastclick_config("InfiniteSource(DATA \\<00>, LIMIT $N) -> CheckIPHeader(14) -> cnt :: Counter"),
            "InfiniteSource(DATA \\<00>, LIMIT $N, BURST 32, TIMESTAMP false) -> CheckIPHeader(OFFSET 14) -> cnt :: Counter"
        );
        assert_eq!(
            fastclick_config("InfiniteSource(LENGTH 64, BURST 8, TIMESTAMP false)"),
            "InfiniteSource(LENGTH 64, BURST 8, TIMESTAMP false)"
        );
    }
}
