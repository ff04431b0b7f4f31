//! clickctl: deploys and controls clickos-rs guests from a Xen host's dom0 (see `--help`).

use std::process::{Command, ExitCode};
use std::time::Duration;

use clickos_tools::clickctl::libvirt::{Guest, Vif};
use clickos_tools::clickctl::{xl_config_name, Ctl, XenStoreSocket};

const USAGE: &str = "\
usage: clickctl [--timeout SECONDS] COMMAND ...
  install DOMAIN CONFIG.click [--rid R]   write the configuration and run it as router R
  start DOMAIN [RID]                      (re)load router RID from its configuration keys
  stop DOMAIN [RID]                       stop router RID
  read DOMAIN ELEMENT.HANDLER [--rid R]   print a read handler's value
  write DOMAIN ELEMENT.HANDLER VALUE [--rid R]
                                          call a write handler
  status DOMAIN                           the domain's routers: status, generation, errors
  create XLCFG CONFIG.click               xl create the domain, then install the configuration
  libvirt-xml NAME IMAGE [--config FILE] [--vif BRIDGE[,MAC]]... [--memory MIB]
                                          print a libvirt domain (type xen, PV) for the guest
                                          image, FILE as its boot configuration (initrd);
                                          paths are absolute paths in dom0; memory 8 MiB
DOMAIN is a domain name or id; RID defaults to 0; waits default to 10 s.
Exit status: 0 done, 1 the operation failed, 2 usage error.";

/// A failure: the message and the exit status.
struct Failure(String, u8);

fn usage(msg: &str) -> Failure {
    Failure(format!("clickctl: {msg}\n{USAGE}"), 2)
}

fn failed(msg: String) -> Failure {
    Failure(format!("clickctl: {msg}"), 1)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(args) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(Failure(msg, code)) => {
            eprintln!("{msg}");
            ExitCode::from(code)
        }
    }
}

/// `clickctl libvirt-xml NAME IMAGE [--config FILE] [--vif BRIDGE[,MAC]]... [--memory MIB]`.
fn libvirt_xml(mut args: Vec<String>) -> Result<String, Failure> {
    let config = take_option(&mut args, "--config")?;
    let memory_mib = match take_option(&mut args, "--memory")? {
        Some(m) => number("memory", &m)?,
        None => 8,
    };
    let mut vifs = Vec::new();
    while let Some(spec) = take_option(&mut args, "--vif")? {
        vifs.push(Vif::parse(&spec).map_err(|e| usage(&e))?);
    }
    let [name, image] =
        <[String; 2]>::try_from(args).map_err(|_| usage("libvirt-xml needs NAME and IMAGE"))?;
    let guest = Guest {
        name,
        image,
        config,
        memory_mib,
        vifs,
    };
    Ok(guest.domain_xml())
}

/// Takes `--NAME VALUE` out of `args`.
fn take_option(args: &mut Vec<String>, name: &str) -> Result<Option<String>, Failure> {
    let Some(i) = args.iter().position(|a| a == name) else {
        return Ok(None);
    };
    if i + 1 >= args.len() {
        return Err(usage(&format!("{name} needs a value")));
    }
    let value = args.remove(i + 1);
    args.remove(i);
    Ok(Some(value))
}

fn number<T: std::str::FromStr>(what: &str, s: &str) -> Result<T, Failure> {
    s.parse().map_err(|_| usage(&format!("bad {what} '{s}'")))
}

fn read_file(path: &str) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| failed(format!("{path}: {e}")))
}

fn run(mut args: Vec<String>) -> Result<String, Failure> {
    if args.is_empty() || args.iter().any(|a| a == "-h" || a == "--help") {
        return if args.is_empty() {
            Err(usage("no command"))
        } else {
            Ok(format!("{USAGE}\n"))
        };
    }
    let timeout = match take_option(&mut args, "--timeout")? {
        Some(s) => Duration::from_secs_f64(number("timeout", &s)?),
        None => Duration::from_secs(10),
    };
    if args.first().map(String::as_str) == Some("libvirt-xml") {
        return libvirt_xml(args.split_off(1));
    }
    let rid_option = take_option(&mut args, "--rid")?;
    let rid: u32 = match &rid_option {
        Some(s) => number("router id", s)?,
        None => 0,
    };
    let command = args.remove(0);
    let arity = |n: std::ops::RangeInclusive<usize>| {
        if n.contains(&args.len()) {
            Ok(())
        } else {
            Err(usage(&format!("wrong number of arguments for '{command}'")))
        }
    };
    match command.as_str() {
        "install" | "read" | "create" => arity(2..=2)?,
        "status" => arity(1..=1)?,
        "start" | "stop" => arity(1..=2)?,
        "write" => arity(3..=3)?,
        other => return Err(usage(&format!("unknown command '{other}'"))),
    }
    let store = XenStoreSocket::connect().map_err(failed)?;
    let mut ctl = Ctl { store, timeout };
    if command == "create" {
        let cfg = read_file(&args[0])?;
        let config = read_file(&args[1])?;
        let name = xl_config_name(&cfg)
            .ok_or_else(|| failed(format!("{}: no name = \"...\"", args[0])))?;
        let status = Command::new("xl")
            .arg("create")
            .arg(&args[0])
            .status()
            .map_err(|e| failed(format!("running xl create: {e}")))?;
        if !status.success() {
            return Err(failed(format!("xl create {} failed ({status})", args[0])));
        }
        let domid = ctl.domid(&name).map_err(failed)?;
        ctl.wait_ready(domid).map_err(failed)?;
        let swap = ctl.install(domid, rid, &config).map_err(failed)?;
        return Ok(format!(
            "domain {name} ({domid}) created, router {rid} running (loaded in {swap} us)\n"
        ));
    }
    let domid = ctl.domid(&args[0]).map_err(failed)?;
    let out = match command.as_str() {
        "install" => {
            let config = read_file(&args[1])?;
            let swap = ctl.install(domid, rid, &config).map_err(failed)?;
            format!("router {rid} running (swapped in {swap} us)\n")
        }
        "start" | "stop" => {
            let rid = match args.get(1) {
                Some(s) => number("router id", s)?,
                None => rid,
            };
            if command == "start" {
                let swap = ctl.start(domid, rid).map_err(failed)?;
                format!("router {rid} running (swapped in {swap} us)\n")
            } else {
                ctl.stop(domid, rid).map_err(failed)?;
                format!("router {rid} halted\n")
            }
        }
        "read" => format!(
            "{}\n",
            ctl.read_handler(domid, rid, &args[1]).map_err(failed)?
        ),
        "write" => {
            ctl.write_handler(domid, rid, &args[1], &args[2])
                .map_err(failed)?;
            String::new()
        }
        _ => ctl.status(domid).map_err(failed)?,
    };
    Ok(out)
}
