//! What an element class declares once: its name, its ports, how they process packets and an
//! example configuration. The registry is built from these declarations, the router resolves
//! ports from them, and a test runs every registered class through its example.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::element::{Element, Processing};

/// One side of a port count: from `min` to `max` ports (`usize::MAX`: no upper bound).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortRange {
    /// Fewest ports.
    pub min: usize,
    /// Most ports.
    pub max: usize,
}

impl PortRange {
    /// `n` ports where `used` are connected: as many as used, within the range.
    pub fn resolve(&self, used: usize) -> usize {
        used.clamp(self.min, self.max)
    }
}

/// The port counts of a class in Click's notation `IN/OUT`, each side `n`, `n-m`, `n-` or `-`,
/// and `=` on the output side for "as many outputs as inputs". Parsed at compile time: a bad
/// spec in a `const` is a build error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ports {
    /// The inputs.
    pub inputs: PortRange,
    /// The outputs (ignored when `outputs_match_inputs`).
    pub outputs: PortRange,
    /// `=`: there are as many outputs as inputs.
    pub outputs_match_inputs: bool,
}

impl Ports {
    /// One input, one output.
    pub const ONE_TO_ONE: Ports = Ports::parse("1/1");

    /// Parses Click's notation; panics (at compile time, in a `const`) on a bad spec.
    pub const fn parse(spec: &str) -> Ports {
        let b = spec.as_bytes();
        let mut slash = 0;
        while slash < b.len() && b[slash] != b'/' {
            slash += 1;
        }
        assert!(slash < b.len(), "port count: missing '/'");
        let inputs = parse_side(b, 0, slash);
        if slash + 2 == b.len() && b[slash + 1] == b'=' {
            return Ports {
                inputs,
                outputs: inputs,
                outputs_match_inputs: true,
            };
        }
        Ports {
            inputs,
            outputs: parse_side(b, slash + 1, b.len()),
            outputs_match_inputs: false,
        }
    }

    /// The number of inputs and outputs of an element with `used_in` inputs and `used_out`
    /// outputs connected.
    pub fn resolve(&self, used_in: usize, used_out: usize) -> (usize, usize) {
        let nin = self.inputs.resolve(used_in);
        let nout = if self.outputs_match_inputs {
            nin
        } else {
            self.outputs.resolve(used_out)
        };
        (nin, nout)
    }
}

/// Parses `n`, `n-m`, `n-`, `-` from `b[start..end]`.
const fn parse_side(b: &[u8], start: usize, end: usize) -> PortRange {
    let (lo, mut i) = parse_number(b, start, end);
    if i == end {
        assert!(lo.is_some(), "port count: empty side");
        let n = match lo {
            Some(n) => n,
            None => 0,
        };
        return PortRange { min: n, max: n };
    }
    assert!(b[i] == b'-', "port count: expected '-'");
    i += 1;
    let (hi, j) = parse_number(b, i, end);
    assert!(j == end, "port count: trailing characters");
    PortRange {
        min: match lo {
            Some(n) => n,
            None => 0,
        },
        max: match hi {
            Some(n) => n,
            None => usize::MAX,
        },
    }
}

/// The decimal number at `b[start..]` (if any) and where it ends.
const fn parse_number(b: &[u8], start: usize, end: usize) -> (Option<usize>, usize) {
    let mut i = start;
    let mut n = 0usize;
    while i < end && b[i].is_ascii_digit() {
        n = n * 10 + (b[i] - b'0') as usize;
        i += 1;
    }
    (if i > start { Some(n) } else { None }, i)
}

/// How a class's ports process packets, Click's `IN/OUT` with one letter per port (`h` push,
/// `l` pull, `a` agnostic), the last letter repeating. Checked at compile time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessingSpec {
    spec: &'static str,
    slash: usize,
}

impl ProcessingSpec {
    /// Agnostic inputs and outputs (`a/a`).
    pub const AGNOSTIC: ProcessingSpec = ProcessingSpec::parse("a/a");
    /// Push inputs and outputs (`h/h`).
    pub const PUSH: ProcessingSpec = ProcessingSpec::parse("h/h");

    /// Parses the notation; panics (at compile time, in a `const`) on a bad spec.
    pub const fn parse(spec: &'static str) -> ProcessingSpec {
        let b = spec.as_bytes();
        let mut slash = None;
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'/' => {
                    assert!(slash.is_none(), "processing: more than one '/'");
                    slash = Some(i);
                }
                b'a' | b'h' | b'l' => {}
                _ => panic!("processing: letters are a, h and l"),
            }
            i += 1;
        }
        let Some(slash) = slash else {
            panic!("processing: missing '/'")
        };
        ProcessingSpec { spec, slash }
    }

    /// The processing of each of `n` inputs.
    pub fn inputs(&self, n: usize) -> Vec<Processing> {
        expand(&self.spec.as_bytes()[..self.slash], n)
    }

    /// The processing of each of `n` outputs.
    pub fn outputs(&self, n: usize) -> Vec<Processing> {
        expand(&self.spec.as_bytes()[self.slash + 1..], n)
    }
}

/// One side of a processing spec expanded to `n` ports (agnostic when the side is empty).
fn expand(b: &[u8], n: usize) -> Vec<Processing> {
    let code = |c: u8| match c {
        b'h' => Processing::Push,
        b'l' => Processing::Pull,
        _ => Processing::Agnostic,
    };
    (0..n)
        .map(|i| {
            b.get(i)
                .or(b.last())
                .map_or(Processing::Agnostic, |&c| code(c))
        })
        .collect()
}

/// An element class: the declarations the registry, the router and the tests use. Written
/// once per class, next to the element.
pub trait ElementClass: Element + Default + 'static {
    /// The class name, e.g. `Classifier`.
    const NAME: &'static str;
    /// Port counts (default one input, one output).
    const PORTS: Ports = Ports::ONE_TO_ONE;
    /// Port processing (default agnostic).
    const PROCESSING: ProcessingSpec = ProcessingSpec::AGNOSTIC;
    /// A configuration the class accepts, for the tests that run every class and for docs.
    const EXAMPLE: &'static str = "";
}

/// A registered class: its declarations and how to make an element of it.
#[derive(Clone, Copy)]
pub struct ClassInfo {
    /// The class name.
    pub name: &'static str,
    /// Port counts.
    pub ports: Ports,
    /// Port processing.
    pub processing: ProcessingSpec,
    /// A configuration the class accepts.
    pub example: &'static str,
    /// Makes a fresh, unconfigured element.
    pub make: fn() -> Box<dyn Element>,
}

impl ClassInfo {
    /// The declarations of class `E`.
    pub fn of<E: ElementClass>() -> ClassInfo {
        ClassInfo {
            name: E::NAME,
            ports: E::PORTS,
            processing: E::PROCESSING,
            example: E::EXAMPLE,
            make: || Box::new(E::default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_counts_in_click_notation() {
        let r = |s: &'static str, i, o| Ports::parse(s).resolve(i, o);
        assert_eq!(r("1/1", 0, 0), (1, 1));
        assert_eq!(r("1/-", 1, 4), (1, 4));
        assert_eq!(r("1/1-2", 1, 5), (1, 2));
        assert_eq!(r("-/=", 3, 0), (3, 3));
        assert_eq!(r("1/=", 3, 0), (1, 1));
        assert_eq!(r("-/-", 0, 0), (0, 0));
        assert_eq!(r("0/1", 2, 1), (0, 1));
        assert_eq!(r("2/1-", 0, 0), (2, 1));
    }

    #[test]
    fn processing_letters_repeat() {
        let p = ProcessingSpec::parse("a/ah");
        assert_eq!(
            p.outputs(3),
            alloc::vec![Processing::Agnostic, Processing::Push, Processing::Push]
        );
        assert_eq!(p.inputs(2), alloc::vec![Processing::Agnostic; 2]);
        assert_eq!(
            ProcessingSpec::parse("/h").inputs(1),
            alloc::vec![Processing::Agnostic]
        );
    }
}
