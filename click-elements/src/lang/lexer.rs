//! The Click configuration lexer, built from `nom` recognisers.

use alloc::string::String;
use alloc::vec::Vec;

use nom::branch::alt;
use nom::bytes::complete::{tag, take_until, take_while, take_while1};
use nom::character::complete::multispace1;
use nom::combinator::{recognize, value};
use nom::multi::many0_count;
use nom::sequence::{pair, preceded};
use nom::IResult;

/// A lexeme of the Click language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// An identifier (element or class name; may contain `/` and `@`).
    Ident(String),
    /// A `$variable` (the name without `$`).
    Variable(String),
    /// `->`
    Arrow,
    /// `=>`
    DoubleArrow,
    /// `::`
    DoubleColon,
    /// `||`
    DoubleBar,
    /// `...`
    ThreeDots,
    /// The keyword `elementclass`.
    ElementClass,
    /// The keyword `require`.
    Require,
    /// The keyword `provide`.
    Provide,
    /// The keyword `define`.
    Define,
    /// Any other single character.
    Char(char),
    /// End of input.
    Eof,
}

impl Tok {
    /// How the lexeme reads in a "syntax error near ..." message.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => s.clone(),
            Tok::Variable(s) => alloc::format!("${s}"),
            Tok::Arrow => "->".into(),
            Tok::DoubleArrow => "=>".into(),
            Tok::DoubleColon => "::".into(),
            Tok::DoubleBar => "||".into(),
            Tok::ThreeDots => "...".into(),
            Tok::ElementClass => "elementclass".into(),
            Tok::Require => "require".into(),
            Tok::Provide => "provide".into(),
            Tok::Define => "define".into(),
            Tok::Char(c) => alloc::format!("{c}"),
            Tok::Eof => "end of file".into(),
        }
    }
}

/// A lexeme and the byte offset where it starts.
#[derive(Clone, Debug)]
pub struct Token {
    /// The lexeme.
    pub tok: Tok,
    /// Byte offset in the source.
    pub pos: usize,
}

fn line_comment(i: &str) -> IResult<&str, ()> {
    value((), pair(tag("//"), take_while(|c| c != '\n' && c != '\r')))(i)
}

fn block_comment(i: &str) -> IResult<&str, ()> {
    match preceded(tag::<_, _, nom::error::Error<&str>>("/*"), take_until("*/"))(i) {
        Ok((rest, _)) => Ok((&rest[2..], ())),
        // An unterminated block comment runs to the end of the input.
        Err(_) if i.starts_with("/*") => Ok(("", ())),
        Err(e) => Err(e),
    }
}

/// Skips whitespace and comments.
fn skip_space(i: &str) -> &str {
    let mut spaces = many0_count(alt((value((), multispace1), line_comment, block_comment)));
    match spaces(i) {
        Ok((rest, _)) => rest,
        Err(_) => i,
    }
}

fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '@'
}

/// An identifier: word characters, with single `/` between word characters (`o/s/c`).
fn identifier(i: &str) -> IResult<&str, &str> {
    recognize(pair(
        take_while1(word_char),
        many0_count(pair(tag("/"), take_while1(word_char))),
    ))(i)
}

fn variable(i: &str) -> IResult<&str, &str> {
    preceded(
        tag("$"),
        take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_'),
    )(i)
}

fn operator(i: &str) -> IResult<&str, Tok> {
    alt((
        value(Tok::Arrow, tag("->")),
        value(Tok::DoubleArrow, tag("=>")),
        value(Tok::DoubleColon, tag("::")),
        value(Tok::DoubleBar, tag("||")),
        value(Tok::ThreeDots, tag("...")),
    ))(i)
}

/// Turns source text into lexemes on demand, with push-back.
pub struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    pushed: Vec<Token>,
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `src`.
    pub fn new(src: &'a str) -> Lexer<'a> {
        Lexer {
            src,
            pos: 0,
            pushed: Vec::new(),
        }
    }

    /// The next lexeme.
    pub fn next_token(&mut self) -> Token {
        if let Some(t) = self.pushed.pop() {
            return t;
        }
        let rest = skip_space(&self.src[self.pos..]);
        let pos = self.src.len() - rest.len();
        let (rest, tok) = if rest.is_empty() {
            (rest, Tok::Eof)
        } else if let Ok((r, word)) = identifier(rest) {
            let tok = match word {
                "elementclass" => Tok::ElementClass,
                "require" => Tok::Require,
                "provide" => Tok::Provide,
                "define" => Tok::Define,
                _ => Tok::Ident(word.into()),
            };
            (r, tok)
        } else if let Ok((r, name)) = variable(rest) {
            (r, Tok::Variable(name.into()))
        } else if let Ok((r, op)) = operator(rest) {
            (r, op)
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            (&rest[c.len_utf8()..], Tok::Char(c))
        };
        self.pos = self.src.len() - rest.len();
        Token { tok, pos }
    }

    /// Pushes a lexeme back; it is returned by the next [`Lexer::next_token`].
    pub fn unlex(&mut self, t: Token) {
        self.pushed.push(t);
    }

    /// Reads a configuration string after `(` up to the matching `)` (not consumed), skipping
    /// nested parentheses, quotes, comments and `\<...>`; returns the raw text and its offset.
    pub fn config_text(&mut self) -> (String, usize) {
        // Text that was lexed ahead and pushed back is re-read as configuration text.
        if let Some(first) = self.pushed.iter().map(|t| t.pos).min() {
            self.pos = first;
            self.pushed.clear();
        }
        let s = self.src.as_bytes();
        let start = self.pos;
        let mut i = start;
        let mut depth = 1usize;
        while i < s.len() {
            match s[i] {
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                b'/' if s.get(i + 1) == Some(&b'/') => {
                    while i + 1 < s.len() && s[i + 1] != b'\n' && s[i + 1] != b'\r' {
                        i += 1;
                    }
                }
                b'/' if s.get(i + 1) == Some(&b'*') => {
                    i += 2;
                    while i + 1 < s.len() && !(s[i] == b'*' && s[i + 1] == b'/') {
                        i += 1;
                    }
                    i = (i + 1).min(s.len());
                }
                q @ (b'"' | b'\'') => {
                    i += 1;
                    while i < s.len() && s[i] != q {
                        if s[i] == b'\\' && q == b'"' {
                            i += 1;
                        }
                        i += 1;
                    }
                }
                b'\\' if s.get(i + 1) == Some(&b'<') => {
                    while i < s.len() && s[i] != b'>' {
                        i += 1;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        let end = i.min(s.len());
        self.pos = end;
        // Quotes may have skipped into the middle of a multi-byte character at the very end.
        let text = String::from_utf8_lossy(&s[start..end]).into_owned();
        (text, start)
    }
}

/// Maps byte offsets to 1-based line and column numbers.
pub struct LineIndex {
    starts: Vec<usize>,
    file: u16,
}

impl LineIndex {
    /// Indexes the line starts of `src`, file number `file` of the configuration's sources
    /// (`\n`, `\r\n` and `\r` all end a line).
    pub fn new(src: &str, file: u16) -> LineIndex {
        let b = src.as_bytes();
        let mut starts = alloc::vec![0];
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'\n' => starts.push(i + 1),
                b'\r' if b.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex { starts, file }
    }

    /// The line and column of byte offset `pos`.
    pub fn locate(&self, pos: usize) -> crate::error::Location {
        let line = self.starts.partition_point(|&s| s <= pos).max(1);
        let column = pos - self.starts[line - 1] + 1;
        crate::error::Location {
            line: line as u32,
            column: column as u32,
            file: self.file,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        let mut lx = Lexer::new(src);
        let mut v = Vec::new();
        loop {
            let t = lx.next_token();
            if t.tok == Tok::Eof {
                return v;
            }
            v.push(t.tok);
        }
    }

    #[test]
    fn lexes_operators_identifiers_and_comments() {
        assert_eq!(
            toks("a :: B /* x */ -> o/s/c[1] // y\n => $X || ..."),
            alloc::vec![
                Tok::Ident("a".into()),
                Tok::DoubleColon,
                Tok::Ident("B".into()),
                Tok::Arrow,
                Tok::Ident("o/s/c".into()),
                Tok::Char('['),
                Tok::Ident("1".into()),
                Tok::Char(']'),
                Tok::DoubleArrow,
                Tok::Variable("X".into()),
                Tok::DoubleBar,
                Tok::ThreeDots,
            ]
        );
        assert_eq!(toks("/* unterminated"), alloc::vec![]);
        assert_eq!(toks("a//b"), alloc::vec![Tok::Ident("a".into())]);
    }

    #[test]
    fn config_text_stops_at_matching_paren() {
        let mut lx = Lexer::new("a(b), \")\" /* ) */ (c)) rest");
        let (text, _) = lx.config_text();
        assert_eq!(text, "a(b), \")\" /* ) */ (c)");
        assert_eq!(lx.next_token().tok, Tok::Char(')'));
    }

    #[test]
    fn locates_lines_and_columns() {
        let idx = LineIndex::new("ab\ncd\r\nef", 0);
        assert_eq!(idx.locate(0).line, 1);
        assert_eq!(idx.locate(4).column, 2);
        assert_eq!(idx.locate(7).line, 3);
    }
}
