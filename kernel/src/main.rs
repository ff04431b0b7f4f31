//! The clickos-rs guest binary. On `x86_64-unknown-none` everything is in the library (entry
//! point `_start`, ELF notes, panic handler); built for the host it only explains itself.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
use clickos_kernel as _;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "clickos-kernel {} is a Xen PV guest: build it with \
         `cargo build -p clickos-kernel --release --target x86_64-unknown-none` \
         and boot it with tools/rig/run.sh",
        clickos_kernel::VERSION
    );
    std::process::exit(2);
}
