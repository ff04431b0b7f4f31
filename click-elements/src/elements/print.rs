//! Print: one stderr line per packet with its length and leading bytes.

use alloc::format;
use alloc::string::String;

use core::fmt::Write;

use crate::args::{parse_bool, parse_i64, parse_string, Args};
use crate::class::ElementClass;
use crate::element::{ConfigureContext, Element, PullContext, PushContext};
use crate::elements::net::fmt_timestamp;
use crate::packet::Packet;

/// How Print and IPPrint show packet contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Contents {
    /// Not at all.
    None,
    /// Hexadecimal bytes.
    Hex,
    /// Printable characters, `.` for the others.
    Ascii,
}

/// Parses a `CONTENTS` value: a boolean (true: hex) or `NONE`, `HEX`, `ASCII` in any case.
pub(crate) fn parse_contents(c: &str) -> Result<Contents, String> {
    Ok(match parse_bool(c) {
        Ok(true) => Contents::Hex,
        Ok(false) => Contents::None,
        Err(_) => match c.to_ascii_uppercase().as_str() {
            "NONE" => Contents::None,
            "HEX" => Contents::Hex,
            "ASCII" => Contents::Ascii,
            _ => {
                return Err(format!(
                    "CONTENTS: bad contents value '{c}'; should be 'NONE', 'HEX', or 'ASCII'"
                ))
            }
        },
    })
}

/// Prints `[LABEL: ][TIMESTAMP: ]LEN | DATA` for every packet and passes it on. LEN is the
/// length in bytes right-aligned in 4 columns; DATA shows the first `MAXLENGTH` bytes (default
/// 24, -1 for all) as hex in 4-byte groups (`CONTENTS HEX`), as text with `.` for
/// non-printables and a space every 8 bytes (`CONTENTS ASCII`), or not at all (`NONE`).
///
/// Arguments: `LABEL`, `MAXLENGTH` (positional), `CONTENTS`, `TIMESTAMP`, `HEADROOM` (adds
/// ` (hH tT)`), `ACTIVE`, and the deprecated `LENGTH`/`NBYTES` for MAXLENGTH.
pub struct Print {
    label: String,
    max_length: i64,
    contents: Contents,
    timestamp: bool,
    headroom: bool,
    active: bool,
}

impl Default for Print {
    fn default() -> Self {
        Print {
            label: String::new(),
            max_length: 24,
            contents: Contents::Hex,
            timestamp: false,
            headroom: false,
            active: true,
        }
    }
}

impl Print {
    /// The line printed for `p`.
    fn line(&self, p: &Packet) -> String {
        let data = p.data();
        let shown = match self.contents {
            Contents::None => 0,
            _ => match usize::try_from(self.max_length) {
                Ok(n) => n.min(data.len()),
                Err(_) => data.len(),
            },
        };
        let mut s = String::with_capacity(self.label.len() + 16 + 3 * shown);
        let mut sep = "";
        if !self.label.is_empty() {
            s.push_str(&self.label);
            sep = ": ";
        }
        if self.timestamp {
            s.push_str(sep);
            s.push_str(&fmt_timestamp(&p.anno.timestamp));
            sep = ": ";
        }
        let _ = write!(s, "{sep}{:4}", data.len());
        if self.headroom {
            let _ = write!(s, " (h{} t{})", p.headroom(), p.tailroom());
        }
        if shown > 0 {
            s.push_str(" | ");
            for (i, &b) in data[..shown].iter().enumerate() {
                if self.contents == Contents::Hex {
                    if i > 0 && i % 4 == 0 {
                        s.push(' ');
                    }
                    let _ = write!(s, "{b:02x}");
                } else {
                    if i % 8 == 0 {
                        s.push(' ');
                    }
                    s.push(if (32..=126).contains(&b) {
                        b as char
                    } else {
                        '.'
                    });
                }
            }
        }
        s
    }
}

impl ElementClass for Print {
    const NAME: &'static str = "Print";
    const EXAMPLE: &'static str = "x, MAXLENGTH -1, TIMESTAMP true, HEADROOM true";
}

impl Element for Print {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        self.label = args.read_p("LABEL", parse_string).unwrap_or_default();
        let mut max = args.read_p("MAXLENGTH", parse_i64);
        for deprecated in ["LENGTH", "NBYTES"] {
            if let Some(n) = args.read_kw(deprecated, parse_i64) {
                max = Some(n);
            }
        }
        self.max_length = max.unwrap_or(24);
        let contents = args.read_kw("CONTENTS", parse_string);
        self.timestamp = args.read_kw("TIMESTAMP", parse_bool).unwrap_or(false);
        self.active = args.read_kw("ACTIVE", parse_bool).unwrap_or(true);
        self.headroom = args.read_kw("HEADROOM", parse_bool).unwrap_or(false);
        if let Some(c) = contents {
            self.contents = parse_contents(&c)?;
        }
        Ok(())
    }

    fn push(&mut self, _port: usize, packet: Packet, ctx: &mut PushContext<'_>) {
        if self.active {
            let line = self.line(&packet);
            ctx.platform().chatter(&line);
        }
        ctx.output(0, packet);
    }

    fn pull(&mut self, _port: usize, ctx: &mut PullContext<'_>) -> Option<Packet> {
        let p = ctx.pull(0)?;
        if self.active {
            let line = self.line(&p);
            ctx.platform().chatter(&line);
        }
        Some(p)
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["active"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        (name == "active").then(|| String::from(if self.active { "true" } else { "false" }))
    }

    fn write_handlers(&self) -> &'static [&'static str] {
        &["active"]
    }

    fn write_handler(&mut self, name: &str, value: &str) -> Result<(), String> {
        match name {
            "active" => {
                self.active = parse_bool(value.trim()).map_err(|e| format!("active: {e}"))?;
                Ok(())
            }
            _ => Err(format!("no write handler '{name}'")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::testing::*;
    use crate::packet::Timestamp;
    use alloc::vec::Vec;

    /// The print conformance case: six Print elements over four packets (Click's stderr).
    #[test]
    fn conformance_print_lines() {
        let configs = [
            "",
            "lbl",
            "\"with, comma\", 8",
            "full, MAXLENGTH -1",
            "asc, CONTENTS ASCII, MAXLENGTH 20",
            "none, CONTENTS NONE",
        ];
        let mut printers: Vec<Harness<Print>> = configs
            .iter()
            .map(|c| Harness::new(Print::default(), "p", c, 1).unwrap())
            .collect();
        let mut echo = icmp_echo();
        // The conformance packet's IP id and payload.
        echo[18..20].copy_from_slice(&[0x04, 0xd2]);
        let arp = arp_request(SERVER_IP);
        let mut lines = Vec::new();
        for frame in [&echo[..], &arp[..42], &echo[..10]] {
            let mut p = dump_packet(frame);
            for h in printers.iter_mut() {
                p = h.route(p).unwrap().1;
                lines.append(&mut h.platform.chatter);
            }
            assert_eq!(p.data(), frame);
        }
        let want = [
            "  60 | 00151715 5d750011 22334455 08004500 002e04d2 00004001",
            "lbl:   60 | 00151715 5d750011 22334455 08004500 002e04d2 00004001",
            "with, comma:   60 | 00151715 5d750011",
            "asc:   60 |  ....]u.. \"3DU..E. ....",
            "none:   60",
            "  42 | ffffffff ffff0011 22334455 08060001 08000604 00010011",
            "lbl:   42 | ffffffff ffff0011 22334455 08060001 08000604 00010011",
            "with, comma:   42 | ffffffff ffff0011",
            "full:   42 | ffffffff ffff0011 22334455 08060001 08000604 00010011 22334455 0a0a0001 00000000 00000a0a 0003",
            "asc:   42 |  ........ \"3DU.... ....",
            "none:   42",
            "  10 | 00151715 5d750011 2233",
            "lbl:   10 | 00151715 5d750011 2233",
            "with, comma:   10 | 00151715 5d750011",
            "full:   10 | 00151715 5d750011 2233",
            "asc:   10 |  ....]u.. \"3",
            "none:   10",
        ];
        let got: Vec<&str> = lines
            .iter()
            .map(String::as_str)
            .filter(|l| !l.starts_with("full:   60"))
            .collect();
        assert_eq!(got, want);
        assert!(lines[3]
            .starts_with("full:   60 | 00151715 5d750011 22334455 08004500 002e04d2 00004001 "));
        assert_eq!(lines[3].len(), "full:   60 | ".len() + 60 * 2 + 14);
    }

    #[test]
    fn options() {
        let mut h = Harness::new(
            Print::default(),
            "p",
            "x, 4, TIMESTAMP true, HEADROOM true",
            1,
        )
        .unwrap();
        let mut p = Packet::with_room(2, &[1, 2, 3, 4, 5], 3);
        p.anno.timestamp = Timestamp { sec: 12, nsec: 5 };
        h.route(p);
        assert_eq!(
            h.platform.chatter,
            ["x: 12.000000005:    5 (h2 t3) | 01020304"]
        );
        let mut h = Harness::new(Print::default(), "p", "CONTENTS false", 1).unwrap();
        h.route(dump_packet(&[1, 2]));
        h.route(dump_packet(&[]));
        assert_eq!(h.platform.chatter, ["   2", "   0"]);
        let mut h = Harness::new(Print::default(), "p", "y, MAXLENGTH 0", 1).unwrap();
        h.route(dump_packet(&[1, 2]));
        h.element.write_handler("active", "false").unwrap();
        h.route(dump_packet(&[1, 2]));
        assert_eq!(h.platform.chatter, ["y:    2"]);
        assert_eq!(h.element.read_handler("active").unwrap(), "false");
        let mut e = Print::default();
        let err = configure(&mut e, "p", "CONTENTS BINARY", 1, 1).unwrap_err();
        assert!(err.contains("bad contents value 'BINARY'"), "{err}");
        let mut e = Print::default();
        assert!(configure(&mut e, "p", "a, LENGTH 3", 1, 1).is_ok());
        assert_eq!(e.max_length, 3);
    }
}
