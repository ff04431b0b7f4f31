//! `click-bench`: runs the benchmark configurations (configs/bench) with `click-run` and, when
//! given, with Click's userlevel driver, pinned to one core; prints the median packet rates and
//! their ratio as a table, and draws them as an SVG bar chart.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

const USAGE: &str = "\
usage: click-bench [--runs R] [--packets N] [--core C] [--click PATH] [--configs DIR]
                   [--chart FILE.svg] [--markdown FILE.md]

  --runs R        runs per configuration and driver (the drivers alternate); the median
                  is reported (default 5)
  --packets N     packets per run, passed as N=... (default 20000000)
  --core C        pin every run to CPU C with taskset (default 1)
  --click PATH    also run Click's userlevel driver at PATH for a side-by-side ratio
  --configs DIR   benchmark configurations (default: configs/bench of this repository)
  --chart FILE    write an SVG bar chart of the medians (default: no chart)
  --markdown FILE write the result table as Markdown (default: no file)";

/// Command-line options.
struct Options {
    runs: usize,
    packets: u64,
    core: usize,
    click: Option<PathBuf>,
    configs: PathBuf,
    chart: Option<PathBuf>,
    markdown: Option<PathBuf>,
}

fn parse_options() -> Result<Options, String> {
    let mut o = Options {
        runs: 5,
        packets: 20_000_000,
        core: 1,
        click: None,
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
            "--click" => o.click = Some(value()?.into()),
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

/// Runs `config` `o.runs` times with `ours` and, when given, as many times with `click`,
/// alternating so that both drivers meet the same machine conditions. Gives the median rates
/// in Mpps and the largest peak memory of `ours`.
fn measure(
    ours: &Path,
    click: Option<&Path>,
    config: &Path,
    o: &Options,
) -> Result<(f64, Option<f64>, Option<u64>), String> {
    let rate = |r: &Run| r.packets as f64 / r.seconds / 1e6;
    let (mut our_rates, mut click_rates, mut peak) = (Vec::new(), Vec::new(), None);
    for _ in 0..o.runs {
        let r = run_once(ours, config, o)?;
        our_rates.push(rate(&r));
        peak = peak.max(r.peak_kib);
        if let Some(click) = click {
            click_rates.push(rate(&run_once(click, config, o)?));
        }
    }
    let click = (!click_rates.is_empty()).then(|| median(click_rates));
    Ok((median(our_rates), click, peak))
}

/// One configuration's result.
struct Row {
    name: String,
    ours: f64,
    click: Option<f64>,
    peak_kib: Option<u64>,
}

fn table(rows: &[Row], o: &Options) -> String {
    let mut t = format!(
        "Median of {} runs of {} packets{}, pinned to CPU {}.\n\n\
         | configuration | clickos-rs Mpps | ns/packet | Click Mpps | ratio | peak memory |\n\
         |---|---:|---:|---:|---:|---:|\n",
        o.runs,
        o.packets,
        if o.click.is_some() {
            " (clickos-rs and Click alternating)"
        } else {
            ""
        },
        o.core
    );
    for r in rows {
        let (click, ratio) = match r.click {
            Some(c) => (format!("{c:.2}"), format!("{:.2}x", r.ours / c)),
            None => ("-".into(), "-".into()),
        };
        let peak = r.peak_kib.map_or("-".into(), |k| format!("{} KiB", k));
        t.push_str(&format!(
            "| {} | {:.2} | {:.1} | {} | {} | {} |\n",
            r.name,
            r.ours,
            1e3 / r.ours,
            click,
            ratio,
            peak
        ));
    }
    t
}

/// The packet rate Click must be beaten by on every configuration.
const TARGET_RATIO: f64 = 3.0;

/// A horizontal grouped bar chart of the medians: each clickos-rs bar is labelled with its
/// ratio to Click and crossed by a dashed mark at three times Click's rate (the target).
fn chart(rows: &[Row], o: &Options) -> String {
    let max = rows
        .iter()
        .flat_map(|r| [Some(r.ours), r.click.map(|c| c * TARGET_RATIO)])
        .flatten()
        .fold(1.0f64, f64::max);
    let (left, width, bar, gap) = (190.0, 520.0, 14.0, 12.0);
    let height = 60.0 + rows.len() as f64 * (2.0 * bar + gap) + 10.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"20\" font-size=\"14\">Packet rate, Mpps: median of {runs} runs of \
         {packets} packets, one core</text>\n\
         <rect x=\"{left}\" y=\"30\" width=\"10\" height=\"10\" fill=\"#d9822b\"/>\
         <text x=\"{l2}\" y=\"39\">clickos-rs (ratio to Click)</text>\n\
         <rect x=\"{l3}\" y=\"30\" width=\"10\" height=\"10\" fill=\"#5c7cfa\"/>\
         <text x=\"{l4}\" y=\"39\">Click 2.1</text>\n\
         <line x1=\"{l5}\" y1=\"28\" x2=\"{l5}\" y2=\"42\" stroke=\"black\" \
         stroke-dasharray=\"3,2\"/><text x=\"{l6}\" y=\"39\">3x Click (target)</text>\n",
        w = left + width + 110.0,
        runs = o.runs,
        packets = o.packets,
        l2 = left + 14.0,
        l3 = left + 200.0,
        l4 = left + 214.0,
        l5 = left + 300.0,
        l6 = left + 306.0,
    );
    for (i, r) in rows.iter().enumerate() {
        let y = 60.0 + i as f64 * (2.0 * bar + gap);
        svg.push_str(&format!(
            "<text x=\"10\" y=\"{}\">{}</text>\n",
            y + bar + 3.0,
            r.name
        ));
        let ours_label = match r.click {
            Some(c) => format!("{:.2} ({:.1}x)", r.ours, r.ours / c),
            None => format!("{:.2}", r.ours),
        };
        let click_label = r.click.map(|c| format!("{c:.2}"));
        for (k, (value, label, colour)) in [
            (Some(r.ours), Some(ours_label), "#d9822b"),
            (r.click, click_label, "#5c7cfa"),
        ]
        .into_iter()
        .enumerate()
        {
            let (Some(v), Some(label)) = (value, label) else {
                continue;
            };
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
        if let Some(c) = r.click {
            let x = left + c * TARGET_RATIO / max * width;
            svg.push_str(&format!(
                "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"black\" \
                 stroke-dasharray=\"3,2\"/>\n",
                y - 2.0,
                y + 2.0 * bar
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
    let mut rows = Vec::new();
    for config in &configs {
        let name = config
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        eprintln!("click-bench: {name}");
        let (rate, click, peak_kib) = measure(&ours, o.click.as_deref(), config, &o)?;
        rows.push(Row {
            name,
            ours: rate,
            click,
            peak_kib,
        });
    }
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
