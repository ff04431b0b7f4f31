//! The Click configuration language: lexer, parser, variable expansion and compound flattening.

pub mod expand;
pub mod flatten;
pub mod lexer;
pub mod parser;

pub use flatten::{flatten, FlatConfig, FlatConnection, FlatElement};
pub use parser::{parse, ParsedConfig};
