//! What the guest does from entry to shutdown: bring up the platform, print the banner, run
//! the self-test chosen on the command line, power off.

use crate::arch::x86_64::traps;
use crate::cmdline::{Options, Selftest};
use crate::net::{self, ShutdownRequest};
use crate::selftest;
use crate::xen::abi::{StartInfo, VIRQ_TIMER};
use crate::xen::platform::XenPlatform;
use crate::xen::{console, events, hypercall, mm, shared_info, shutdown, store, time};
use crate::VERSION;
use alloc::string::String;
use alloc::vec::Vec;
use core::panic::PanicInfo;
use log::{error, info, warn};

/// An address no guest memory is ever mapped at (above what `init` maps for any domain of
/// less than 3.5 GiB), touched by `selftest=fault`.
pub const FAULT_PROBE_ADDRESS: u64 = 0xdead_0000;

/// Formats nanoseconds as milliseconds with three decimals.
struct Millis(u64);

impl core::fmt::Display for Millis {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{}.{:03} ms",
            self.0 / 1_000_000,
            (self.0 / 1_000) % 1_000
        )
    }
}

/// The configuration to run at boot: the boot module (xl `ramdisk=`) if there is one, else
/// `click=` on the command line, else the one built into the image (`build-image.sh --config`).
fn boot_config(si: &StartInfo, opts: &Options<'_>) -> Option<net::guest::BootConfig> {
    if let Some(module) = mm::boot_module(si) {
        match core::str::from_utf8(module) {
            Ok(text) => {
                return Some(net::guest::BootConfig {
                    text: String::from(text.trim_end_matches('\0')),
                    origin: "ramdisk",
                })
            }
            Err(e) => error!("the boot module is not a text configuration: {e}"),
        }
    }
    if let Some(text) = opts.click {
        return Some(net::guest::BootConfig {
            text: String::from(text),
            origin: "command line",
        });
    }
    crate::image::EMBEDDED.map(|embedded| net::guest::BootConfig {
        text: String::from(embedded.text),
        origin: embedded.file,
    })
}

/// Boots the guest with the start_info Xen passed at entry.
pub fn start(si: &'static StartInfo) -> ! {
    let shinfo = shared_info::map(si.shared_info);
    // Convert the entry TSC now, with the clock record of the pCPU it was read on.
    let entry_ns = time::entry_time();
    let traps = traps::install();
    console::init_from_start_info(si);
    console::init_logger();
    if let Err(e) = traps {
        error!("set_trap_table failed: {e}");
    }
    if let Err(e) = shinfo {
        error!("mapping shared info failed: {e}: no clock, no events");
        shutdown::crash();
    }
    if !si.magic_ok() {
        warn!("unexpected start_info magic");
    }
    if crate::arch::x86_64::image_start() != crate::mm::VIRT_BASE {
        error!(
            "image linked at {:#x}, not at VIRT_BASE {:#x}: linker/clickos.ld and mm disagree",
            crate::arch::x86_64::image_start(),
            crate::mm::VIRT_BASE
        );
        shutdown::crash();
    }

    // Free memory starts after the bootstrap page tables and the one-page bootstrap stack
    // that follows them (the last items of the bootstrap region), and after the image.
    let bootstrap_end = si.pt_base + (si.nr_pt_frames + 1) * 4096;
    let free_start = bootstrap_end.max(crate::arch::x86_64::image_end());
    let mem = match mm::init(si, free_start) {
        Ok(mem) => mem,
        Err(e) => {
            error!("memory setup failed: {e:?}");
            shutdown::crash();
        }
    };
    let guard = crate::arch::x86_64::entry::stack_guard_page();
    if let Err(e) = mm::unmap_page(guard) {
        error!("unmapping the stack guard page at {guard:#x} failed: {e:?}");
        shutdown::crash();
    }
    let timer_port = match events::bind_virq(VIRQ_TIMER) {
        Ok(port) => port,
        Err(e) => {
            error!("binding VIRQ_TIMER failed: {e}");
            shutdown::crash();
        }
    };
    let (opts, unknown) = Options::parse(si.cmdline());

    let (major, minor) = hypercall::xen_version();
    let boot_ns = time::now().saturating_sub(entry_ns);
    info!("ClickOS-rs kernel {VERSION} (x86_64 PV) on Xen {major}.{minor}");
    info!(
        "memory: {} MiB ({} pages): {} mapped at boot, {} page tables added; heap {} KiB, {} free frames",
        mem.nr_pages * 4096 / (1024 * 1024),
        mem.nr_pages,
        mem.bootstrap_pages,
        mem.tables_added,
        (mem.heap.end - mem.heap.start) * 4,
        mem.free_frames
    );
    info!("boot time: {} from entry (Xen clock)", Millis(boot_ns));
    info!("command line: \"{}\"", si.cmdline());
    for word in unknown {
        warn!("ignoring unknown command-line word \"{}\"", word.0);
    }
    check_memory();

    let mut platform = XenPlatform::new(timer_port);
    let mut selftest = opts.selftest;
    if selftest == Selftest::Auto {
        let mut store = store::client(si);
        let boot_config = boot_config(si, &opts);
        let vifs = match store.directory(0, "device/vif") {
            Ok(vifs) => vifs,
            Err(e) if e.is_not_found() => Vec::new(),
            Err(e) => {
                warn!("xenstore: listing device/vif: {e}");
                Vec::new()
            }
        };
        match (vifs, boot_config) {
            (vifs, None) if vifs.is_empty() => {}
            (vifs, boot_config) => {
                match net::guest::run(store, &vifs, boot_config, &mut platform) {
                    Some(ShutdownRequest::Reboot) => {
                        info!("rebooting");
                        shutdown::reboot()
                    }
                    Some(ShutdownRequest::Poweroff) => {}
                    None => {
                        error!("network function failed");
                        shutdown::crash()
                    }
                }
                info!("powering off");
                shutdown::poweroff()
            }
        }
        selftest = Selftest::Sched;
    }
    match selftest {
        Selftest::Auto | Selftest::Sched => match selftest::sched_selftest(&mut platform) {
            Ok(report) => {
                for w in &report.wakeups {
                    info!(
                        "sched: {} woke after {} (asked {})",
                        w.name,
                        Millis(w.slept),
                        Millis(w.asked)
                    );
                }
                info!(
                    "sched selftest: ok, {} wake-ups in deadline order, {} blocks",
                    report.wakeups.len(),
                    report.blocks
                );
            }
            Err(e) => {
                error!("sched selftest FAILED: {e:?}");
                shutdown::crash();
            }
        },
        Selftest::Idle => {
            info!("idle: sleeping {} s on the timer", opts.idle_secs);
            let blocks = selftest::idle(&mut platform, opts.idle_secs, |n| info!("idle: tick {n}"));
            info!("idle: done after {blocks} blocks");
        }
        Selftest::Panic => panic!("selftest: panic requested on the command line"),
        Selftest::Stack => {
            info!(
                "stack selftest: recursing past the {} KiB stack onto its guard page at {guard:#x}",
                crate::arch::x86_64::entry::STACK_SIZE / 1024
            );
            let depth = selftest::overflow_stack(0);
            error!("stack selftest FAILED: returned from depth {depth}");
            shutdown::crash();
        }
        Selftest::Fault => {
            info!("fault selftest: reading unmapped address {FAULT_PROBE_ADDRESS:#x}");
            let value = mm::touch_unmapped(FAULT_PROBE_ADDRESS);
            error!("fault selftest FAILED: no fault, read {value:?}");
            shutdown::crash();
        }
    }
    info!("powering off");
    shutdown::poweroff()
}

/// Checks the heap and PFN/MFN translation on a fresh frame, and reports.
fn check_memory() {
    let v: alloc::vec::Vec<u64> = (0..1024).collect();
    let sum: u64 = v.iter().sum();
    let (used, free) = mm::heap_usage();
    drop(v);
    let p2m = mm::alloc_frame().and_then(|pfn| mm::pfn_to_mfn(pfn).map(|mfn| (pfn, mfn)));
    match p2m {
        Some((pfn, mfn)) if mm::mfn_to_pfn(mfn) == pfn && sum == 523_776 => info!(
            "memory check: heap ok ({used} B used, {free} B free), pfn {pfn:#x} -> mfn {mfn:#x} -> pfn ok"
        ),
        other => {
            error!("memory check FAILED: sum {sum}, p2m {other:?}");
            shutdown::crash();
        }
    }
}

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    match info.location() {
        Some(l) => console::emergency_write(format_args!(
            "panic: {} at {}:{}\n",
            info.message(),
            l.file(),
            l.line()
        )),
        None => console::emergency_write(format_args!("panic: {}\n", info.message())),
    }
    console::emergency_write(format_args!("panic: crashing the domain\n"));
    shutdown::crash()
}
