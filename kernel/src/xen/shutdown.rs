//! Ending the domain: power off on a clean exit, crash on a panic or fault.

use super::abi::*;
use super::console;
use super::hypercall::hypercall;

fn shutdown(reason: u32) -> ! {
    console::flush();
    let arg = reason;
    loop {
        // SAFETY: SCHEDOP_shutdown reads one `struct sched_shutdown { unsigned int reason; }`.
        unsafe {
            hypercall(
                HYPERVISOR_SCHED_OP,
                SCHEDOP_SHUTDOWN,
                &arg as *const u32 as u64,
                0,
                0,
                0,
            );
        }
    }
}

/// Powers the domain off (xl reports reason `poweroff`).
pub fn poweroff() -> ! {
    shutdown(SHUTDOWN_POWEROFF)
}

/// Crashes the domain (xl reports reason `crash`).
pub fn crash() -> ! {
    shutdown(SHUTDOWN_CRASH)
}

/// Reboots the domain (xl reports reason `reboot`).
pub fn reboot() -> ! {
    shutdown(SHUTDOWN_REBOOT)
}
