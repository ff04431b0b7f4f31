//! `$variable` expansion in configuration strings, Click's way: expanded in plain text and inside
//! double quotes (where the value is escaped), never inside single quotes or comments.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::args::quote;

/// Deepest chain of variables whose values mention other variables.
const MAX_DEPTH: usize = 10;

/// Variable bindings, innermost last: lookups search from the end.
#[derive(Clone, Debug, Default)]
pub struct Env {
    vars: Vec<(String, String)>,
}

impl Env {
    /// An empty environment.
    pub fn new() -> Env {
        Env::default()
    }

    /// Binds `name` (without `$`) to `value`, shadowing earlier bindings.
    pub fn bind(&mut self, name: &str, value: &str) {
        self.vars.push((name.to_string(), value.to_string()));
    }

    /// The value of `name`, if bound.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Expands the variables of `config` in `env`. Unknown variables are left as written. An
/// expansion longer than `max_bytes` (variables that mention themselves grow exponentially)
/// is an error naming the limit.
pub fn expand(config: &str, env: &Env, max_bytes: usize) -> Result<String, String> {
    expand_depth(config, env, 0, max_bytes)
}

fn expand_depth(config: &str, env: &Env, depth: usize, max: usize) -> Result<String, String> {
    if !config.contains('$') || depth > MAX_DEPTH {
        return Ok(config.to_string());
    }
    let too_long = || format!("expanding variables gives more than the limit of {max} bytes");
    let s = config.as_bytes();
    let mut out = String::with_capacity(config.len());
    let mut copied = 0;
    let mut quote_char = 0u8;
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'\\' if quote_char == b'"' => i += 2,
            q @ (b'\'' | b'"') => {
                if quote_char == 0 {
                    quote_char = q;
                } else if quote_char == q {
                    quote_char = 0;
                }
                i += 1;
            }
            b'/' if quote_char == 0 && matches!(s.get(i + 1), Some(b'/') | Some(b'*')) => {
                i = skip_comment(s, i);
            }
            b'$' if quote_char != b'\'' => {
                let Some((name, end)) = variable_at(config, i) else {
                    i += 1;
                    continue;
                };
                let Some(value) = env.get(name) else {
                    i = end;
                    continue;
                };
                let value = expand_depth(value, env, depth + 1, max)?;
                if out.len() + (i - copied) + value.len() > max {
                    return Err(too_long());
                }
                out.push_str(&config[copied..i]);
                if quote_char == b'"' {
                    let quoted = quote(&value);
                    out.push_str(&quoted[1..quoted.len() - 1]);
                } else {
                    out.push_str(&value);
                }
                i = end;
                copied = end;
            }
            _ => i += 1,
        }
    }
    out.push_str(&config[copied.min(config.len())..]);
    if out.len() > max {
        return Err(too_long());
    }
    Ok(out)
}

/// The variable name at `i` (which holds `$`): `$name` or `${name}`; returns it and the end.
fn variable_at(config: &str, i: usize) -> Option<(&str, usize)> {
    let s = config.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    if s.get(i + 1) == Some(&b'{') {
        let close = config[i + 2..].find('}')? + i + 2;
        let name = config[i + 2..close].trim();
        return name.bytes().all(word).then_some((name, close + 1));
    }
    let mut j = i + 1;
    while j < s.len() && word(s[j]) {
        j += 1;
    }
    (j > i + 1).then(|| (&config[i + 1..j], j))
}

fn skip_comment(s: &[u8], i: usize) -> usize {
    if s[i + 1] == b'/' {
        let mut j = i + 2;
        while j < s.len() && s[j] != b'\n' && s[j] != b'\r' {
            j += 1;
        }
        j
    } else {
        let mut j = i + 2;
        while j + 1 < s.len() && !(s[j] == b'*' && s[j + 1] == b'/') {
            j += 1;
        }
        (j + 2).min(s.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Env {
        let mut e = Env::new();
        e.bind("IP", "10.10.0.3");
        e.bind("LABEL", "\"hello, world\"");
        e.bind("TOS", "cc");
        e
    }

    #[test]
    fn expands_like_click() {
        let e = env();
        let expand = |c: &str, e: &Env| super::expand(c, e, 1 << 20).unwrap();
        assert_eq!(expand("$IP 00:15", &e), "10.10.0.3 00:15");
        assert_eq!(expand("12/0800 15/$TOS, -", &e), "12/0800 15/cc, -");
        assert_eq!(expand("$LABEL", &e), "\"hello, world\"");
        assert_eq!(expand("\"$LABEL!\"", &e), "\"\\\"hello, world\\\"!\"");
        assert_eq!(expand("'$LABEL'", &e), "'$LABEL'");
        assert_eq!(expand("$NOPE x", &e), "$NOPE x");
        assert_eq!(expand("${TOS}x // $IP", &e), "ccx // $IP");
        assert_eq!(expand("$", &e), "$");
    }

    #[test]
    fn self_reference_is_bounded() {
        let mut e = Env::new();
        e.bind("A", "$A$A");
        assert_eq!(expand("$A", &e, 100_000).map(|s| s.len()), Ok(4096));
        e.bind("X", "$X$X$X$X$X$X$X$X$X$X$X");
        assert_eq!(
            expand("$X", &e, 100_000),
            Err(String::from(
                "expanding variables gives more than the limit of 100000 bytes"
            ))
        );
    }
}
