//! Links the guest binary with linker/clickos.ld when building for `x86_64-unknown-none`.

use std::env;
use std::path::PathBuf;

fn main() {
    let script =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("../linker/clickos.ld");
    println!("cargo:rerun-if-changed={}", script.display());
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none") {
        // A static executable linked at VIRT_BASE 0: Xen copies PT_LOAD segments and applies
        // no relocations, so the default static-pie output would be wrong.
        println!("cargo:rustc-link-arg-bins=--no-pie");
        println!("cargo:rustc-link-arg-bins=-T{}", script.display());
        // The entry stub, the ELF notes and the hypercall page live in the library's assembly.
        println!("cargo:rustc-link-arg-bins=--undefined=_start");
        println!("cargo:rustc-link-arg-bins=--gc-sections");
    }
}
