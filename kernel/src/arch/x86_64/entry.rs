//! The guest's entry point, its Xen ELF notes, the hypercall page and the boot stack.
//!
//! Xen starts a 64-bit PV guest at the ENTRY note's address in ring 3 with `%rsi` pointing to
//! start_info and `%rsp` at the top of a one-page bootstrap stack, with no trap table and event
//! upcalls not set up. `_start` records the TSC (the boot-time origin), switches to the kernel
//! stack and calls [`kernel_entry`] with start_info.

use crate::xen::abi::StartInfo;

/// Size of the kernel stack.
pub const STACK_SIZE: usize = 64 * 1024;
/// Size of the page under the stack that boot unmaps, so that an overflow faults.
const GUARD_SIZE: usize = 4096;

/// The kernel stack and, below it, its guard page.
#[repr(C, align(4096))]
struct Stack {
    guard: [u8; GUARD_SIZE],
    stack: [u8; STACK_SIZE],
}

static mut STACK: Stack = Stack {
    guard: [0; GUARD_SIZE],
    stack: [0; STACK_SIZE],
};

/// The virtual address of the page under the kernel stack, to be unmapped once memory is set
/// up: a stack overflow then faults there instead of overwriting what lies below.
pub fn stack_guard_page() -> u64 {
    core::ptr::addr_of!(STACK) as u64
}

core::arch::global_asm!(
    // ---- ELF notes read by Xen's loader (libelf): name "Xen", type, value.
    ".pushsection .note.Xen, \"a\", @note",
    ".macro xen_note_str type, value",
    ".balign 4",
    ".long 4, 2f - 1f, \\type",
    ".asciz \"Xen\"",
    "1: .asciz \"\\value\"",
    "2: .balign 4",
    ".endm",
    ".macro xen_note_quad type, value",
    ".balign 4",
    ".long 4, 8, \\type",
    ".asciz \"Xen\"",
    ".quad \\value",
    ".endm",
    "xen_note_str 6, ClickOS-rs",     // XEN_ELFNOTE_GUEST_OS
    concat!("xen_note_str 7, ", env!("CARGO_PKG_VERSION")), // GUEST_VERSION
    "xen_note_str 5, xen-3.0",        // XEN_VERSION (mandatory)
    "xen_note_str 8, generic",        // LOADER (mandatory for a non-Linux guest)
    "xen_note_quad 3, 0x200000",      // VIRT_BASE (crate::mm::VIRT_BASE)
    "xen_note_quad 4, 0x200000",      // PADDR_OFFSET: the image's load addresses are virtual
    "xen_note_quad 1, _start",        // ENTRY
    "xen_note_quad 2, hypercall_page", // HYPERCALL_PAGE
    ".popsection",
    // ---- The page Xen fills with hypercall stubs; int3 until then.
    ".pushsection .text.hypercall_page, \"ax\"",
    ".balign 4096",
    ".globl hypercall_page",
    "hypercall_page:",
    ".fill 4096, 1, 0xcc",
    ".popsection",
    // ---- Entry.
    ".pushsection .text.boot, \"ax\"",
    ".globl _start",
    "_start:",
    "cld",
    "rdtsc",
    "shl rdx, 32",
    "or rax, rdx",
    "mov [rip + CLICKOS_ENTRY_TSC], rax",
    "lea rsp, [rip + {stack} + {stack_top}]",
    "mov rdi, rsi",
    "call {entry}",
    "ud2",
    ".popsection",
    stack = sym STACK,
    stack_top = const GUARD_SIZE + STACK_SIZE,
    entry = sym kernel_entry,
);

/// Called by `_start` on the kernel stack with the start_info pointer Xen passed.
extern "C" fn kernel_entry(start_info: *const StartInfo) -> ! {
    // SAFETY: Xen passes the virtual address of this domain's start_info page, which stays
    // mapped and unchanged by Xen for the life of the domain.
    let si: &'static StartInfo = unsafe { &*start_info };
    crate::boot::start(si)
}
