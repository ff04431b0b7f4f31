//! The Click modular router in `no_std` Rust: the configuration language, the router, packets
//! with lazy copy, and the elements.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod action;
pub mod args;
pub mod class;
pub mod device;
pub mod element;
pub mod elements;
pub mod error;
pub mod lang;
pub mod limits;
pub mod packet;
pub mod registry;
pub mod router;
pub mod sort;

pub use error::{Diagnostic, Diagnostics, Location};
pub use limits::{BuildMonitor, Limits, Unmonitored};
pub use registry::Registry;
pub use router::Router;

use alloc::string::String;
use lang::Libraries;

/// The libraries a host build reads: files next to the configuration (with the `std`
/// feature, up to [`Limits::HOST`]'s configuration size in all), or none.
fn host_libraries() -> impl Libraries {
    #[cfg(feature = "std")]
    return lang::FileLibraries::new(Limits::HOST.config_bytes);
    #[cfg(not(feature = "std"))]
    return lang::NoLibraries;
}

/// Parses and flattens a configuration without building the router (within [`Limits::HOST`];
/// with the `std` feature, `require(library FILE)` reads FILE next to `file`).
pub fn flatten_config(
    source: &str,
    file: &str,
    defines: &[(String, String)],
    registry: &Registry,
) -> Result<lang::FlatConfig, Diagnostics> {
    flatten_monitored(
        source,
        file,
        defines,
        registry,
        &Limits::HOST,
        &mut Unmonitored,
        &mut host_libraries(),
    )
}

/// [`flatten_config`] within `limits`, with `monitor` watching every safe point and the
/// libraries the configuration requires read from `libraries`.
pub fn flatten_monitored(
    source: &str,
    file: &str,
    defines: &[(String, String)],
    registry: &Registry,
    limits: &Limits,
    monitor: &mut dyn BuildMonitor,
    libraries: &mut dyn Libraries,
) -> Result<lang::FlatConfig, Diagnostics> {
    check_config_size(source, file, limits)?;
    // A class left out of the registry is refused by the build, where it is named.
    let known = |name: &str| registry.knows(name);
    let parsed = lang::parser::parse_monitored(source, file, &known, monitor, libraries)
        .map_err(Diagnostics)?;
    lang::flatten::flatten_monitored(&parsed, defines, limits, monitor).map_err(Diagnostics)
}

/// Parses a configuration, flattens it and builds an initialized router: the one call a
/// runner needs. `file` names the source in messages; `defines` are `NAME=VALUE` overrides.
/// Everything the configuration asks for is bounded by [`Limits::HOST`]; with the `std`
/// feature, `require(library FILE)` reads FILE next to `file`.
pub fn build_router(
    source: &str,
    file: &str,
    defines: &[(String, String)],
    registry: &Registry,
) -> Result<Router, Diagnostics> {
    build_router_monitored(
        source,
        file,
        defines,
        registry,
        &Limits::HOST,
        &mut Unmonitored,
        &mut host_libraries(),
    )
}

/// [`build_router`] within `limits`, with `monitor` called at every safe point of the parse,
/// the expansion and the build (a guest uses it to keep forwarding while a new router is
/// built and to stop a build that outgrows its heap), and the libraries the configuration
/// requires read from `libraries` (a guest has none: [`lang::NoLibraries`]).
pub fn build_router_monitored(
    source: &str,
    file: &str,
    defines: &[(String, String)],
    registry: &Registry,
    limits: &Limits,
    monitor: &mut dyn BuildMonitor,
    libraries: &mut dyn Libraries,
) -> Result<Router, Diagnostics> {
    let flat = flatten_monitored(source, file, defines, registry, limits, monitor, libraries)?;
    Router::build(&flat, registry, limits, monitor)
}

/// Refuses a configuration longer than the limit, pointing at the first byte past it (a
/// reader that stops early can pass what it read, up to a little past the limit).
pub fn check_config_size(source: &str, file: &str, limits: &Limits) -> Result<(), Diagnostics> {
    if source.len() <= limits.config_bytes {
        return Ok(());
    }
    let mut cut = limits.config_bytes;
    while !source.is_char_boundary(cut) {
        cut -= 1;
    }
    let location = lang::lexer::LineIndex::new(&source[..cut], 0).locate(cut);
    Err(Diagnostics(alloc::vec![Diagnostic {
        file: file.into(),
        location: Some(location),
        message: alloc::format!(
            "configuration is larger than the limit of {} bytes",
            limits.config_bytes
        ),
    }]))
}
