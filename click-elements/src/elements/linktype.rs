//! The link-level packet type: HostEtherFilter sets it from the Ethernet destination as a
//! device would, DropBroadcasts drops what arrived as a link-level broadcast or multicast.

use alloc::string::String;

use crate::action::{counter_handler, ActionEnv, SimpleAction, Verdict};
use crate::args::{parse_bool, parse_ether, Args};
use crate::class::{ElementClass, Ports, ProcessingSpec};
use crate::element::ConfigureContext;
use crate::elements::ip::parse_offset;
use crate::elements::net::fmt_ether;
use crate::packet::{Packet, PacketType};

/// `HostEtherFilter(ETHER [, DROP_OWN, DROP_OTHER, OFFSET])`: acts like the Ethernet input
/// of a device with address ETHER. Sets the packet-type annotation from the destination
/// address at OFFSET (default 0): ETHER is HOST, ff:ff:ff:ff:ff:ff BROADCAST, any other group
/// address MULTICAST, anything else OTHERHOST. With DROP_OWN (default false), frames whose
/// source is ETHER are filtered (before any type is set); with DROP_OTHER (default true),
/// OTHERHOST frames are. Filtered frames go to output 1, or are dropped when there is none.
/// Frames too short for both addresses are dropped and counted in `drops`.
pub struct HostEtherFilter {
    addr: [u8; 6],
    drop_own: bool,
    drop_other: bool,
    offset: usize,
    drops: u64,
}

impl Default for HostEtherFilter {
    fn default() -> Self {
        HostEtherFilter {
            addr: [0; 6],
            drop_own: false,
            drop_other: true,
            offset: 0,
            drops: 0,
        }
    }
}

impl ElementClass for HostEtherFilter {
    const NAME: &'static str = "HostEtherFilter";
    const PORTS: Ports = Ports::parse("1/1-2");
    const PROCESSING: ProcessingSpec = ProcessingSpec::parse("a/ah");
    const EXAMPLE: &'static str = "00:00:c0:00:00:01, DROP_OWN true";
}

impl SimpleAction for HostEtherFilter {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        if let Some(a) = args.read_mp("ETHER", parse_ether) {
            self.addr = a;
        }
        self.drop_own = args.read_p("DROP_OWN", parse_bool).unwrap_or(false);
        self.drop_other = args.read_p("DROP_OTHER", parse_bool).unwrap_or(true);
        self.offset = args.read_kw("OFFSET", parse_offset).unwrap_or(0);
        Ok(())
    }

    fn action(&mut self, p: &mut Packet, _env: &mut dyn ActionEnv) -> Verdict {
        let Some(e) = p
            .data()
            .get(self.offset..)
            .and_then(|e| e.first_chunk::<12>())
        else {
            self.drops += 1;
            return Verdict::Drop;
        };
        let (dst, src) = (&e[..6], &e[6..]);
        if self.drop_own && src == self.addr {
            return Verdict::Out(1);
        }
        let kind = if dst == self.addr {
            PacketType::Host
        } else if dst == [0xff; 6] {
            PacketType::Broadcast
        } else if dst[0] & 1 != 0 {
            PacketType::Multicast
        } else {
            PacketType::OtherHost
        };
        p.anno.packet_type = kind;
        if kind == PacketType::OtherHost && self.drop_other {
            Verdict::Out(1)
        } else {
            Verdict::Out(0)
        }
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["ether", "drops"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        match name {
            "ether" => Some(fmt_ether(&self.addr)),
            _ => counter_handler(name, &[("drops", self.drops)]),
        }
    }

    fn write_handlers(&self) -> &'static [&'static str] {
        &["ether"]
    }

    fn write_handler(&mut self, name: &str, value: &str) -> Result<(), String> {
        match name {
            "ether" => {
                self.addr = parse_ether(value.trim())?;
                Ok(())
            }
            _ => Err(alloc::format!("no write handler '{name}'")),
        }
    }
}

/// `DropBroadcasts`: packets whose packet-type annotation is BROADCAST or MULTICAST go to
/// output 1, or are dropped when there is none; the first one is reported as
/// `DropBroadcasts: dropped a packet`. `drops` counts them.
#[derive(Default)]
pub struct DropBroadcasts {
    drops: u64,
}

impl ElementClass for DropBroadcasts {
    const NAME: &'static str = "DropBroadcasts";
    const PORTS: Ports = Ports::parse("1/1-2");
    const PROCESSING: ProcessingSpec = ProcessingSpec::parse("a/ah");
}

impl SimpleAction for DropBroadcasts {
    #[inline(always)]
    fn action(&mut self, p: &mut Packet, env: &mut dyn ActionEnv) -> Verdict {
        if !matches!(
            p.anno.packet_type,
            PacketType::Broadcast | PacketType::Multicast
        ) {
            return Verdict::Out(0);
        }
        if self.drops == 0 {
            env.chatter(format_args!("DropBroadcasts: dropped a packet"));
        }
        self.drops += 1;
        Verdict::Out(1)
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["drops"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        counter_handler(name, &[("drops", self.drops)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::testing::*;

    const US: [u8; 6] = [0, 0, 0xc0, 0, 0, 1];

    fn frame(dst: [u8; 6], src: [u8; 6]) -> Packet {
        dump_packet(&ether(dst, src, 0x0800, &[0x45], 60))
    }

    #[test]
    fn packet_types_from_the_destination() {
        let mut h = Harness::new(
            HostEtherFilter::default(),
            "h",
            "00:00:c0:00:00:01, DROP_OWN false, DROP_OTHER false",
            1,
        )
        .unwrap();
        let peer = [2, 0, 0, 0, 0, 2];
        let cases = [
            (US, PacketType::Host),
            ([0xff; 6], PacketType::Broadcast),
            ([0x33, 0x33, 0, 0, 0, 1], PacketType::Multicast),
            ([1, 0, 0x5e, 0, 0, 9], PacketType::Multicast),
            ([0xff, 0xff, 0xff, 0xff, 0xff, 0xfe], PacketType::Multicast),
            ([0, 0, 0xc0, 0, 0, 2], PacketType::OtherHost),
        ];
        for (dst, kind) in cases {
            let (port, p) = h.route(frame(dst, peer)).unwrap();
            assert_eq!((port, p.anno.packet_type), (0, kind), "{dst:?}");
        }
        // Runts are dropped and counted.
        assert!(h.route(dump_packet(&[0xff; 11])).is_none());
        assert_eq!(h.element.read_handler("drops").unwrap(), "1");
        assert_eq!(
            h.element.read_handler("ether").unwrap(),
            "00-00-C0-00-00-01"
        );
    }

    #[test]
    fn drop_own_and_drop_other() {
        let mut h = Harness::new(
            HostEtherFilter::default(),
            "h",
            "00:00:c0:00:00:01, true, OFFSET 0",
            2,
        )
        .unwrap();
        // Own source: filtered whatever the destination, no type set.
        let mut own = frame([0xff; 6], US);
        own.anno.packet_type = PacketType::Loopback;
        let (port, p) = h.route(own).unwrap();
        assert_eq!((port, p.anno.packet_type), (1, PacketType::Loopback));
        // Another host's MAC: filtered by the default DROP_OTHER true.
        let (port, p) = h.route(frame([2; 6], [4; 6])).unwrap();
        assert_eq!((port, p.anno.packet_type), (1, PacketType::OtherHost));
        assert_eq!(h.route(frame(US, [4; 6])).unwrap().0, 0);
        // With one output filtered frames are dropped.
        let mut one = Harness::new(HostEtherFilter::default(), "h", "0:0:c0:0:0:1", 1).unwrap();
        assert!(one.route(frame([2; 6], [4; 6])).is_none());
        // The address can be changed through the handler.
        one.element
            .write_handler("ether", "02:02:02:02:02:02")
            .unwrap();
        assert_eq!(one.route(frame([2; 6], [4; 6])).unwrap().0, 0);
        assert!(one.element.write_handler("ether", "nope").is_err());
        // OFFSET moves the header.
        let mut off =
            Harness::new(HostEtherFilter::default(), "h", "0:0:c0:0:0:1, OFFSET 4", 1).unwrap();
        let mut bytes = alloc::vec![0; 4];
        bytes.extend_from_slice(&ether([0xff; 6], [4; 6], 0x0800, &[], 0));
        let p = off.route(dump_packet(&bytes)).unwrap().1;
        assert_eq!(p.anno.packet_type, PacketType::Broadcast);
        assert!(configure(&mut HostEtherFilter::default(), "h", "", 1, 1).is_err());
    }

    #[test]
    fn drop_broadcasts_by_type() {
        let mut h = Harness::new(DropBroadcasts::default(), "d", "", 1).unwrap();
        let mut two = Harness::new(DropBroadcasts::default(), "d", "", 2).unwrap();
        for (kind, kept) in [
            (PacketType::Host, true),
            (PacketType::Broadcast, false),
            (PacketType::Multicast, false),
            (PacketType::OtherHost, true),
            (PacketType::Outgoing, true),
        ] {
            let mut p = frame([0xff; 6], [4; 6]);
            p.anno.packet_type = kind;
            assert_eq!(h.route(p.clone()).is_some(), kept, "{kind:?}");
            assert_eq!(two.route(p).unwrap().0, usize::from(!kept));
        }
        assert_eq!(h.platform.chatter, ["DropBroadcasts: dropped a packet"]);
        assert_eq!(h.element.read_handler("drops").unwrap(), "2");
    }
}
