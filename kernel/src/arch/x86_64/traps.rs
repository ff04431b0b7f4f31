//! The virtual IDT: a handler for every CPU exception that prints a diagnostic (vector,
//! error code, rip, rsp and, for page faults, the fault address) and crashes the domain.
//!
//! On exception delivery Xen pushes a normal interrupt frame plus `%rcx` and `%r11` on the
//! kernel stack: `rcx, r11, [error code], rip, cs, rflags, rsp, ss`. Each stub pops rcx/r11,
//! pushes a 0 error code where the CPU has none, pushes its vector and jumps to the common
//! path, which calls [`trap_handler`] with a pointer to the resulting [`TrapFrame`].

use crate::xen::abi::{TrapInfo, FLAT_KERNEL_CS, HYPERVISOR_SET_TRAP_TABLE};
use crate::xen::hypercall::{check, hypercall, Errno};
use crate::xen::{console, shared_info, shutdown};
use core::sync::atomic::{AtomicBool, Ordering};

/// Number of exception vectors with a handler slot (0..=19).
const VECTORS: usize = 20;

core::arch::global_asm!(
    ".macro trap_stub n, has_error",
    "clickos_trap_\\n:",
    "pop rcx",
    "pop r11",
    ".if \\has_error == 0",
    "push 0",
    ".endif",
    "push \\n",
    "jmp clickos_trap_common",
    ".endm",
    "trap_stub 0, 0",
    "trap_stub 1, 0",
    "trap_stub 3, 0",
    "trap_stub 4, 0",
    "trap_stub 5, 0",
    "trap_stub 6, 0",
    "trap_stub 7, 0",
    "trap_stub 8, 1",
    "trap_stub 9, 0",
    "trap_stub 10, 1",
    "trap_stub 11, 1",
    "trap_stub 12, 1",
    "trap_stub 13, 1",
    "trap_stub 14, 1",
    "trap_stub 15, 0",
    "trap_stub 16, 0",
    "trap_stub 17, 1",
    "trap_stub 18, 0",
    "trap_stub 19, 0",
    "clickos_trap_common:",
    "mov rdi, rsp",
    "and rsp, -16",
    "call {handler}",
    "ud2",
    ".pushsection .rodata.clickos_trap_stubs, \"a\"",
    ".balign 8",
    ".globl clickos_trap_stubs",
    "clickos_trap_stubs:",
    // Vector 2 (NMI) is delivered through a callback, not the trap table: no stub.
    ".quad clickos_trap_0, clickos_trap_1, 0, clickos_trap_3, clickos_trap_4",
    ".quad clickos_trap_5, clickos_trap_6, clickos_trap_7, clickos_trap_8, clickos_trap_9",
    ".quad clickos_trap_10, clickos_trap_11, clickos_trap_12, clickos_trap_13, clickos_trap_14",
    ".quad clickos_trap_15, clickos_trap_16, clickos_trap_17, clickos_trap_18, clickos_trap_19",
    ".popsection",
    handler = sym trap_handler,
);

extern "C" {
    static clickos_trap_stubs: [u64; VECTORS];
}

/// The stack at the common path: what the stubs pushed and the CPU frame Xen built.
#[repr(C)]
#[derive(Debug)]
pub struct TrapFrame {
    /// Exception vector.
    pub vector: u64,
    /// Error code (0 for vectors without one).
    pub error: u64,
    /// Faulting instruction.
    pub rip: u64,
    /// Code selector.
    pub cs: u64,
    /// Flags.
    pub rflags: u64,
    /// Stack pointer at the fault.
    pub rsp: u64,
    /// Stack selector.
    pub ss: u64,
}

/// The conventional mnemonic and name of an exception vector.
pub fn vector_name(vector: u64) -> &'static str {
    match vector {
        0 => "#DE divide error",
        1 => "#DB debug",
        3 => "#BP breakpoint",
        4 => "#OF overflow",
        5 => "#BR bound range",
        6 => "#UD invalid opcode",
        7 => "#NM device not available",
        8 => "#DF double fault",
        10 => "#TS invalid TSS",
        11 => "#NP segment not present",
        12 => "#SS stack fault",
        13 => "#GP general protection",
        14 => "#PF page fault",
        16 => "#MF x87 error",
        17 => "#AC alignment check",
        18 => "#MC machine check",
        19 => "#XM SIMD error",
        _ => "reserved",
    }
}

static IN_TRAP: AtomicBool = AtomicBool::new(false);

extern "C" fn trap_handler(frame: &TrapFrame) -> ! {
    if IN_TRAP.swap(true, Ordering::SeqCst) {
        // A fault while reporting a fault: do not risk a loop.
        shutdown::crash();
    }
    let addr = if frame.vector == 14 {
        shared_info::fault_address()
    } else {
        None
    };
    console::emergency_write(format_args!(
        "fault: vector {} ({}) error {:#x} rip {:#x} rsp {:#x} rflags {:#x}",
        frame.vector,
        vector_name(frame.vector),
        frame.error,
        frame.rip,
        frame.rsp,
        frame.rflags,
    ));
    match addr {
        Some(a) => console::emergency_write(format_args!(" address {a:#x}\n")),
        None => console::emergency_write(format_args!("\n")),
    }
    console::emergency_write(format_args!("fault: crashing the domain\n"));
    shutdown::crash()
}

/// Installs the handlers with `set_trap_table`.
pub fn install() -> Result<(), Errno> {
    let mut table = [TrapInfo::default(); VECTORS + 1];
    let mut n = 0;
    // SAFETY: reads the stub-address table defined in the assembly above (never written).
    let stubs = unsafe { clickos_trap_stubs };
    for (vector, &address) in stubs.iter().enumerate() {
        if address == 0 {
            continue;
        }
        table[n] = TrapInfo {
            vector: vector as u8,
            // #BP and #OF may be raised with int3/into from the kernel's own ring (3).
            flags: if vector == 3 || vector == 4 { 3 } else { 0 },
            cs: FLAT_KERNEL_CS,
            address,
        };
        n += 1;
    }
    // `table[n]` stays zero: the terminator.
    // SAFETY: `table` is a zero-terminated array of trap_info that Xen copies during the call.
    check(unsafe { hypercall(HYPERVISOR_SET_TRAP_TABLE, table.as_ptr() as u64, 0, 0, 0, 0) })
        .map(|_| ())
}
