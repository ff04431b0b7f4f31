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
    /// Which file of the configuration's [`Sources`]: 0 is the configuration itself, then the
    /// libraries it requires, in the order they were read.
    pub file: u16,
}

/// The names of the files a configuration was read from: the configuration, then its
/// libraries (`require(library FILE)`). A [`Location`] names one of them by index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sources(pub Vec<String>);

impl Sources {
    /// Sources holding only the configuration named `file`.
    pub fn new(file: &str) -> Sources {
        Sources(alloc::vec![file.into()])
    }

    /// The configuration's own file name.
    pub fn main(&self) -> &str {
        self.0.first().map_or("", String::as_str)
    }

    /// The name of the file `location` is in (the configuration's, without a location).
    pub fn name(&self, location: Option<Location>) -> &str {
        location
            .and_then(|l| self.0.get(usize::from(l.file)))
            .map_or(self.main(), String::as_str)
    }

    /// A diagnostic at `location`, naming the file it is in.
    pub fn diagnostic(&self, location: Option<Location>, message: String) -> Diagnostic {
        Diagnostic {
            file: self.name(location).into(),
            location,
            message,
        }
    }
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
