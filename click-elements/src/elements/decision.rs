//! Decision DAGs over packet words, shared by the classifiers (`Classifier`, `IPClassifier`,
//! `IPFilter`).
//!
//! A classifier's patterns become boolean [`Expr`]essions over word tests, one [`Rule`] per
//! pattern; [`Program::compile`] lays the rules out as a chain of tests (first match wins) and
//! then builds a decision DAG from it: each node tests one masked 32-bit word and jumps on the
//! result. While compiling, the outcome of every test made on the way to a node is remembered,
//! and a later test whose result those outcomes already decide is skipped (so
//! `12/0806 20/0001, 12/0806 20/0002, 12/0800` tests the ethertype word at most once per
//! packet).
//!
//! A word is read relative to a [`Base`]: the packet data, or the MAC, network or transport
//! header. A test whose bytes extend past the end of the packet does not compare anything: it
//! takes its *short* outcome, which is "no" unless the test says otherwise (IPFilter's `!=`
//! relations fail on short packets, while `not` makes them match).
//!
//! Short outcomes keep many tests from deciding later ones, so the rules are compiled twice:
//! once for packets of any length, and once for packets holding every word tested (checked
//! once per packet), where a test decides every later one on its word and mask. In that second
//! DAG, a region of tests on one word whose outcome is whether the masked word lies in an
//! interval (Click's decomposition of `dst port >= 6000 && dst port <= 6010` into a dozen bit
//! tests) becomes one interval test.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::element::{Batch, PushContext};
use crate::limits::Limits;
use crate::packet::Packet;

/// Where the bytes a test reads start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Base {
    /// The first byte of the packet data.
    Data = 0,
    /// The MAC header annotation.
    Mac = 1,
    /// The network (IP) header annotation.
    Network = 2,
    /// The transport header: the network header plus its IP header length.
    Transport = 3,
}

impl Base {
    /// Prefix of an offset in program listings.
    fn prefix(self) -> &'static str {
        match self {
            Base::Data => "",
            Base::Mac => "mac+",
            Base::Network => "ip+",
            Base::Transport => "transp+",
        }
    }
}

/// The bytes each [`Base`] starts, for one packet (empty when the packet has no such header).
pub(crate) type Views<'a> = [&'a [u8]; 4];

/// A test of one 32-bit word: `(word & mask) == value`, or `short` when the packet ends
/// before the last masked byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct WordTest {
    /// Where `offset` counts from.
    pub base: Base,
    /// Offset of the word's first byte.
    pub offset: usize,
    /// Which bits matter.
    pub mask: u32,
    /// Their wanted value (already masked).
    pub value: u32,
    /// The outcome when the packet is too short to hold the masked bytes.
    pub short: bool,
}

impl WordTest {
    /// A test at `offset` of `base` that fails on short packets.
    pub fn new(base: Base, offset: usize, value: u32, mask: u32) -> WordTest {
        WordTest {
            base,
            offset,
            mask,
            value: value & mask,
            short: false,
        }
    }

    /// Length (from the base) needed to see every masked byte.
    pub fn required_length(&self) -> usize {
        self.offset + 4 - (self.mask.trailing_zeros() / 8) as usize
    }

    /// What the test's comparison gives, knowing that the comparison of `known` (at the
    /// same word) gave `outcome`.
    fn compare_implied(&self, known: &WordTest, outcome: bool) -> Option<bool> {
        if outcome {
            if (known.value ^ self.value) & known.mask & self.mask != 0 {
                return Some(false);
            }
            if self.mask & !known.mask == 0 {
                return Some(true);
            }
        } else if known.mask & !self.mask == 0 && self.value & known.mask == known.value {
            // `self` asks for everything `known` asked for (and more): it fails too.
            return Some(false);
        }
        None
    }

    /// What knowing that `known` gave `outcome` says about `self`, if anything. Every way
    /// `known` could have given `outcome` (on the bytes, or because the packet was short) must
    /// lead to the same answer, unless the packet is `long`: known to hold both tests' bytes.
    fn implied_by(&self, known: &WordTest, outcome: bool, long: bool) -> Option<bool> {
        if known.base != self.base || known.offset != self.offset {
            return None;
        }
        let (need, known_need) = (self.required_length(), known.required_length());
        // The packet held `known`'s bytes and their comparison gave `outcome`.
        let compared = self.compare_implied(known, outcome);
        if long {
            return compared;
        }
        let long = if need <= known_need {
            compared
        } else {
            // `self` may still be short.
            compared.filter(|&c| c == self.short)
        };
        if known.short != outcome {
            return long;
        }
        // Or the packet was too short for `known`, and so for `self` if it needs as much.
        let short = (need >= known_need).then_some(self.short);
        match (long, short) {
            (Some(a), Some(b)) if a == b => Some(a),
            _ => None,
        }
    }

    /// The test's outcome on `views`.
    #[cfg(test)]
    fn eval(&self, views: &Views<'_>) -> bool {
        let data = views[self.base as usize];
        if data.len() < self.required_length() {
            self.short
        } else {
            word_at(data, self.offset) & self.mask == self.value
        }
    }
}

/// A table of distinct word tests, each known by its index.
#[derive(Default)]
pub(crate) struct TestTable {
    tests: Vec<WordTest>,
    index: BTreeMap<WordTest, usize>,
}

impl TestTable {
    /// The index of `test`, added if new.
    pub fn intern(&mut self, test: WordTest) -> usize {
        *self.index.entry(test).or_insert_with(|| {
            self.tests.push(test);
            self.tests.len() - 1
        })
    }

    /// The tests, by index.
    pub fn tests(&self) -> &[WordTest] {
        &self.tests
    }
}

/// The big-endian word at `offset`, the bytes past the end of `data` read as zeros.
#[inline]
fn word_at(data: &[u8], offset: usize) -> u32 {
    match data.get(offset..offset.wrapping_add(4)) {
        Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
        _ => {
            let mut b = [0u8; 4];
            for (dst, src) in b.iter_mut().zip(data.iter().skip(offset)) {
                *dst = *src;
            }
            u32::from_be_bytes(b)
        }
    }
}

/// A boolean expression over word tests (indexes into a rule set's test table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Expr {
    /// A constant.
    Const(bool),
    /// Word test number `n`.
    Test(usize),
    /// Negation.
    Not(Box<Expr>),
    /// All hold (evaluated in order).
    And(Vec<Expr>),
    /// One holds (evaluated in order).
    Or(Vec<Expr>),
    /// `cond ? then : else`.
    If(Box<[Expr; 3]>),
}

impl Expr {
    /// The expression's value given each test's outcome.
    #[cfg(test)]
    pub fn eval(&self, test: &impl Fn(usize) -> bool) -> bool {
        match self {
            Expr::Const(b) => *b,
            Expr::Test(t) => test(*t),
            Expr::Not(e) => !e.eval(test),
            Expr::And(v) => v.iter().all(|e| e.eval(test)),
            Expr::Or(v) => v.iter().any(|e| e.eval(test)),
            Expr::If(c) => {
                if c[0].eval(test) {
                    c[1].eval(test)
                } else {
                    c[2].eval(test)
                }
            }
        }
    }

    /// Number of tests in the expression, counted with repetition.
    pub fn size(&self) -> usize {
        match self {
            Expr::Const(_) => 0,
            Expr::Test(_) => 1,
            Expr::Not(e) => e.size(),
            Expr::And(v) | Expr::Or(v) => v.iter().map(Expr::size).sum(),
            Expr::If(c) => c.iter().map(Expr::size).sum(),
        }
    }
}

/// One pattern: packets its expression accepts go to `output` (`None`: they are dropped).
#[derive(Clone, Debug)]
pub(crate) struct Rule {
    /// What the pattern accepts.
    pub expr: Expr,
    /// Where accepted packets go.
    pub output: Option<usize>,
}

/// Where control goes after a test of the compiled program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Jump {
    Node(u32),
    Output(u32),
    Drop,
}

/// Packed jumps of the compiled program: a node index below `OUTPUT`, `OUTPUT | n` for output
/// `n`, or `DROP`.
const OUTPUT: u32 = 1 << 31;
/// The packed jump that drops the packet.
const DROP: u32 = u32::MAX;

impl Jump {
    /// The jump packed in 32 bits.
    fn pack(self) -> u32 {
        match self {
            Jump::Node(i) => i,
            Jump::Output(n) => OUTPUT | n,
            Jump::Drop => DROP,
        }
    }

    /// A packed jump unpacked.
    fn unpack(j: u32) -> Jump {
        match j {
            DROP => Jump::Drop,
            j if j >= OUTPUT => Jump::Output(j & !OUTPUT),
            j => Jump::Node(j),
        }
    }
}

/// A step of the rule chain before optimisation: a test and where each outcome leads.
#[derive(Clone, Copy, Debug)]
struct Step {
    test: usize,
    yes: Jump,
    no: Jump,
}

/// A node of a compiled decision DAG: the test holds when the masked word lies in
/// `low..=low + span` (jumps are packed).
#[derive(Clone, Copy, Debug)]
struct Node {
    mask: u32,
    /// The smallest accepted masked word.
    low: u32,
    /// How far above `low` the accepted masked words go (0 for an equality test).
    span: u32,
    offset: u32,
    /// Length (from the base) below which the test takes `short`.
    required: u32,
    yes: u32,
    no: u32,
    /// `yes` or `no`: the jump for packets too short for the test.
    short: u32,
    base: Base,
}

impl Node {
    /// Whether `word`, read at the node's offset, passes the test.
    #[inline]
    fn accepts(&self, word: u32) -> bool {
        (word & self.mask).wrapping_sub(self.low) <= self.span
    }

    /// Whether `other` reads the same word.
    fn same_word(&self, other: &Node) -> bool {
        self.base == other.base && self.offset == other.offset
    }
}

/// Called where a test fails. Being cold, it makes the compiler keep a conditional branch
/// there rather than pick the next node arithmetically: the packets of a flow take the same
/// path, so the branch is predicted and the next test starts before this one's word is read,
/// where the arithmetic choice would make every test wait for the one before it.
#[cold]
fn keep_branch() {}

/// Largest number of DAG nodes built with outcome tracking; beyond it the program is built
/// without (one node per test of the rule chain), which bounds compile time.
const MAX_TRACKED_NODES: usize = 4096;

/// Largest number of remembered outcomes, summed over the nodes, built with tracking.
const MAX_TRACKED_FACTS: usize = 1 << 16;

/// Most bits a region's combined mask may have to be searched for an interval (every masked
/// word is tried).
const MAX_INTERVAL_BITS: u32 = 16;

/// Most tests a region searched for an interval may have.
const MAX_INTERVAL_NODES: usize = 256;

/// Most node evaluations spent searching one DAG for intervals, which bounds compile time.
const INTERVAL_BUDGET: usize = 1 << 22;

/// A decision DAG.
#[derive(Clone, Debug)]
struct Dag {
    nodes: Vec<Node>,
    /// The packed jump to the first node.
    start: u32,
}

impl Default for Dag {
    fn default() -> Self {
        Dag {
            nodes: Vec::new(),
            start: DROP,
        }
    }
}

impl Dag {
    /// The packed jump (an output or `DROP`) a packet whose bases start `views` ends at.
    /// Unless `CHECKED`, lengths are not compared with the tests' needs: every view must then
    /// hold each word the DAG reads there.
    #[inline(always)]
    fn run<const CHECKED: bool>(&self, views: &Views<'_>) -> u32 {
        let mut jump = self.start;
        while jump < OUTPUT {
            let Some(node) = self.nodes.get(jump as usize) else {
                return DROP;
            };
            let data = views[node.base as usize];
            jump = if CHECKED && data.len() < node.required as usize {
                node.short
            } else if node.accepts(word_at(data, node.offset as usize)) {
                node.yes
            } else {
                keep_branch();
                node.no
            };
        }
        jump
    }

    /// For packets holding every word tested (no test takes its short outcome): replaces
    /// each region of tests on one word that has two ways out, one of them taken by exactly
    /// the masked words of an interval, with a single interval test (the dozen bit tests of
    /// `dst port >= 6000 && dst port <= 6010` become one), folds chains of equality tests on
    /// one word into one test, then drops the nodes no longer reached.
    fn merge_intervals(&mut self) {
        let mut budget = INTERVAL_BUDGET;
        let mut seen = vec![false; self.nodes.len()];
        let mut in_region = vec![false; self.nodes.len()];
        let mut stack = vec![self.start];
        while let Some(jump) = stack.pop() {
            let Jump::Node(i) = Jump::unpack(jump) else {
                continue;
            };
            let i = i as usize;
            if core::mem::replace(&mut seen[i], true) {
                continue;
            }
            if let Some(merged) = self.interval_at(i, &mut budget, &mut in_region) {
                self.nodes[i] = merged;
            }
            self.merge_conjunction(i);
            stack.extend([self.nodes[i].no, self.nodes[i].yes]);
        }
        self.compact();
    }

    /// Folds into node `i` the equality tests on its word that its yes branch leads to and
    /// that fail where it fails (`12/0800 15/cc`: two tests of the word at 12 become one, with
    /// the masks joined). Interval search skips such regions when their masks have more than
    /// [`MAX_INTERVAL_BITS`] bits.
    fn merge_conjunction(&mut self, i: usize) {
        let mut a = self.nodes[i];
        while let Jump::Node(j) = Jump::unpack(a.yes) {
            let b = self.nodes[j as usize];
            if !b.same_word(&a)
                || a.span != 0
                || b.span != 0
                || a.mask & b.mask != 0
                || b.no != a.no
            {
                break;
            }
            a = Node {
                mask: a.mask | b.mask,
                low: a.low | b.low,
                required: a.required.max(b.required),
                yes: b.yes,
                short: if a.short == a.no { a.no } else { b.short },
                ..a
            };
        }
        self.nodes[i] = a;
    }

    /// The interval test equivalent to the region of tests on `root`'s word reached from
    /// `root`, if there is one and searching for it fits in `budget`. `in_region` (one flag
    /// per node, all false) is scratch space, left all false.
    fn interval_at(&self, root: usize, budget: &mut usize, in_region: &mut [bool]) -> Option<Node> {
        let top = self.nodes[root];
        let mut region = vec![root];
        in_region[root] = true;
        let mut exits: Vec<u32> = Vec::new();
        let (mut mask, mut required) = (0u32, 0u32);
        let mut next = 0;
        while let Some(&i) = region.get(next) {
            next += 1;
            let node = self.nodes[i];
            mask |= node.mask;
            required = required.max(node.required);
            for jump in [node.yes, node.no] {
                match Jump::unpack(jump) {
                    Jump::Node(c) if self.nodes[c as usize].same_word(&top) => {
                        if !core::mem::replace(&mut in_region[c as usize], true) {
                            region.push(c as usize);
                        }
                    }
                    _ if exits.contains(&jump) => {}
                    _ => exits.push(jump),
                }
            }
            if exits.len() > 2 || region.len() > MAX_INTERVAL_NODES {
                break;
            }
        }
        for &i in &region {
            in_region[i] = false;
        }
        // A region left before its end (too many exits or tests) is not searched.
        if next < region.len()
            || region.len() < 2
            || exits.len() != 2
            || mask.count_ones() > MAX_INTERVAL_BITS
        {
            return None;
        }
        *budget = budget.checked_sub(region.len() << mask.count_ones())?;
        // Runs of consecutive masked words taking the same way out: (exit, first, last).
        let mut runs: Vec<(u32, u32, u32)> = Vec::new();
        let mut word = 0u32;
        loop {
            let exit = self.exit_from(root, word);
            match runs.last_mut() {
                Some(run) if run.0 == exit => run.2 = word,
                _ => runs.push((exit, word, word)),
            }
            if runs.len() > 3 {
                return None;
            }
            if word == mask {
                break;
            }
            // The next larger word within `mask`.
            word = word.wrapping_sub(mask) & mask;
        }
        let (inside, outside) = match runs[..] {
            [(only, ..)] => ((only, 0, mask), only),
            [(outside, ..), inside] => (inside, outside),
            [(outside, ..), inside, (after, ..)] if after == outside => (inside, outside),
            _ => return None,
        };
        Some(Node {
            mask,
            low: inside.1,
            span: inside.2 - inside.1,
            required,
            yes: inside.0,
            no: outside,
            short: outside,
            ..top
        })
    }

    /// Where a word equal to `word` leaves the region of tests on `root`'s word.
    fn exit_from(&self, root: usize, word: u32) -> u32 {
        let top = self.nodes[root];
        let mut jump = root as u32;
        while let Jump::Node(i) = Jump::unpack(jump) {
            let node = &self.nodes[i as usize];
            if !node.same_word(&top) {
                break;
            }
            jump = if node.accepts(word) {
                node.yes
            } else {
                node.no
            };
        }
        jump
    }

    /// `jump`, moved past the nodes whose outcomes both lead to the same place.
    fn skip_undecided(&self, mut jump: u32) -> u32 {
        while let Jump::Node(i) = Jump::unpack(jump) {
            let node = &self.nodes[i as usize];
            if node.yes != node.no {
                break;
            }
            jump = node.yes;
        }
        jump
    }

    /// Jumps past nodes that decide nothing, then keeps only the nodes reached from the
    /// start, numbered in depth-first order (yes branch first).
    fn compact(&mut self) {
        let mut changed = true;
        while changed {
            changed = false;
            for i in 0..self.nodes.len() {
                let node = self.nodes[i];
                let (yes, no) = (self.skip_undecided(node.yes), self.skip_undecided(node.no));
                if (yes, no) != (node.yes, node.no) {
                    changed = true;
                    let short = if node.short == node.yes { yes } else { no };
                    self.nodes[i] = Node {
                        yes,
                        no,
                        short,
                        ..node
                    };
                }
            }
        }
        self.start = self.skip_undecided(self.start);
        let mut index = vec![u32::MAX; self.nodes.len()];
        let mut order = Vec::new();
        let mut stack = vec![self.start];
        while let Some(jump) = stack.pop() {
            if let Jump::Node(i) = Jump::unpack(jump) {
                if index[i as usize] == u32::MAX {
                    index[i as usize] = order.len() as u32;
                    order.push(i as usize);
                    let node = &self.nodes[i as usize];
                    stack.extend([node.no, node.yes]);
                }
            }
        }
        let renumber = |jump: u32| match Jump::unpack(jump) {
            Jump::Node(i) => index[i as usize],
            _ => jump,
        };
        self.nodes = order
            .iter()
            .map(|&i| {
                let node = self.nodes[i];
                Node {
                    yes: renumber(node.yes),
                    no: renumber(node.no),
                    short: renumber(node.short),
                    ..node
                }
            })
            .collect();
        self.start = renumber(self.start);
    }

    /// Appends the listing of the DAG to `out` (see [`Program::unparse`]).
    fn unparse(&self, out: &mut String) {
        let jump = |j: u32| match Jump::unpack(j) {
            Jump::Node(n) => format!("step {n}"),
            Jump::Output(n) => format!("[{n}]"),
            Jump::Drop => String::from("drop"),
        };
        out.push_str(&format!("start {}\n", jump(self.start)));
        for (i, n) in self.nodes.iter().enumerate() {
            let high = if n.span == 0 {
                String::new()
            } else {
                format!("-{:08x}", n.low.wrapping_add(n.span))
            };
            out.push_str(&format!(
                "{i:>3} {}{}/{:08x}{high}%{:08x} yes->{} no->{}{}\n",
                n.base.prefix(),
                n.offset,
                n.low,
                n.mask,
                jump(n.yes),
                jump(n.no),
                if n.short == n.yes && n.yes != n.no {
                    " short->yes"
                } else {
                    ""
                }
            ));
        }
    }
}

/// Rules compiled to decision DAGs.
#[derive(Clone, Debug, Default)]
pub(crate) struct Program {
    /// The DAG for packets of any length.
    exact: Dag,
    /// The DAG for packets holding every word tested, with intervals merged.
    long: Dag,
    /// For each base, the length from which a packet holds every word tested there.
    long_from: [u32; 4],
}

impl Program {
    /// Compiles `rules` (first match wins; no match drops) over the test table `tests`. The
    /// rule chain may hold at most `limits.capacity` tests.
    pub fn compile(tests: &[WordTest], rules: &[Rule], limits: &Limits) -> Result<Program, String> {
        let size: usize = rules.iter().map(|r| r.expr.size()).sum();
        limits.check_capacity("classifier program tests", size)?;
        let mut chain = Chain { steps: Vec::new() };
        let mut next = Jump::Drop;
        for rule in rules.iter().rev() {
            let out = rule.output.map_or(Jump::Drop, |n| Jump::Output(n as u32));
            next = chain.emit(&rule.expr, out, next);
        }
        let build = |long| {
            let compiler = |track| Compiler::new(tests, &chain.steps, long, track).run(next);
            compiler(true).unwrap_or_else(|| compiler(false).unwrap_or_default())
        };
        let mut long = build(true);
        long.merge_intervals();
        let mut long_from = [0u32; 4];
        for step in &chain.steps {
            let test = &tests[step.test];
            let end = u32::try_from(test.offset.saturating_add(4)).unwrap_or(u32::MAX);
            let from = &mut long_from[test.base as usize];
            *from = (*from).max(end);
        }
        Ok(Program {
            exact: build(false),
            long,
            long_from,
        })
    }

    /// The output for a packet whose bases start `views`, or `None` to drop it.
    #[inline]
    pub fn classify(&self, views: &Views<'_>) -> Option<usize> {
        let long = views
            .iter()
            .zip(&self.long_from)
            .all(|(view, &from)| view.len() >= from as usize);
        let jump = if long {
            self.long.run::<false>(views)
        } else {
            self.run_exact(views)
        };
        (jump != DROP).then_some((jump & !OUTPUT) as usize)
    }

    /// [`Dag::run`] on the DAG for packets of any length (kept out of line: short packets are
    /// the rare case).
    #[inline(never)]
    fn run_exact(&self, views: &Views<'_>) -> u32 {
        self.exact.run::<true>(views)
    }

    /// Number of nodes (of the DAG for packets of any length).
    pub fn len(&self) -> usize {
        self.exact.nodes.len()
    }

    /// A text listing of the program (the `program` handler): one line per node,
    /// `OFFSET/VALUE%MASK yes->X no->Y` (`OFFSET/LOW-HIGH%MASK` for an interval), offsets
    /// prefixed by their header (`ip+`, `transp+`, `mac+`), `short->yes` when short packets
    /// take the yes branch; first the DAG for packets of any length, then the one for packets
    /// holding every word tested.
    pub fn unparse(&self) -> String {
        let mut out = String::new();
        self.exact.unparse(&mut out);
        out.push_str("when every word tested is in the packet:\n");
        self.long.unparse(&mut out);
        out
    }
}

/// Evaluates `rules` directly, rule by rule (the reference the compiled program must agree
/// with).
#[cfg(test)]
pub(crate) fn eval_rules(tests: &[WordTest], rules: &[Rule], views: &Views<'_>) -> Option<usize> {
    let test = |t: usize| tests[t].eval(views);
    rules
        .iter()
        .find(|r| r.expr.eval(&test))
        .and_then(|r| r.output)
}

/// The rule chain: steps laid out backwards (every jump goes to a lower index).
struct Chain {
    steps: Vec<Step>,
}

impl Chain {
    /// Emits the steps of `e` that lead to `yes` when it holds and to `no` otherwise; returns
    /// the entry point.
    fn emit(&mut self, e: &Expr, yes: Jump, no: Jump) -> Jump {
        match e {
            Expr::Const(true) => yes,
            Expr::Const(false) => no,
            Expr::Test(t) => {
                self.steps.push(Step { test: *t, yes, no });
                Jump::Node(self.steps.len() as u32 - 1)
            }
            Expr::Not(e) => self.emit(e, no, yes),
            Expr::And(v) => v.iter().rev().fold(yes, |next, e| self.emit(e, next, no)),
            Expr::Or(v) => v.iter().rev().fold(no, |next, e| self.emit(e, yes, next)),
            Expr::If(c) => {
                let then = self.emit(&c[1], yes, no);
                let other = self.emit(&c[2], yes, no);
                self.emit(&c[0], then, other)
            }
        }
    }
}

/// Known test outcomes on a path: (test index, outcome), sorted by test index.
type Facts = Vec<(usize, bool)>;

/// Builds the DAG: a node for each reachable (step, relevant known outcomes) pair.
struct Compiler<'a> {
    tests: &'a [WordTest],
    steps: &'a [Step],
    /// Build for packets holding every word tested (no short outcomes).
    long: bool,
    track: bool,
    /// For each test, the lowest step reading its word: outcomes about the word are worth
    /// remembering at that step and above (everything a step leads to lies below it).
    first_use: Vec<usize>,
    nodes: Vec<Node>,
    memo: BTreeMap<(u32, Facts), u32>,
    work: Vec<(u32, u32, Facts)>,
    facts_kept: usize,
}

impl<'a> Compiler<'a> {
    fn new(tests: &'a [WordTest], steps: &'a [Step], long: bool, track: bool) -> Self {
        let mut first: BTreeMap<(Base, usize), usize> = BTreeMap::new();
        for (i, s) in steps.iter().enumerate() {
            let t = &tests[s.test];
            first.entry((t.base, t.offset)).or_insert(i);
        }
        let first_use = tests
            .iter()
            .map(|t| {
                first
                    .get(&(t.base, t.offset))
                    .copied()
                    .unwrap_or(usize::MAX)
            })
            .collect();
        Compiler {
            tests,
            steps,
            long,
            track,
            first_use,
            nodes: Vec::new(),
            memo: BTreeMap::new(),
            work: Vec::new(),
            facts_kept: 0,
        }
    }

    /// Runs the compiler from `start`; `None` when outcome tracking grew too large.
    fn run(mut self, start: Jump) -> Option<Dag> {
        let start = self.jump_to(start, Vec::new())?;
        while let Some((idx, step, facts)) = self.work.pop() {
            let s = self.steps[step as usize];
            let yes = self.jump_to(s.yes, with_fact(&facts, s.test, true))?;
            let no = self.jump_to(s.no, with_fact(&facts, s.test, false))?;
            let node = &mut self.nodes[idx as usize];
            node.yes = yes.pack();
            node.no = no.pack();
            node.short = if self.tests[s.test].short {
                node.yes
            } else {
                node.no
            };
        }
        Some(Dag {
            nodes: self.nodes,
            start: start.pack(),
        })
    }

    /// The jump for reaching `target` knowing `facts`: tests the facts decide are followed
    /// through; a node is made (or reused) for the first undecided test.
    fn jump_to(&mut self, mut target: Jump, mut facts: Facts) -> Option<Jump> {
        loop {
            let Jump::Node(step) = target else {
                return Some(target);
            };
            let s = self.steps[step as usize];
            let test = self.tests[s.test];
            let decided = facts
                .iter()
                .find_map(|&(k, v)| test.implied_by(&self.tests[k], v, self.long));
            if let Some(outcome) = decided {
                target = if outcome { s.yes } else { s.no };
                continue;
            }
            // Only outcomes about words still to be tested matter.
            let step_index = step as usize;
            facts.retain(|&(k, _)| self.first_use[k] <= step_index);
            if !self.track {
                facts.clear();
            }
            let key = (step, facts);
            if let Some(&idx) = self.memo.get(&key) {
                return Some(Jump::Node(idx));
            }
            self.facts_kept += key.1.len();
            if self.track
                && (self.nodes.len() >= MAX_TRACKED_NODES || self.facts_kept > MAX_TRACKED_FACTS)
            {
                return None;
            }
            let idx = self.nodes.len() as u32;
            // Offsets are far below 4 GiB (an unreachable one always takes `short`).
            let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
            self.nodes.push(Node {
                base: test.base,
                offset: clamp(test.offset),
                mask: test.mask,
                low: test.value,
                span: 0,
                required: clamp(test.required_length()),
                yes: DROP,
                no: DROP,
                short: DROP,
            });
            self.work.push((idx, step, key.1.clone()));
            self.memo.insert(key, idx);
            return Some(Jump::Node(idx));
        }
    }
}

/// `facts` plus the outcome of test `t`, kept sorted.
fn with_fact(facts: &[(usize, bool)], t: usize, outcome: bool) -> Facts {
    let mut f = facts.to_vec();
    match f.binary_search_by_key(&t, |&(k, _)| k) {
        Ok(i) => f[i].1 = outcome,
        Err(i) => f.insert(i, (t, outcome)),
    }
    f
}

/// Sends a burst through `classify`: while every packet goes the same way the whole burst is
/// handed to that output at once (no packet moves), otherwise packets are sent one by one from
/// the first that differs. The batch is left empty.
#[inline]
pub(crate) fn push_classified(
    batch: &mut Batch,
    ctx: &mut PushContext<'_>,
    classify: impl Fn(&Packet) -> Option<usize>,
) {
    let Some(first) = batch.first() else {
        return;
    };
    let port = classify(first);
    let same = batch
        .iter()
        .skip(1)
        .position(|p| classify(p) != port)
        .map_or(batch.len(), |k| k + 1);
    if same == batch.len() {
        match port {
            Some(port) => ctx.output_batch(port, batch),
            None => batch.clear(),
        }
        return;
    }
    for (i, packet) in batch.drain(..).enumerate() {
        let to = if i < same { port } else { classify(&packet) };
        if let Some(to) = to {
            ctx.output(to, packet);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn views(data: &[u8]) -> Views<'_> {
        [data, &[], data, data.get(4..).unwrap_or(&[])]
    }

    /// Random rule sets over tests with every base and short outcome, compiled with and
    /// without outcome tracking, agree with direct evaluation, and so does the DAG for long
    /// packets on every packet long enough for it.
    #[test]
    fn compiled_rules_agree_with_direct_evaluation() {
        let mut intervals = 0;
        let mut seed: u32 = 7;
        let mut next = |n: u32| {
            seed = seed.wrapping_mul(1103515245).wrapping_add(12345);
            (seed >> 16) % n
        };
        for round in 0..300 {
            let mut tests = Vec::new();
            for _ in 0..6 {
                let mask = [
                    0xff00_0000,
                    0x00ff_0000,
                    0xffff_0000,
                    0x0f00_0000,
                    0xffff_ffff,
                    0x0000_f000,
                    0x0000_0c00,
                ][next(7) as usize];
                let mut t = WordTest::new(
                    [Base::Data, Base::Network, Base::Transport][next(3) as usize],
                    next(3) as usize * 2,
                    [0u32, 0x0101_0101, 0xffff_ffff, 0x0100_ff00][next(4) as usize],
                    mask,
                );
                t.short = next(3) == 0;
                tests.push(t);
            }
            let mut rules = Vec::new();
            for r in 0..1 + next(6) {
                let leaf = |next: &mut dyn FnMut(u32) -> u32| {
                    let e = Expr::Test(next(6) as usize);
                    if next(3) == 0 {
                        Expr::Not(Box::new(e))
                    } else {
                        e
                    }
                };
                let a = leaf(&mut next);
                let b = leaf(&mut next);
                let c = leaf(&mut next);
                let expr = match next(4) {
                    0 => Expr::And(vec![a, Expr::Or(vec![b, c])]),
                    1 => Expr::Or(vec![Expr::And(vec![a, b]), c]),
                    2 => Expr::If(Box::new([a, b, c])),
                    _ => Expr::Not(Box::new(Expr::And(vec![a, b]))),
                };
                rules.push(Rule {
                    expr,
                    output: (next(5) != 0).then_some(r as usize),
                });
            }
            let program = Program::compile(&tests, &rules, &Limits::HOST).unwrap();
            let mut chain = Chain { steps: Vec::new() };
            let mut start = Jump::Drop;
            for rule in rules.iter().rev() {
                let out = rule.output.map_or(Jump::Drop, |n| Jump::Output(n as u32));
                start = chain.emit(&rule.expr, out, start);
            }
            let untracked = Compiler::new(&tests, &chain.steps, false, false)
                .run(start)
                .unwrap();
            let classify = |dag: &Dag, v: &Views<'_>, checked: bool| {
                let jump = if checked {
                    dag.run::<true>(v)
                } else {
                    dag.run::<false>(v)
                };
                (jump != DROP).then_some((jump & !OUTPUT) as usize)
            };
            let mut long_packets = 0;
            intervals += program.long.nodes.iter().filter(|n| n.span > 0).count();
            for _ in 0..300 {
                let len = next(16) as usize;
                let data: Vec<u8> = (0..len)
                    .map(|_| [0u8, 1, 0xff, 0x10][next(4) as usize])
                    .collect();
                let v = views(&data);
                let want = eval_rules(&tests, &rules, &v);
                assert_eq!(
                    program.classify(&v),
                    want,
                    "round {round} {rules:?} {data:?}"
                );
                let checked = classify(&untracked, &v, true);
                assert_eq!(checked, want, "round {round} untracked");
                let long = v
                    .iter()
                    .zip(&program.long_from)
                    .all(|(view, &from)| view.len() >= from as usize);
                if long {
                    long_packets += 1;
                    let got = classify(&program.long, &v, false);
                    assert_eq!(got, want, "round {round} long {rules:?} {data:?}");
                }
            }
            assert!(long_packets > 0, "round {round}");
        }
        assert!(intervals > 0);
    }

    #[test]
    fn short_outcomes_and_implications() {
        let t = |mask, value, short| WordTest {
            base: Base::Network,
            offset: 8,
            mask,
            value,
            short,
        };
        // The same word and mask: a known outcome decides, short or not.
        let a = t(0x00ff_0000, 0x0006_0000, false);
        let b = t(0x00ff_0000, 0x0011_0000, false);
        assert_eq!(b.implied_by(&a, true, false), Some(false));
        assert_eq!(a.implied_by(&a, false, false), Some(false));
        // A short-matching test that gave true may have been short: no conclusion about a
        // test that needs more bytes.
        let s = t(0xff00_0000, 0x4000_0000, true);
        let longer = t(0x0000_00ff, 0, false);
        assert_eq!(longer.implied_by(&s, true, false), None);
        // Failing a short-matching test means the bytes were there.
        assert_eq!(
            t(0xff00_0000, 0x4000_0000, false).implied_by(&s, false, false),
            Some(false)
        );
        // Different bases never inform each other.
        let mut other = a;
        other.base = Base::Transport;
        assert_eq!(other.implied_by(&a, true, false), None);
        let limits = Limits {
            capacity: 2,
            ..Limits::HOST
        };
        let rules = [Rule {
            expr: Expr::And(vec![Expr::Test(0), Expr::Test(0), Expr::Test(0)]),
            output: Some(0),
        }];
        let e = Program::compile(&[a], &rules, &limits).unwrap_err();
        assert!(e.contains("more than the limit of 2"), "{e}");
    }
}
