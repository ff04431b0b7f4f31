//! Flattening: compound elements are expanded (their elements named `outer/inner`), variables
//! substituted, and connections through compound ports joined, giving a flat router description.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::expand::{expand, Env};
use super::parser::{ClassRef, CompoundClass, Formal, ParsedConfig, Scope};
use crate::args::{keyword_length, split_args};
use crate::error::{Diagnostic, Location, Sources};
use crate::limits::{BuildMonitor, Limits, Unmonitored};

/// A primitive element of the flattened router.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlatElement {
    /// Full name, e.g. `o/s/c` or `Classifier@3`.
    pub name: String,
    /// Registry class name.
    pub class: String,
    /// Configuration string with variables expanded.
    pub config: String,
    /// Where it was declared.
    pub location: Location,
}

/// A connection of the flattened router.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlatConnection {
    /// Source element index.
    pub from: usize,
    /// Source output port.
    pub from_port: usize,
    /// Destination element index.
    pub to: usize,
    /// Destination input port.
    pub to_port: usize,
}

/// A flat router description: primitive elements and the connections between them.
#[derive(Clone, Debug, Default)]
pub struct FlatConfig {
    /// The configuration's file and its libraries, named in messages.
    pub sources: Sources,
    /// Elements: top-level declarations first, then compound internals.
    pub elements: Vec<FlatElement>,
    /// Connections, without duplicates.
    pub connections: Vec<FlatConnection>,
}

/// A node of the expansion graph: a primitive element or one side of a compound's or group's
/// ports (an index into the tunnels).
#[derive(Clone, Copy)]
enum Node {
    Element(usize),
    Tunnel(usize),
}

/// The input or output side of a compound instance or group, for messages about its ports.
struct Tunnel {
    /// The instance or group name, e.g. `sp` or `@2`.
    name: String,
    /// The output side.
    output: bool,
    location: Location,
}

struct Flattener<'a> {
    limits: &'a Limits,
    monitor: &'a mut dyn BuildMonitor,
    /// Primitive elements and compound instances made so far (bounded by `limits.elements`).
    instances: usize,
    /// A limit or the monitor stopped the expansion; nothing more is added.
    abandoned: bool,
    nodes: Vec<Node>,
    tunnels: Vec<Tunnel>,
    edges: Vec<(usize, usize, usize, usize)>,
    /// Compound instances waiting to be expanded, after the enclosing scope's own elements.
    pending: Vec<Pending>,
    out: FlatConfig,
    errors: Vec<Diagnostic>,
}

struct Pending {
    class: alloc::rc::Rc<CompoundClass>,
    prefix: String,
    config: String,
    env: Env,
    ports: (usize, usize),
    tunnels: (usize, usize),
    location: Location,
}

/// Deepest nesting of compound instances (a class cannot contain itself, but keep a bound).
const MAX_INSTANCE_DEPTH: usize = 64;

/// Expands `parsed` into a flat configuration. `defines` are command-line `NAME=VALUE`
/// assignments; they override the file's `define`s.
pub fn flatten(
    parsed: &ParsedConfig,
    defines: &[(String, String)],
) -> Result<FlatConfig, Vec<Diagnostic>> {
    flatten_monitored(parsed, defines, &Limits::HOST, &mut Unmonitored)
}

/// [`flatten`] within `limits` (element count, expanded text), with `monitor` called after
/// every element and compound instance; a limit or a monitor error stops the expansion with
/// the error at the element's place.
pub fn flatten_monitored(
    parsed: &ParsedConfig,
    defines: &[(String, String)],
    limits: &Limits,
    monitor: &mut dyn BuildMonitor,
) -> Result<FlatConfig, Vec<Diagnostic>> {
    let mut f = Flattener {
        limits,
        monitor,
        instances: 0,
        abandoned: false,
        nodes: Vec::new(),
        tunnels: Vec::new(),
        edges: Vec::new(),
        pending: Vec::new(),
        out: FlatConfig {
            sources: parsed.sources.clone(),
            ..FlatConfig::default()
        },
        errors: Vec::new(),
    };
    let mut env = Env::new();
    for (name, value) in &parsed.scope.defines {
        env.bind(name, value);
    }
    for (name, value) in defines {
        env.bind(name, value);
    }
    f.expand_scope(&parsed.scope, "", &env, None);
    let mut depth = 0;
    while !f.pending.is_empty() && !f.abandoned {
        if depth == MAX_INSTANCE_DEPTH {
            let p = &f.pending[0];
            let (location, class) = (p.location, p.class.name.clone());
            f.error(
                location,
                format!(
                    "compound elements nested more than {MAX_INSTANCE_DEPTH} deep (instantiating '{class}')"
                ),
            );
            break;
        }
        let batch = core::mem::take(&mut f.pending);
        for p in batch {
            if f.abandoned {
                break;
            }
            f.expand_instance(p);
        }
        depth += 1;
    }
    if !f.errors.is_empty() {
        return Err(f.errors);
    }
    f.join_tunnels();
    if f.errors.is_empty() {
        Ok(f.out)
    } else {
        Err(f.errors)
    }
}

impl Flattener<'_> {
    fn error(&mut self, location: Location, message: String) {
        let diagnostic = self.out.sources.diagnostic(Some(location), message);
        self.errors.push(diagnostic);
    }

    /// Counts one more element or compound instance at `location` and lets the monitor look;
    /// false (with the error reported) when the expansion must stop.
    fn admit(&mut self, location: Location) -> bool {
        if self.abandoned {
            return false;
        }
        self.instances += 1;
        let refusal = if self.instances > self.limits.elements {
            Some(format!(
                "more than the limit of {} elements once compounds are expanded",
                self.limits.elements
            ))
        } else {
            self.monitor.checkpoint().err()
        };
        match refusal {
            Some(message) => {
                self.error(location, message);
                self.abandoned = true;
                false
            }
            None => true,
        }
    }

    /// Expands the variables of an element's configuration, within the limit.
    fn expand_config(&mut self, config: &str, env: &Env, location: Location) -> Option<String> {
        match expand(config, env, self.limits.expanded_bytes) {
            Ok(text) => Some(text),
            Err(message) => {
                self.error(location, message);
                self.abandoned = true;
                None
            }
        }
    }

    /// Adds a primitive element to the flat router; returns its node.
    fn add_element(
        &mut self,
        name: String,
        class: &str,
        config: String,
        location: Location,
    ) -> usize {
        let idx = self.out.elements.len();
        self.out.elements.push(FlatElement {
            name,
            class: class.to_string(),
            config,
            location,
        });
        self.new_node(Node::Element(idx))
    }

    /// Adds the input and output sides of compound instance or group `name`; returns their
    /// nodes.
    fn new_tunnels(&mut self, name: String, location: Location) -> (usize, usize) {
        let mut side = |output: bool| {
            self.tunnels.push(Tunnel {
                name: name.clone(),
                output,
                location,
            });
            let tunnel = self.tunnels.len() - 1;
            self.new_node(Node::Tunnel(tunnel))
        };
        (side(false), side(true))
    }

    fn new_node(&mut self, node: Node) -> usize {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// Adds the elements of `scope` under `prefix`; `tunnels` are the nodes standing for a
    /// compound body's `input` and `output`.
    fn expand_scope(
        &mut self,
        scope: &Scope,
        prefix: &str,
        env: &Env,
        tunnels: Option<(usize, usize)>,
    ) {
        let mut map = Vec::with_capacity(scope.elements.len());
        for (i, decl) in scope.elements.iter().enumerate() {
            if matches!(decl.class, ClassRef::Primitive(_) | ClassRef::Compound(_))
                && !self.admit(decl.location)
            {
                return;
            }
            let node = match &decl.class {
                ClassRef::Tunnel => {
                    tunnels.map(|(input, output)| if i == 0 { input } else { output })
                }
                ClassRef::Error => None,
                ClassRef::Group => {
                    let name = format!("{prefix}{}", decl.name.trim_start_matches(';'));
                    map.push(Some(self.new_tunnels(name, decl.location)));
                    continue;
                }
                // Inside the group, its `input` is where outside connections into it arrive
                // and its `output` where connections out of it leave.
                ClassRef::GroupInput(group) => map.get(*group).copied().flatten().map(|(i, _)| i),
                ClassRef::GroupOutput(group) => map.get(*group).copied().flatten().map(|(_, o)| o),
                ClassRef::Primitive(class) => {
                    let Some(config) = self.expand_config(&decl.config, env, decl.location) else {
                        return;
                    };
                    let name = format!("{prefix}{}", decl.name);
                    Some(self.add_element(name, class, config, decl.location))
                }
                ClassRef::Compound(class) => {
                    let Some(config) = self.expand_config(&decl.config, env, decl.location) else {
                        return;
                    };
                    let name = format!("{prefix}{}", decl.name);
                    let (input, output) = self.new_tunnels(name, decl.location);
                    self.pending.push(Pending {
                        class: class.clone(),
                        prefix: format!("{prefix}{}/", decl.name),
                        config,
                        env: env.clone(),
                        ports: scope.used_ports(i),
                        tunnels: (input, output),
                        location: decl.location,
                    });
                    // Outside connections into the compound end at its input tunnel and
                    // connections out of it start at its output tunnel.
                    map.push(Some((input, output)));
                    continue;
                }
            };
            map.push(node.map(|n| (n, n)));
        }
        for c in &scope.connections {
            if let (Some(Some((_, from))), Some(Some((to, _)))) = (map.get(c.from), map.get(c.to)) {
                self.edges.push((*from, c.from_port, *to, c.to_port));
            }
        }
    }

    /// Expands one compound instance: picks the overload and binds the formals. A class that
    /// extends a primitive class falls back to it when no overload fits.
    fn expand_instance(&mut self, p: Pending) {
        let args = split_args(&p.config);
        let (bodies, primitive) = p.class.overloads();
        let mut chosen = None;
        let mut closest = None;
        for body in &bodies {
            if let Some(values) = assign_arguments(&body.formals, &args) {
                if body.ports == p.ports {
                    chosen = Some((*body, values));
                    break;
                }
                closest.get_or_insert((*body, values));
            }
        }
        if chosen.is_none() {
            if let Some(class) = primitive {
                let name = p.prefix.strip_suffix('/').unwrap_or(&p.prefix);
                let node = self.add_element(name.to_string(), class, p.config, p.location);
                let (input, output) = p.tunnels;
                for port in 0..p.ports.0 {
                    self.edges.push((input, port, node, port));
                }
                for port in 0..p.ports.1 {
                    self.edges.push((node, port, output, port));
                }
                return;
            }
        }
        if chosen.is_none() && bodies.len() == 1 {
            chosen = closest;
        }
        let Some((body, values)) = chosen else {
            let name = if p.class.name.is_empty() {
                "<anonymous>"
            } else {
                &p.class.name
            };
            let plural =
                |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
            self.error(
                p.location,
                format!(
                    "no match for '{name}[{}, {}, {}]'",
                    plural(args.len(), "argument"),
                    plural(p.ports.0, "input"),
                    plural(p.ports.1, "output"),
                ),
            );
            return;
        };
        let mut env = p.env;
        for (formal, value) in body.formals.iter().zip(&values) {
            env.bind(&formal.name, value);
        }
        for (name, value) in &body.defines {
            env.bind(name, value);
        }
        self.expand_scope(body, &p.prefix, &env, Some(p.tunnels));
    }

    /// Replaces paths through compound and group ports by direct element-to-element
    /// connections, and reports the ports where a path ends (Click's words: `'c' has no input
    /// 1` when the body does not use a port connected outside, `'c' input 1 unused` when the
    /// body uses a port not connected outside; likewise for outputs).
    fn join_tunnels(&mut self) {
        type Adjacency = BTreeMap<(usize, usize), Vec<(usize, usize)>>;
        let mut forward: Adjacency = BTreeMap::new();
        let mut backward: Adjacency = BTreeMap::new();
        for &(f, fp, t, tp) in &self.edges {
            forward.entry((f, fp)).or_default().push((t, tp));
            backward.entry((t, tp)).or_default().push((f, fp));
        }
        let mut joined = BTreeSet::new();
        let mut dead_ends: Vec<(usize, usize, bool)> = Vec::new();
        for &(from, from_port, to, to_port) in &self.edges {
            if let Node::Element(src) = self.nodes[from] {
                self.walk(
                    &forward,
                    (to, to_port),
                    true,
                    &mut dead_ends,
                    |dst, port| {
                        joined.insert(FlatConnection {
                            from: src,
                            from_port,
                            to: dst,
                            to_port: port,
                        });
                    },
                );
            }
            if let (Node::Element(_), Node::Tunnel(_)) = (self.nodes[to], self.nodes[from]) {
                self.walk(
                    &backward,
                    (from, from_port),
                    false,
                    &mut dead_ends,
                    |_, _| {},
                );
            }
        }
        for (node, port, forwards) in dead_ends {
            let Node::Tunnel(t) = self.nodes[node] else {
                continue;
            };
            let tunnel = &self.tunnels[t];
            let name = &tunnel.name;
            let message = match (forwards, tunnel.output) {
                (true, false) => format!("'{name}' has no input {port}"),
                (true, true) => format!("'{name}' output {port} unused"),
                (false, false) => format!("'{name}' input {port} unused"),
                (false, true) => format!("'{name}' has no output {port}"),
            };
            let location = tunnel.location;
            self.error(location, message);
        }
        self.out.connections = joined.into_iter().collect();
    }

    /// Follows `edges` from `start` through tunnels to the elements it reaches (`reach` gets
    /// each element and port); a tunnel port the edges do not continue from is recorded in
    /// `dead_ends` (once) with the direction of the walk.
    fn walk(
        &self,
        edges: &BTreeMap<(usize, usize), Vec<(usize, usize)>>,
        start: (usize, usize),
        forwards: bool,
        dead_ends: &mut Vec<(usize, usize, bool)>,
        mut reach: impl FnMut(usize, usize),
    ) {
        let mut stack = alloc::vec![(start.0, start.1, 0usize)];
        while let Some((node, port, depth)) = stack.pop() {
            match self.nodes[node] {
                Node::Element(element) => reach(element, port),
                Node::Tunnel(_) if depth < 4 * MAX_INSTANCE_DEPTH => match edges.get(&(node, port))
                {
                    Some(next) => stack.extend(next.iter().map(|&(n, p)| (n, p, depth + 1))),
                    None => {
                        if !dead_ends.contains(&(node, port, forwards)) {
                            dead_ends.push((node, port, forwards));
                        }
                    }
                },
                Node::Tunnel(_) => {}
            }
        }
    }
}

/// Matches actual arguments to formals (Click's `cp_assign_arguments`): positional formals take
/// arguments in order, keyword formals take `KEY value` arguments, `__REST__` takes the rest
/// joined by `", "`. Returns the value of each formal, or `None` when they do not fit.
fn assign_arguments(formals: &[Formal], args: &[String]) -> Option<Vec<String>> {
    let plain = formals.iter().all(|f| f.keyword.is_none());
    if plain {
        return (args.len() == formals.len()).then(|| args.to_vec());
    }
    let mut used = alloc::vec![false; args.len()];
    let mut values = Vec::with_capacity(formals.len());
    for formal in formals {
        let value = match formal.keyword.as_deref() {
            None => {
                let i = used.iter().position(|u| !u)?;
                used[i] = true;
                args[i].clone()
            }
            Some("__REST__") => {
                let rest: Vec<&str> = args
                    .iter()
                    .zip(&used)
                    .filter(|(_, u)| !**u)
                    .map(|(a, _)| a.as_str())
                    .collect();
                used.iter_mut().for_each(|u| *u = true);
                rest.join(", ")
            }
            Some(key) => {
                let i = (0..args.len()).rev().find(|&i| {
                    !used[i] && keyword_length(&args[i]) == key.len() && args[i].starts_with(key)
                })?;
                used[i] = true;
                args[i][key.len()..].trim_start().to_string()
            }
        };
        values.push(value);
    }
    used.iter().all(|u| *u).then_some(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::parse;
    use alloc::vec;

    fn flat(src: &str) -> Result<FlatConfig, Vec<Diagnostic>> {
        let known = |c: &str| matches!(c, "Idle" | "Null" | "Discard" | "Tee" | "Print");
        let parsed = parse(src, "t.click", &known)?;
        flatten(&parsed, &[])
    }

    fn names(f: &FlatConfig) -> Vec<&str> {
        f.elements.iter().map(|e| e.name.as_str()).collect()
    }

    fn edges(f: &FlatConfig) -> Vec<(&str, usize, usize, &str)> {
        f.connections
            .iter()
            .map(|c| {
                (
                    f.elements[c.from].name.as_str(),
                    c.from_port,
                    c.to_port,
                    f.elements[c.to].name.as_str(),
                )
            })
            .collect()
    }

    #[test]
    fn anonymous_names_count_every_element_of_the_scope() {
        let f = flat("Idle -> Null -> n :: Null -> Null -> Discard; Idle -> Discard").unwrap();
        assert_eq!(
            names(&f),
            vec![
                "Idle@1",
                "Null@2",
                "n",
                "Null@4",
                "Discard@5",
                "Idle@6",
                "Discard@7"
            ]
        );
        assert_eq!(f.connections.len(), 5);
    }

    #[test]
    fn compounds_are_expanded_and_joined() {
        let f = flat(
            "elementclass Pass { input -> Null -> output }
             elementclass Two { input -> t :: Tee; t[0] -> [0]output; t[1] -> Pass -> [1]output }
             Idle -> o :: Two; o[0] -> Discard; o[1] -> Discard;
             Idle -> Pass -> Discard;",
        )
        .unwrap();
        let mut e = edges(&f);
        e.sort();
        let mut want = vec![
            ("Idle@1", 0, 0, "o/t"),
            ("o/t", 0, 0, "Discard@3"),
            ("o/t", 1, 0, "o/Pass@2/Null@1"),
            ("o/Pass@2/Null@1", 0, 0, "Discard@4"),
            ("Idle@5", 0, 0, "Pass@6/Null@1"),
            ("Pass@6/Null@1", 0, 0, "Discard@7"),
        ];
        want.sort();
        assert_eq!(e, want);
    }

    #[test]
    fn formals_defines_and_overloads() {
        let f = flat(
            "define($L top)
             elementclass P { $a | input -> Print($a) -> output
                           || $a, $b | input -> Print(\"$a+$b\") -> output }
             elementclass K { $x, KEY $k, __REST__ $r | input -> Print($x $k \"$r\") -> output }
             Idle -> P($L) -> P(1, 2) -> K(x, r1, KEY kk, r2) -> Discard",
        )
        .unwrap();
        let configs: Vec<&str> = f.elements.iter().map(|e| e.config.as_str()).collect();
        assert!(configs.contains(&"top"), "{configs:?}");
        assert!(configs.contains(&"\"1+2\""), "{configs:?}");
        assert!(configs.contains(&"x kk \"r1, r2\""), "{configs:?}");
    }

    #[test]
    fn errors_are_all_reported_with_locations() {
        let errs = flat("Idle -> Bogus -> Discard;\nx :: Nope;\n-> Discard").unwrap_err();
        let msgs: Vec<String> = errs.iter().map(|d| alloc::format!("{d}")).collect();
        assert!(
            msgs[0].starts_with("t.click:1:9: undeclared element 'Bogus'"),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.contains("2:6: unknown element class 'Nope'")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.contains("3:1: syntax error near '->'")),
            "{msgs:?}"
        );
    }

    #[test]
    fn declaration_lists_share_class_and_config() {
        let f = flat("a, b :: Tee(2); Idle -> a; Idle -> b; a[0] -> Discard; a[1] -> Discard; b[0] -> Discard; b[1] -> Discard").unwrap();
        assert_eq!(f.elements[0].config, "2");
        assert_eq!(f.elements[1].class, "Tee");
        assert_eq!(f.elements[1].config, "2");
    }

    #[test]
    fn no_match_for_overload() {
        let errs =
            flat("elementclass P { $a | input -> output } Idle -> P -> Discard").unwrap_err();
        assert!(errs[0].message.starts_with("no match for 'P["), "{errs:?}");
    }

    #[test]
    fn hostile_inputs_are_errors_not_panics() {
        for src in [
            "require(",
            "require(package \"x\") require(a b c) require(library z)",
            "elementclass A { $a, KEY $b | input -> output } A(",
            "x :: Idle(",
            "Idle -> [99999999999] Discard",
            "elementclass { }",
            "a :: { input -> output }; Idle -> a -> Discard",
            "define($ 1, $A)",
            "Idle -> -> Discard",
            "[0] -> x",
            "Idle => Discard, Discard, Discard",
            "{{{{{{{{{{{{{{{{{{{{",
            "Idle -> ( -> [1] output ) -> Discard",
            "a :: Idle; a [0-65535] => [0-65535] a",
            "a :: Idle; a [] => [] a; a [0-] -> [ -> a",
            ") ( ] [ , -> => ( , ) => { -> } [0] ( [0] ->",
            "elementclass E { ... || ... } elementclass E { ... }",
        ] {
            let _ = flat(src);
        }
        let deep = "elementclass A { ".repeat(200);
        assert!(flat(&deep).is_err());
        let groups = "Idle -> (".repeat(200);
        assert!(flat(&groups).is_err());
    }
}
