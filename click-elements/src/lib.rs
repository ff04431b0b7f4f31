//! The Click modular router in `no_std` Rust: the configuration language, the router, packets
//! with lazy copy, and the elements.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod args;
pub mod device;
pub mod element;
pub mod elements;
pub mod error;
pub mod lang;
pub mod packet;
pub mod registry;
pub mod router;

pub use error::{Diagnostic, Diagnostics, Location};
pub use registry::Registry;
pub use router::Router;

use alloc::string::String;

/// Parses and flattens a configuration without building the router.
pub fn flatten_config(
    source: &str,
    file: &str,
    defines: &[(String, String)],
    registry: &Registry,
) -> Result<lang::FlatConfig, Diagnostics> {
    let parsed = lang::parse(source, file, &|name| registry.contains(name)).map_err(Diagnostics)?;
    lang::flatten(&parsed, file, defines).map_err(Diagnostics)
}

/// Parses a configuration, flattens it and builds an initialized router: the one call a
/// runner needs. `file` names the source in messages; `defines` are `NAME=VALUE` overrides.
pub fn build_router(
    source: &str,
    file: &str,
    defines: &[(String, String)],
    registry: &Registry,
) -> Result<Router, Diagnostics> {
    let flat = flatten_config(source, file, defines, registry)?;
    Router::new(&flat, registry)
}
