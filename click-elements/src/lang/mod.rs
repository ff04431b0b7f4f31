//! The Click configuration language: lexer, parser, variable expansion and compound flattening.

pub mod expand;
pub mod flatten;
pub mod lexer;
pub mod library;
pub mod parser;

pub use flatten::{flatten, FlatConfig, FlatConnection, FlatElement};
#[cfg(feature = "std")]
pub use library::FileLibraries;
pub use library::{Libraries, NoLibraries};
pub use parser::{parse, ParsedConfig};
