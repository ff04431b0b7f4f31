//! The parser corpus recorded from Click 2.1 (tests/data/parser): every `p*` configuration
//! loads and flattens to the same declarations and connections as Click's `click -q -o -`; every
//! `e*` configuration is rejected with Click's error at Click's landmark.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use click_elements::{build_router, Registry};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/parser")
}

fn cases(prefix: char) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(corpus())
        .expect("corpus directory")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix) && n.ends_with(".click"))
        .map(|n| n.trim_end_matches(".click").to_string())
        .collect();
    names.sort();
    names
}

/// Declarations `(name, class, config)` and connections `(from, port, port, to)` of a
/// flattened router in `click -o` syntax.
type Structure = (
    BTreeSet<(String, String, String)>,
    BTreeSet<(String, usize, usize, String)>,
);

/// Parses one end of a connection: `[in] name [out]`.
fn endpoint(text: &str) -> (usize, String, usize) {
    let mut s = text.trim();
    let mut in_port = 0;
    let mut out_port = 0;
    if let Some(rest) = s.strip_prefix('[') {
        let (n, rest) = rest.split_once(']').expect("closing ]");
        in_port = n.trim().parse().expect("input port");
        s = rest.trim();
    }
    if let Some(open) = s.rfind('[') {
        out_port = s[open + 1..s.len() - 1]
            .trim()
            .parse()
            .expect("output port");
        s = s[..open].trim();
    }
    (in_port, s.to_string(), out_port)
}

fn structure(flat: &str) -> Structure {
    let (decls, conns) = flat.split_once("\n\n").unwrap_or((flat, ""));
    let mut declarations = BTreeSet::new();
    for decl in decls.split(";\n").map(str::trim).filter(|d| !d.is_empty()) {
        let decl = decl.trim_end_matches(';');
        let (name, rest) = decl.split_once(" :: ").expect("declaration");
        let (class, config) = match rest.split_once('(') {
            Some((class, config)) => (class, config.strip_suffix(')').expect("closing )")),
            None => (rest, ""),
        };
        declarations.insert((name.to_string(), class.to_string(), config.to_string()));
    }
    let mut connections = BTreeSet::new();
    for chain in conns.split(';').map(str::trim).filter(|c| !c.is_empty()) {
        let hops: Vec<(usize, String, usize)> = chain.split("->").map(endpoint).collect();
        for pair in hops.windows(2) {
            let (_, from, out_port) = &pair[0];
            let (in_port, to, _) = &pair[1];
            connections.insert((from.clone(), *out_port, *in_port, to.clone()));
        }
    }
    (declarations, connections)
}

/// Builds case `name`, named by its path so that the libraries it requires are found next to
/// it, as Click found them when run in the corpus directory.
fn load(name: &str) -> Result<click_elements::Router, click_elements::Diagnostics> {
    let path = corpus().join(format!("{name}.click"));
    let src = fs::read_to_string(&path).expect("config");
    build_router(&src, &path.to_string_lossy(), &[], &Registry::standard())
}

/// A file name in a diagnostic, relative to the corpus directory (Click ran there).
fn in_corpus(file: &str) -> &str {
    let dir = corpus();
    let dir = dir.to_string_lossy();
    let file = file.strip_prefix(dir.as_ref()).unwrap_or(file);
    file.trim_start_matches('/').trim_start_matches("./")
}

#[test]
fn valid_configurations_flatten_like_click() {
    let names = cases('p');
    assert!(names.len() >= 6, "corpus missing: {names:?}");
    for name in names {
        let router = load(&name).unwrap_or_else(|e| panic!("{name} failed to load:\n{e}"));
        let expected = fs::read_to_string(corpus().join(format!("{name}.flat"))).expect("flat");
        let (want_decls, want_conns) = structure(&expected);
        let (got_decls, got_conns) = structure(&router.flat_text());
        assert_eq!(got_decls, want_decls, "{name}: declarations differ");
        assert_eq!(got_conns, want_conns, "{name}: connections differ");
    }
}

/// Click's first error: its landmark file and line (if any) and message (continuation lines
/// joined).
fn click_error(err: &str) -> (Option<(String, u32)>, String) {
    let mut lines = err
        .lines()
        .filter(|l| *l != "Router could not be initialized!");
    let first = lines.next().expect("an error line");
    let mut message = first.to_string();
    let mut line = None;
    if let Some((file_and_line, rest)) = first.split_once(": ") {
        if let Some((file, n)) = file_and_line.rsplit_once(':') {
            if let Ok(n) = n.parse() {
                line = Some((in_corpus(file).to_string(), n));
                message = rest.to_string();
            }
        }
    }
    for more in lines.take_while(|l| l.starts_with("  ")) {
        message.push(' ');
        message.push_str(more.trim());
    }
    (line, message)
}

#[test]
fn invalid_configurations_are_rejected_like_click() {
    let names = cases('e');
    assert!(names.len() >= 6, "corpus missing: {names:?}");
    for name in names {
        let err = match load(&name) {
            Ok(_) => panic!("{name} loaded but Click rejects it"),
            Err(e) => e,
        };
        let click = fs::read_to_string(corpus().join(format!("{name}.err"))).expect("err");
        let (line, message) = click_error(&click);
        let found = err.0.iter().any(|d| {
            d.message == message
                && line.as_ref().is_none_or(|(file, l)| {
                    d.location.map(|loc| loc.line) == Some(*l) && in_corpus(&d.file) == file
                })
        });
        assert!(
            found,
            "{name}: expected line {line:?} '{message}', got:\n{err}"
        );
        // Every diagnostic with a landmark carries a column too.
        assert!(err
            .0
            .iter()
            .all(|d| d.location.is_none_or(|l| l.column >= 1)));
    }
}
