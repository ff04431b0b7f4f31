//! The drop accounting of Click's header checks (CheckIPHeader, CheckTCPHeader, ...): the
//! `drops` count, per-reason counts with `DETAILS` (the `drop_details` handler) and which
//! failures are reported (the first one, or every one with `VERBOSE`).

use alloc::format;
use alloc::string::String;

use crate::args::{parse_bool, Args};

/// Drop counts of a check with `N` reasons, whose texts the handlers are given.
pub struct DropStats<const N: usize> {
    verbose: bool,
    details: Option<[u64; N]>,
    drops: u64,
}

impl<const N: usize> Default for DropStats<N> {
    fn default() -> Self {
        DropStats {
            verbose: false,
            details: None,
            drops: 0,
        }
    }
}

impl<const N: usize> DropStats<N> {
    /// Reads the `VERBOSE` and `DETAILS` keywords.
    pub fn configure(&mut self, args: &mut Args) {
        self.verbose = args.read_kw("VERBOSE", parse_bool).unwrap_or(false);
        let details = args.read_kw("DETAILS", parse_bool).unwrap_or(false);
        self.details = details.then_some([0; N]);
    }

    /// Counts a drop for reason number `reason`; true when it is to be reported.
    pub fn reject(&mut self, reason: usize) -> bool {
        let report = self.drops == 0 || self.verbose;
        self.drops += 1;
        if let Some(count) = self.details.as_mut().and_then(|d| d.get_mut(reason)) {
            *count += 1;
        }
        report
    }

    /// The read handlers: `drops`, and `drop_details` with `DETAILS`.
    pub fn read_handlers(&self) -> &'static [&'static str] {
        if self.details.is_some() {
            &["drops", "drop_details"]
        } else {
            &["drops"]
        }
    }

    /// Reads `drops` or `drop_details` (one `COUNT\tREASON` line per reason, `texts` in
    /// reason order).
    pub fn read_handler(&self, name: &str, texts: &[&str; N]) -> Option<String> {
        match name {
            "drops" => Some(format!("{}", self.drops)),
            "drop_details" => self.details.map(|d| {
                let mut s = String::new();
                for (count, text) in d.iter().zip(texts) {
                    s.push_str(&format!("{count}\t{text}\n"));
                }
                s
            }),
            _ => None,
        }
    }
}
