//! Diagnostics: errors with a `file:line:column` landmark, collected rather than stopping at
//! the first.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// A place in a configuration source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// 1-based line.
    pub line: u32,
    /// 1-based column (in bytes).
    pub column: u32,
}

/// One error, with the place it refers to (when there is one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The source file name (e.g. `config.click`), empty when not from a file.
    pub file: String,
    /// Where in the file, if the error has a landmark.
    pub location: Option<Location>,
    /// What is wrong, in Click's words where Click has words for it.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Some(loc) => write!(
                f,
                "{}:{}:{}: {}",
                self.file, loc.line, loc.column, self.message
            ),
            None => f.write_str(&self.message),
        }
    }
}

/// A list of diagnostics, displayed one per line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// True when there are no errors.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Diagnostics {}
