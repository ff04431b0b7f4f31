//! IPFilter and IPClassifier: IP packets classified by tcpdump-like patterns.
//!
//! The language is Click's: primitives such as `ip proto tcp`, `src host 10.0.0.1`,
//! `dst net 10.0.0.0/8` (or `10.0.0.0 mask 255.0.0.0`), `src or dst port www`, `tcp opt syn`,
//! `icmp type echo`, `ip ttl > 1`, `ip[8:1] & 0xf0 == 0x40`, `transp[2:2] == 80`,
//! `ether src host 00:01:02:03:04:05`, `true`, `false`; the relations `==`/`=`, `!=`, `<`,
//! `>`, `<=`, `>=`; an optional mask `& MASK`; the connectives `and`/`&&`, `or`/`||`,
//! `not`/`!`, juxtaposition (and), `?:` and parentheses. Much may be left out: `tcp` is
//! `ip proto tcp`, `syn` is `tcp opt syn`, `www` is `port www`, and a bare value repeats the
//! previous primitive (`src port 80 or 81`). `port`, `icmp type`, `tcp opt` and other
//! transport fields only match first fragments of their protocol.
//!
//! Each primitive is compiled, as Click compiles it, into tests of 32-bit words relative to
//! the network or transport header (relations into a few masked tests), and the patterns into
//! one decision DAG (see [`super::decision`]). Packets need the network-header annotation
//! (CheckIPHeader, MarkIPHeader); the transport header follows the IP header length. A test
//! of bytes the packet does not have fails, except that `!=` relations and `ip frag` fail and
//! `not` matches; a packet without the annotation has no such bytes.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::args::{parse_ether, parse_i64, parse_ip, parse_ip_prefix, parse_u64, unquote, Args};
use crate::class::{ElementClass, Ports, ProcessingSpec};
use crate::element::{Batch, ConfigureContext, Element, PushContext};
use crate::elements::decision::{
    push_classified, Base, Expr, Program, Rule, TestTable, Views, WordTest,
};
use crate::packet::Packet;

// Primitive types, as Click numbers them (fields encode their position in the type).
const TYPE_NONE: i32 = 0;
const TYPE_TYPE: i32 = 1;
const TYPE_SYNTAX: i32 = 2;
const TYPE_INT: i32 = 3;
const TYPE_HOST: i32 = 10;
const TYPE_PROTO: i32 = 11;
const TYPE_IPFRAG: i32 = 12;
const TYPE_PORT: i32 = 13;
const TYPE_TCPOPT: i32 = 14;
const TYPE_ETHER: i32 = 15;
const TYPE_NET: i32 = 30;
const TYPE_IPUNFRAG: i32 = 31;
const TYPE_IPECT: i32 = 32;
const TYPE_IPCE: i32 = 33;
/// A header field: bits 29-21 the IP protocol (0: the IP header), 20-5 the bit offset, 4-0
/// the bit length minus one.
const TYPE_FIELD: i32 = 0x4000_0000;
const FIELD_PROTO_SHIFT: u32 = 21;
const FIELD_PROTO_MASK: i32 = 0x1ff << FIELD_PROTO_SHIFT;
const FIELD_OFFSET_SHIFT: u32 = 5;
const FIELD_OFFSET_MASK: i32 = 0xffff << FIELD_OFFSET_SHIFT;
const FIELD_LENGTH_MASK: i32 = 0x1f;

/// A field of `proto`'s header (0: IP) at `bit_offset`, `bits` long.
const fn field(proto: i32, bit_offset: i32, bits: i32) -> i32 {
    TYPE_FIELD | (proto << FIELD_PROTO_SHIFT) | (bit_offset << FIELD_OFFSET_SHIFT) | (bits - 1)
}

const FIELD_IPLEN: i32 = field(0, 16, 16);
const FIELD_ID: i32 = field(0, 32, 16);
const FIELD_VERSION: i32 = field(0, 0, 4);
const FIELD_HL: i32 = field(0, 4, 4);
const FIELD_TOS: i32 = field(0, 8, 8);
const FIELD_DSCP: i32 = field(0, 8, 6);
const FIELD_TTL: i32 = field(0, 64, 8);
const FIELD_TCP_WIN: i32 = field(PROTO_TCP, 112, 16);
const FIELD_ICMP_TYPE: i32 = field(PROTO_ICMP, 0, 8);

const PROTO_ICMP: i32 = 1;
const PROTO_IGMP: i32 = 2;
const PROTO_IPIP: i32 = 4;
const PROTO_TCP: i32 = 6;
const PROTO_UDP: i32 = 17;
const PROTO_DCCP: i32 = 33;
const PROTO_TCP_OR_UDP: i32 = 256;
const PROTO_TRANSP: i32 = 258;
const PROTO_PAYLOAD: i32 = 259;
/// No protocol given.
const UNKNOWN: i32 = -1000;

const SD_SRC: u8 = 1;
const SD_DST: u8 = 2;
const SD_AND: u8 = 3;
const SD_OR: u8 = 4;

/// Deepest nesting of parentheses and `not`s a pattern may use.
const MAX_NESTING: usize = 32;

/// Words that name primitive types (`TYPE_SYNTAX` words are qualifiers handled by the parser).
const TYPE_NAMES: &[(&str, i32)] = &[
    ("ce", TYPE_IPCE),
    ("dest", TYPE_SYNTAX),
    ("dscp", FIELD_DSCP),
    ("dst", TYPE_SYNTAX),
    ("ect", TYPE_IPECT),
    ("ether", TYPE_SYNTAX),
    ("frag", TYPE_IPFRAG),
    ("hl", FIELD_HL),
    ("host", TYPE_HOST),
    ("id", FIELD_ID),
    ("ip", TYPE_SYNTAX),
    ("len", FIELD_IPLEN),
    ("net", TYPE_NET),
    ("not", TYPE_SYNTAX),
    ("opt", TYPE_TCPOPT),
    ("port", TYPE_PORT),
    ("proto", TYPE_PROTO),
    ("src", TYPE_SYNTAX),
    ("tos", FIELD_TOS),
    ("ttl", FIELD_TTL),
    ("type", FIELD_ICMP_TYPE),
    ("unfrag", TYPE_IPUNFRAG),
    ("vers", FIELD_VERSION),
    ("win", FIELD_TCP_WIN),
];

/// IP protocol names.
const PROTOCOLS: &[(&str, i32)] = &[
    ("dccp", PROTO_DCCP),
    ("gre", 47),
    ("icmp", PROTO_ICMP),
    ("igmp", PROTO_IGMP),
    ("ipip", PROTO_IPIP),
    ("payload", PROTO_PAYLOAD),
    ("sctp", 132),
    ("tcp", PROTO_TCP),
    ("tcpudp", PROTO_TCP_OR_UDP),
    ("transp", PROTO_TRANSP),
    ("udp", PROTO_UDP),
];

/// TCP and UDP port names.
const PORTS: &[(&str, i32)] = &[
    ("auth", 113),
    ("bootpc", 68),
    ("bootps", 67),
    ("chargen", 19),
    ("daytime", 13),
    ("discard", 9),
    ("dns", 53),
    ("domain", 53),
    ("echo", 7),
    ("finger", 79),
    ("ftp", 21),
    ("ftp-data", 20),
    ("https", 443),
    ("imap3", 220),
    ("imaps", 993),
    ("irc", 194),
    ("netbios-dgm", 138),
    ("netbios-ns", 137),
    ("netbios-ssn", 139),
    ("nntp", 119),
    ("ntp", 123),
    ("pop3", 110),
    ("pop3s", 995),
    ("pptp", 1723),
    ("rip", 520),
    ("route", 520),
    ("smtp", 25),
    ("snmp", 161),
    ("snmp-trap", 162),
    ("ssh", 22),
    ("sunrpc", 111),
    ("telnet", 23),
    ("tftp", 69),
    ("www", 80),
];

/// TCP flag names.
const TCP_OPTS: &[(&str, i32)] = &[
    ("ack", 0x10),
    ("fin", 0x01),
    ("psh", 0x08),
    ("rst", 0x04),
    ("syn", 0x02),
    ("urg", 0x20),
];

fn find(table: &[(&str, i32)], word: &str) -> Option<i32> {
    table.iter().find(|(n, _)| *n == word).map(|&(_, v)| v)
}

/// What a word means.
enum Word {
    /// Nothing known (or a qualifier the parser handles itself).
    Unknown,
    /// A primitive type.
    Type(i32),
    /// A value of the given primitive type.
    Value(i32, i32),
    /// Ambiguous or meaningless here (the message says which).
    Bad(String),
}

/// The text of primitive type `ty` with its `src`/`dst` qualifier, as in messages.
fn unparse_type(srcdst: u8, ty: i32) -> String {
    let sd = match srcdst {
        SD_SRC => "src ",
        SD_DST => "dst ",
        SD_OR => "src or dst ",
        SD_AND => "src and dst ",
        _ => "",
    };
    let name = match ty {
        TYPE_NONE => String::from("<none>"),
        TYPE_HOST => String::from("ip host"),
        TYPE_PROTO => String::from("proto"),
        TYPE_ETHER => String::from("ether host"),
        TYPE_IPFRAG => String::from("ip frag"),
        TYPE_PORT => String::from("port"),
        TYPE_TCPOPT => String::from("tcp opt"),
        TYPE_NET => String::from("ip net"),
        TYPE_IPUNFRAG => String::from("ip unfrag"),
        TYPE_IPECT => String::from("ip ect"),
        TYPE_IPCE => String::from("ip ce"),
        FIELD_IPLEN => String::from("ip len"),
        FIELD_ID => String::from("ip id"),
        FIELD_VERSION => String::from("ip vers"),
        FIELD_HL => String::from("ip hl"),
        FIELD_TOS => String::from("ip tos"),
        FIELD_DSCP => String::from("ip dscp"),
        FIELD_TTL => String::from("ip ttl"),
        FIELD_TCP_WIN => String::from("tcp win"),
        FIELD_ICMP_TYPE => String::from("icmp type"),
        t if t & TYPE_FIELD != 0 && t & FIELD_PROTO_MASK != 0 => {
            format!(
                "{}[...]",
                unparse_proto((t & FIELD_PROTO_MASK) >> FIELD_PROTO_SHIFT)
            )
        }
        t if t & TYPE_FIELD != 0 => String::from("ip[...]"),
        t => format!("<unknown type {t}>"),
    };
    format!("{sd}{name}")
}

/// The text of a transport protocol, as in messages.
fn unparse_proto(proto: i32) -> String {
    match proto {
        UNKNOWN => String::new(),
        PROTO_ICMP => String::from("icmp"),
        PROTO_IGMP => String::from("igmp"),
        PROTO_IPIP => String::from("ipip"),
        PROTO_TCP => String::from("tcp"),
        PROTO_UDP => String::from("udp"),
        PROTO_TCP_OR_UDP => String::from("tcpudp"),
        PROTO_TRANSP => String::from("transp"),
        p => format!("ip proto {p}"),
    }
}

/// `TYPE PROTO WORD`, as in the messages about ambiguous words.
fn unparse_word(ty: i32, proto: i32, word: &str) -> String {
    let mut tn = unparse_type(0, ty);
    let mut tr = unparse_proto(proto);
    if !tn.is_empty() {
        tn.push(' ');
    }
    if !tr.is_empty() || (!word.is_empty() && !tn.is_empty()) {
        tr.push(' ');
    }
    format!("{tn}{tr}{word}")
}

/// Looks `word` up as a type name (when no type is known yet), protocol, port, TCP flag or
/// ICMP type, keeping the meanings that fit `ty` and `proto`.
fn lookup(word: &str, ty: i32, proto: i32) -> Word {
    if ty == TYPE_NONE || ty == TYPE_TYPE {
        if let Some(t) = find(TYPE_NAMES, word) {
            return if t == TYPE_SYNTAX {
                Word::Unknown
            } else {
                Word::Type(t)
            };
        }
    }
    const KINDS: [i32; 5] = [
        TYPE_PROTO,
        TYPE_PORT,
        TYPE_PORT,
        TYPE_TCPOPT,
        FIELD_ICMP_TYPE,
    ];
    let got = [
        find(PROTOCOLS, word),
        find(PORTS, word),
        find(PORTS, word),
        find(TCP_OPTS, word),
        crate::elements::net::icmp_type_value(word).map(i32::from),
    ];
    if got.iter().all(Option::is_none) {
        return Word::Unknown;
    }
    let any = ty == TYPE_NONE;
    let tcpish = proto == UNKNOWN || proto == PROTO_TCP || proto == PROTO_TCP_OR_UDP;
    let udpish = proto == UNKNOWN || proto == PROTO_UDP || proto == PROTO_TCP_OR_UDP;
    let mut fits = [
        got[0].is_some() && (any || ty == TYPE_PROTO),
        got[1].is_some() && (any || ty == TYPE_PORT) && tcpish,
        got[2].is_some() && (any || ty == TYPE_PORT) && udpish,
        got[3].is_some() && (any || ty == TYPE_TCPOPT) && tcpish,
        got[4].is_some()
            && (any || ty == FIELD_ICMP_TYPE)
            && (proto == UNKNOWN || proto == PROTO_ICMP),
    ];
    // The same port for TCP and UDP is one meaning.
    if fits[1] && fits[2] && got[1] == got[2] {
        fits[2] = false;
    }
    let n = fits.iter().filter(|&&f| f).count();
    if n == 1 {
        if let Some(i) = fits.iter().position(|&f| f) {
            return Word::Value(KINDS[i], got[i].unwrap_or(0));
        }
    }
    let tries: Vec<String> = (0..5)
        .filter(|&i| got[i].is_some())
        .map(|i| format!("'{}'", unparse_word(KINDS[i], proto, word)))
        .collect();
    Word::Bad(format!(
        "'{}' is {}; try {}",
        unparse_word(ty, proto, word),
        if n > 1 { "ambiguous" } else { "meaningless" },
        tries.join(", ")
    ))
}

/// A relation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
enum Op {
    #[default]
    Eq,
    Gt,
    Lt,
}

/// What a provided `& MASK` was written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MaskKind {
    None,
    Int,
    Host,
    Ether,
}

/// One primitive being parsed (Click's `IPFilter::Primitive`).
#[derive(Clone, Copy, Debug)]
struct Primitive {
    ty: i32,
    data: i32,
    op: Op,
    op_negated: bool,
    srcdst: u8,
    transp_proto: i32,
    /// The value (an IP address as a number).
    u: u32,
    /// The mask.
    mask: u32,
    /// An Ethernet address value and mask.
    ether: [u8; 6],
    ether_mask: [u8; 6],
}

impl Default for Primitive {
    fn default() -> Self {
        Primitive {
            ty: TYPE_NONE,
            data: TYPE_NONE,
            op: Op::Eq,
            op_negated: false,
            srcdst: 0,
            transp_proto: UNKNOWN,
            u: 0,
            mask: 0,
            ether: [0; 6],
            ether_mask: [0; 6],
        }
    }
}

/// A provided `& MASK`.
#[derive(Clone, Copy, Debug)]
struct GivenMask {
    kind: MaskKind,
    u: u32,
    ether: [u8; 6],
}

impl Primitive {
    fn type_text(&self) -> String {
        unparse_type(self.srcdst, self.ty)
    }

    fn type_error(&self, msg: &str) -> String {
        format!("'{}': {msg}", self.type_text())
    }

    /// Sets the value and mask of an integer comparison within `full_mask`; `<` becomes a
    /// negated `>` and relations that cannot vary become plain (always or never) matches.
    fn set_mask(&mut self, full_mask: u32, given: Option<u32>) -> Result<(), String> {
        let data = self.u;
        let this_mask = given.unwrap_or(full_mask);
        if this_mask & full_mask != this_mask {
            return Err(format!(
                "'{}': mask out of range, bound 0x{full_mask:X}",
                self.type_text()
            ));
        }
        if self.op != Op::Eq {
            if (self.op == Op::Lt && (data == 0 || data > this_mask))
                || (self.op == Op::Gt && data >= this_mask)
            {
                // Click warns that the relation is always true or always false.
                let will_be = if self.op == Op::Lt && data > this_mask {
                    !self.op_negated
                } else {
                    self.op_negated
                };
                self.u = 0;
                self.mask = 0;
                self.op_negated = !will_be;
                self.op = Op::Eq;
                return Ok(());
            }
            if self.op == Op::Lt {
                self.u -= 1;
                self.op_negated = !self.op_negated;
                self.op = Op::Gt;
            }
            self.mask = this_mask;
            // 'x & 5 > 2' is 'x & 5 > 1': below the highest bit of the value that the mask
            // lacks, turn every bit on.
            if self.u & self.mask != self.u {
                let missing = (self.u & self.mask) ^ (self.u & full_mask);
                let add = u32::MAX.wrapping_shr(ffs_msb(missing));
                self.u = (self.u | add) & self.mask;
            }
            return Ok(());
        }
        if data > full_mask {
            return Err(format!(
                "'{}': out of range, bound {full_mask}",
                self.type_text()
            ));
        }
        self.mask = this_mask;
        Ok(())
    }

    /// Completes the primitive from what was said and from the previous primitive, and checks
    /// that its parts agree (Click's `Primitive::check`).
    fn check(&mut self, prev: &Primitive, mut header: u8, given: GivenMask) -> Result<(), String> {
        if self.ty < 0 {
            return Err(String::new());
        }
        if self.ty == TYPE_NONE {
            loop {
                match self.data {
                    TYPE_HOST | TYPE_NET | TYPE_TCPOPT | TYPE_ETHER => {
                        self.ty = self.data;
                        if self.srcdst == 0 {
                            self.srcdst = prev.srcdst;
                        }
                    }
                    TYPE_PROTO => self.ty = TYPE_PROTO,
                    TYPE_PORT => {
                        self.ty = TYPE_PORT;
                        if self.srcdst == 0 {
                            self.srcdst = prev.srcdst;
                        }
                        if self.transp_proto == UNKNOWN {
                            self.transp_proto = prev.transp_proto;
                        }
                    }
                    TYPE_INT => {
                        if prev.ty & TYPE_FIELD == 0
                            && prev.ty != TYPE_PROTO
                            && prev.ty != TYPE_PORT
                        {
                            return Err(String::from("specify header field or 'port'"));
                        }
                        self.data = prev.ty;
                        continue;
                    }
                    TYPE_NONE => {
                        if self.transp_proto != UNKNOWN {
                            self.ty = TYPE_PROTO;
                        } else {
                            return Err(String::from("partial directive"));
                        }
                    }
                    d if d & TYPE_FIELD != 0 => {
                        self.ty = d;
                        if d & FIELD_PROTO_MASK != 0 && self.transp_proto == UNKNOWN {
                            self.transp_proto = (d & FIELD_PROTO_MASK) >> FIELD_PROTO_SHIFT;
                        }
                    }
                    d => return Err(format!("unknown type '{}'", unparse_type(0, d))),
                }
                break;
            }
        }
        if header == 0 {
            header = if self.data == TYPE_ETHER { b'e' } else { b'i' };
        }
        if header == b'e' && self.ty == TYPE_HOST {
            self.ty = TYPE_ETHER;
        }
        let int_mask = |kind: MaskKind| (kind != MaskKind::None).then_some(given.u);
        let bad_mask = |k: MaskKind, ok: &[MaskKind]| k != MaskKind::None && !ok.contains(&k);
        match self.ty {
            TYPE_HOST | TYPE_NET => {
                let want = if self.ty == TYPE_HOST {
                    TYPE_HOST
                } else {
                    TYPE_NET
                };
                if header != b'i' || self.data != want {
                    return Err(self.type_error("address missing"));
                }
                if self.op != Op::Eq {
                    return Err(self.type_error("operator not supported"));
                }
                if self.ty == TYPE_HOST {
                    self.mask = u32::MAX;
                }
                self.ty = TYPE_HOST;
                if bad_mask(given.kind, &[MaskKind::Int, MaskKind::Host]) {
                    return Err(self.type_error("bad mask"));
                }
                match given.kind {
                    // Click keeps an integer mask in host byte order where addresses are in
                    // network byte order.
                    MaskKind::Int => self.mask = given.u.swap_bytes(),
                    MaskKind::Host => self.mask = given.u,
                    _ => {}
                }
            }
            TYPE_ETHER => {
                if header != b'e' || self.data != TYPE_ETHER {
                    return Err(self.type_error("address missing"));
                }
                if self.op != Op::Eq {
                    return Err(self.type_error("operator not supported"));
                }
                self.ether_mask = [0xff; 6];
                if bad_mask(given.kind, &[MaskKind::Ether]) {
                    return Err(self.type_error("bad mask"));
                }
                if given.kind == MaskKind::Ether {
                    self.ether_mask = given.ether;
                }
            }
            TYPE_PROTO => {
                if header != b'i' {
                    return Err(self.type_error("ip only"));
                }
                if self.data == TYPE_INT || self.data == TYPE_PROTO {
                    if self.transp_proto != UNKNOWN && self.transp_proto != self.u as i32 {
                        return Err(self.type_error("specified twice"));
                    }
                    self.data = TYPE_NONE;
                } else {
                    self.u = self.transp_proto as u32;
                }
                self.transp_proto = UNKNOWN;
                if self.data != TYPE_NONE || self.u as i32 == UNKNOWN {
                    return Err(self.type_error("value missing"));
                }
                if self.u >= 256 {
                    if self.op != Op::Eq || given.kind != MaskKind::None {
                        return Err(format!(
                            "'{}': operator or mask not supported",
                            unparse_proto(self.u as i32)
                        ));
                    }
                    self.mask = 0xff;
                } else if bad_mask(given.kind, &[MaskKind::Int]) {
                    return Err(self.type_error("bad mask"));
                } else {
                    self.set_mask(0xff, int_mask(given.kind))?;
                }
                if self.op == Op::Eq && self.mask == 0xff && !self.op_negated {
                    self.transp_proto = self.u as i32;
                }
            }
            TYPE_PORT => {
                if header != b'i' {
                    return Err(self.type_error("ip only"));
                }
                if self.data == TYPE_INT {
                    self.data = TYPE_PORT;
                }
                if self.data != TYPE_PORT {
                    return Err(self.type_error("value missing"));
                }
                if self.transp_proto == UNKNOWN {
                    self.transp_proto = PROTO_TCP_OR_UDP;
                } else if ![PROTO_TCP, PROTO_UDP, PROTO_TCP_OR_UDP, PROTO_DCCP]
                    .contains(&self.transp_proto)
                {
                    return Err(format!("'port': bad protocol {}", self.transp_proto));
                } else if bad_mask(given.kind, &[MaskKind::Int]) {
                    return Err(self.type_error("bad mask"));
                }
                self.set_mask(0xffff, int_mask(given.kind))?;
            }
            TYPE_TCPOPT => {
                if header != b'i' {
                    return Err(self.type_error("ip only"));
                }
                if self.data == TYPE_INT {
                    self.data = TYPE_TCPOPT;
                }
                if self.data != TYPE_TCPOPT {
                    return Err(self.type_error("value missing"));
                }
                if self.transp_proto == UNKNOWN {
                    self.transp_proto = PROTO_TCP;
                } else if self.transp_proto != PROTO_TCP {
                    return Err(format!("'tcp opt': bad protocol {}", self.transp_proto));
                }
                if self.op != Op::Eq || self.op_negated || given.kind != MaskKind::None {
                    return Err(self.type_error("operator or mask not supported"));
                }
                if self.u > 255 {
                    return Err(format!("'tcp opt': value {} out of range", self.u as i32));
                }
                self.mask = self.u;
            }
            TYPE_IPECT => {
                if header != b'i' {
                    return Err(self.type_error("ip only"));
                }
                if self.data != TYPE_NONE && self.data != TYPE_INT {
                    return Err(self.type_error("value missing"));
                }
                if self.data == TYPE_NONE {
                    self.mask = 3;
                    self.u = 0;
                    self.op_negated = true;
                } else if bad_mask(given.kind, &[MaskKind::Int]) {
                    return Err(self.type_error("bad mask"));
                }
                self.set_mask(3, int_mask(given.kind))?;
                self.ty = FIELD_TOS;
            }
            TYPE_IPCE => {
                if header != b'i' {
                    return Err(self.type_error("ip only"));
                }
                if self.data != TYPE_NONE || given.kind != MaskKind::None {
                    return Err(self.type_error("value not supported"));
                }
                self.mask = 3;
                self.u = 3;
                self.ty = FIELD_TOS;
            }
            TYPE_IPFRAG | TYPE_IPUNFRAG => {
                if header != b'i' {
                    return Err(self.type_error("ip only"));
                }
                if self.data != TYPE_NONE || given.kind != MaskKind::None {
                    return Err(self.type_error("value not supported"));
                }
                if self.ty == TYPE_IPUNFRAG {
                    self.op_negated = true;
                }
                self.mask = 1;
                self.ty = TYPE_IPFRAG;
            }
            t if t & TYPE_FIELD != 0 => {
                if header != b'i' {
                    return Err(self.type_error("ip only"));
                }
                if self.data != TYPE_INT && self.data != t {
                    return Err(self.type_error("value missing"));
                }
                if bad_mask(given.kind, &[MaskKind::Int]) {
                    return Err(self.type_error("bad mask"));
                }
                let bits = (t & FIELD_LENGTH_MASK) + 1;
                let full = if bits == 32 {
                    u32::MAX
                } else {
                    (1u32 << bits) - 1
                };
                self.set_mask(full, int_mask(given.kind))?;
            }
            _ => {}
        }
        // (Elsewhere Click warns that 'src' or 'dst' is ignored.)
        if matches!(self.ty, TYPE_HOST | TYPE_PORT | TYPE_ETHER) && self.srcdst == 0 {
            self.srcdst = SD_OR;
        }
        Ok(())
    }

    /// The primitive's tests, as Click compiles them; `None` when there are none (a
    /// pseudo-protocol such as `transp`).
    fn compile(&self, t: &mut TestTable) -> Option<Expr> {
        let mut parts = Vec::new();
        if self.transp_proto != UNKNOWN {
            parts.extend(proto_expr(self.transp_proto, t));
        }
        let ty = self.ty;
        if ty == TYPE_PORT
            || ty == TYPE_TCPOPT
            || (ty & TYPE_FIELD != 0 && ty & FIELD_PROTO_MASK != 0)
        {
            // First fragments only.
            parts.push(leaf(t, Base::Network, 4, 0, 0x1fff));
        }
        let src = matches!(self.srcdst, SD_SRC | SD_AND | SD_OR);
        let dst = matches!(self.srcdst, SD_DST | SD_AND | SD_OR);
        let combine = |v: Vec<Expr>| {
            if self.srcdst == SD_OR {
                or(v)
            } else {
                and(v)
            }
        };
        match ty {
            TYPE_HOST | TYPE_PORT => {
                let mut v = Vec::new();
                let (base, src_at, dst_at, src_shift) = if ty == TYPE_HOST {
                    (Base::Network, 12, 16, 0)
                } else {
                    (Base::Transport, 0, 0, 16)
                };
                if src {
                    v.extend(self.comparison(t, base, src_at, src_shift));
                }
                if dst {
                    v.extend(self.comparison(t, base, dst_at, 0));
                }
                let e = (!v.is_empty()).then(|| combine(v));
                push_part(&mut parts, e, self.op_negated, t);
            }
            TYPE_ETHER => {
                let (a, m) = (self.ether, self.ether_mask);
                let word = |b: [u8; 4]| u32::from_be_bytes(b);
                let mut v = Vec::new();
                if src {
                    v.push(and(vec![
                        leaf(
                            t,
                            Base::Mac,
                            6,
                            word([a[0], a[1], a[2], a[3]]),
                            word([m[0], m[1], m[2], m[3]]),
                        ),
                        leaf(
                            t,
                            Base::Mac,
                            10,
                            word([a[4], a[5], 0, 0]),
                            word([m[4], m[5], 0, 0]),
                        ),
                    ]));
                }
                if dst {
                    v.push(and(vec![
                        leaf(
                            t,
                            Base::Mac,
                            0,
                            word([a[0], a[1], a[2], a[3]]),
                            word([m[0], m[1], m[2], m[3]]),
                        ),
                        leaf(
                            t,
                            Base::Mac,
                            4,
                            word([a[4], a[5], 0, 0]),
                            word([m[4], m[5], 0, 0]),
                        ),
                    ]));
                }
                let e = (!v.is_empty()).then(|| combine(v));
                push_part(&mut parts, e, self.op_negated, t);
            }
            TYPE_PROTO if self.transp_proto < 256 => {
                let e = self.comparison(t, Base::Network, 8, 16);
                push_part(&mut parts, e, self.op_negated, t);
            }
            TYPE_IPFRAG => {
                let e = leaf(t, Base::Network, 4, 0, 0x3fff);
                push_part(&mut parts, Some(e), !self.op_negated, t);
            }
            TYPE_TCPOPT => {
                parts.push(leaf(t, Base::Transport, 12, self.u << 16, self.mask << 16));
            }
            f if f & TYPE_FIELD != 0 => {
                let offset = (f & FIELD_OFFSET_MASK) >> FIELD_OFFSET_SHIFT;
                let bits = (f & FIELD_LENGTH_MASK) + 1;
                let word_offset = ((offset >> 3) & !3) as usize;
                let bit_offset = offset & 0x1f;
                let base = if f & FIELD_PROTO_MASK != 0 {
                    Base::Transport
                } else {
                    Base::Network
                };
                let shift = (32 - (bit_offset + bits)) as u32;
                let e = self.comparison(t, base, word_offset, shift);
                push_part(&mut parts, e, self.op_negated, t);
            }
            _ => {}
        }
        (!parts.is_empty()).then(|| and(parts))
    }

    /// Tests that the field at `offset` of `base` (shifted left by `shift` in its word)
    /// equals the value, or is greater (the relation's negation is left to the caller).
    /// `x > U` is decided from the top bits down: Click's decomposition into masked equality
    /// tests. `None` when it needs no test (Click's value adjustment for masks can leave
    /// `U` at the mask).
    fn comparison(&self, t: &mut TestTable, base: Base, offset: usize, shift: u32) -> Option<Expr> {
        let mut mask = self.mask;
        let mut u = self.u & mask;
        if self.op == Op::Eq {
            return Some(leaf(
                t,
                base,
                offset,
                u.wrapping_shl(shift),
                mask.wrapping_shl(shift),
            ));
        }
        let mut terms = Vec::new();
        while u < mask {
            let high = u > (mask >> 1);
            let v = if high { !u.wrapping_add(1) & mask } else { u };
            let first_different = 33 - ffs_msb(v);
            let upper_mask = if first_different >= 32 {
                mask
            } else {
                mask & !((1u32 << first_different) - 1)
            };
            let upper_u = if high { upper_mask } else { 0 };
            let l = leaf(
                t,
                base,
                offset,
                upper_u.wrapping_shl(shift),
                upper_mask.wrapping_shl(shift),
            );
            terms.push((if high { l } else { negate_flipped(l, t) }, high));
            mask &= !upper_mask;
            u &= mask;
        }
        let mut rest: Option<Expr> = None;
        for (term, high) in terms.into_iter().rev() {
            rest = Some(match rest {
                None => term,
                Some(r) if high => and(vec![term, r]),
                Some(r) => or(vec![term, r]),
            });
        }
        rest
    }
}

/// Adds `e` to a primitive's `parts`, negated (short packets still failing) if `negate`. As in
/// Click, negating nothing negates the part before it.
fn push_part(parts: &mut Vec<Expr>, e: Option<Expr>, negate: bool, t: &mut TestTable) {
    match e {
        Some(e) if negate => parts.push(negate_flipped(e, t)),
        Some(e) => parts.push(e),
        None if negate => {
            if let Some(last) = parts.pop() {
                parts.push(negate_flipped(last, t));
            }
        }
        None => {}
    }
}

/// Click's `ffs_msb`: the position of the highest set bit counting from 1 at the top, or 0.
fn ffs_msb(x: u32) -> u32 {
    if x == 0 {
        0
    } else {
        x.leading_zeros() + 1
    }
}

/// A test of the word at `offset` of `base` (with an empty mask, a test that always holds).
fn leaf(t: &mut TestTable, base: Base, offset: usize, value: u32, mask: u32) -> Expr {
    if mask == 0 {
        return Expr::Const(true);
    }
    Expr::Test(t.intern(WordTest::new(base, offset, value, mask)))
}

/// The tests for "the IP protocol is `proto`" (`tcpudp`: TCP or UDP; other pseudo-protocols
/// have none).
fn proto_expr(proto: i32, t: &mut TestTable) -> Option<Expr> {
    let p = |t: &mut TestTable, n: i32| leaf(t, Base::Network, 8, (n as u32) << 16, 0x00ff_0000);
    if proto == PROTO_TCP_OR_UDP {
        Some(or(vec![p(t, PROTO_TCP), p(t, PROTO_UDP)]))
    } else if proto >= 256 {
        None
    } else {
        Some(p(t, proto))
    }
}

/// Negation that keeps short packets failing (Click's `negate_subtree(tree, true)`): every
/// test's short outcome is flipped and the whole is negated.
fn negate_flipped(e: Expr, t: &mut TestTable) -> Expr {
    fn flip(e: Expr, t: &mut TestTable) -> Expr {
        match e {
            Expr::Test(i) => {
                let mut w = t.tests()[i];
                w.short = !w.short;
                Expr::Test(t.intern(w))
            }
            Expr::Not(e) => Expr::Not(Box::new(flip(*e, t))),
            Expr::And(v) => Expr::And(v.into_iter().map(|e| flip(e, t)).collect()),
            Expr::Or(v) => Expr::Or(v.into_iter().map(|e| flip(e, t)).collect()),
            Expr::If(c) => {
                let [a, b, c] = *c;
                Expr::If(Box::new([flip(a, t), flip(b, t), flip(c, t)]))
            }
            c @ Expr::Const(_) => c,
        }
    }
    not(flip(e, t))
}

/// `!e`, simplified.
fn not(e: Expr) -> Expr {
    match e {
        Expr::Not(inner) => *inner,
        Expr::Const(b) => Expr::Const(!b),
        e => Expr::Not(Box::new(e)),
    }
}

/// All of `v`, flattened and simplified.
fn and(v: Vec<Expr>) -> Expr {
    let mut out = Vec::with_capacity(v.len());
    for e in v {
        match e {
            Expr::Const(true) => {}
            Expr::Const(false) => return Expr::Const(false),
            Expr::And(inner) => out.extend(inner),
            e => out.push(e),
        }
    }
    match out.len() {
        0 => Expr::Const(true),
        1 => out.pop().unwrap_or(Expr::Const(true)),
        _ => Expr::And(out),
    }
}

/// One of `v`, flattened and simplified.
fn or(v: Vec<Expr>) -> Expr {
    let mut out = Vec::with_capacity(v.len());
    for e in v {
        match e {
            Expr::Const(false) => {}
            Expr::Const(true) => return Expr::Const(true),
            Expr::Or(inner) => out.extend(inner),
            e => out.push(e),
        }
    }
    match out.len() {
        0 => Expr::Const(false),
        1 => out.pop().unwrap_or(Expr::Const(false)),
        _ => Expr::Or(out),
    }
}

/// Splits a pattern into words: names (letters, digits, `-./@_:`), `&&`, `||`, `<=`, `>=`,
/// `!=`, `==`, and single punctuation.
fn separate_text(text: &str) -> Vec<&str> {
    let s = text.as_bytes();
    let mut words = Vec::new();
    let mut pos = 0;
    while pos < s.len() {
        while pos < s.len() && s[pos].is_ascii_whitespace() {
            pos += 1;
        }
        let c = s.get(pos).copied().unwrap_or(0);
        let next = s.get(pos + 1).copied();
        let len = match c {
            b'&' | b'|' if next == Some(c) => 2,
            b'<' | b'>' | b'!' | b'=' if next == Some(b'=') => 2,
            b'&' | b'|' | b'<' | b'>' | b'!' | b'=' | b'(' | b')' | b'[' | b']' | b',' | b';'
            | b'?' => 1,
            _ => {
                let word = |c: u8| c.is_ascii_alphanumeric() || b"-./@_:".contains(&c);
                let n = s[pos.min(s.len())..]
                    .iter()
                    .take_while(|&&c| word(c))
                    .count();
                // A character that is neither stands alone (and the end makes an empty word,
                // as in Click).
                n.max(1)
            }
        };
        let end = (pos + len).min(s.len());
        words.push(text.get(pos.min(end)..end).unwrap_or(""));
        pos += len;
    }
    words
}

/// What a factor parsed to. Click's tree of tests may have subtrees without tests (a
/// pseudo-protocol like `transp`): such a subtree drops out of the `and`, `or` or `?:` around
/// it, and negating it negates the factor before it in the same `and` instead.
enum Parsed {
    /// An expression.
    Expr(Expr),
    /// No tests, negated or not.
    Empty { negated: bool },
}

/// `a ? b : c ? d : e` from the non-empty parts, combined as Click combines them (two parts,
/// left by an error or an empty part, as `a and b`).
fn ternary(mut parts: Vec<Expr>) -> Option<Expr> {
    let mut e = match parts.len() {
        0 => return None,
        n if n % 2 == 0 => {
            let b = parts.pop()?;
            let a = parts.pop()?;
            and(vec![a, b])
        }
        _ => parts.pop()?,
    };
    while parts.len() >= 2 {
        let then = parts.pop()?;
        let cond = parts.pop()?;
        e = Expr::If(Box::new([cond, then, e]));
    }
    Some(e)
}

/// Parses one pattern's words into an expression (Click's `IPFilter::Parser`).
struct Parser<'a> {
    words: &'a [&'a str],
    tests: &'a mut TestTable,
    errors: Vec<String>,
    prev: Primitive,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn word(&self, pos: usize) -> &'a str {
        self.words.get(pos).copied().unwrap_or("")
    }

    fn error(&mut self, msg: String) {
        self.errors.push(msg);
    }

    /// `expr ::= orexpr | orexpr ? expr : orexpr [? ...]`
    fn expr(&mut self, pos: usize) -> (usize, Option<Expr>) {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            self.error(String::from("expression nested too deeply"));
            self.depth -= 1;
            return (self.words.len(), None);
        }
        let n = self.words.len();
        let (mut pos, first) = self.orexpr(pos);
        let mut parts = vec![first];
        let depth = self.depth;
        while pos < n && self.word(pos) == "?" {
            // Each '?' nests the rest of the chain one level deeper.
            self.depth += 1;
            if self.depth > MAX_NESTING {
                self.error(String::from("expression nested too deeply"));
                pos = n;
                break;
            }
            let start = pos + 1;
            let (p, then) = self.expr(start);
            parts.push(then);
            pos = p;
            if p == start || p >= n || self.word(p) != ":" {
                self.error(String::from("missing ':' in ternary expression"));
                break;
            }
            let (p, other) = self.orexpr(p + 1);
            parts.push(other);
            pos = p;
        }
        self.depth = depth - 1;
        (pos, ternary(parts.into_iter().flatten().collect()))
    }

    /// `orexpr ::= term (or term)*`
    fn orexpr(&mut self, pos: usize) -> (usize, Option<Expr>) {
        let (mut pos, first) = self.term(pos);
        let mut v: Vec<Expr> = first.into_iter().collect();
        while pos < self.words.len() && matches!(self.word(pos), "or" | "||") {
            let (p, e) = self.term(pos + 1);
            v.extend(e);
            pos = p;
        }
        (pos, (!v.is_empty()).then(|| or(v)))
    }

    /// `term ::= factor ([and] factor)*`
    fn term(&mut self, pos: usize) -> (usize, Option<Expr>) {
        let mut v = Vec::new();
        let mut pos = pos;
        let mut after_and = true;
        loop {
            let (p, e) = self.factor(pos);
            if p == pos {
                if after_and {
                    self.error(String::from("missing expression"));
                }
                break;
            }
            match e {
                Some(Parsed::Expr(e)) => v.push(e),
                Some(Parsed::Empty { negated: true }) => {
                    if let Some(last) = v.pop() {
                        v.push(not(last));
                    }
                }
                _ => {}
            }
            pos = p;
            after_and = pos < self.words.len() && matches!(self.word(pos), "and" | "&&");
            if after_and {
                pos += 1;
            }
        }
        (pos, (!v.is_empty()).then(|| and(v)))
    }

    /// `factor ::= not factor | ( expr ) | test`; `None` when nothing was parsed.
    fn factor(&mut self, pos: usize) -> (usize, Option<Parsed>) {
        self.factor_negated(pos, false)
    }

    fn factor_negated(&mut self, pos: usize, negated: bool) -> (usize, Option<Parsed>) {
        let w = self.word(pos);
        if pos < self.words.len() && (w == "not" || w == "!") {
            self.depth += 1;
            if self.depth > MAX_NESTING {
                self.error(String::from("expression nested too deeply"));
                self.depth -= 1;
                return (self.words.len(), None);
            }
            let (p, e) = self.factor_negated(pos + 1, !negated);
            self.depth -= 1;
            if p == pos + 1 {
                self.error(format!("missing expression after '{w}'"));
            }
            return (p, e);
        }
        if pos < self.words.len() && w == "(" {
            let start = pos + 1;
            let (mut p, e) = self.expr(start);
            if p == start {
                self.error(String::from("missing expression after '('"));
            }
            if p < self.words.len() && self.word(p) == ")" {
                p += 1;
            } else if p != start {
                self.error(String::from("missing ')'"));
            }
            return (p, Some(parsed(e, negated)));
        }
        self.test(pos, negated)
    }

    /// `test ::= true | false | quals [[POS:LEN]] [& MASK] [relop] [data]` (Click's
    /// `parse_test`).
    fn test(&mut self, pos: usize, mut negated: bool) -> (usize, Option<Parsed>) {
        let n = self.words.len();
        if pos >= n {
            return (pos, None);
        }
        let first = self.word(pos);
        if matches!(first, ")" | "||" | "or" | "?" | ":") {
            return (pos, None);
        }
        if first == "true" || first == "false" {
            return (
                pos + 1,
                Some(Parsed::Expr(Expr::Const((first == "true") != negated))),
            );
        }
        let first_pos = pos;
        let mut pos = pos;
        let mut prim = Primitive::default();
        let mut header = 0u8;
        let mut errs = Vec::new();
        // Qualifiers.
        while pos < n {
            let wd = self.word(pos);
            match lookup(wd, TYPE_NONE, UNKNOWN) {
                Word::Type(t) => {
                    if prim.ty != TYPE_NONE {
                        errs.push(String::from("type specified twice"));
                    }
                    prim.ty = t;
                    if t & TYPE_FIELD != 0 && t & FIELD_PROTO_MASK != 0 {
                        set_transp_proto(
                            &mut prim,
                            (t & FIELD_PROTO_MASK) >> FIELD_PROTO_SHIFT,
                            &mut errs,
                        );
                    }
                }
                Word::Value(TYPE_PROTO, p) => set_transp_proto(&mut prim, p, &mut errs),
                Word::Value(..) | Word::Bad(_) => break,
                Word::Unknown => match wd {
                    "src" => {
                        let third = self.word(pos + 2);
                        let sd = if pos + 2 < n && (third == "dst" || third == "dest") {
                            match self.word(pos + 1) {
                                "and" | "&&" => {
                                    pos += 2;
                                    SD_AND
                                }
                                "or" | "||" => {
                                    pos += 2;
                                    SD_OR
                                }
                                _ => SD_SRC,
                            }
                        } else {
                            SD_SRC
                        };
                        set_srcdst(&mut prim, sd, &mut errs);
                    }
                    "dst" | "dest" => set_srcdst(&mut prim, SD_DST, &mut errs),
                    "ip" | "ether" => {
                        if header != 0 {
                            break;
                        }
                        header = wd.as_bytes()[0];
                    }
                    "not" | "!" => negated = !negated,
                    _ => break,
                },
            }
            pos += 1;
        }
        // The previous primitive only counts when this one has no qualifiers.
        if pos != first_pos {
            self.prev = Primitive::default();
        }
        if self.prev.data == TYPE_ETHER {
            header = b'e';
        }
        let words = self.words;
        let peek = |pos: usize| if pos + 1 >= n { "" } else { words[pos] };
        let mut wd = peek(pos);
        if wd == "[" && pos > first_pos && prim.ty == TYPE_NONE {
            pos = self.brackets(&mut prim, pos, &mut errs);
            wd = peek(pos);
        }
        let mut given = GivenMask {
            kind: MaskKind::None,
            u: 0,
            ether: [0; 6],
        };
        if wd == "&" && pos + 1 < n {
            let m = self.word(pos + 1);
            if let Ok(v) = parse_u64(m).and_then(|v| u32::try_from(v).map_err(|_| String::new())) {
                given.kind = MaskKind::Int;
                given.u = v;
                pos += 2;
            } else if let (true, Ok(a)) = (header != b'e', parse_ip(m)) {
                given.kind = MaskKind::Host;
                given.u = u32::from_be_bytes(a);
                pos += 2;
            } else if let (true, Ok(a)) = (header != b'i', parse_ether(m)) {
                given.kind = MaskKind::Ether;
                given.ether = a;
                pos += 2;
            }
            if given.kind != MaskKind::None && given.kind != MaskKind::Ether && given.u == 0 {
                errs.push(String::from("zero mask ignored"));
                given.kind = MaskKind::None;
            }
            wd = peek(pos);
        }
        pos += 1;
        match wd {
            "=" | "==" => {}
            "!=" => prim.op_negated = true,
            ">" => prim.op = Op::Gt,
            "<" => prim.op = Op::Lt,
            ">=" => {
                prim.op = Op::Lt;
                prim.op_negated = true;
            }
            "<=" => {
                prim.op = Op::Gt;
                prim.op_negated = true;
            }
            _ => pos -= 1,
        }
        // The value.
        if pos < n {
            wd = self.word(pos);
            pos += 1;
            match lookup(wd, prim.ty, prim.transp_proto) {
                Word::Bad(msg) => {
                    errs.push(msg);
                    prim.ty = -2;
                }
                Word::Value(kind, v) => {
                    prim.data = kind;
                    prim.u = v as u32;
                }
                Word::Type(_) | Word::Unknown => {
                    if let Some(v) = parse_i64(wd).ok().and_then(|v| i32::try_from(v).ok()) {
                        prim.data = TYPE_INT;
                        prim.u = v as u32;
                    } else if let (true, Ok(a)) = (header != b'e', parse_ip(wd)) {
                        prim.u = u32::from_be_bytes(a);
                        let mask = (pos + 1 < n && self.word(pos) == "mask")
                            .then(|| parse_ip(self.word(pos + 1)).ok())
                            .flatten();
                        if let Some(m) = mask {
                            pos += 2;
                            prim.mask = u32::from_be_bytes(m);
                            prim.data = TYPE_NET;
                        } else {
                            prim.data = TYPE_HOST;
                        }
                    } else if let (true, Ok((a, m))) =
                        (header != b'e' && wd.contains('/'), parse_ip_prefix(wd))
                    {
                        prim.u = u32::from_be_bytes(a);
                        prim.mask = u32::from_be_bytes(m);
                        prim.data = TYPE_NET;
                    } else if let (true, Ok(a)) = (header != b'i', parse_ether(wd)) {
                        prim.ether = a;
                        prim.data = TYPE_ETHER;
                    } else {
                        if prim.op != Op::Eq || prim.op_negated {
                            errs.push(format!("dangling operator near '{wd}'"));
                        }
                        pos -= 1;
                    }
                }
            }
        }
        if pos == first_pos {
            self.errors.extend(errs);
            self.error(format!("empty term near '{wd}'"));
            return (pos, None);
        }
        let prev = self.prev;
        let checked = prim.check(&prev, header, given);
        self.errors.extend(errs);
        match checked {
            Ok(()) => {
                let e = prim.compile(self.tests);
                self.prev = prim;
                (pos, Some(parsed(e, negated)))
            }
            Err(msg) => {
                if !msg.is_empty() {
                    self.error(msg);
                }
                (pos, Some(Parsed::Expr(Expr::Const(false))))
            }
        }
    }

    /// Parses `[POS]`, `[POS:LEN]` or `[POS,END]` at `pos` into a field type; returns the
    /// position after it.
    fn brackets(&mut self, prim: &mut Primitive, pos: usize, errs: &mut Vec<String>) -> usize {
        let first = pos + 1;
        let mut pos = first;
        let mut text = String::new();
        while pos < self.words.len() && self.word(pos) != "]" {
            text.push_str(self.word(pos));
            pos += 1;
        }
        if pos >= self.words.len() {
            errs.push(String::from("missing ']'"));
            return first;
        }
        pos += 1;
        let int = |s: &str| parse_i64(s).ok().and_then(|v| i32::try_from(v).ok());
        let parsed = if let Some((a, b)) = text.split_once(':').filter(|(_, b)| !b.is_empty()) {
            int(a).zip(int(b))
        } else if let Some((a, b)) = text.split_once(',').filter(|(_, b)| !b.is_empty()) {
            int(a)
                .zip(int(b))
                .map(|(a, b)| (a, b.wrapping_sub(a).wrapping_add(1)))
        } else {
            int(&text).map(|a| (a, 1))
        };
        let Some((at, len)) = parsed else {
            errs.push(String::from(
                "syntax error after '[', expected '[POS]' or '[POS:LEN]'",
            ));
            return pos;
        };
        if !(1..=4).contains(&len) {
            errs.push(String::from(
                "LEN in '[POS:LEN]' out of range, should be between 1 and 4",
            ));
        } else if !(0..0x1000).contains(&at) {
            errs.push(format!("field [{at}:{len}] out of range"));
        } else if (at * 8) & !31 != (at * 8 + len * 8 - 1) & !31 {
            errs.push(format!("field [{at}:{len}] does not fit in a single word"));
        } else {
            let proto = if prim.transp_proto == UNKNOWN {
                0
            } else {
                prim.transp_proto
            };
            if prim.ty != TYPE_NONE {
                errs.push(String::from("type specified twice"));
            }
            prim.ty = field(proto, at * 8, len * 8);
        }
        pos
    }
}

/// A factor from an expression, or its absence, negated if `negated`.
fn parsed(e: Option<Expr>, negated: bool) -> Parsed {
    match e {
        Some(e) if negated => Parsed::Expr(not(e)),
        Some(e) => Parsed::Expr(e),
        None => Parsed::Empty { negated },
    }
}

fn set_transp_proto(prim: &mut Primitive, p: i32, errs: &mut Vec<String>) {
    if prim.transp_proto != UNKNOWN && prim.transp_proto != p {
        errs.push(String::from("transport protocol specified twice"));
    }
    prim.transp_proto = p;
}

fn set_srcdst(prim: &mut Primitive, sd: u8, errs: &mut Vec<String>) {
    if prim.srcdst != 0 {
        errs.push(String::from("'src' or 'dst' specified twice"));
    }
    prim.srcdst = sd;
}

/// Parses IPFilter rules `ACTION PATTERN` (`allow` = 0, `deny`/`drop`, or an output number)
/// into rules over `tests`; errors are `pattern N: MESSAGE` lines.
fn parse_rules(
    conf: &[String],
    noutputs: usize,
    tests: &mut TestTable,
) -> Result<Vec<Rule>, Vec<String>> {
    let mut rules = Vec::with_capacity(conf.len());
    let mut errors = Vec::new();
    for (argno, arg) in conf.iter().enumerate() {
        let text = unquote(arg);
        let words = separate_text(&text);
        let Some(&action) = words.first() else {
            errors.push(format!("empty pattern {argno}"));
            continue;
        };
        let mut errs = Vec::new();
        let output = match action {
            "allow" => {
                if noutputs == 0 {
                    errs.push(String::from(
                        "'allow' is meaningless, element has zero outputs",
                    ));
                }
                Some(0)
            }
            "deny" | "drop" => None,
            w => match parse_i64(w).ok().and_then(|v| i32::try_from(v).ok()) {
                Some(n) if n >= 0 && (n as usize) < noutputs => Some(n as usize),
                Some(n) => {
                    errs.push(format!("slot '{n}' out of range"));
                    None
                }
                None => {
                    errs.push(format!("unknown slot ID '{w}'"));
                    None
                }
            },
        };
        let expr =
            if words.len() == 1 || (words.len() == 2 && matches!(words[1], "-" | "any" | "all")) {
                Some(Expr::Const(true))
            } else {
                let mut parser = Parser {
                    words: &words,
                    tests,
                    errors: Vec::new(),
                    prev: Primitive::default(),
                    depth: 0,
                };
                let (pos, e) = parser.expr(1);
                if pos < words.len() {
                    parser.error(format!("garbage after expression at '{}'", words[pos]));
                }
                errs.extend(parser.errors);
                e
            };
        errors.extend(errs.into_iter().map(|e| format!("pattern {argno}: {e}")));
        // A pattern without tests drops every packet that reaches it (Click's empty program
        // sends everything to a port that does not exist).
        let rule = match expr {
            Some(expr) => Rule { expr, output },
            None => Rule {
                expr: Expr::Const(true),
                output: None,
            },
        };
        rules.push(rule);
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

/// Compiles IPFilter rules for an element with `ctx.noutputs` outputs.
fn compile_rules(conf: &[String], ctx: &ConfigureContext<'_>) -> Result<Program, String> {
    let mut tests = TestTable::default();
    let rules = parse_rules(conf, ctx.noutputs, &mut tests).map_err(|e| e.join("\n"))?;
    Program::compile(tests.tests(), &rules, ctx.limits)
}

/// Where each header of `p` starts: the data, the MAC header, the network header and the
/// transport header (after the IP header length), each up to the end of the data.
#[inline]
fn ip_views(p: &Packet) -> Views<'_> {
    let net = p.network_header_bytes();
    let hl = net.first().map_or(0, |b| usize::from(b & 0xf) * 4);
    let transport = if net.len() > hl { &net[hl..] } else { &[] };
    [p.data(), p.mac_header_bytes(), net, transport]
}

/// Filters IP packets by rules `ACTION PATTERN`: the first rule whose pattern matches decides;
/// `allow` sends to output 0, `N` to output N, `deny` and `drop` discard, and a packet no rule
/// matches is dropped. Patterns are as for [`IPClassifier`]; `-`, `any` or `all` match
/// everything. Handler: `program` (the compiled decision DAG).
#[derive(Default)]
pub struct IPFilter {
    program: Program,
}

impl IPFilter {
    /// The output for `packet` (`None`: dropped).
    #[inline]
    pub fn classify(&self, packet: &Packet) -> Option<usize> {
        self.program.classify(&ip_views(packet))
    }
}

impl ElementClass for IPFilter {
    const NAME: &'static str = "IPFilter";
    const PORTS: Ports = Ports::parse("1/-");
    const PROCESSING: ProcessingSpec = ProcessingSpec::PUSH;
    const EXAMPLE: &'static str =
        "allow tcp && dst port 80, deny udp, allow icmp type echo, drop all";
}

impl Element for IPFilter {
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        self.program = compile_rules(&args.take_rest(), ctx)?;
        Ok(())
    }

    fn push(&mut self, _port: usize, packet: Packet, ctx: &mut PushContext<'_>) {
        if let Some(port) = self.classify(&packet) {
            ctx.output(port, packet);
        }
    }

    fn push_batch(&mut self, _port: usize, batch: &mut Batch, ctx: &mut PushContext<'_>) {
        push_classified(batch, ctx, |p| self.classify(p));
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["program"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        (name == "program").then(|| self.program.unparse())
    }
}

/// Classifies IP packets by tcpdump-like patterns, one per output: a packet goes to the output
/// of the first pattern it matches and is dropped if none does. Handlers: `program`, and
/// `patternN` (the text of pattern N).
#[derive(Default)]
pub struct IPClassifier {
    program: Program,
    patterns: Vec<String>,
}

impl IPClassifier {
    /// The output for `packet` (`None`: dropped).
    #[inline]
    pub fn classify(&self, packet: &Packet) -> Option<usize> {
        self.program.classify(&ip_views(packet))
    }
}

impl ElementClass for IPClassifier {
    const NAME: &'static str = "IPClassifier";
    const PORTS: Ports = Ports::parse("1/-");
    const PROCESSING: ProcessingSpec = ProcessingSpec::PUSH;
    const EXAMPLE: &'static str = "tcp dst port 80, udp, icmp type echo, -";
}

impl Element for IPClassifier {
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        let conf = args.take_rest();
        if conf.len() != ctx.noutputs {
            return Err(format!(
                "need {} arguments, one per output port",
                ctx.noutputs
            ));
        }
        let rules: Vec<String> = conf
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{i} {p}"))
            .collect();
        self.program = compile_rules(&rules, ctx)?;
        self.patterns = conf;
        Ok(())
    }

    fn push(&mut self, _port: usize, packet: Packet, ctx: &mut PushContext<'_>) {
        if let Some(port) = self.classify(&packet) {
            ctx.output(port, packet);
        }
    }

    fn push_batch(&mut self, _port: usize, batch: &mut Batch, ctx: &mut PushContext<'_>) {
        push_classified(batch, ctx, |p| self.classify(p));
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["program"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        if name == "program" {
            return Some(self.program.unparse());
        }
        let n: usize = name.strip_prefix("pattern")?.parse().ok()?;
        self.patterns.get(n).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::decision::eval_rules;
    use crate::elements::testing::*;
    use crate::limits::Limits;

    const A: [u8; 4] = [10, 0, 0, 2];
    const B: [u8; 4] = [10, 0, 1, 2];

    /// An Ethernet frame carrying IPv4 `l4` (protocol `proto`), its network header annotated.
    fn ip_packet(proto: u8, src: [u8; 4], dst: [u8; 4], l4: &[u8]) -> Packet {
        let frame = ether([2; 6], [4; 6], 0x0800, &ipv4(proto, src, dst, l4), 0);
        let mut p = dump_packet(&frame);
        p.set_network_header(14);
        p
    }

    fn tcp(sport: u16, dport: u16, flags: u8) -> Vec<u8> {
        let mut t = Vec::new();
        t.extend_from_slice(&sport.to_be_bytes());
        t.extend_from_slice(&dport.to_be_bytes());
        t.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0x04, 0xd2, 0, 0, 0, 0]);
        t
    }

    fn udp(sport: u16, dport: u16) -> Vec<u8> {
        let mut u = Vec::new();
        u.extend_from_slice(&sport.to_be_bytes());
        u.extend_from_slice(&dport.to_be_bytes());
        u.extend_from_slice(&[0, 8, 0, 0]);
        u
    }

    fn classifier(patterns: &str, n: usize) -> IPClassifier {
        let mut c = IPClassifier::default();
        configure(&mut c, "c", patterns, 1, n).unwrap_or_else(|e| panic!("{patterns}: {e}"));
        c
    }

    fn errors(patterns: &str, n: usize) -> String {
        let mut c = IPClassifier::default();
        configure(&mut c, "c", patterns, 1, n).expect_err(patterns)
    }

    #[test]
    fn words() {
        assert_eq!(
            separate_text("a&&b||!c!=d<=e>=f==g&h|i(j)[k:l],m;n?o"),
            [
                "a", "&&", "b", "||", "!", "c", "!=", "d", "<=", "e", ">=", "f", "==", "g", "&",
                "h", "|", "i", "(", "j", ")", "[", "k:l", "]", ",", "m", ";", "n", "?", "o"
            ]
        );
        assert_eq!(separate_text("src 10.0.0.0/8 "), ["src", "10.0.0.0/8", ""]);
        assert!(separate_text("").is_empty());
        assert_eq!(separate_text("é+x"), ["", "", "+", "x"]);
    }

    #[test]
    fn primitives_and_shorthands() {
        let c = classifier(
            "syn && !ack, tcp opt rst or fin, dst tcp port www, src host 10.0.0.2, \
             udp and dst port >= 6000 and dst port <= 6010, dst udp port dns, icmp type echo, -",
            8,
        );
        let route = |p: Packet| c.classify(&p);
        assert_eq!(route(ip_packet(6, A, B, &tcp(40000, 80, 0x02))), Some(0));
        assert_eq!(route(ip_packet(6, B, A, &tcp(80, 40000, 0x12))), Some(7));
        assert_eq!(route(ip_packet(6, B, A, &tcp(80, 40000, 0x11))), Some(1));
        assert_eq!(route(ip_packet(6, B, A, &tcp(1, 80, 0x10))), Some(2));
        assert_eq!(route(ip_packet(17, A, B, &udp(1, 80))), Some(3));
        assert_eq!(route(ip_packet(17, B, A, &udp(1, 6000))), Some(4));
        assert_eq!(route(ip_packet(17, B, A, &udp(1, 6011))), Some(7));
        assert_eq!(route(ip_packet(17, B, A, &udp(1, 53))), Some(5));
        assert_eq!(route(ip_packet(6, B, A, &udp(1, 53))), Some(7));
        assert_eq!(route(ip_packet(1, B, A, &icmp(8, 0, 1, 1, &[]))), Some(6));
        assert_eq!(route(ip_packet(1, B, A, &icmp(0, 0, 1, 1, &[]))), Some(7));
    }

    #[test]
    fn relations_masks_and_fields() {
        let c = classifier(
            "ip ttl < 2 or ip ttl > 254, ip tos & 0xfc == 0xb8, ip[12:4] > 0x0a000100, \
             transp[2:2] == 80, tcp win 1234, ip ect, -",
            7,
        );
        let mut p = ip_packet(17, A, A, &udp(1, 2));
        let set = |p: &mut Packet, at: usize, v: u8| {
            p.data_mut()[14 + at] = v;
        };
        assert_eq!(c.classify(&p), Some(6));
        set(&mut p, 8, 1);
        assert_eq!(c.classify(&p), Some(0));
        set(&mut p, 8, 255);
        assert_eq!(c.classify(&p), Some(0));
        set(&mut p, 8, 254);
        set(&mut p, 1, 0xbb);
        assert_eq!(c.classify(&p), Some(1));
        set(&mut p, 1, 0x02);
        assert_eq!(c.classify(&p), Some(5));
        let p = ip_packet(17, B, A, &udp(1, 2));
        assert_eq!(c.classify(&p), Some(2));
        let p = ip_packet(17, A, A, &udp(1, 80));
        assert_eq!(c.classify(&p), Some(3));
        let p = ip_packet(6, A, A, &tcp(1, 2, 0x10));
        assert_eq!(c.classify(&p), Some(4));
    }

    /// `!=` fails where the field is missing, `not` matches; port tests need a first fragment.
    #[test]
    fn short_packets_and_fragments() {
        let c = classifier("src port != 80, not src port 80, -", 3);
        let bare = ip_packet(6, A, B, &[]);
        assert_eq!(c.classify(&bare), Some(1));
        assert_eq!(c.classify(&ip_packet(6, A, B, &tcp(81, 1, 0))), Some(0));
        assert_eq!(c.classify(&ip_packet(6, A, B, &tcp(80, 1, 0))), Some(2));
        let mut later = ip_packet(6, A, B, &tcp(81, 1, 0));
        later.data_mut()[14 + 7] = 3;
        assert_eq!(c.classify(&later), Some(1));
        let c = classifier("ip frag, ip unfrag, -", 3);
        assert_eq!(c.classify(&later), Some(0));
        assert_eq!(c.classify(&bare), Some(1));
        // No network header annotation: every test lacks its bytes.
        let mut none = bare.clone();
        none.clear_network_header();
        assert_eq!(c.classify(&none), Some(2));
        let c = classifier("tcp, not tcp", 2);
        assert_eq!(c.classify(&none), Some(1));
        assert_eq!(c.classify(&Packet::from_slice(&[])), Some(1));
        // A network header in the headroom (after Strip) still counts.
        let mut stripped = bare.clone();
        stripped.pull_front(30);
        assert_eq!(c.classify(&stripped), Some(0));
    }

    #[test]
    fn ethernet_ternary_and_pseudo_protocols() {
        let c = classifier(
            "ether src host 04:04:04:04:04:04 and ether dst 02:02:02:02:02:02, udp ? port 53 : icmp, -",
            3,
        );
        assert_eq!(c.classify(&ip_packet(6, A, B, &tcp(1, 2, 0))), Some(0));
        let mut other = ip_packet(17, A, B, &udp(1, 53));
        other.data_mut()[11] = 5;
        assert_eq!(c.classify(&other), Some(1));
        let c = classifier("udp ? port 53 : icmp, -", 2);
        assert_eq!(c.classify(&ip_packet(17, A, B, &udp(1, 54))), Some(1));
        assert_eq!(
            c.classify(&ip_packet(1, A, B, &icmp(8, 0, 0, 0, &[]))),
            Some(0)
        );
        // A pattern without tests drops what reaches it, as in Click; inside 'and'/'or' it
        // drops out.
        let c = classifier("transp, -", 2);
        assert_eq!(c.classify(&ip_packet(6, A, B, &[])), None);
        let c = classifier("tcp or transp, tcp and transp, -", 3);
        assert_eq!(c.classify(&ip_packet(17, A, B, &udp(1, 2))), Some(2));
        assert_eq!(c.classify(&ip_packet(6, A, B, &[])), Some(0));
    }

    /// Messages as Click 2.1 prints them (checked against its output).
    #[test]
    fn errors_match_click() {
        for (pattern, want) in [
            ("echo", "pattern 0: '<none>  echo' is ambiguous; try 'port  echo', 'port  echo', 'icmp type  echo'"),
            ("port 6000-6010", "pattern 0: 'port': value missing\npattern 0: empty term near '6000-6010'\npattern 0: garbage after expression at '6000-6010'"),
            ("ip ttl", "pattern 0: 'ip ttl': value missing"),
            ("tcp or", "pattern 0: missing expression"),
            ("not", "pattern 0: missing expression after 'not'"),
            ("ip[1:5] == 0", "pattern 0: LEN in '[POS:LEN]' out of range, should be between 1 and 4\npattern 0: specify header field or 'port'"),
            ("ip[3:2] == 0", "pattern 0: field [3:2] does not fit in a single word\npattern 0: specify header field or 'port'"),
            ("ip ttl & 0 == 1", "pattern 0: zero mask ignored"),
            ("net 10.0.0.1", "pattern 0: 'ip net': address missing"),
            ("tcp opt != syn", "pattern 0: 'tcp opt': operator or mask not supported"),
            ("icmp port 80", "pattern 0: 'port': bad protocol 1"),
            ("ip hl 16", "pattern 0: 'ip hl': out of range, bound 15"),
            ("src src host 10.0.0.1", "pattern 0: 'src' or 'dst' specified twice"),
            ("tcp ? syn", "pattern 0: missing ':' in ternary expression"),
            ("ip[x] == 1", "pattern 0: syntax error after '[', expected '[POS]' or '[POS:LEN]'\npattern 0: specify header field or 'port'"),
            ("ip tos & 0x1ff == 1", "pattern 0: 'ip tos': mask out of range, bound 0xFF"),
            ("ip proto tcpudp > 3", "pattern 0: 'proto': specified twice"),
            ("tcp opt 300", "pattern 0: 'tcp opt': value 300 out of range"),
            ("tcp udp", "pattern 0: transport protocol specified twice"),
            ("src host 10.0.0.2 & 255.255.0.0", "pattern 0: partial directive"),
            ("ether host 10.0.0.1", "pattern 0: 'ether host': address missing"),
            ("ip[0:4] > 0xfffffffe", "pattern 0: dangling operator near '0xfffffffe'\npattern 0: 'ip[...]': value missing\npattern 0: empty term near '0xfffffffe'\npattern 0: garbage after expression at '0xfffffffe'"),
        ] {
            assert_eq!(errors(&format!("{pattern}, -"), 2), want, "{pattern}");
        }
        assert_eq!(errors("tcp", 2), "need 2 arguments, one per output port");
        let mut f = IPFilter::default();
        let e = configure(&mut f, "f", "allow tcp, 7 udp, bogus icmp, , drop -", 1, 2).unwrap_err();
        assert_eq!(
            e,
            "pattern 1: slot '7' out of range\npattern 2: unknown slot ID 'bogus'\nempty pattern 3"
        );
        let e = configure(&mut f, "f", "allow tcp", 1, 0).unwrap_err();
        assert_eq!(
            e,
            "pattern 0: 'allow' is meaningless, element has zero outputs"
        );
    }

    #[test]
    fn filter_actions_and_handlers() {
        let mut h = Harness::new(
            IPFilter::default(),
            "f",
            "drop ip frag, deny src host 10.0.0.3, allow tcp && dst port 80, 1 udp // dns\n, 2 -",
            3,
        )
        .unwrap();
        let r = |h: &mut Harness<IPFilter>, p: Packet| h.route(p).map(|(port, _)| port);
        assert_eq!(r(&mut h, ip_packet(6, A, B, &tcp(1, 80, 2))), Some(0));
        assert_eq!(
            r(&mut h, ip_packet(6, [10, 0, 0, 3], B, &tcp(1, 80, 2))),
            None
        );
        assert_eq!(r(&mut h, ip_packet(17, A, B, &udp(1, 53))), Some(1));
        assert_eq!(r(&mut h, ip_packet(1, A, B, &[])), Some(2));
        let text = h.element.read_handler("program").unwrap();
        assert!(text.contains("ip+"), "{text}");
        let c = classifier("tcp, -", 2);
        assert_eq!(c.read_handler("pattern1").as_deref(), Some("-"));
        assert_eq!(c.read_handler("pattern2"), None);
    }

    #[test]
    fn sizes_are_bounded() {
        let limits = Limits {
            capacity: 20,
            ..Limits::HOST
        };
        let conf: Vec<String> = vec![String::from(
            "0 ip[0:4] > 0x12345678 and ip[4:4] > 0x12345678",
        )];
        let mut tests = TestTable::default();
        let rules = parse_rules(&conf, 1, &mut tests).unwrap();
        let e = Program::compile(tests.tests(), &rules, &limits).unwrap_err();
        assert!(e.contains("limit of 20"), "{e}");
        let deep = format!("{}tcp{}, -", "(".repeat(40), ")".repeat(40));
        assert!(errors(&deep, 2).contains("nested too deeply"));
        let nots = format!("{}tcp, -", "not ".repeat(40));
        assert!(errors(&nots, 2).contains("nested too deeply"));
        let chain = format!("{}udp, -", "tcp ? syn : ".repeat(40));
        assert!(errors(&chain, 2).contains("nested too deeply"));
        classifier(&format!("{}udp, -", "tcp ? syn : ".repeat(20)), 2);
        classifier(&format!("{}tcp{}, -", "(".repeat(20), ")".repeat(20)), 2);
    }

    /// Port ranges, which Click decomposes into a dozen bit tests, become a single interval
    /// test for packets holding the whole transport header, and still classify every port as
    /// the patterns say.
    #[test]
    fn port_ranges_become_interval_tests() {
        let c = classifier(
            "udp && dst port >= 6000 && dst port <= 6010, tcp && (src port < 1024 || src port > 60000), -",
            3,
        );
        let text = c.read_handler("program").unwrap();
        let long = text.split("when every word tested").nth(1).unwrap();
        assert!(
            long.contains("transp+0/00001770-0000177a%0000ffff"),
            "{text}"
        );
        for port in (0..=u16::MAX).step_by(7).chain(5990..6020) {
            let want = if (6000..=6010).contains(&port) { 0 } else { 2 };
            assert_eq!(c.classify(&ip_packet(17, A, B, &udp(7, port))), Some(want));
            let want = if (1024..=60000).contains(&port) { 2 } else { 1 };
            assert_eq!(
                c.classify(&ip_packet(6, A, B, &tcp(port, 1, 0))),
                Some(want)
            );
        }
    }

    /// The compiled program agrees with direct evaluation of the patterns on random packets
    /// (random headers, every truncation, with and without options).
    #[test]
    fn compiled_program_agrees_with_direct_evaluation() {
        let patterns = [
            "syn && !ack",
            "tcp opt rst or fin",
            "src or dst port www and not ip frag",
            "src and dst port < 6000",
            "udp and dst port >= 6000 and dst port <= 6010",
            "ip ttl < 2 or ip ttl > 254",
            "icmp type != echo-reply",
            "not (src net 10.0.0.0/24 or dst net 10.0.1.0 mask 255.255.255.0) ? tcp : udp",
            "ip[1] & 0xfc > 0x40 or transp[13] & 0x12 == 0x12",
            "ip[12:4] > 0x0a000001 and ip len <= 40",
            "ip hl > 5 or ip id != 0x1234 and tcp win > 1000",
            "transp[0:4] & 0xffff0000 == 0x00500000 || ip ect",
            "-",
        ];
        let conf: Vec<String> = patterns
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{} {p}", i % 3))
            .collect();
        let mut tests = TestTable::default();
        let rules = parse_rules(&conf, 3, &mut tests).unwrap();
        let program = Program::compile(tests.tests(), &rules, &Limits::HOST).unwrap();
        let mut seed: u32 = 4242;
        let mut next = |n: u32| {
            seed = seed.wrapping_mul(1103515245).wrapping_add(12345);
            (seed >> 16) % n
        };
        let addrs = [A, B, [10, 0, 0, 1], [10, 0, 1, 9]];
        for _ in 0..3000 {
            let proto = [1u8, 6, 17, 47][next(4) as usize];
            let any_port = next(0x10000) as u16;
            let l4: Vec<u8> = match proto {
                6 => tcp(
                    [80, 6000, 40000, 22, any_port][next(5) as usize],
                    [80, 6005, 6011, 1, 5999, any_port][next(6) as usize],
                    next(64) as u8,
                ),
                17 => udp(
                    [80, 53, any_port][next(3) as usize],
                    [6000, 6010, 80, 5999, 6011, any_port][next(6) as usize],
                ),
                _ => vec![next(16) as u8; 8],
            };
            let mut p = ip_packet(proto, addrs[next(4) as usize], addrs[next(4) as usize], &l4);
            {
                let d = p.data_mut();
                d[14 + 1] = [0, 0x41, 0xb8, 0x12, 3][next(5) as usize];
                d[14 + 6] = [0, 0, 0x20, 0x40][next(4) as usize];
                d[14 + 7] = [0, 0, 1][next(3) as usize];
                d[14 + 8] = [0, 1, 2, 64, 254, 255][next(6) as usize];
                if next(4) == 0 {
                    d[14] = 0x46;
                }
                if next(3) == 0 {
                    d[14 + 4] = 0x12;
                    d[14 + 5] = 0x34;
                }
            }
            let cut = next(p.len() as u32 + 1) as usize;
            p.truncate(cut.max(14));
            let views = ip_views(&p);
            assert_eq!(
                program.classify(&views),
                eval_rules(tests.tests(), &rules, &views),
                "{:02x?}",
                p.data()
            );
        }
    }
}
