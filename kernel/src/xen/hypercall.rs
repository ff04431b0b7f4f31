//! Hypercalls through the hypercall page.
//!
//! Xen fills `hypercall_page` (declared by the HYPERCALL_PAGE ELF note) with one 32-byte stub
//! per hypercall: `push %rcx; push %r11; mov $nr,%eax; syscall; pop %r11; pop %rcx; ret`.
//! Arguments go in rdi, rsi, rdx, r10 and r8, the result comes back in rax. The stub preserves
//! rcx and r11, but a debug Xen may scramble the argument registers, so all of them are
//! declared clobbered. The `call` pushes onto the stack, which is fine on this target (no red
//! zone) because the asm block is not `nostack`.

use core::arch::asm;

extern "C" {
    /// The page Xen fills with hypercall stubs (defined in `arch::x86_64::entry`).
    static hypercall_page: [u8; 4096];
}

fn stub(nr: usize) -> usize {
    debug_assert!(nr < 128);
    core::ptr::addr_of!(hypercall_page) as usize + nr * 32
}

/// Hypercall `nr` with up to five arguments.
///
/// # Safety
/// The arguments must be valid for hypercall `nr`: pointers must point to live, correctly
/// laid out structures, and the operation must not break the guest's memory invariants.
pub unsafe fn hypercall(nr: usize, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> i64 {
    let ret: i64;
    // SAFETY: the caller guarantees the arguments; the stub follows the ABI described above
    // and returns with the stack balanced.
    unsafe {
        asm!(
            "call rax",
            inlateout("rax") stub(nr) => ret,
            inlateout("rdi") a1 => _,
            inlateout("rsi") a2 => _,
            inlateout("rdx") a3 => _,
            inlateout("r10") a4 => _,
            inlateout("r8") a5 => _,
            lateout("rcx") _,
            lateout("r11") _,
        );
    }
    ret
}

/// A hypercall error: Xen's negative errno.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub i64);

impl core::fmt::Display for Errno {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Xen error {}", self.0)
    }
}

/// Turns a hypercall result into `Ok(value)` or the negative errno.
pub fn check(ret: i64) -> Result<u64, Errno> {
    if ret < 0 {
        Err(Errno(ret))
    } else {
        Ok(ret as u64)
    }
}

/// `xen_version(XENVER_version)`: `(major, minor)`.
pub fn xen_version() -> (u32, u32) {
    // SAFETY: XENVER_version takes no argument buffer.
    let v = unsafe {
        hypercall(
            super::abi::HYPERVISOR_XEN_VERSION,
            super::abi::XENVER_VERSION,
            0,
            0,
            0,
            0,
        )
    };
    ((v as u64 >> 16) as u32 & 0xffff, v as u32 & 0xffff)
}
