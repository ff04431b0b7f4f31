//! Click's argument conventions: splitting a configuration string into arguments, comments,
//! quoting, keyword arguments, and parsers for the common value types.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// Skips a `//` or `/* */` comment starting at `i` (which must point at `/`); returns the index
/// after it.
fn skip_comment(s: &[u8], i: usize) -> usize {
    if s.get(i + 1) == Some(&b'/') {
        let mut j = i + 2;
        while j < s.len() && s[j] != b'\n' && s[j] != b'\r' {
            j += 1;
        }
        (j + 1).min(s.len())
    } else {
        let mut j = i + 2;
        while j + 1 < s.len() && !(s[j] == b'*' && s[j + 1] == b'/') {
            j += 1;
        }
        (j + 2).min(s.len())
    }
}

fn is_comment_start(s: &[u8], i: usize) -> bool {
    s[i] == b'/' && matches!(s.get(i + 1), Some(b'/') | Some(b'*'))
}

/// Skips a double-quoted string starting at `i` (the quote); returns the index after it.
fn skip_double_quote(s: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    while j < s.len() {
        match s[j] {
            b'\\' => j = skip_backslash(s, j),
            b'"' => return j + 1,
            _ => j += 1,
        }
    }
    s.len()
}

fn skip_single_quote(s: &[u8], i: usize) -> usize {
    match s[i + 1..].iter().position(|&c| c == b'\'') {
        Some(p) => i + 1 + p + 1,
        None => s.len(),
    }
}

/// Skips a backslash escape starting at `i` (the backslash), including `\<hex>` blocks.
fn skip_backslash(s: &[u8], i: usize) -> usize {
    if i + 1 >= s.len() {
        return i + 1;
    }
    if s[i + 1] == b'<' {
        let mut j = i + 2;
        while j < s.len() {
            if s[j] == b'>' {
                return j + 1;
            } else if is_comment_start(s, j) {
                j = skip_comment(s, j);
            } else {
                j += 1;
            }
        }
        return j;
    }
    (i + 2).min(s.len())
}

/// Skips spaces and comments from `i`.
fn skip_comment_space(s: &[u8], mut i: usize) -> usize {
    while i < s.len() {
        if s[i].is_ascii_whitespace() {
            i += 1;
        } else if is_comment_start(s, i) {
            i = skip_comment(s, i);
        } else {
            break;
        }
    }
    i
}

/// Uncomments the text from `start` up to the first top-level comma (when `stop_at_comma`);
/// returns the argument and the index where scanning stopped.
fn partial_uncomment(str: &str, start: usize, stop_at_comma: bool) -> (String, usize) {
    let s = str.as_bytes();
    let mut i = skip_comment_space(s, start);
    let mut out = String::new();
    let (mut left, mut right) = (i, i);
    let mut closed = false;
    while i < s.len() {
        if s[i].is_ascii_whitespace() {
            i += 1;
        } else if is_comment_start(s, i) {
            i = skip_comment(s, i);
            closed = true;
        } else if s[i] == b',' && stop_at_comma {
            break;
        } else {
            if closed {
                out.push_str(&str[left..right]);
                out.push(' ');
                left = i;
                closed = false;
            }
            i = match s[i] {
                b'\'' => skip_single_quote(s, i),
                b'"' => skip_double_quote(s, i),
                b'\\' if s.get(i + 1) == Some(&b'<') => skip_backslash(s, i),
                _ => i + 1,
            };
            right = i;
        }
    }
    out.push_str(&str[left..right]);
    (out, i)
}

/// Removes comments and surrounding space (Click's `cp_uncomment`).
pub fn uncomment(str: &str) -> String {
    partial_uncomment(str, 0, false).0
}

/// Splits a configuration string into arguments at top-level commas (Click's `cp_argvec`):
/// commas inside quotes, `\<...>` and comments do not split; each argument is uncommented; a
/// final empty argument is dropped.
pub fn split_args(str: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut pos = 0;
    while pos < str.len() {
        let (arg, stop) = partial_uncomment(str, pos, true);
        pos = stop;
        if !arg.is_empty() || pos < str.len() {
            args.push(arg);
        }
        pos += 1;
    }
    args
}

/// Splits a string into words at unquoted spaces (Click's `cp_spacevec`).
pub fn split_words(str: &str) -> Vec<&str> {
    let s = str.as_bytes();
    let mut words = Vec::new();
    let mut i = skip_comment_space(s, 0);
    while i < s.len() {
        let start = i;
        while i < s.len() {
            match s[i] {
                b'/' if is_comment_start(s, i) => break,
                b'"' => i = skip_double_quote(s, i),
                b'\'' => i = skip_single_quote(s, i),
                b'\\' if s.get(i + 1) == Some(&b'<') => i = skip_backslash(s, i),
                c if c.is_ascii_whitespace() => break,
                _ => i += 1,
            }
        }
        words.push(&str[start..i]);
        i = skip_comment_space(s, i);
    }
    words
}

fn hex_value(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Processes one backslash escape at `i`, appending the bytes it stands for.
fn process_backslash(s: &[u8], i: usize, out: &mut Vec<u8>) -> usize {
    let Some(&c) = s.get(i + 1) else {
        out.push(b'\\');
        return s.len();
    };
    match c {
        b'\r' => {
            if s.get(i + 2) == Some(&b'\n') {
                i + 3
            } else {
                i + 2
            }
        }
        b'\n' => i + 2,
        b'a' | b'b' | b'f' | b'n' | b'r' | b't' | b'v' => {
            out.push(match c {
                b'a' => 7,
                b'b' => 8,
                b'f' => 12,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                _ => 11,
            });
            i + 2
        }
        b'0'..=b'7' => {
            let mut j = i + 1;
            let mut v: u32 = 0;
            while j < s.len() && j < i + 4 && (b'0'..=b'7').contains(&s[j]) {
                v = v * 8 + u32::from(s[j] - b'0');
                j += 1;
            }
            out.push(v as u8);
            j
        }
        b'x' => {
            let mut j = i + 2;
            let mut v: u32 = 0;
            while let Some(d) = s.get(j).and_then(|&c| hex_value(c)) {
                v = v.wrapping_mul(16).wrapping_add(u32::from(d));
                j += 1;
            }
            out.push(v as u8);
            j
        }
        b'<' => {
            let mut j = i + 2;
            let mut pending: Option<u8> = None;
            while j < s.len() {
                if s[j] == b'>' {
                    return j + 1;
                } else if is_comment_start(s, j) {
                    j = skip_comment(s, j);
                    continue;
                } else if let Some(d) = hex_value(s[j]) {
                    match pending.take() {
                        Some(hi) => out.push(hi << 4 | d),
                        None => pending = Some(d),
                    }
                }
                j += 1;
            }
            s.len()
        }
        _ => {
            out.push(c);
            i + 2
        }
    }
}

/// Removes one level of quoting (Click's `cp_unquote`): `"..."` and `'...'` are replaced by
/// their contents, backslash escapes are processed inside double quotes, and `\<hex>` anywhere
/// outside single quotes. The result may be binary.
pub fn unquote_bytes(str: &str) -> Vec<u8> {
    let text = uncomment(str);
    let s = text.as_bytes();
    let mut out = Vec::with_capacity(s.len());
    let mut quote = 0u8;
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        match c {
            b'"' | b'\'' if quote == 0 => {
                quote = c;
                i += 1;
            }
            b'"' | b'\'' if quote == c => {
                quote = 0;
                i += 1;
            }
            b'\\' if i + 1 < s.len() && (quote == b'"' || (quote == 0 && s[i + 1] == b'<')) => {
                i = process_backslash(s, i, &mut out);
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// [`unquote_bytes`] as text (invalid UTF-8 is replaced).
pub fn unquote(str: &str) -> String {
    String::from_utf8_lossy(&unquote_bytes(str)).into_owned()
}

/// Quotes `str` in double quotes so that [`unquote`] gives it back (Click's `cp_quote`).
pub fn quote(str: &str) -> String {
    let mut out = String::with_capacity(str.len() + 2);
    out.push('"');
    for c in str.chars() {
        match c {
            '\\' | '"' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 32 || c as u32 == 127 => {
                out.push_str(&format!("\\{:03o}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Length of the keyword at the start of `arg`, or 0 when the argument is positional. A
/// keyword is a word starting with a letter or `_` and followed by space and a value.
pub fn keyword_length(arg: &str) -> usize {
    let s = arg.as_bytes();
    if s.is_empty() || !(s[0].is_ascii_alphabetic() || s[0] == b'_') {
        return 0;
    }
    let mut i = 1;
    while i < s.len() && (s[i].is_ascii_alphanumeric() || b"_:.?!".contains(&s[i])) {
        i += 1;
    }
    let mut t = i;
    while t < s.len() && s[t].is_ascii_whitespace() {
        t += 1;
    }
    if t == i || t == s.len() {
        0
    } else {
        i
    }
}

/// One argument's state while an element reads its configuration.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// Not read yet; the keyword length (0 for a positional argument).
    Unread(usize),
    /// Consumed.
    Used,
}

/// An element's arguments, read the way Click's `Args` reads them: positional arguments in
/// order, `KEYWORD value` arguments by name. Errors are collected and reported together.
pub struct Args {
    args: Vec<String>,
    slots: Vec<Slot>,
    errors: Vec<String>,
}

impl Args {
    /// Wraps already split arguments.
    pub fn new(args: Vec<String>) -> Args {
        let slots = args
            .iter()
            .map(|a| Slot::Unread(keyword_length(a)))
            .collect();
        Args {
            args,
            slots,
            errors: Vec::new(),
        }
    }

    /// Splits a configuration string and wraps the arguments.
    pub fn parse(config: &str) -> Args {
        Args::new(split_args(config))
    }

    /// Number of arguments.
    pub fn len(&self) -> usize {
        self.args.len()
    }

    /// True when there are no arguments.
    pub fn is_empty(&self) -> bool {
        self.args.is_empty()
    }

    /// All arguments, unconsumed or not.
    pub fn all(&self) -> &[String] {
        &self.args
    }

    /// Takes every remaining argument as raw text (for elements with free-form argument lists).
    pub fn take_rest(&mut self) -> Vec<String> {
        let mut rest = Vec::new();
        for (slot, arg) in self.slots.iter_mut().zip(&self.args) {
            if *slot != Slot::Used {
                *slot = Slot::Used;
                rest.push(arg.clone());
            }
        }
        rest
    }

    fn find(&mut self, keyword: &str, positional: bool, mandatory: bool) -> Option<String> {
        let mut got: Option<usize> = None;
        for (i, slot) in self.slots.iter().enumerate() {
            if *slot == Slot::Unread(keyword.len())
                && !keyword.is_empty()
                && self.args[i].as_bytes().starts_with(keyword.as_bytes())
            {
                got = Some(i);
            }
        }
        if got.is_none() && positional {
            // The next unread argument, if it is positional; a mandatory argument also takes
            // one that merely looks like a keyword.
            if let Some(pos) = self.slots.iter().position(|s| *s != Slot::Used) {
                if self.slots[pos] == Slot::Unread(0) || mandatory {
                    self.slots[pos] = Slot::Used;
                    return Some(self.args[pos].clone());
                }
            }
        }
        let i = got?;
        self.slots[i] = Slot::Used;
        Some(self.args[i][keyword.len()..].trim_start().to_string())
    }

    fn read<T>(
        &mut self,
        keyword: &str,
        positional: bool,
        mandatory: bool,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        match self.find(keyword, positional, mandatory) {
            Some(text) => match parse(&text) {
                Ok(v) => Some(v),
                Err(e) => {
                    self.errors.push(format!("{keyword}: {e}"));
                    None
                }
            },
            None => {
                if mandatory {
                    self.errors
                        .push(format!("{keyword}: required argument missing"));
                }
                None
            }
        }
    }

    /// Reads a mandatory argument, given positionally or as `KEYWORD value`.
    pub fn read_mp<T>(
        &mut self,
        keyword: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        self.read(keyword, true, true, parse)
    }

    /// Reads an optional argument, given positionally or as `KEYWORD value`.
    pub fn read_p<T>(
        &mut self,
        keyword: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        self.read(keyword, true, false, parse)
    }

    /// Reads an optional `KEYWORD value` argument.
    pub fn read_kw<T>(
        &mut self,
        keyword: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        self.read(keyword, false, false, parse)
    }

    /// Reads a mandatory `KEYWORD value` argument.
    pub fn read_m<T>(
        &mut self,
        keyword: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        self.read(keyword, false, true, parse)
    }

    /// Records an error about the arguments.
    pub fn error(&mut self, message: String) {
        self.errors.push(message);
    }

    /// Reports every problem: parse errors, unknown keywords, too many arguments.
    pub fn finish(mut self) -> Result<(), String> {
        let mut too_many = false;
        for (slot, arg) in self.slots.iter().zip(&self.args) {
            match *slot {
                Slot::Unread(0) => too_many = true,
                Slot::Unread(n) => self.errors.push(format!("{}: unknown argument", &arg[..n])),
                Slot::Used => {}
            }
        }
        if too_many {
            self.errors.push("too many arguments".to_string());
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors.join("\n"))
        }
    }
}

/// Parses a boolean: `true`/`false`, `yes`/`no`, `1`/`0`.
pub fn parse_bool(s: &str) -> Result<bool, String> {
    match s {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err("expected boolean".to_string()),
    }
}

/// Parses a signed integer: decimal, `0x` hexadecimal or `0` octal, with an optional sign.
pub fn parse_i64(s: &str) -> Result<i64, String> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let v = parse_u64(body)?;
    let v = i64::try_from(v).map_err(|_| "integer out of range".to_string())?;
    Ok(if neg { -v } else { v })
}

/// Parses an unsigned integer: decimal, `0x` hexadecimal or `0` octal.
pub fn parse_u64(s: &str) -> Result<u64, String> {
    let err = || "expected integer".to_string();
    let s = s.replace('_', "");
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (&s[..], 10)
    };
    if digits.is_empty() {
        return Err(err());
    }
    u64::from_str_radix(digits, radix).map_err(|_| err())
}

/// Parses an unsigned integer that must fit in `max`.
pub fn parse_uint_max(s: &str, max: u64) -> Result<u64, String> {
    let v = parse_u64(s)?;
    if v > max {
        return Err(format!("integer out of range (max {max})"));
    }
    Ok(v)
}

/// Parses a one-byte annotation (Click's `AnnoArg(1)`): `PAINT`, `ICMP_PARAMPROB`,
/// `FIX_IP_SRC` or a byte offset into Click's annotation area. Offsets of bytes this implementation does not keep (see
/// [`Annotations::has_byte`](crate::packet::Annotations::has_byte)) are refused.
pub fn parse_anno_byte(s: &str) -> Result<usize, String> {
    let offset = match s {
        "PAINT" => crate::packet::PAINT_ANNO_OFFSET as u64,
        "ICMP_PARAMPROB" => crate::packet::ICMP_PARAMPROB_ANNO_OFFSET as u64,
        "FIX_IP_SRC" => crate::packet::FIX_IP_SRC_ANNO_OFFSET as u64,
        _ => parse_u64(s).map_err(|_| "expected annotation".to_string())?,
    };
    let offset = usize::try_from(offset)
        .ok()
        .filter(|&o| o < crate::packet::ANNO_SIZE)
        .ok_or_else(|| "expected annotation".to_string())?;
    if crate::packet::Annotations::has_byte(offset) {
        Ok(offset)
    } else {
        Err(format!(
            "annotation byte {offset} is not kept by this implementation"
        ))
    }
}

/// Parses a dotted-quad IPv4 address.
pub fn parse_ip(s: &str) -> Result<[u8; 4], String> {
    match parse_ip_partial(s) {
        Some((addr, 4)) => Ok(addr),
        _ => Err("expected IP address".to_string()),
    }
}

/// Parses one to four dotted decimal bytes (`18.26.4`): the address with the missing bytes
/// zero, and how many were given.
fn parse_ip_partial(s: &str) -> Option<([u8; 4], usize)> {
    let mut out = [0u8; 4];
    let mut n = 0;
    for part in s.split('.') {
        if n == 4 || part.is_empty() || part.len() > 3 || !part.bytes().all(|c| c.is_ascii_digit())
        {
            return None;
        }
        out[n] = part.parse().ok()?;
        n += 1;
    }
    Some((out, n))
}

/// Parses `ADDR`, `ADDR/LEN` or `ADDR/MASK` into an address and a mask (a bare address is
/// /32). With a mask, the address may leave out trailing bytes the mask does not cover, as
/// Click allows (`18.26.4/24`, `0/0`).
pub fn parse_ip_prefix(s: &str) -> Result<([u8; 4], [u8; 4]), String> {
    let Some((addr, mask)) = s.rsplit_once('/') else {
        return Ok((parse_ip(s)?, [255; 4]));
    };
    let err = || "expected IP prefix".to_string();
    let (addr, nbytes) = parse_ip_partial(addr).ok_or_else(err)?;
    let mask = if mask.contains('.') {
        u32::from_be_bytes(parse_ip(mask)?)
    } else {
        let len = mask
            .parse::<u32>()
            .ok()
            .filter(|&l| l <= 32 && !mask.starts_with('+'))
            .ok_or_else(err)?;
        prefix_mask(len)
    };
    if mask & prefix_mask(nbytes as u32 * 8) != mask {
        return Err(err());
    }
    Ok((addr, mask.to_be_bytes()))
}

/// The mask of a `len`-bit prefix.
fn prefix_mask(len: u32) -> u32 {
    u32::MAX.checked_shl(32 - len).unwrap_or(0)
}

/// Parses an Ethernet address with `:` or `-` separators (`00:15:17:15:5d:75`).
pub fn parse_ether(s: &str) -> Result<[u8; 6], String> {
    let err = || "expected Ethernet address".to_string();
    let sep = if s.contains(':') { ':' } else { '-' };
    let mut out = [0u8; 6];
    let mut parts = s.split(sep);
    for byte in out.iter_mut() {
        let part = parts.next().ok_or_else(err)?;
        if part.is_empty() || part.len() > 2 {
            return Err(err());
        }
        *byte = u8::from_str_radix(part, 16).map_err(|_| err())?;
    }
    if parts.next().is_some() {
        return Err(err());
    }
    Ok(out)
}

/// Parses a time interval in seconds: `0.2`, `0.2s`, `200ms`, `5us`, `1min`; returns nanoseconds.
pub fn parse_seconds(s: &str) -> Result<u64, String> {
    let err = || "expected time in seconds".to_string();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let scale: u64 = match unit.trim() {
        "" | "s" | "sec" => 1_000_000_000,
        "ms" | "msec" => 1_000_000,
        "us" | "usec" => 1_000,
        "ns" | "nsec" => 1,
        "m" | "min" => 60_000_000_000,
        "h" | "hr" => 3_600_000_000_000,
        _ => return Err(err()),
    };
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if int.is_empty() && frac.is_empty() {
        return Err(err());
    }
    let int: u64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| err())?
    };
    let mut total = int.checked_mul(scale).ok_or_else(err)?;
    let mut place = scale;
    for c in frac.bytes() {
        if !c.is_ascii_digit() {
            return Err(err());
        }
        place /= 10;
        total += u64::from(c - b'0') * place;
    }
    Ok(total)
}

/// Parses a string argument, removing one level of quoting. Like Click's `StringArg`, the
/// argument is one word: quoted parts may be joined (`"a"b`), but two words separated by
/// unquoted space (`"a" "b"`) are a parse error.
pub fn parse_string(s: &str) -> Result<String, String> {
    if split_words(s).len() > 1 {
        return Err("parse error".to_string());
    }
    Ok(unquote(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn argvec_splits_like_click() {
        assert_eq!(split_args("a, b, c"), vec!["a", "b", "c"]);
        assert_eq!(split_args("  a /*?*/ b,  c, "), vec!["a b", "c"]);
        assert_eq!(split_args("\"x, y\" // ?"), vec!["\"x, y\""]);
        assert_eq!(
            split_args("12/0800 /* comment inside arguments */, // and here\n   -"),
            vec!["12/0800", "-"]
        );
        assert_eq!(split_args(""), Vec::<String>::new());
        assert_eq!(split_args("a,,b"), vec!["a", "", "b"]);
    }

    #[test]
    fn unquote_and_quote_round_trip() {
        assert_eq!(unquote("\"hello, world\""), "hello, world");
        assert_eq!(unquote("'$LABEL'"), "$LABEL");
        assert_eq!(unquote("\"\\\"hi\\\"!\""), "\"hi\"!");
        assert_eq!(unquote_bytes("\\<00 1a ff>"), vec![0, 0x1a, 0xff]);
        for s in ["a\"b", "x$y", "tab\there", "\\"] {
            assert_eq!(unquote(&quote(s)), s);
        }
    }

    #[test]
    fn keywords_are_detected() {
        assert_eq!(keyword_length("LIMIT 5"), 5);
        assert_eq!(keyword_length("12/0800 15/cc"), 0);
        assert_eq!(keyword_length("lbl"), 0);
        assert_eq!(keyword_length("STOP "), 0);
    }

    #[test]
    fn a_string_is_one_word() {
        assert_eq!(parse_string("\"a\"b  "), Ok("ab".into()));
        assert_eq!(parse_string("\"a\" \"b\""), Err("parse error".into()));
        assert_eq!(parse_string("'a' b"), Err("parse error".into()));
    }

    #[test]
    fn args_positional_and_keyword() {
        let mut a = Args::parse("lbl, MAXLENGTH 20, CONTENTS ASCII");
        assert_eq!(a.read_p("LABEL", parse_string), Some("lbl".into()));
        assert_eq!(a.read_p("MAXLENGTH", parse_i64), Some(20));
        assert_eq!(a.read_kw("CONTENTS", parse_string), Some("ASCII".into()));
        assert!(a.finish().is_ok());

        let mut a = Args::parse("x, 8, BOGUS 1");
        assert_eq!(a.read_p("LABEL", parse_string), Some("x".into()));
        assert_eq!(a.read_p("MAXLENGTH", parse_i64), Some(8));
        let err = a.finish().unwrap_err();
        assert!(err.contains("BOGUS: unknown argument"), "{err}");

        let mut a = Args::parse("LIMIT five");
        assert_eq!(a.read_kw("LIMIT", parse_i64), None);
        assert!(a.finish().unwrap_err().contains("LIMIT: expected integer"));
    }

    #[test]
    fn value_parsers() {
        assert_eq!(parse_i64("-1"), Ok(-1));
        assert_eq!(parse_u64("0x6064"), Ok(0x6064));
        assert_eq!(parse_ip("10.10.0.3"), Ok([10, 10, 0, 3]));
        assert!(parse_ip("10.10.0").is_err());
        assert_eq!(
            parse_ip_prefix("10.1.0.0/16"),
            Ok(([10, 1, 0, 0], [255, 255, 0, 0]))
        );
        assert_eq!(
            parse_ip_prefix("18.26.4/24"),
            Ok(([18, 26, 4, 0], [255, 255, 255, 0]))
        );
        assert_eq!(parse_ip_prefix("0/0"), Ok(([0; 4], [0; 4])));
        assert_eq!(
            parse_ip_prefix("192.168.0.0/255.255.0.0"),
            Ok(([192, 168, 0, 0], [255, 255, 0, 0]))
        );
        assert!(parse_ip_prefix("18.26/24").is_err());
        assert!(parse_ip_prefix("10.0.0.0/33").is_err());
        assert!(parse_ip_prefix("10.0.0.0/").is_err());
        assert_eq!(
            parse_ether("00-15-17-15-5D-77"),
            Ok([0, 0x15, 0x17, 0x15, 0x5d, 0x77])
        );
        assert!(parse_ether("001517155d77").is_err());
        assert_eq!(parse_seconds("0.2s"), Ok(200_000_000));
        assert_eq!(parse_seconds("5ms"), Ok(5_000_000));
    }
}
