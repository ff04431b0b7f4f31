//! Paint elements: Paint marks packets with a colour in an annotation byte, CheckPaint,
//! PaintTee and PaintSwitch route them by it.

use alloc::format;
use alloc::string::String;

use crate::action::{ActionEnv, SimpleAction, Verdict};
use crate::args::{parse_anno_byte, parse_uint_max, Args};
use crate::class::{ElementClass, Ports, ProcessingSpec};
use crate::element::{ConfigureContext, Element, PushContext};
use crate::packet::{Packet, PAINT_ANNO_OFFSET};

/// The configuration shared by the paint elements: a colour and the annotation byte holding
/// it (`ANNO`, the paint annotation by default), with the read/write `color` handler.
struct Colour {
    color: u8,
    anno: usize,
}

impl Default for Colour {
    fn default() -> Self {
        Colour {
            color: 0,
            anno: PAINT_ANNO_OFFSET,
        }
    }
}

/// Parses a colour (0-255).
fn parse_color(s: &str) -> Result<u8, String> {
    parse_uint_max(s, 255).map(|v| v as u8)
}

impl Colour {
    /// Reads `COLOR` (mandatory) and `ANNO`.
    fn configure(&mut self, args: &mut Args) {
        if let Some(c) = args.read_mp("COLOR", parse_color) {
            self.color = c;
        }
        if let Some(a) = args.read_p("ANNO", parse_anno_byte) {
            self.anno = a;
        }
    }

    /// True when `p` carries this colour.
    fn matches(&self, p: &Packet) -> bool {
        p.anno.byte(self.anno) == self.color
    }

    /// The `color` read handler.
    fn read_handler(&self, name: &str) -> Option<String> {
        (name == "color").then(|| format!("{}", self.color))
    }

    /// The `color` write handler.
    fn write_handler(&mut self, name: &str, value: &str) -> Result<(), String> {
        match name {
            "color" => {
                self.color = parse_color(value.trim())?;
                Ok(())
            }
            _ => Err(format!("no write handler '{name}'")),
        }
    }
}

/// The `color` read and write handlers of an element with a `colour: Colour` field, for
/// `impl Element` and `impl SimpleAction` blocks alike.
macro_rules! colour_handlers {
    () => {
        fn read_handlers(&self) -> &'static [&'static str] {
            &["color"]
        }

        fn read_handler(&self, name: &str) -> Option<String> {
            self.colour.read_handler(name)
        }

        fn write_handlers(&self) -> &'static [&'static str] {
            &["color"]
        }

        fn write_handler(&mut self, name: &str, value: &str) -> Result<(), String> {
            self.colour.write_handler(name, value)
        }
    };
}

/// Sets the annotation byte `ANNO` (the paint annotation by default) to `COLOR`:
/// `Paint(COLOR [, ANNO])`. The packet data are not touched.
#[derive(Default)]
pub struct Paint {
    colour: Colour,
}

impl ElementClass for Paint {
    const NAME: &'static str = "Paint";
    const EXAMPLE: &'static str = "3, ANNO 20";
}

impl SimpleAction for Paint {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        self.colour.configure(args);
        Ok(())
    }

    fn action(&mut self, p: &mut Packet, _env: &mut dyn ActionEnv) -> Verdict {
        p.anno.set_byte(self.colour.anno, self.colour.color);
        Verdict::Out(0)
    }

    colour_handlers!();
}

/// Packets whose annotation byte `ANNO` equals `COLOR` leave on output 0, the others on
/// output 1 (dropped without it): `CheckPaint(COLOR [, ANNO])`.
#[derive(Default)]
pub struct CheckPaint {
    colour: Colour,
}

impl ElementClass for CheckPaint {
    const NAME: &'static str = "CheckPaint";
    const PORTS: Ports = Ports::parse("1/1-2");
    const PROCESSING: ProcessingSpec = ProcessingSpec::parse("a/ah");
    const EXAMPLE: &'static str = "1";
}

impl SimpleAction for CheckPaint {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        self.colour.configure(args);
        Ok(())
    }

    fn action(&mut self, p: &mut Packet, _env: &mut dyn ActionEnv) -> Verdict {
        Verdict::Out(if self.colour.matches(p) { 0 } else { 1 })
    }

    colour_handlers!();
}

/// Every packet leaves on output 0; those whose annotation byte `ANNO` equals `COLOR` are also
/// copied (a clone, pushed first) to output 1: `PaintTee(COLOR [, ANNO])`.
#[derive(Default)]
pub struct PaintTee {
    colour: Colour,
}

impl ElementClass for PaintTee {
    const NAME: &'static str = "PaintTee";
    const PORTS: Ports = Ports::parse("1/2");
    const PROCESSING: ProcessingSpec = ProcessingSpec::parse("a/ah");
    const EXAMPLE: &'static str = "2";
}

impl Element for PaintTee {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        self.colour.configure(args);
        Ok(())
    }

    fn push(&mut self, _port: usize, packet: Packet, ctx: &mut PushContext<'_>) {
        if self.colour.matches(&packet) {
            ctx.output(1, packet.clone());
        }
        ctx.output(0, packet);
    }

    fn pull(&mut self, _port: usize, ctx: &mut crate::element::PullContext<'_>) -> Option<Packet> {
        // Output 1 is push-only and cannot be fed from a pull: the copy is dropped.
        ctx.pull(0)
    }

    colour_handlers!();
}

/// Sends each packet to the output numbered by its annotation byte `ANNO` (the paint by
/// default); colour 255 sends a copy to every output; colours without an output drop the
/// packet: `PaintSwitch([ANNO])`.
pub struct PaintSwitch {
    anno: usize,
    noutputs: usize,
}

impl Default for PaintSwitch {
    fn default() -> Self {
        PaintSwitch {
            anno: PAINT_ANNO_OFFSET,
            noutputs: 0,
        }
    }
}

impl ElementClass for PaintSwitch {
    const NAME: &'static str = "PaintSwitch";
    const PORTS: Ports = Ports::parse("1/-");
    const PROCESSING: ProcessingSpec = ProcessingSpec::PUSH;
}

impl Element for PaintSwitch {
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        if let Some(a) = args.read_p("ANNO", parse_anno_byte) {
            self.anno = a;
        }
        self.noutputs = ctx.noutputs;
        Ok(())
    }

    fn push(&mut self, _port: usize, packet: Packet, ctx: &mut PushContext<'_>) {
        let port = packet.anno.byte(self.anno);
        if port != 0xff {
            ctx.output(usize::from(port), packet);
            return;
        }
        for port in 1..self.noutputs {
            ctx.output(port - 1, packet.clone());
        }
        ctx.output(self.noutputs.saturating_sub(1), packet);
    }
}

#[cfg(test)]
mod tests {
    use super::{CheckPaint, Paint, PaintSwitch, PaintTee};
    use crate::action::SimpleAction;
    use crate::elements::testing::*;
    use crate::packet::{Packet, PAINT_ANNO_OFFSET};

    fn painted(anno: usize, colour: u8) -> Packet {
        let mut p = dump_packet(&icmp_echo());
        p.anno.set_byte(anno, colour);
        p
    }

    #[test]
    fn paint_sets_the_chosen_byte_only() {
        let mut h = Harness::new(Paint::default(), "p", "7", 1).unwrap();
        let out = h.route(dump_packet(&icmp_echo())).unwrap().1;
        assert_eq!((out.anno.paint, out.data()), (7, &icmp_echo()[..]));
        let mut h = Harness::new(Paint::default(), "p", "3, ANNO 20", 1).unwrap();
        let out = h.route(painted(PAINT_ANNO_OFFSET, 9)).unwrap().1;
        assert_eq!((out.anno.byte(20), out.anno.paint), (3, 9));
        // Named one-byte annotations; the destination address bytes are annotation bytes 0-3.
        let mut h = Harness::new(Paint::default(), "p", "COLOR 5, ANNO 2", 1).unwrap();
        assert_eq!(h.route(painted(0, 0)).unwrap().1.anno.dst_ip, [0, 0, 5, 0]);
        let mut h = Harness::new(Paint::default(), "p", "1, ANNO PAINT", 1).unwrap();
        assert_eq!(h.route(painted(0, 0)).unwrap().1.anno.paint, 1);
        assert_eq!(h.element.read_handler("color").unwrap(), "1");
        h.element.write_handler("color", "200").unwrap();
        assert_eq!(h.route(painted(0, 0)).unwrap().1.anno.paint, 200);
        assert!(h.element.write_handler("color", "256").is_err());
        // Bytes 20-21 are the VLAN TCI (network order), as in Click.
        let mut h = Harness::new(Paint::default(), "p", "0xab, ANNO 21", 1).unwrap();
        let mut p = painted(0, 0);
        p.anno.vlan_tci = 0x1234;
        assert_eq!(h.route(p).unwrap().1.anno.vlan_tci, 0x12ab);
        // The parameter-problem offset and the fix-IP-source flag are annotation bytes 17, 19.
        let mut h = Harness::new(Paint::default(), "p", "9, ANNO ICMP_PARAMPROB", 1).unwrap();
        assert_eq!(h.route(painted(0, 0)).unwrap().1.anno.param_off, 9);
        let mut h = Harness::new(Paint::default(), "p", "2, ANNO FIX_IP_SRC", 1).unwrap();
        let out = h.route(painted(0, 0)).unwrap().1;
        assert!(out.anno.fix_ip_src);
        assert_eq!(out.anno.byte(19), 1);
        for bad in [
            "256",
            "",
            "1, ANNO 48",
            "1, ANNO DST_IP",
            "1, ANNO -1",
            "1, ANNO 40",
        ] {
            assert!(
                configure(&mut Paint::default(), "p", bad, 1, 1).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn check_paint_and_paint_tee() {
        let mut h = Harness::new(CheckPaint::default(), "c", "1", 2).unwrap();
        assert_eq!(h.route(painted(PAINT_ANNO_OFFSET, 1)).unwrap().0, 0);
        assert_eq!(h.route(painted(PAINT_ANNO_OFFSET, 2)).unwrap().0, 1);
        let mut h = Harness::new(CheckPaint::default(), "c", "3, ANNO 20", 1).unwrap();
        assert_eq!(h.route(painted(20, 3)).unwrap().0, 0);
        assert!(h.route(painted(PAINT_ANNO_OFFSET, 3)).is_none());
        let mut h = Harness::new(PaintTee::default(), "t", "2", 2).unwrap();
        h.push(0, painted(PAINT_ANNO_OFFSET, 2));
        h.push(0, painted(PAINT_ANNO_OFFSET, 1));
        assert_eq!(h.take(0).len(), 2);
        let copies = h.take(1);
        assert_eq!(copies.len(), 1);
        assert_eq!(copies[0].data(), &icmp_echo()[..]);
    }

    #[test]
    fn paint_switch_routes_by_colour_and_255_copies_everywhere() {
        let mut h = Harness::new(PaintSwitch::default(), "s", "", 3).unwrap();
        assert_eq!(h.route(painted(PAINT_ANNO_OFFSET, 2)).unwrap().0, 2);
        assert!(h.route(painted(PAINT_ANNO_OFFSET, 3)).is_none());
        h.push(0, painted(PAINT_ANNO_OFFSET, 255));
        for port in 0..3 {
            assert_eq!(h.take(port).len(), 1, "port {port}");
        }
        let mut h = Harness::new(PaintSwitch::default(), "s", "ANNO 20", 2).unwrap();
        assert_eq!(h.route(painted(20, 1)).unwrap().0, 1);
    }
}
