//! x86_64 PV: the entry point and ELF notes, CPU helpers, and the trap table.

pub mod cpu;
pub mod entry;
pub mod traps;

extern "C" {
    /// Start of the image (linker/clickos.ld).
    static _image_start: u8;
    /// End of the image including .bss (linker/clickos.ld).
    static _image_end: u8;
}

/// The address the image is linked at: `crate::mm::VIRT_BASE` unless the linker script and
/// the code disagree (boot refuses to go on then).
pub fn image_start() -> u64 {
    core::ptr::addr_of!(_image_start) as u64
}

/// The first address after the kernel image (page aligned).
pub fn image_end() -> u64 {
    core::ptr::addr_of!(_image_end) as u64
}
