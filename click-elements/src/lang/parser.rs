//! The Click configuration parser: statements, connections, declarations, compound classes.
//!
//! The result is a tree of [`Scope`]s (the file, and one per compound class body) that
//! [`super::flatten`] expands into a flat router description.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::lexer::{Lexer, LineIndex, Tok, Token};
use super::library::{Libraries, NoLibraries};
use crate::args::{parse_string, split_args, split_words};
use crate::error::{Diagnostic, Location, Sources};
use crate::limits::{BuildMonitor, Unmonitored};

/// Deepest allowed nesting of compound classes (keeps recursion bounded on hostile input).
const MAX_DEPTH: usize = 64;

/// Most ports one `[...]` port list may name (`[0-65535]` would name them all).
const MAX_PORT_LIST: usize = 4096;

/// Most library files one configuration may read (each file is read once, so a library that
/// requires itself, or two that require each other, stop there).
const MAX_LIBRARIES: usize = 64;

/// What class an element is.
#[derive(Clone, Debug)]
pub enum ClassRef {
    /// A class from the element registry.
    Primitive(String),
    /// A compound class defined with `elementclass`.
    Compound(Rc<CompoundClass>),
    /// The `input`/`output` pseudo-elements of a compound.
    Tunnel,
    /// An element group `( ... )` seen from outside: connections into it enter its `input`,
    /// connections out of it leave its `output`.
    Group,
    /// The `input` of the group that is element `n` of the scope.
    GroupInput(usize),
    /// The `output` of the group that is element `n` of the scope.
    GroupOutput(usize),
    /// An error was reported for this element; it is left out of the router.
    Error,
}

/// An element declared (or used anonymously) in a scope.
#[derive(Clone, Debug)]
pub struct ElementDecl {
    /// The element's name within its scope.
    pub name: String,
    /// Its class.
    pub class: ClassRef,
    /// The configuration text, as written.
    pub config: String,
    /// Where it was declared.
    pub location: Location,
}

/// A connection `from [from_port] -> [to_port] to` between elements of one scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Connection {
    /// Source element index in the scope.
    pub from: usize,
    /// Source output port.
    pub from_port: usize,
    /// Destination element index in the scope.
    pub to: usize,
    /// Destination input port.
    pub to_port: usize,
}

/// A formal parameter of a compound class.
#[derive(Clone, Debug)]
pub struct Formal {
    /// Variable name (without `$`).
    pub name: String,
    /// Keyword for keyword formals (`KEY $k`), `__REST__` for the rest, `None` for positional.
    pub keyword: Option<String>,
}

/// A configuration file, or the body of one compound class overload.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// Elements in declaration order (in a compound body, 0 and 1 are `input` and `output`).
    pub elements: Vec<ElementDecl>,
    /// Connections in the order written.
    pub connections: Vec<Connection>,
    /// `define`d variables.
    pub defines: Vec<(String, String)>,
    /// Formal parameters (compound bodies only).
    pub formals: Vec<Formal>,
    /// Inputs and outputs of a compound body.
    pub ports: (usize, usize),
    map: BTreeMap<String, usize>,
    anonymous_offset: usize,
}

impl Scope {
    /// The index of the element called `name`, if declared.
    pub fn lookup(&self, name: &str) -> Option<usize> {
        self.map.get(name).copied()
    }

    /// Number of input and output ports element `idx` uses in this scope's connections.
    pub fn used_ports(&self, idx: usize) -> (usize, usize) {
        let mut n = (0, 0);
        for c in &self.connections {
            if c.to == idx {
                n.0 = n.0.max(c.to_port + 1);
            }
            if c.from == idx {
                n.1 = n.1.max(c.from_port + 1);
            }
        }
        n
    }
}

/// A compound element class: one or more overloaded bodies.
#[derive(Clone, Debug)]
pub struct CompoundClass {
    /// The class name.
    pub name: String,
    /// The overloads, tried in order.
    pub bodies: Vec<Scope>,
    /// The class this one extends (`elementclass C { ... || ... }`): tried after every body.
    pub extends: Option<ClassRef>,
    /// Where the class was defined.
    pub location: Location,
}

impl CompoundClass {
    /// Every overload of the class and of the compound classes it extends, in the order they
    /// are tried, then the primitive class the last of them extends, if any.
    pub fn overloads(&self) -> (Vec<&Scope>, Option<&str>) {
        let mut bodies: Vec<&Scope> = self.bodies.iter().collect();
        let mut next = self.extends.as_ref();
        while let Some(class) = next {
            match class {
                ClassRef::Compound(c) => {
                    bodies.extend(c.bodies.iter());
                    next = c.extends.as_ref();
                }
                ClassRef::Primitive(name) => return (bodies, Some(name)),
                _ => break,
            }
        }
        (bodies, None)
    }
}

/// A parsed configuration file.
#[derive(Clone, Debug)]
pub struct ParsedConfig {
    /// The top-level scope (with what the libraries it requires declare).
    pub scope: Scope,
    /// The file and the libraries it was read from.
    pub sources: Sources,
}

/// The ports written on one side of an element reference: `[2]`, `[0, 2]`, `[0-2]`, or a list
/// ending in an expandable port (`[1,]`: 1 and as many more as needed; `[]`: from 0).
#[derive(Clone, Debug, Default)]
struct PortList {
    ports: Vec<usize>,
    expandable: bool,
}

impl PortList {
    /// No ports written.
    fn is_empty(&self) -> bool {
        self.ports.is_empty()
    }

    /// The number of entries Click counts (an expandable end counts as one).
    fn len(&self) -> usize {
        self.ports.len() + usize::from(self.expandable)
    }
}

/// One element reference in a connection list, before it is resolved.
struct ElementRef {
    name: String,
    /// The identifier names a class (so this is an anonymous element).
    is_class: Option<ClassRef>,
    /// `:: Class` given.
    declared: Option<ClassRef>,
    config: String,
    bare: bool,
    /// `input` or `output` implied by a connection that starts or ends without an element
    /// in a compound or group (`-> x`, `x ->`).
    implicit: bool,
    in_ports: PortList,
    out_ports: PortList,
    location: Location,
}

/// A resolved element reference with its ports.
struct PortRef {
    idx: usize,
    in_ports: PortList,
    out_ports: PortList,
    /// Where the reference is written.
    location: Location,
}

/// What a run of statements is the body of.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Body {
    /// A configuration file or library.
    File,
    /// One overload of a compound class, up to `}` or `||`.
    Compound,
    /// An element group, up to `)`.
    Group,
}

struct Parser<'a, 'r> {
    lexer: Lexer<'a>,
    lines: LineIndex,
    /// The file being parsed: its index in `sources`.
    file: u16,
    /// The configuration's file and the libraries read so far.
    sources: Sources,
    is_primitive: &'r dyn Fn(&str) -> bool,
    /// Visible compound classes and synonyms, innermost scope last.
    classes: Vec<BTreeMap<String, ClassRef>>,
    errors: Vec<Diagnostic>,
    depth: usize,
    monitor: &'r mut dyn BuildMonitor,
    libraries: &'r mut dyn Libraries,
    /// The monitor stopped the parse (with the error at this index): every further token is
    /// the end of the file.
    abandoned: Option<usize>,
}

/// Parses `src` (named `file` in messages). `is_primitive` tells which class names the element
/// registry knows. Returns the parse tree, or every error found. `require(library ...)` is
/// refused: see [`parse_monitored`] for a parse that reads libraries.
pub fn parse(
    src: &str,
    file: &str,
    is_primitive: &dyn Fn(&str) -> bool,
) -> Result<ParsedConfig, Vec<Diagnostic>> {
    parse_monitored(src, file, is_primitive, &mut Unmonitored, &mut NoLibraries)
}

/// [`parse`] with `monitor` called after every statement (an error from it ends the parse
/// with that message at the statement's place) and `require(library FILE)` read from
/// `libraries`.
pub fn parse_monitored(
    src: &str,
    file: &str,
    is_primitive: &dyn Fn(&str) -> bool,
    monitor: &mut dyn BuildMonitor,
    libraries: &mut dyn Libraries,
) -> Result<ParsedConfig, Vec<Diagnostic>> {
    let mut p = Parser {
        lexer: Lexer::new(src),
        lines: LineIndex::new(src, 0),
        file: 0,
        sources: Sources::new(file),
        is_primitive,
        classes: alloc::vec![BTreeMap::new()],
        errors: Vec::new(),
        depth: 0,
        monitor,
        libraries,
        abandoned: None,
    };
    let mut scope = Scope::default();
    let end = p.statements(&mut scope, Body::File);
    debug_assert!(matches!(end.tok, Tok::Eof));
    if let Some(i) = p.abandoned {
        // What follows the monitor's error comes from cutting the source short.
        p.errors.truncate(i + 1);
    }
    if p.errors.is_empty() {
        Ok(ParsedConfig {
            scope,
            sources: p.sources,
        })
    } else {
        Err(p.errors)
    }
}

impl Parser<'_, '_> {
    fn loc(&self, pos: usize) -> Location {
        self.lines.locate(pos)
    }

    fn error_at(&mut self, location: Location, message: String) {
        let diagnostic = self.sources.diagnostic(Some(location), message);
        self.errors.push(diagnostic);
    }

    fn error(&mut self, pos: usize, message: String) {
        let loc = self.loc(pos);
        self.error_at(loc, message);
    }

    fn syntax_error(&mut self, t: &Token) {
        self.error(t.pos, format!("syntax error near '{}'", t.tok.describe()));
    }

    fn next(&mut self) -> Token {
        if self.abandoned.is_some() {
            return Token {
                tok: Tok::Eof,
                pos: 0,
            };
        }
        self.lexer.next_token()
    }

    fn expect(&mut self, c: char) -> bool {
        let t = self.next();
        if t.tok == Tok::Char(c) {
            true
        } else {
            self.error(t.pos, format!("expected '{c}'"));
            self.lexer.unlex(t);
            false
        }
    }

    /// Looks up a class name: compound classes and synonyms (innermost first), then primitives.
    fn class(&self, name: &str) -> Option<ClassRef> {
        for level in self.classes.iter().rev() {
            if let Some(c) = level.get(name) {
                return Some(c.clone());
            }
        }
        (self.is_primitive)(name).then(|| ClassRef::Primitive(name.to_string()))
    }

    fn define_class(&mut self, name: String, class: ClassRef) {
        if let Some(level) = self.classes.last_mut() {
            level.insert(name, class);
        }
    }

    /// Parses statements until end of file, or the end of the `body`: `}` or `||` for a
    /// compound, `)` for a group; returns that token.
    fn statements(&mut self, scope: &mut Scope, body: Body) -> Token {
        loop {
            let t = self.next();
            if let Err(message) = self.monitor.checkpoint() {
                self.error(t.pos, message);
                self.abandoned = Some(self.errors.len() - 1);
                return Token {
                    tok: Tok::Eof,
                    pos: t.pos,
                };
            }
            match &t.tok {
                Tok::Eof => {
                    match body {
                        Body::File => {}
                        Body::Compound => self.error(t.pos, "expected '}'".into()),
                        Body::Group => self.error(t.pos, "expected ')'".into()),
                    }
                    return t;
                }
                Tok::Char('}') | Tok::DoubleBar if body == Body::Compound => return t,
                Tok::Char('}') | Tok::DoubleBar if body == Body::Group => {
                    self.syntax_error(&t);
                    self.lexer.unlex(t.clone());
                    return t;
                }
                Tok::Char(')') if body == Body::Group => return t,
                Tok::Char(';') => {}
                Tok::ElementClass => self.elementclass(),
                Tok::Require => self.require(scope),
                Tok::Define => self.define(scope),
                Tok::Ident(_) | Tok::Char('[' | '{' | '(') | Tok::Arrow | Tok::DoubleArrow => {
                    self.lexer.unlex(t);
                    self.connection(scope, body != Body::File);
                }
                _ => self.syntax_error(&t),
            }
        }
    }

    fn config_in_parens(&mut self) -> String {
        let (text, _) = self.lexer.config_text();
        self.expect(')');
        text
    }

    /// Parses `require(...)` after `require`, Click's way: `package NAME` (or a bare `NAME`)
    /// asks for a package, and this driver has none; `library FILE` reads FILE into `scope`;
    /// `compact_config` is accepted.
    fn require(&mut self, scope: &mut Scope) {
        if !self.expect('(') {
            return;
        }
        let (text, at) = self.lexer.config_text();
        self.expect(')');
        for arg in split_args(&text) {
            let words = split_words(&arg);
            let (kind, value) = match words.as_slice() {
                [] => continue,
                ["compact_config"] => continue,
                [name] if !matches!(*name, "package" | "library") => ("package", *name),
                [kind @ ("package" | "library"), value] => (*kind, *value),
                _ => ("", ""),
            };
            let Ok(value) = parse_string(value).map(|v| v.to_string()) else {
                self.error(at, "syntax error at requirement".into());
                continue;
            };
            match kind {
                "library" => self.require_library(scope, &value, at),
                "package" => self.error(at, format!("requirement '{value}' not available")),
                _ => self.error(at, "syntax error at requirement".into()),
            }
        }
    }

    /// Reads library `name` (once per configuration) and parses it into the file's `scope`:
    /// its classes stay visible after the `require`.
    fn require_library(&mut self, scope: &mut Scope, name: &str, at: usize) {
        if self.classes.len() > 1 {
            self.error(at, "'require library' must be used at file scope".into());
            return;
        }
        let from = self.sources.0[usize::from(self.file)].clone();
        let text = match self.libraries.find(name, &from) {
            Ok(path) if self.sources.0.contains(&path) => return,
            Ok(_) if self.sources.0.len() > MAX_LIBRARIES => {
                self.error(
                    at,
                    format!("more than the limit of {MAX_LIBRARIES} libraries"),
                );
                return;
            }
            Ok(path) => self.libraries.read(&path).map(|text| (path, text)),
            Err(message) => Err(message),
        };
        let (path, text) = match text {
            Ok(found) => found,
            Err(message) => {
                self.error(at, message);
                return;
            }
        };
        let file = self.sources.0.len() as u16;
        self.sources.0.push(path);
        let mut library = Parser {
            lexer: Lexer::new(&text),
            lines: LineIndex::new(&text, file),
            file,
            sources: core::mem::take(&mut self.sources),
            is_primitive: self.is_primitive,
            classes: core::mem::take(&mut self.classes),
            errors: core::mem::take(&mut self.errors),
            depth: 0,
            monitor: &mut *self.monitor,
            libraries: &mut *self.libraries,
            abandoned: None,
        };
        library.statements(scope, Body::File);
        self.sources = library.sources;
        self.classes = library.classes;
        self.errors = library.errors;
        if library.abandoned.is_some() {
            self.abandoned = library.abandoned;
        }
    }

    fn define(&mut self, scope: &mut Scope) {
        let t = self.next();
        if t.tok != Tok::Char('(') {
            self.error(t.pos, "expected '('".into());
            self.lexer.unlex(t);
            return;
        }
        let text = self.config_in_parens();
        for arg in split_args(&text) {
            if arg.is_empty() {
                continue;
            }
            let (var, value) = match arg.find(|c: char| c.is_ascii_whitespace()) {
                Some(i) => (&arg[..i], arg[i..].trim_start()),
                None => (&arg[..], ""),
            };
            let valid = var.len() >= 2
                && var.starts_with('$')
                && var[1..]
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'_');
            if !valid {
                self.error(t.pos, "bad 'define' declaration: not a variable".into());
            } else if scope.defines.iter().any(|(n, _)| n == &var[1..]) {
                self.error(t.pos, format!("parameter '{var}' multiply defined"));
            } else {
                scope
                    .defines
                    .push((var[1..].to_string(), value.to_string()));
            }
        }
    }

    fn elementclass(&mut self) {
        let t = self.next();
        let Tok::Ident(name) = t.tok.clone() else {
            self.error(t.pos, "expected element type name".into());
            self.lexer.unlex(t);
            return;
        };
        let t2 = self.next();
        match &t2.tok {
            Tok::Char('{') => {
                let class = self.compound(name.clone(), self.loc(t.pos));
                self.define_class(name, class);
            }
            Tok::Ident(other) => {
                let class = match self.class(other) {
                    Some(c) => c,
                    None => {
                        self.error(t2.pos, format!("unknown element class '{other}'"));
                        ClassRef::Error
                    }
                };
                self.define_class(name, class);
            }
            _ => {
                self.syntax_error(&t2);
                self.define_class(name, ClassRef::Error);
            }
        }
    }

    /// Parses compound bodies after `{`, through the closing `}`.
    fn compound(&mut self, name: String, location: Location) -> ClassRef {
        if self.depth >= MAX_DEPTH {
            self.error_at(
                location,
                "maximum compound element nesting depth exceeded".into(),
            );
            self.skip_to_closing('{', '}');
            return ClassRef::Error;
        }
        self.depth += 1;
        let mut bodies = Vec::new();
        let mut extends = None;
        loop {
            let t = self.next();
            if t.tok == Tok::ThreeDots {
                extends = Some(self.extension(&name, t.pos, bodies.is_empty()));
            } else {
                self.lexer.unlex(t);
            }
            let mut scope = Scope {
                anonymous_offset: 2,
                ..Scope::default()
            };
            for pseudo in ["input", "output"] {
                scope.map.insert(pseudo.into(), scope.elements.len());
                scope.elements.push(ElementDecl {
                    name: pseudo.into(),
                    class: ClassRef::Tunnel,
                    config: String::new(),
                    location,
                });
            }
            self.formals(&mut scope);
            self.classes.push(BTreeMap::new());
            let end = self.statements(&mut scope, Body::Compound);
            self.classes.pop();
            let printable = if name.is_empty() {
                "<anonymous>"
            } else {
                &name
            };
            scope.ports = self.check_pseudoelements(&scope, printable, (0, 1), location);
            bodies.push(scope);
            if end.tok != Tok::DoubleBar {
                break;
            }
        }
        self.depth -= 1;
        ClassRef::Compound(Rc::new(CompoundClass {
            name,
            bodies,
            extends,
            location,
        }))
    }

    /// After `...` in the bodies of class `name` (at `pos`): the class it extends. Like Click,
    /// a body (empty when `}` follows) is still parsed after the `...`.
    fn extension(&mut self, name: &str, pos: usize, first: bool) -> ClassRef {
        let class = self.class(name).unwrap_or_else(|| {
            self.error(pos, format!("cannot extend unknown element class '{name}'"));
            ClassRef::Error
        });
        let next = self.next();
        if first || next.tok != Tok::Char('}') {
            self.error(
                next.pos,
                "'...' should occur last, after one or more compounds".into(),
            );
        }
        self.lexer.unlex(next);
        class
    }

    /// Skips past the `close` matching an `open` just read.
    fn skip_to_closing(&mut self, open: char, close: char) {
        let mut depth = 1usize;
        loop {
            let t = self.next();
            match t.tok {
                Tok::Eof => return,
                Tok::Char(c) if c == open => depth += 1,
                Tok::Char(c) if c == close => {
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
    }

    /// Parses `$a, KEY $b, __REST__ $c |` at the start of a compound body, if present.
    fn formals(&mut self, scope: &mut Scope) {
        loop {
            let t1 = self.next();
            let (keyword, name, pos) = match t1.tok.clone() {
                Tok::Variable(v) => (None, v, t1.pos),
                Tok::Ident(k) => {
                    let t2 = self.next();
                    if let Tok::Variable(v) = t2.tok {
                        (Some(k), v, t1.pos)
                    } else {
                        if !scope.formals.is_empty() {
                            self.error(t2.pos, "expected variable".into());
                        }
                        self.lexer.unlex(t2);
                        self.lexer.unlex(t1);
                        return;
                    }
                }
                Tok::Char('|') => return,
                _ => {
                    if !scope.formals.is_empty() {
                        self.error(t1.pos, "expected variable".into());
                    }
                    self.lexer.unlex(t1);
                    return;
                }
            };
            if scope.formals.iter().any(|f| f.name == name) {
                self.error(pos, format!("parameter '${name}' multiply defined"));
            }
            let out_of_order = scope.formals.last().is_some_and(|prev| {
                prev.keyword.as_deref() == Some("__REST__")
                    || (keyword.is_none() && prev.keyword.is_some())
            });
            if out_of_order {
                self.error(
                    pos,
                    "compound element parameters out of order (the correct order is \
                     '[positional], [keywords], [__REST__]')"
                        .into(),
                );
            }
            scope.formals.push(Formal { name, keyword });
            let sep = self.next();
            match sep.tok {
                Tok::Char('|') => return,
                Tok::Char(',') => {}
                _ => {
                    self.error(sep.pos, "expected ',' or '|'".into());
                    self.lexer.unlex(sep);
                    return;
                }
            }
        }
    }

    /// Checks the use of the `input` and `output` pseudo-elements (scope elements `pseudo`) of
    /// the compound or group `name`; returns how many inputs and outputs it has.
    fn check_pseudoelements(
        &mut self,
        scope: &Scope,
        name: &str,
        pseudo: (usize, usize),
        location: Location,
    ) -> (usize, usize) {
        let (input, output) = pseudo;
        let mut used: [Vec<bool>; 2] = [Vec::new(), Vec::new()];
        let mut mark = |k: usize, port: usize| {
            if used[k].len() <= port {
                used[k].resize(port + 1, false);
            }
            used[k][port] = true;
        };
        let mut misuse = [false, false];
        for c in &scope.connections {
            if c.from == input {
                mark(0, c.from_port);
            }
            if c.to == output {
                mark(1, c.to_port);
            }
            misuse[0] |= c.to == input;
            misuse[1] |= c.from == output;
        }
        if misuse[0] {
            self.error_at(
                location,
                format!("'{name}' pseudoelement 'input' may only be used as output"),
            );
        }
        if misuse[1] {
            self.error_at(
                location,
                format!("'{name}' pseudoelement 'output' may only be used as input"),
            );
        }
        for (k, kind) in ["input", "output"].iter().enumerate() {
            for (port, ok) in used[k].iter().enumerate() {
                if !ok {
                    self.error_at(location, format!("'{name}' {kind} {port} missing"));
                }
            }
        }
        (used[0].len(), used[1].len())
    }

    /// Parses a port list `[...]` if present, Click's way: numbers and ranges (`0-2`)
    /// separated by commas; an empty entry at the end (`[1,]`, `[]`) makes it expandable.
    fn port_list(&mut self) -> Option<PortList> {
        let t = self.next();
        if t.tok != Tok::Char('[') {
            self.lexer.unlex(t);
            return None;
        }
        let mut list = PortList::default();
        let mut range = false;
        loop {
            let t = self.next();
            match &t.tok {
                Tok::Ident(word) => {
                    let port = match word.parse::<usize>() {
                        Ok(p) if p <= usize::from(u16::MAX) => p,
                        _ => {
                            self.error(t.pos, "syntax error: port number should be integer".into());
                            0
                        }
                    };
                    let from = match list.ports.last() {
                        Some(&last) if range => last + 1,
                        _ => port,
                    };
                    if list.ports.len() + (port + 1).saturating_sub(from) > MAX_PORT_LIST {
                        self.error(
                            t.pos,
                            format!("port list names more than the limit of {MAX_PORT_LIST} ports"),
                        );
                        self.skip_to_closing('[', ']');
                        return Some(list);
                    }
                    list.ports.extend(from..=port);
                }
                Tok::Char(']') => {
                    if list.ports.is_empty() {
                        list.ports.push(0);
                    }
                    list.expandable = true;
                    return Some(list);
                }
                _ => {
                    self.error(t.pos, "syntax error: expected port number".into());
                    self.lexer.unlex(t);
                    return Some(list);
                }
            }
            let sep = self.next();
            match sep.tok {
                Tok::Char(']') => return Some(list),
                Tok::Char('-') if !range => range = true,
                Tok::Char(',') => range = false,
                _ => {
                    self.error(sep.pos, "syntax error: expected ','".into());
                    self.lexer.unlex(sep);
                }
            }
        }
    }

    /// Parses one element reference of a connection: `[ports] name :: Class(config) [ports]`,
    /// a group `( ... )`, an anonymous compound `{ ... }`, or (in a compound or group) the
    /// `input`/`output` implied where a connection starts or ends with an arrow. `None`
    /// (after reporting, if it is an error) when there is none.
    fn element_ref(
        &mut self,
        scope: &mut Scope,
        nested: bool,
        first_in_chain: bool,
        first_in_list: bool,
    ) -> Option<ElementRef> {
        let in_ports = self.port_list();
        let t = self.next();
        let location = self.loc(t.pos);
        let (name, is_class) = match t.tok.clone() {
            Tok::Ident(name) => {
                let class = self.class(&name);
                (name, class)
            }
            Tok::Char('{') => (String::new(), Some(self.compound(String::new(), location))),
            Tok::Char('(') => {
                let (name, ports) = self.group(scope, location);
                // A group without written ports has all of its inputs and outputs.
                let in_ports = in_ports.unwrap_or_else(|| PortList {
                    ports: (0..ports.0).collect(),
                    expandable: false,
                });
                let mut r = self.element_tail(scope, name, None, in_ports, location);
                if r.out_ports.is_empty() {
                    r.out_ports.ports = (0..ports.1).collect();
                }
                return Some(r);
            }
            _ => {
                let has_ports = in_ports.is_some();
                let implicit = nested
                    && match t.tok {
                        Tok::Arrow | Tok::DoubleArrow => {
                            first_in_chain && (has_ports || first_in_list)
                        }
                        Tok::Char(',') => has_ports,
                        Tok::DoubleColon => false,
                        _ => !first_in_chain && (has_ports || first_in_list),
                    };
                let ports = in_ports.unwrap_or_default();
                self.lexer.unlex(t.clone());
                if implicit {
                    let (name, in_ports, out_ports) = if first_in_chain {
                        ("input", PortList::default(), ports)
                    } else {
                        ("output", ports, PortList::default())
                    };
                    return Some(ElementRef {
                        name: name.into(),
                        is_class: None,
                        declared: None,
                        config: String::new(),
                        bare: true,
                        implicit: true,
                        in_ports,
                        out_ports,
                        location,
                    });
                }
                if has_ports {
                    self.error(t.pos, "stranded port ignored".into());
                }
                if first_in_list && !(nested && first_in_chain) {
                    self.syntax_error(&t);
                    if !matches!(t.tok, Tok::Eof | Tok::Char('}' | ')') | Tok::DoubleBar) {
                        self.next();
                    }
                }
                return None;
            }
        };
        Some(self.element_tail(
            scope,
            name,
            is_class,
            in_ports.unwrap_or_default(),
            location,
        ))
    }

    /// Parses what may follow an element's name: `:: Class`, `(config)` and output ports.
    fn element_tail(
        &mut self,
        scope: &Scope,
        name: String,
        is_class: Option<ClassRef>,
        in_ports: PortList,
        location: Location,
    ) -> ElementRef {
        let mut r = ElementRef {
            name,
            is_class,
            declared: None,
            config: String::new(),
            bare: true,
            implicit: false,
            in_ports,
            out_ports: PortList::default(),
            location,
        };
        let t = self.next();
        if t.tok == Tok::DoubleColon {
            r.bare = false;
            let c = self.next();
            match &c.tok {
                Tok::Ident(cname) => {
                    r.declared = Some(match self.class(cname) {
                        Some(class) => class,
                        None => {
                            self.error(c.pos, format!("unknown element class '{cname}'"));
                            ClassRef::Error
                        }
                    });
                }
                Tok::Char('{') => {
                    let class = self.compound(String::new(), self.loc(c.pos));
                    r.declared = Some(class);
                }
                _ => {
                    self.error(c.pos, "missing element type in declaration".into());
                    self.lexer.unlex(c);
                    r.declared = Some(ClassRef::Error);
                }
            }
        } else {
            self.lexer.unlex(t);
        }
        let t = self.next();
        if t.tok == Tok::Char('(') {
            if r.declared.is_none() && r.is_class.is_none() && scope.lookup(&r.name).is_some() {
                self.error(
                    t.pos,
                    "configuration string ignored on element reference".into(),
                );
            }
            r.config = self.config_in_parens();
            r.bare = false;
        } else {
            self.lexer.unlex(t);
        }
        r.out_ports = self.port_list().unwrap_or_default();
        r
    }

    /// Parses an element group after `(`, through `)`: its elements join `scope`, and inside
    /// it `input` and `output` are the group's own. Returns the group's name in the scope and
    /// its numbers of inputs and outputs.
    fn group(&mut self, scope: &mut Scope, location: Location) -> (String, (usize, usize)) {
        let name = format!(";@{}", scope.elements.len() - scope.anonymous_offset + 1);
        let group = scope.elements.len();
        for (suffix, class) in [
            ("", ClassRef::Group),
            ("/input", ClassRef::GroupInput(group)),
            ("/output", ClassRef::GroupOutput(group)),
        ] {
            let member = format!("{name}{suffix}");
            scope.map.insert(member.clone(), scope.elements.len());
            scope.elements.push(ElementDecl {
                name: member,
                class,
                config: String::new(),
                location,
            });
        }
        if self.depth >= MAX_DEPTH {
            self.error_at(
                location,
                "maximum element group nesting depth exceeded".into(),
            );
            self.skip_to_closing('(', ')');
            return (name, (0, 0));
        }
        let outer = (
            scope.map.insert("input".into(), group + 1),
            scope.map.insert("output".into(), group + 2),
        );
        self.depth += 1;
        let end = self.statements(scope, Body::Group);
        self.depth -= 1;
        for (pseudo, previous) in [("input", outer.0), ("output", outer.1)] {
            match previous {
                Some(idx) => scope.map.insert(pseudo.into(), idx),
                None => scope.map.remove(pseudo),
            };
        }
        let end = self.loc(end.pos);
        let ports =
            self.check_pseudoelements(scope, "<anonymous group>", (group + 1, group + 2), end);
        (name, ports)
    }

    /// Parses a comma-separated list of element references and resolves them to elements.
    fn element_list(
        &mut self,
        scope: &mut Scope,
        nested: bool,
        first_in_chain: bool,
    ) -> Vec<PortRef> {
        let mut refs: Vec<ElementRef> = Vec::new();
        while let Some(r) = self.element_ref(scope, nested, first_in_chain, refs.is_empty()) {
            refs.push(r);
            let t = self.next();
            if t.tok != Tok::Char(',') {
                self.lexer.unlex(t);
                break;
            }
        }
        let t = self.next();
        let followed_by_arrow = matches!(t.tok, Tok::Arrow | Tok::DoubleArrow);
        self.lexer.unlex(t);
        let any_implicit = refs.iter().any(|r| r.implicit);
        if any_implicit && !first_in_chain && followed_by_arrow {
            if let Some(r) = refs.first() {
                self.error_at(
                    r.location,
                    "implicit ports used in the middle of a chain".into(),
                );
            }
        }

        // `a, b :: Class(config)` declares every name in the list with the same class.
        let any_ports = refs
            .iter()
            .any(|r| !r.in_ports.is_empty() || !r.out_ports.is_empty());
        if refs.len() > 1 && first_in_chain && !followed_by_arrow && !any_ports && !any_implicit {
            let last = refs.len() - 1;
            if refs[..last].iter().all(|r| r.bare) && refs[last].declared.is_some() {
                let (class, config) = (refs[last].declared.clone(), refs[last].config.clone());
                for r in &mut refs[..last] {
                    r.declared = class.clone();
                    r.config = config.clone();
                }
            }
        }

        let mut out = Vec::new();
        for mut r in refs {
            let in_ports = core::mem::take(&mut r.in_ports);
            let out_ports = core::mem::take(&mut r.out_ports);
            let location = r.location;
            if let Some(idx) = self.resolve(scope, r) {
                out.push(PortRef {
                    idx,
                    in_ports,
                    out_ports,
                    location,
                });
            }
        }
        out
    }

    fn resolve(&mut self, scope: &mut Scope, r: ElementRef) -> Option<usize> {
        let existing = scope.lookup(&r.name);
        if r.is_class.is_some() || existing.is_none() {
            let class = match (&r.is_class, r.declared) {
                (Some(_), Some(_)) => {
                    self.error_at(
                        r.location,
                        format!("class '{}' used as element name", r.name),
                    );
                    ClassRef::Error
                }
                (Some(c), None) => c.clone(),
                (None, Some(d)) => d,
                (None, None) => {
                    self.error_at(r.location, format!("undeclared element '{}'", r.name));
                    ClassRef::Error
                }
            };
            let name = if r.is_class.is_some() {
                self.anonymous_name(scope, &r.name)
            } else {
                r.name
            };
            if let Some(idx) = scope.lookup(&name) {
                return Some(idx);
            }
            if name
                .split('/')
                .any(|part| part.bytes().all(|c| c.is_ascii_digit()))
            {
                self.error_at(
                    r.location,
                    format!("element name '{name}' has all-digit component"),
                );
            }
            let idx = scope.elements.len();
            scope.map.insert(name.clone(), idx);
            scope.elements.push(ElementDecl {
                name,
                class,
                config: r.config,
                location: r.location,
            });
            Some(idx)
        } else {
            let idx = existing?;
            if r.declared.is_some() {
                let prev = scope.elements[idx].location;
                self.error_at(r.location, format!("redeclaration of element '{}'", r.name));
                self.error_at(
                    prev,
                    format!("element '{}' previously declared here", r.name),
                );
            }
            Some(idx)
        }
    }

    fn anonymous_name(&self, scope: &Scope, class: &str) -> String {
        let mut n = scope.elements.len() - scope.anonymous_offset + 1;
        loop {
            let name = format!("{class}@{n}");
            if scope.lookup(&name).is_none() {
                return name;
            }
            n += 1;
        }
    }

    /// Parses a connection statement: element lists joined by `->` or `=>`. `nested` (in a
    /// compound or group) lets a connection start or end with an arrow.
    fn connection(&mut self, scope: &mut Scope, nested: bool) {
        let mut previous: Option<(Vec<PortRef>, Tok)> = None;
        loop {
            let list = self.element_list(scope, nested, previous.is_none());
            if list.is_empty() {
                if let Some((last, _)) = previous {
                    self.check_unused_ports(&last, true);
                }
                return;
            }
            match previous.take() {
                None => self.check_unused_ports(&list, false),
                Some((from, connector)) => self.connect_all(scope, &from, &list, &connector),
            }
            let t = self.next();
            match t.tok {
                Tok::Arrow | Tok::DoubleArrow => {
                    previous = Some((list, t.tok));
                    continue;
                }
                Tok::Char(';') | Tok::Eof => {
                    if t.tok == Tok::Eof {
                        self.lexer.unlex(t);
                    }
                }
                Tok::Char(',') | Tok::DoubleColon => self.syntax_error(&t),
                Tok::Ident(_)
                | Tok::Char('[' | '{' | '}' | ')')
                | Tok::DoubleBar
                | Tok::ElementClass
                | Tok::Require
                | Tok::Provide
                | Tok::Define => self.lexer.unlex(t),
                _ => self.syntax_error(&t),
            }
            self.check_unused_ports(&list, true);
            return;
        }
    }

    /// Reports ports written where no connection uses them: inputs at the start of a chain,
    /// outputs at its end.
    fn check_unused_ports(&mut self, list: &[PortRef], outputs: bool) {
        let unused = list.iter().find(|r| {
            let ports = if outputs { &r.out_ports } else { &r.in_ports };
            !ports.is_empty()
        });
        if let Some(r) = unused {
            let message = if outputs {
                "output ports ignored at end of chain"
            } else {
                "input ports ignored at start of chain"
            };
            self.error_at(r.location, message.into());
        }
    }

    /// Connects the outputs of `from` to the inputs of `to` the way Click does: one-to-many and
    /// many-to-one with `->`; with `=>`, port by port, each list's ports in order, an
    /// expandable port (or a lone element without ports) taking as many as the other side
    /// has.
    fn connect_all<'a>(
        &mut self,
        scope: &mut Scope,
        from: &'a [PortRef],
        to: &'a [PortRef],
        connector: &Tok,
    ) {
        let here = to[0].location;
        // Side 0 is the inputs (`to`), side 1 the outputs (`from`).
        let sides = [to, from];
        let ports = |r: &'a PortRef, k: usize| -> &'a PortList {
            if k == 0 {
                &r.in_ports
            } else {
                &r.out_ports
            }
        };
        let mut min = [0usize; 2];
        let mut expandable = [0usize; 2];
        for k in 0..2 {
            for r in sides[k] {
                let p = ports(r, k);
                if p.len() <= 1 {
                    min[k] += 1;
                } else if p.expandable {
                    min[k] += p.len() - 1;
                    expandable[k] += 1;
                } else {
                    min[k] += p.len();
                }
            }
        }
        if expandable[0] + expandable[1] > 1 {
            self.error_at(
                here,
                "at most one expandable port allowed per connection".into(),
            );
            expandable[usize::from(min[0] < min[1])] = 0;
        }
        if *connector == Tok::DoubleArrow {
            // `=>` reads a lone element without ports as an expandable port.
            for k in 0..2 {
                if min[k] == 1 && min[1 - k] > 1 && ports(&sides[k][0], k).is_empty() {
                    expandable[k] = 1;
                }
            }
        }
        let mut step = [false; 2];
        let mut extra = [0usize; 2];
        for k in 0..2 {
            step[k] = min[k] > 1 || expandable[k] > 0;
            if expandable[k] > 0 {
                extra[k] = min[1 - k].saturating_sub(min[k]);
            }
        }
        if step[0] && step[1] {
            let (outs, ins) = (min[1], min[0]);
            if *connector != Tok::DoubleArrow {
                self.error_at(
                    here,
                    "syntax error: many-to-many connections require '=>'".into(),
                );
            }
            if expandable == [0, 0] && ins != outs {
                self.error_at(
                    here,
                    format!("connection mismatch: {outs} outputs connected to {ins} inputs"),
                );
            } else if expandable[0] == 0 && ins < outs {
                self.error_at(
                    here,
                    format!(
                        "connection mismatch: {outs} or more outputs connected to {ins} inputs"
                    ),
                );
            } else if expandable[1] == 0 && outs < ins {
                self.error_at(
                    here,
                    format!(
                        "connection mismatch: {outs} outputs connected to {ins} or more inputs"
                    ),
                );
            }
        } else if !step[0] && !step[1] {
            step[0] = true;
        }

        let mut at = [0usize; 2];
        let mut entry = [0usize; 2];
        let mut port: [Option<usize>; 2] = [None; 2];
        while at[0] < sides[0].len() && at[1] < sides[1].len() {
            for k in 0..2 {
                if port[k].is_none() {
                    port[k] = Some(
                        ports(&sides[k][at[k]], k)
                            .ports
                            .first()
                            .copied()
                            .unwrap_or(0),
                    );
                }
            }
            scope.connections.push(Connection {
                from: sides[1][at[1]].idx,
                from_port: port[1].unwrap_or(0),
                to: sides[0][at[0]].idx,
                to_port: port[0].unwrap_or(0),
            });
            for k in 0..2 {
                if !step[k] {
                    continue;
                }
                let p = ports(&sides[k][at[k]], k);
                entry[k] += 1;
                if entry[k] < p.ports.len() {
                    // The next port of the list.
                    port[k] = Some(p.ports[entry[k]]);
                } else if p.expandable && extra[k] > 0 {
                    // The expandable end: one past the last port written, and so on.
                    let last = p.ports.len() - 1;
                    port[k] = Some(p.ports[last] + entry[k] - last);
                    extra[k] -= 1;
                } else if p.is_empty() && min[k] == 1 && extra[k] > 0 {
                    // A lone element without ports after `=>`.
                    port[k] = Some(entry[k]);
                    extra[k] -= 1;
                } else {
                    // The next element of the list.
                    port[k] = None;
                    entry[k] = 0;
                    at[k] += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Libraries that exist under any name: each name found from `from` is a new path
    /// (`from/name`), so a library requiring itself is never the same file twice.
    struct Endless;

    impl Libraries for Endless {
        fn find(&mut self, name: &str, from: &str) -> Result<String, String> {
            Ok(format!("{from}/{name}"))
        }

        fn read(&mut self, _path: &str) -> Result<String, String> {
            Ok("require(library again)\nelementclass C { input -> output }".into())
        }
    }

    fn parse_with(
        src: &str,
        libraries: &mut dyn Libraries,
    ) -> Result<ParsedConfig, Vec<Diagnostic>> {
        let known = |name: &str| name == "Idle";
        parse_monitored(src, "main.click", &known, &mut Unmonitored, libraries)
    }

    #[test]
    fn without_files_a_library_is_refused_where_it_is_required() {
        let errors = parse_with("Idle;\n  require(library x.click)", &mut NoLibraries).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].to_string(),
            "main.click:2:11: 'require library' may not be used in this driver"
        );
    }

    #[test]
    fn requirements_are_checked_like_click() {
        let errors = parse_with(
            "require(package \"p\", bare, compact_config)\nrequire(library, package a b)",
            &mut NoLibraries,
        )
        .unwrap_err();
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "requirement 'p' not available",
                "requirement 'bare' not available",
                "syntax error at requirement",
                "syntax error at requirement",
            ]
        );
    }

    #[test]
    fn libraries_are_bounded() {
        let errors = parse_with("require(library again)", &mut Endless).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].message,
            format!("more than the limit of {MAX_LIBRARIES} libraries")
        );
        // The error is in the deepest library, named by its own path.
        assert!(errors[0].file.ends_with("/again"), "{}", errors[0].file);
    }
}
