//! Links the guest binary with linker/clickos.ld when building for `x86_64-unknown-none`, and
//! embeds the configuration named by `CLICKOS_EMBEDDED_CONFIG` (a `.click` file) in the image
//! as its boot configuration (`kernel/build-image.sh --config FILE`), with the names of the
//! element classes it uses: the only classes such an image has (`src/image.rs`).

use click_elements::{flatten_config, Registry};
use std::collections::BTreeSet;
use std::env;
use std::path::PathBuf;

fn main() {
    let script =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("../linker/clickos.ld");
    println!("cargo:rerun-if-changed={}", script.display());
    embed_config();
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

/// Writes `$OUT_DIR/embedded_config.rs`: `EMBEDDED`, the file name and text of
/// `CLICKOS_EMBEDDED_CONFIG`'s file, the standard element classes it uses once flattened and
/// the others, or `None`.
fn embed_config() {
    println!("cargo:rerun-if-env-changed=CLICKOS_EMBEDDED_CONFIG");
    let out =
        PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded_config.rs");
    let value = match env::var("CLICKOS_EMBEDDED_CONFIG") {
        Ok(path) if !path.is_empty() => {
            let path = std::fs::canonicalize(&path)
                .unwrap_or_else(|e| panic!("CLICKOS_EMBEDDED_CONFIG={path}: {e}"));
            println!("cargo:rerun-if-changed={}", path.display());
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("CLICKOS_EMBEDDED_CONFIG={}: {e}", path.display()));
            // The guest reads no libraries, and neither does this build of click-elements.
            let standard = Registry::standard();
            let flat = flatten_config(&text, &path.to_string_lossy(), &[], &standard)
                .unwrap_or_else(|d| panic!("the embedded configuration does not parse:\n{d}"));
            let used: BTreeSet<&str> = flat.elements.iter().map(|e| e.class.as_str()).collect();
            let (classes, left_out): (Vec<&str>, Vec<&str>) =
                standard.class_names().partition(|c| used.contains(c));
            format!(
                "Some(Embedded {{ file: {name:?}, text: include_str!({:?}), classes: &{classes:?}, \
                 left_out: &{left_out:?} }})",
                path.display().to_string()
            )
        }
        _ => "None".to_string(),
    };
    let code = format!(
        "/// The configuration built into the image and the classes it uses, if any.\n\
         pub const EMBEDDED: Option<Embedded> = {value};\n"
    );
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}
