//! Where `require(library FILE)` finds its files: a host reads them next to the configuration
//! that requires them; a guest has no files and refuses.

use alloc::string::String;

/// Finds and reads the libraries a configuration requires.
pub trait Libraries {
    /// The path of library `name` required from the file `from` (Click looks next to `from`),
    /// or why there is none, in Click's words.
    fn find(&mut self, name: &str, from: &str) -> Result<String, String>;

    /// The text of the library at `path` (as [`Libraries::find`] gave it), or why it cannot be
    /// read.
    fn read(&mut self, path: &str) -> Result<String, String>;
}

/// A driver without files (the guest): every `require(library ...)` is refused with the
/// error Click's kernel driver gives.
pub struct NoLibraries;

impl Libraries for NoLibraries {
    fn find(&mut self, _name: &str, _from: &str) -> Result<String, String> {
        Err("'require library' may not be used in this driver".into())
    }

    fn read(&mut self, _path: &str) -> Result<String, String> {
        Err("'require library' may not be used in this driver".into())
    }
}

/// Libraries read from the host's files, relative to the directory of the file requiring them,
/// with at most `budget` bytes read in all.
#[cfg(feature = "std")]
pub struct FileLibraries {
    limit: usize,
    read: usize,
}

#[cfg(feature = "std")]
impl FileLibraries {
    /// A reader that refuses to read more than `budget` bytes of libraries in all.
    pub fn new(budget: usize) -> FileLibraries {
        FileLibraries {
            limit: budget,
            read: 0,
        }
    }
}

#[cfg(feature = "std")]
impl Libraries for FileLibraries {
    fn find(&mut self, name: &str, from: &str) -> Result<String, String> {
        let dir = match from.rfind('/') {
            Some(0) => "/",
            Some(slash) => &from[..slash],
            None => ".",
        };
        let path = if name.starts_with('/') {
            String::from(name)
        } else {
            alloc::format!("{dir}/{name}")
        };
        if std::path::Path::new(&path).is_file() {
            Ok(path)
        } else {
            Err(alloc::format!(
                "library '{name}' not found in CLICKPATH/conf"
            ))
        }
    }

    fn read(&mut self, path: &str) -> Result<String, String> {
        use std::io::Read;
        let file = std::fs::File::open(path).map_err(|e| alloc::format!("{path}: {e}"))?;
        let mut text = String::new();
        let left = self.limit - self.read;
        file.take(left as u64 + 1)
            .read_to_string(&mut text)
            .map_err(|e| alloc::format!("{path}: {e}"))?;
        if text.len() > left {
            return Err(alloc::format!(
                "{path}: libraries are larger than the limit of {} bytes",
                self.limit
            ));
        }
        self.read += text.len();
        Ok(text)
    }
}
