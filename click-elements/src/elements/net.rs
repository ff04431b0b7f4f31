//! Protocol helpers shared by the Ethernet, ARP and IP elements: header constants, byte
//! access that never reads past the packet, Internet checksums and Click's text forms of
//! addresses and timestamps.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::args::{parse_i64, parse_uint_max};
use crate::packet::{Packet, Timestamp};

/// Length of an Ethernet header.
pub const ETHER_LEN: usize = 14;
/// Length of an IPv4 header without options.
pub const IP_LEN: usize = 20;
/// IP protocol number of ICMP.
pub const IP_PROTO_ICMP: u8 = 1;
/// IP protocol number of TCP.
pub const IP_PROTO_TCP: u8 = 6;
/// IP protocol number of UDP.
pub const IP_PROTO_UDP: u8 = 17;
/// Length of a TCP header without options.
pub const TCP_LEN: usize = 20;
/// Length of a UDP header.
pub const UDP_LEN: usize = 8;
/// Length of an ICMP header (type, code, checksum and 4 bytes).
pub const ICMP_LEN: usize = 8;
/// Length of an ARP packet for Ethernet and IPv4 (`click_ether_arp`).
pub const ARP_LEN: usize = 28;
/// Ethertype of IPv4.
pub const ETHERTYPE_IP: u16 = 0x0800;
/// Ethertype of ARP.
pub const ETHERTYPE_ARP: u16 = 0x0806;
/// Ethertype of IPv6.
pub const ETHERTYPE_IP6: u16 = 0x86dd;
/// Ethertype (TPID) of an 802.1Q VLAN tag.
pub const ETHERTYPE_8021Q: u16 = 0x8100;
/// ARP hardware type of Ethernet.
pub const ARPHRD_ETHER: u16 = 1;
/// ARP operation: request.
pub const ARPOP_REQUEST: u16 = 1;
/// ARP operation: reply.
pub const ARPOP_REPLY: u16 = 2;

/// Byte offset of the TTL in an IPv4 header.
pub const IP_TTL: usize = 8;
/// Byte offset of the header checksum in an IPv4 header.
pub const IP_SUM: usize = 10;
/// The don't-fragment flag of the IP fragment field.
pub const IP_DF: u16 = 0x4000;
/// The more-fragments flag of the IP fragment field.
pub const IP_MF: u16 = 0x2000;
/// The fragment offset bits of the IP fragment field (in units of 8 bytes).
pub const IP_OFFMASK: u16 = 0x1fff;
/// IP option: end of the option list.
pub const IPOPT_EOL: u8 = 0;
/// IP option: no operation (one byte).
pub const IPOPT_NOP: u8 = 1;
/// IP option: Record Route.
pub const IPOPT_RR: u8 = 7;
/// IP option: Timestamp.
pub const IPOPT_TS: u8 = 68;
/// IP option: Loose Source and Record Route.
pub const IPOPT_LSRR: u8 = 131;
/// IP option: Strict Source and Record Route.
pub const IPOPT_SSRR: u8 = 137;

/// The offset of the IPv4 header annotated on `p`, when it lies within the data with at least
/// the 20 bytes of a header without options after it.
pub fn ip_header_offset(p: &Packet) -> Option<usize> {
    let nh = p.network_header_offset()?;
    (p.len() >= nh.checked_add(IP_LEN)?).then_some(nh)
}

/// The 20 bytes of `data` at `offset` (a header without options), if they are there.
#[inline(always)]
pub fn header20(data: &[u8], offset: usize) -> Option<&[u8; 20]> {
    data.get(offset..)?.first_chunk()
}

/// The 20 bytes of `data` at `offset`, writable, if they are there.
#[inline(always)]
pub fn header20_mut(data: &mut [u8], offset: usize) -> Option<&mut [u8; 20]> {
    data.get_mut(offset..)?.first_chunk_mut()
}

/// The offset and length of the IPv4 header annotated on `p`, when the whole header (at least
/// 20 bytes, as long as its IHL says) lies within the data.
pub fn ip_header_span(p: &Packet) -> Option<(usize, usize)> {
    let nh = ip_header_offset(p)?;
    let hlen = ip_header_len(p.data()[nh]);
    (hlen >= IP_LEN && nh + hlen <= p.len()).then_some((nh, hlen))
}

/// The header length in bytes given by the version/IHL byte of an IPv4 header.
#[inline]
pub fn ip_header_len(vhl: u8) -> usize {
    usize::from(vhl & 0x0f) * 4
}

/// True for 224.0.0.0/4.
#[inline]
pub fn is_multicast(a: [u8; 4]) -> bool {
    a[0] & 0xf0 == 0xe0
}

/// Zeroes the checksum of the IPv4 header `h` (all of it, options included) and writes the
/// Internet checksum of the result there. Headers shorter than 12 bytes are left alone.
pub fn set_ip_checksum(h: &mut [u8]) {
    if h.len() < IP_SUM + 2 {
        return;
    }
    h[IP_SUM..IP_SUM + 2].fill(0);
    let sum = in_cksum(h);
    h[IP_SUM..IP_SUM + 2].copy_from_slice(&sum.to_be_bytes());
}

/// What starts at offset `at` of an IPv4 header's option area (see [`ip_option_at`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpOptionAt {
    /// A one-byte NOP: the next option starts at `at + 1`.
    Nop,
    /// EOL: the option list ends here.
    End,
    /// An option whose length byte (at `at + 1`) is missing, below 2 or runs past the header.
    BadLength,
    /// An option of type `kind` spanning `len` bytes from `at`.
    Option {
        /// The option type byte.
        kind: u8,
        /// The option length (at least 2, within the header).
        len: usize,
    },
}

/// Decodes the option at offset `at` (`IP_LEN <= at < header.len()`) of the IPv4
/// header `header` (exactly its header-length bytes), the way Click's option walkers do:
/// NOPs are skipped one byte at a time, EOL ends the list, and an option is well formed when
/// its length is at least 2 and it ends within the header.
pub fn ip_option_at(header: &[u8], at: usize) -> IpOptionAt {
    match header.get(at) {
        None | Some(&IPOPT_EOL) => IpOptionAt::End,
        Some(&IPOPT_NOP) => IpOptionAt::Nop,
        Some(&kind) => match header.get(at + 1).map(|&l| usize::from(l)) {
            Some(len) if len >= 2 && at + len <= header.len() => IpOptionAt::Option { kind, len },
            _ => IpOptionAt::BadLength,
        },
    }
}

/// Click's names of ICMP types (`NameInfo::T_ICMP_TYPE`).
const ICMP_TYPE_NAMES: [(&str, u8); 15] = [
    ("echo", 8),
    ("echo-reply", 0),
    ("inforeq", 15),
    ("inforeq-reply", 16),
    ("maskreq", 17),
    ("maskreq-reply", 18),
    ("parameterproblem", 12),
    ("redirect", 5),
    ("routeradvert", 9),
    ("routersolicit", 10),
    ("sourcequench", 4),
    ("timeexceeded", 11),
    ("timestamp", 13),
    ("timestamp-reply", 14),
    ("unreachable", 3),
];

/// Click's names of ICMP codes for each type that has any (`NameInfo::T_ICMP_CODE + type`).
const ICMP_CODE_NAMES: [(u8, &[(&str, u8)]); 4] = [
    (
        3,
        &[
            ("filterprohibited", 13),
            ("host", 1),
            ("hostprecedence", 14),
            ("hostprohibited", 10),
            ("hostunknown", 7),
            ("isolated", 8),
            ("needfrag", 4),
            ("net", 0),
            ("netprohibited", 9),
            ("netunknown", 6),
            ("port", 3),
            ("precedencecutoff", 15),
            ("protocol", 2),
            ("srcroutefail", 5),
            ("toshost", 12),
            ("tosnet", 11),
        ],
    ),
    (5, &[("host", 1), ("net", 0), ("toshost", 3), ("tosnet", 2)]),
    (11, &[("reassembly", 1), ("transit", 0)]),
    (12, &[("erroratptr", 0), ("length", 2), ("missingopt", 1)]),
];

/// The ICMP type Click names `name`.
pub fn icmp_type_value(name: &str) -> Option<u8> {
    ICMP_TYPE_NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, t)| t)
}

/// Click's name of ICMP type `t`.
pub fn icmp_type_name(t: u8) -> Option<&'static str> {
    ICMP_TYPE_NAMES
        .iter()
        .find(|&&(_, v)| v == t)
        .map(|&(n, _)| n)
}

/// Click's name of code `code` of ICMP type `t`.
pub fn icmp_code_name(t: u8, code: u8) -> Option<&'static str> {
    ICMP_CODE_NAMES
        .iter()
        .find(|&&(ty, _)| ty == t)
        .and_then(|(_, codes)| codes.iter().find(|&&(_, c)| c == code))
        .map(|&(n, _)| n)
}

/// The value of an ICMP type given by Click's name for it or as an integer; integers outside
/// 0-255 are returned as they are, for the caller to refuse.
pub fn parse_icmp_type(s: &str) -> Result<i64, String> {
    icmp_type_value(s).map(i64::from).map_or_else(
        || parse_i64(s).map_err(|_| String::from("expected ICMP type")),
        Ok,
    )
}

/// The value of an ICMP code of type `icmp_type` given by Click's name for it or as an
/// integer; integers outside 0-255 are returned as they are, for the caller to refuse.
pub fn parse_icmp_code(icmp_type: u8, s: &str) -> Result<i64, String> {
    ICMP_CODE_NAMES
        .iter()
        .find(|(t, _)| *t == icmp_type)
        .and_then(|(_, names)| names.iter().find(|(name, _)| *name == s))
        .map(|&(_, c)| i64::from(c))
        .map_or_else(
            || parse_i64(s).map_err(|_| String::from("expected ICMP code")),
            Ok,
        )
}

/// The big-endian 16-bit value at `offset`, if the bytes are there.
#[inline]
pub fn be16(data: &[u8], offset: usize) -> Option<u16> {
    match data.get(offset..offset.checked_add(2)?) {
        Some(&[a, b]) => Some(u16::from_be_bytes([a, b])),
        _ => None,
    }
}

/// The 4 bytes at `offset`, if they are there.
#[inline]
pub fn bytes4(data: &[u8], offset: usize) -> Option<[u8; 4]> {
    match data.get(offset..offset.checked_add(4)?) {
        Some(&[a, b, c, d]) => Some([a, b, c, d]),
        _ => None,
    }
}

/// The 6 bytes at `offset` (an Ethernet address), if they are there.
#[inline]
pub fn bytes6(data: &[u8], offset: usize) -> Option<[u8; 6]> {
    match data.get(offset..offset.checked_add(6)?) {
        Some(&[a, b, c, d, e, f]) => Some([a, b, c, d, e, f]),
        _ => None,
    }
}

/// The one's-complement sum of `data` as 16-bit big-endian words, folded to 16 bits (an odd
/// last byte is padded with zero).
pub fn ones_sum(data: &[u8]) -> u16 {
    // Sum 32-bit big-endian words into 64 bits and fold at the end: the one's-complement sum
    // does not depend on how the 16-bit words are grouped.
    let mut sum: u64 = 0;
    let mut words = data.chunks_exact(4);
    for w in &mut words {
        sum += u64::from(u32::from_be_bytes([w[0], w[1], w[2], w[3]]));
    }
    match *words.remainder() {
        [a, b, c] => sum += u64::from(u16::from_be_bytes([a, b])) + (u64::from(c) << 8),
        [a, b] => sum += u64::from(u16::from_be_bytes([a, b])),
        [a] => sum += u64::from(a) << 8,
        _ => {}
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// The Internet checksum of `data` (zero when `data` already holds a valid checksum).
pub fn in_cksum(data: &[u8]) -> u16 {
    !ones_sum(data)
}

/// True when the 20-byte header `h` (an IPv4 header without options) holds a valid Internet
/// checksum: the same answer as `in_cksum(h) == 0`, on a fixed-size array.
#[inline]
pub fn header20_cksum_ok(h: &[u8; 20]) -> bool {
    // A sum of native-endian words is the byte-swapped big-endian sum, and 0xffff (the sum of
    // a valid header) is its own byte swap. Ten 16-bit words fit a u32 with room to spare.
    let w = |i: usize| u32::from(u16::from_ne_bytes([h[i], h[i + 1]]));
    let s = (w(0) + w(2) + w(4) + w(6) + w(8)) + (w(10) + w(12) + w(14) + w(16) + w(18));
    let s = (s & 0xffff) + (s >> 16);
    let s = (s & 0xffff) + (s >> 16);
    s == 0xffff
}

/// The checksum of a TCP or UDP segment `data` (its checksum field zero) with the IPv4
/// pseudo-header of `src`, `dst`, `proto` and `data.len()`. A result of zero is returned as
/// zero, as Click's `click_in_cksum_pseudohdr` does.
pub fn transport_cksum(src: [u8; 4], dst: [u8; 4], proto: u8, data: &[u8]) -> u16 {
    pseudo_sum(ones_sum(data), src, dst, proto, data.len())
}

/// Folds a segment's own one's-complement sum `data_sum` with the pseudo header of `src`,
/// `dst`, `proto` and `len` (modulo 2^16) and complements it.
fn pseudo_sum(data_sum: u16, src: [u8; 4], dst: [u8; 4], proto: u8, len: usize) -> u16 {
    let word = |a: u8, b: u8| u32::from(u16::from_be_bytes([a, b]));
    let mut sum = u32::from(data_sum)
        + word(src[0], src[1])
        + word(src[2], src[3])
        + word(dst[0], dst[1])
        + word(dst[2], dst[3])
        + u32::from(proto)
        + (len as u32 & 0xffff);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Where an IPv4 packet's headers are: the network-header annotation and the transport header
/// after it (at the header length the IP header announces, as Click's CheckIPHeader and
/// MarkIPHeader set the transport header), if the annotation is set and the first 20 bytes of
/// the IP header are present. The transport offset may lie past the end of the data.
pub fn ip_transport_offsets(p: &Packet) -> Option<(usize, usize)> {
    let nh = p.network_header_offset()?;
    let ip = p.data().get(nh..)?;
    ip.get(..IP_LEN)?;
    Some((nh, nh + usize::from(ip[0] & 0x0f) * 4))
}

/// True when the IPv4 header `ip` (at least 20 bytes) is a fragment: more fragments or a
/// non-zero offset (Click's `IP_ISFRAG`).
pub fn ip_is_fragment(ip: &[u8]) -> bool {
    ip[6] & 0x3f != 0 || ip[7] != 0
}

/// True when the IPv4 header `ip` (at least 20 bytes) is a first fragment or no fragment
/// (offset 0, Click's `IP_FIRSTFRAG`).
pub fn ip_is_first_fragment(ip: &[u8]) -> bool {
    ip[6] & 0x1f == 0 && ip[7] == 0
}

/// The destination of the pseudo header of the IPv4 header `ip` (at least 20 bytes): the final
/// destination of a loose or strict source route option, else the destination address.
fn pseudo_destination(ip: &[u8]) -> [u8; 4] {
    let end = (usize::from(ip[0] & 0x0f) * 4).min(ip.len());
    let mut i = IP_LEN;
    while i < end {
        match ip[i] {
            // End of options.
            0 => break,
            // No operation.
            1 => i += 1,
            kind => {
                let Some(&len) = ip.get(i + 1).filter(|_| i + 1 < end) else {
                    break;
                };
                let len = usize::from(len);
                if len < 2 || i + len > end {
                    break;
                }
                // LSRR (131) and SSRR (137): the last address is the final destination.
                if (kind == 131 || kind == 137) && len >= 7 {
                    if let Some(d) = bytes4(ip, i + len - 4) {
                        return d;
                    }
                }
                i += len;
            }
        }
    }
    [ip[16], ip[17], ip[18], ip[19]]
}

/// The TCP/UDP checksum of a segment of `len` bytes whose own one's-complement sum (with the
/// checksum field zeroed, or as received when checking) is `data_sum`, with the pseudo header
/// of the IPv4 header `ip` (at least 20 bytes; source, destination — the final one of a source
/// route — protocol, and `len` modulo 2^16): Click's `click_in_cksum_pseudohdr`. A segment that
/// holds a valid checksum gives 0.
pub fn pseudo_header_cksum(data_sum: u16, ip: &[u8], len: usize) -> u16 {
    let src = [ip[12], ip[13], ip[14], ip[15]];
    pseudo_sum(data_sum, src, pseudo_destination(ip), ip[9], len)
}

/// Updates checksum `sum` after a 16-bit word changed from `old` to `new` (RFC 1624,
/// eqn. 3: `~(~HC + ~m + m')`).
pub fn update_cksum(sum: u16, old: u16, new: u16) -> u16 {
    let mut s = u32::from(!sum) + u32::from(!old) + u32::from(new);
    s = (s & 0xffff) + (s >> 16);
    !((s + (s >> 16)) as u16)
}

/// Formats an Ethernet address as Click prints it: uppercase hex separated by dashes.
pub fn fmt_ether(a: &[u8; 6]) -> String {
    format!(
        "{:02X}-{:02X}-{:02X}-{:02X}-{:02X}-{:02X}",
        a[0], a[1], a[2], a[3], a[4], a[5]
    )
}

/// Formats an IPv4 address in dotted-quad form.
pub fn fmt_ip(a: &[u8; 4]) -> String {
    format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3])
}

/// Formats an address with its mask: `A.B.C.D/LEN` for a prefix mask, `A.B.C.D/M.A.S.K`
/// otherwise, and the bare address for /32.
pub fn fmt_ip_mask(addr: &[u8; 4], mask: &[u8; 4]) -> String {
    let m = u32::from_be_bytes(*mask);
    if m == u32::MAX {
        fmt_ip(addr)
    } else if m.leading_ones() + m.trailing_zeros() == 32 {
        format!("{}/{}", fmt_ip(addr), m.leading_ones())
    } else {
        format!("{}/{}", fmt_ip(addr), fmt_ip(mask))
    }
}

/// Formats a timestamp as Click does with nanosecond timestamps: `SEC.NNNNNNNNN`.
pub fn fmt_timestamp(t: &Timestamp) -> String {
    format!("{}.{:09}", t.sec, t.nsec)
}

/// Formats a number as C's `%.12g` (Click's `String(double)`): 12 significant digits, trailing
/// zeros dropped, exponent form below 1e-4 and from 1e12.
///
/// The digits come from the number's exact decimal expansion, rounded half to even as C and
/// `core::fmt` round; computing them here keeps `core`'s float formatting (some 17 KiB of
/// code and tables) out of the guest image.
pub fn fmt_g12(x: f64) -> String {
    if x.is_nan() {
        return String::from("NaN");
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x.is_infinite() {
        return format!("{sign}inf");
    }
    if x == 0.0 {
        return format!("{sign}0");
    }
    let (digits, exp) = round_to_12_digits(x.abs());
    let text = if !(-4..12).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let rest = rest.trim_end_matches('0');
        let point = if rest.is_empty() { "" } else { "." };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{first}{point}{rest}e{exp_sign}{:02}", exp.unsigned_abs())
    } else if exp < 0 {
        let zeros = "0000".get(..exp.unsigned_abs() as usize - 1).unwrap_or("");
        format!("0.{zeros}{}", digits.trim_end_matches('0'))
    } else {
        let (int, frac) = digits.split_at(exp as usize + 1);
        let frac = frac.trim_end_matches('0');
        let point = if frac.is_empty() { "" } else { "." };
        format!("{int}{point}{frac}")
    };
    format!("{sign}{text}")
}

/// The 12 significant decimal digits of finite `x` > 0, rounded half to even, and the
/// decimal exponent of the first: `x` ≈ `d.ddddddddddd` × 10^exp.
fn round_to_12_digits(x: f64) -> (String, i32) {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    // x = mantissa × 2^exp2 exactly.
    let (mantissa, exp2) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | 1 << 52, biased - 1075)
    };
    // The exact value as a decimal integer times 10^-point: mantissa × 2^exp2, or
    // mantissa × 5^-exp2 × 10^exp2 when exp2 is negative. Limbs of 9 decimal digits, least
    // significant first.
    let mut limbs = Vec::from([
        (mantissa % 1_000_000_000) as u32,
        (mantissa / 1_000_000_000 % 1_000_000_000) as u32,
        (mantissa / 1_000_000_000_000_000_000) as u32,
    ]);
    let (factor, times) = if exp2 >= 0 { (2, exp2) } else { (5, -exp2) };
    for _ in 0..times {
        let mut carry = 0;
        for limb in limbs.iter_mut() {
            let v = u64::from(*limb) * factor + carry;
            *limb = (v % 1_000_000_000) as u32;
            carry = v / 1_000_000_000;
        }
        if carry > 0 {
            limbs.push(carry as u32);
        }
    }
    while limbs.len() > 1 && limbs.last() == Some(&0) {
        limbs.pop();
    }
    let mut all = format!("{}", limbs.last().copied().unwrap_or(0));
    for limb in limbs.iter().rev().skip(1) {
        all += &format!("{limb:09}");
    }
    let point = if exp2 < 0 { -exp2 } else { 0 };
    let mut exp = all.len() as i32 - 1 - point;
    let (head, tail) = all.split_at(all.len().min(12));
    let mut digits: Vec<u8> = head.bytes().collect();
    digits.resize(12, b'0');
    let tail = tail.as_bytes();
    let round_up = match tail.first() {
        Some(&d) if d > b'5' => true,
        Some(&b'5') => tail[1..].iter().any(|&d| d != b'0') || digits[11] % 2 == 1,
        _ => false,
    };
    if round_up {
        let mut i = 12;
        while i > 0 {
            i -= 1;
            if digits[i] == b'9' {
                digits[i] = b'0';
            } else {
                digits[i] += 1;
                break;
            }
        }
        if digits[0] == b'0' {
            // 999999999999.5 and the like: up to the next power of ten.
            digits[0] = b'1';
            exp += 1;
        }
    }
    (String::from_utf8(digits).unwrap_or_default(), exp)
}

/// Parses a 16-bit value such as an ethertype (decimal, `0x` hex or octal).
pub fn parse_u16(s: &str) -> Result<u16, String> {
    parse_uint_max(s, 0xffff).map(|v| v as u16)
}

/// Click's names of IP protocols (`NameInfo::T_IP_PROTO`).
const IP_PROTO_NAMES: [(&str, u8); 8] = [
    ("icmp", IP_PROTO_ICMP),
    ("igmp", 2),
    ("ipip", 4),
    ("tcp", IP_PROTO_TCP),
    ("udp", IP_PROTO_UDP),
    ("dccp", 33),
    ("gre", 47),
    ("sctp", 132),
];

/// Click's name of IP protocol `p`.
pub fn ip_proto_name(p: u8) -> Option<&'static str> {
    IP_PROTO_NAMES
        .iter()
        .find(|&&(_, v)| v == p)
        .map(|&(n, _)| n)
}

/// Parses an IP protocol: a number up to 255 or one of Click's names (`icmp`, `igmp`,
/// `ipip`, `tcp`, `udp`, `dccp`, `gre`, `sctp`).
pub fn parse_ip_proto(s: &str) -> Result<u8, String> {
    match IP_PROTO_NAMES.iter().find(|(n, _)| *n == s) {
        Some(&(_, p)) => Ok(p),
        None => parse_uint_max(s, 255)
            .map(|v| v as u8)
            .map_err(|_| String::from("bad IP protocol")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums() {
        // RFC 1071 example words.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(ones_sum(&data), 0xddf2);
        assert_eq!(in_cksum(&data), 0x220d);
        assert_eq!(ones_sum(&[0xff]), 0xff00);
        // Incremental update agrees with recomputation.
        let mut hdr = [
            0x45u8, 0, 0, 0x1c, 0, 1, 0, 0, 0x40, 1, 0, 0, 10, 10, 0, 1, 10, 10, 0, 3,
        ];
        let sum = in_cksum(&hdr);
        hdr[10..12].copy_from_slice(&sum.to_be_bytes());
        let old = u16::from_be_bytes([hdr[8], hdr[9]]);
        hdr[8] = 255;
        let new = u16::from_be_bytes([hdr[8], hdr[9]]);
        let updated = update_cksum(sum, old, new);
        hdr[10..12].copy_from_slice(&updated.to_be_bytes());
        assert_eq!(in_cksum(&hdr), 0);
        assert!(header20_cksum_ok(&hdr));
        // The fixed-size check agrees with in_cksum, including the sums that fold to 0xffff
        // from all-zero and all-ones headers.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for round in 0..2000 {
            let mut h = [0u8; 20];
            for b in h.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = match round {
                    0 => 0,
                    1 => 0xff,
                    _ => x as u8,
                };
            }
            if round % 2 == 0 {
                h[10..12].fill(0);
                let sum = in_cksum(&h);
                h[10..12].copy_from_slice(&sum.to_be_bytes());
            }
            assert_eq!(header20_cksum_ok(&h), in_cksum(&h) == 0, "{h:?}");
        }
    }

    #[test]
    fn transport_checksum_verifies() {
        // A UDP datagram 10.0.0.2:5353 -> 10.0.1.2:53 from the middlebox cases.
        let mut udp = [
            0x14, 0xe9, 0x00, 0x35, 0x00, 0x12, 0x00, 0x00, 0x01, 0x08, 0x0f, 0x16, 0x1d, 0x24,
            0x2b, 0x32, 0x39, 0x40,
        ];
        let sum = transport_cksum([10, 0, 0, 2], [10, 0, 1, 2], IP_PROTO_UDP, &udp);
        assert_eq!(sum, 0x43f4);
        udp[6..8].copy_from_slice(&sum.to_be_bytes());
        assert_eq!(
            transport_cksum([10, 0, 0, 2], [10, 0, 1, 2], IP_PROTO_UDP, &udp),
            0
        );
    }

    #[test]
    fn safe_accessors() {
        let d = [1u8, 2, 3, 4, 5];
        assert_eq!(be16(&d, 3), Some(0x0405));
        assert_eq!(be16(&d, 4), None);
        assert_eq!(bytes4(&d, 1), Some([2, 3, 4, 5]));
        assert_eq!(bytes4(&d, 2), None);
        assert_eq!(bytes6(&d, 0), None);
        assert_eq!(be16(&d, usize::MAX - 1), None);
    }

    #[test]
    fn formats() {
        assert_eq!(
            fmt_ether(&[0, 0x15, 0x17, 0x15, 0x5d, 0x75]),
            "00-15-17-15-5D-75"
        );
        assert_eq!(
            fmt_ip_mask(&[10, 10, 1, 0], &[255, 255, 255, 0]),
            "10.10.1.0/24"
        );
        assert_eq!(fmt_ip_mask(&[10, 10, 0, 3], &[255; 4]), "10.10.0.3");
        assert_eq!(
            fmt_ip_mask(&[10, 0, 0, 0], &[255, 0, 255, 0]),
            "10.0.0.0/255.0.255.0"
        );
        assert_eq!(
            fmt_timestamp(&Timestamp {
                sec: 1700000000,
                nsec: 5_000_000
            }),
            "1700000000.005000000"
        );
        assert_eq!(parse_u16("0x88a8"), Ok(0x88a8));
        assert_eq!(parse_ip_proto("gre"), Ok(47));
        assert_eq!(parse_ip_proto("4"), Ok(4));
        assert!(parse_ip_proto("256").is_err());
        assert!(parse_ip_proto("tcpudp").is_err());
        for (x, want) in [
            (0.0, "0"),
            (1000.0, "1000"),
            (2.0 / 3.0, "0.666666666667"),
            (1234.5678, "1234.5678"),
            (999999999999.9, "1e+12"),
            (4294967295000.0, "4.294967295e+12"),
            (0.00012, "0.00012"),
            (0.0000123, "1.23e-05"),
            (99999999999.99999, "100000000000"),
        ] {
            assert_eq!(fmt_g12(x), want, "{x}");
        }
        assert!(parse_u16("65536").is_err());
    }

    /// The former `fmt_g12`, on `core::fmt`'s float formatting: what the digits must match.
    fn fmt_g12_by_core_fmt(x: f64) -> String {
        if x == 0.0 || !x.is_finite() {
            return format!("{x}");
        }
        let sci = format!("{x:.11e}");
        let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let trim = |s: &str| -> String {
            if s.contains('.') {
                String::from(s.trim_end_matches('0').trim_end_matches('.'))
            } else {
                String::from(s)
            }
        };
        if !(-4..12).contains(&exp) {
            let sign = if exp < 0 { '-' } else { '+' };
            format!("{}e{sign}{:02}", trim(mantissa), exp.abs())
        } else {
            trim(&format!("{x:.*}", (11 - exp) as usize))
        }
    }

    #[test]
    fn fmt_g12_matches_core_fmt() {
        let check = |x: f64| assert_eq!(fmt_g12(x), fmt_g12_by_core_fmt(x), "{x:e}");
        for x in [
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::from_bits(1),
            0.5,
            2.5,
            0.125,
            0.375,
            1234567890125.0,
            1234567890135.0,
            123456789012.5,
            123456789013.5,
            999999999999.5,
            99999.99999995,
            0.0001,
            0.00009999999999995,
            1e12,
            -1234.5678,
        ] {
            check(x);
        }
        // Bit patterns of every exponent, and rates as AverageCounter computes them.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..5_000 {
            check(f64::from_bits(next()));
        }
        for _ in 0..50_000 {
            let r = next();
            let count = f64::from(r as u32 >> (r >> 59));
            let jiffies = f64::from(((r >> 32) as u32 >> (r >> 54 & 31)).max(1));
            check(count * 100.0 / jiffies);
        }
        // Halfway cases, rounded to even.
        for k in 0..2_000 {
            check(100_000_000_000.5 + f64::from(k));
            check(1e12 + f64::from(k * 10 + 5));
        }
        for p in -300..300 {
            let x = 10f64.powi(p);
            for k in -3..=3 {
                check(f64::from_bits(x.to_bits().wrapping_add_signed(k)));
            }
        }
    }
}
