//! `click-run`: runs a Click configuration on Linux until its sources stop, like Click's
//! userlevel `click` driver.

use std::io::Read;
use std::process::ExitCode;
use std::time::Instant;

use click_elements::lang::FileLibraries;
use click_elements::{check_config_size, flatten_monitored, Limits, Registry, Router};
use clickos_tools::heap::{BuildBudget, CountingAlloc};
use clickos_tools::HostPlatform;

#[global_allocator]
static HEAP: CountingAlloc = CountingAlloc::new();

/// The build budget without `--memory-limit` or an address-space limit.
const DEFAULT_BUILD_BUDGET: usize = 1 << 30;

const USAGE: &str = "\
usage: click-run [-f] CONFIG.click | -e 'CONFIG' [NAME=VALUE ...] [-h ELEMENT.HANDLER ...]
                 [-t] [-q] [-o FILE | -o - | --flatten] [--memory-limit SIZE]

  -f FILE        read the configuration from FILE ('-' for stdin)
  -e CONFIG      use CONFIG as the configuration text
  NAME=VALUE     define $NAME (overrides define() in the configuration)
  -h E.H         after the run, print the value of read handler H of element E
  -t             print the run time and packet rate of the driver on stderr
  -q             do not run the driver (check and/or print only)
  -o FILE        write the flattened configuration to FILE ('-' for stdout)
  --flatten      same as -q -o -
  --memory-limit SIZE
                 refuse a configuration whose router needs more than SIZE bytes (K, M, G
                 suffixes) to build (default: a quarter of the address-space limit, ulimit
                 -v, if one is set, otherwise 1G)";

/// Command-line options.
#[derive(Default)]
struct Options {
    file: Option<String>,
    expr: Option<String>,
    defines: Vec<(String, String)>,
    handlers: Vec<String>,
    timing: bool,
    quit: bool,
    output: Option<String>,
    memory_limit: Option<usize>,
}

/// Parses a byte count with an optional K, M or G suffix.
fn parse_size(s: &str) -> Option<usize> {
    let (digits, shift) = match s.as_bytes().last()? {
        b'K' | b'k' => (&s[..s.len() - 1], 10),
        b'M' | b'm' => (&s[..s.len() - 1], 20),
        b'G' | b'g' => (&s[..s.len() - 1], 30),
        _ => (s, 0),
    };
    digits.parse::<usize>().ok()?.checked_mul(1 << shift)
}

/// The soft address-space limit of this process (`ulimit -v`), if one is set.
fn address_space_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max address space"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

fn is_variable_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn parse_options(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut o = Options::default();
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().ok_or(format!("{flag} needs an argument"));
        match arg.as_str() {
            "-f" | "--file" => o.file = Some(value(&arg)?),
            "-e" | "--expression" => o.expr = Some(value(&arg)?),
            "-h" | "--handler" => o.handlers.push(value(&arg)?),
            "-o" | "--output" => o.output = Some(value(&arg)?),
            "-t" | "--time" => o.timing = true,
            "-q" | "--quit" => o.quit = true,
            "--memory-limit" => {
                let v = value(&arg)?;
                o.memory_limit =
                    Some(parse_size(&v).ok_or(format!("--memory-limit: bad size '{v}'"))?);
            }
            "--flatten" => {
                o.quit = true;
                o.output = Some("-".into());
            }
            "--help" => return Err(String::new()),
            _ => match arg.split_once('=') {
                Some((name, v)) if is_variable_name(name) => {
                    o.defines.push((name.to_string(), v.to_string()))
                }
                _ if arg.starts_with('-') && arg != "-" => {
                    return Err(format!("unknown option '{arg}'"))
                }
                _ if o.file.is_none() && o.expr.is_none() => o.file = Some(arg),
                _ => return Err(format!("unexpected argument '{arg}'")),
            },
        }
    }
    if o.file.is_some() && o.expr.is_some() {
        return Err("give either a configuration file or -e, not both".into());
    }
    if o.file.is_none() && o.expr.is_none() {
        return Err("no configuration given".into());
    }
    Ok(o)
}

/// The configuration text and its name; at most `max` bytes are read (a longer source is
/// refused without reading the rest).
fn read_source(o: &Options, max: usize) -> Result<(String, String), String> {
    if let Some(expr) = &o.expr {
        return Ok((expr.clone(), "<expr>".into()));
    }
    let file = o.file.as_deref().unwrap_or("-");
    let (name, reader): (&str, Box<dyn Read>) = if file == "-" {
        ("<stdin>", Box::new(std::io::stdin()))
    } else {
        let f = std::fs::File::open(file).map_err(|e| format!("{file}: {e}"))?;
        (file, Box::new(f))
    };
    let mut bytes = Vec::new();
    reader
        .take(max as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{name}: {e}"))?;
    if bytes.len() > max {
        // Only the part up to the limit is named: it need not end on a character boundary.
        let text = String::from_utf8_lossy(&bytes);
        let limits = Limits {
            config_bytes: max,
            ..Limits::HOST
        };
        return Err(check_config_size(&text, name, &limits)
            .err()
            .map(|d| d.to_string())
            .unwrap_or_default());
    }
    let text = String::from_utf8(bytes).map_err(|e| format!("{name}: {e}"))?;
    Ok((text, name.to_string()))
}

/// Prints read handlers the way `click -h` does: names as headers only when there are several.
fn print_handlers(router: &Router, handlers: &[String]) -> bool {
    let named = handlers.len() > 1;
    let mut ok = true;
    for h in handlers {
        let Some((element, handler)) = h.rsplit_once('.') else {
            eprintln!("click-run: bad handler name '{h}' (want ELEMENT.HANDLER)");
            ok = false;
            continue;
        };
        match router.read_handler(element, handler) {
            Ok(mut value) => {
                if named {
                    println!("{h}:");
                }
                if !value.is_empty() && !value.ends_with('\n') {
                    value.push('\n');
                }
                print!("{value}");
                if named {
                    println!();
                }
            }
            Err(e) => {
                eprintln!("click-run: {e}");
                ok = false;
            }
        }
    }
    ok
}

fn run(o: Options) -> Result<bool, String> {
    let limits = Limits::HOST;
    let (source, file) = read_source(&o, limits.config_bytes)?;
    let registry = Registry::standard();
    let budget = o.memory_limit.unwrap_or_else(|| {
        address_space_limit().map_or(DEFAULT_BUILD_BUDGET, |l| (l / 4).min(DEFAULT_BUILD_BUDGET))
    });
    let mut monitor = BuildBudget::new(&HEAP, budget);
    let built = flatten_monitored(
        &source,
        &file,
        &o.defines,
        &registry,
        &limits,
        &mut monitor,
        &mut FileLibraries::new(limits.config_bytes),
    )
    .and_then(|flat| Router::build(&flat, &registry, &limits, &mut monitor));
    let router = match built {
        Ok(router) => router,
        // Click says this only when it was asked to run the router, not to print it.
        Err(e) if o.output.is_some() => return Err(e.to_string()),
        Err(e) => return Err(format!("{e}\nRouter could not be initialized!")),
    };
    if let Some(out) = &o.output {
        let text = router.flat_text();
        if out == "-" {
            print!("{text}");
        } else {
            std::fs::write(out, text).map_err(|e| format!("{out}: {e}"))?;
        }
        if o.quit {
            return Ok(print_handlers(&router, &o.handlers));
        }
    }
    let mut platform = HostPlatform;
    if !o.quit {
        let start = Instant::now();
        // On the host, a round of tasks in which nothing happened means the sources are done.
        router.run(&mut platform, |_| false);
        if o.timing {
            eprintln!(
                "click-run: driver ran {:.6} s",
                start.elapsed().as_secs_f64()
            );
            if let Some(kib) = peak_memory_kib() {
                eprintln!("click-run: peak memory {kib} KiB");
            }
        }
    }
    Ok(print_handlers(&router, &o.handlers))
}

/// The process's peak resident set size (Linux `VmHWM`), in KiB.
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> ExitCode {
    let options = match parse_options(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("click-run: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(1);
        }
    };
    match run(options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}
