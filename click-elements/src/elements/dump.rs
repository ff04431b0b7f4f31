//! FromDump and ToDump: classic pcap files on the host (`std` feature).
//!
//! FromDump reads a pcap trace (microsecond or nanosecond) and pushes its packets with their
//! timestamps and `EXTRA_LENGTH` (wire length beyond the captured bytes). ToDump writes what it
//! receives as nanosecond pcap with snaplen 2000 in host byte order, the way Click does (on x86:
//! little-endian, magic `4d 3c b2 a1`).

use std::format;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::string::{String, ToString};
use std::time::Duration;

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapReader, PcapWriter};
use pcap_file::{DataLink, Endianness, TsResolution};

use crate::args::{parse_bool, parse_i64, parse_string, Args};
use crate::class::{ElementClass, Ports, ProcessingSpec};
use crate::element::{ConfigureContext, Element, PushContext, TaskContext, TaskStatus};
use crate::packet::{Packet, PacketPool, Timestamp};

/// Pushes the packets of a pcap file.
#[derive(Default)]
pub struct FromDump {
    filename: String,
    stop: bool,
    active: bool,
    burst: usize,
    reader: Option<PcapReader<BufReader<File>>>,
    pool: PacketPool,
    count: u64,
    finished: bool,
}

impl ElementClass for FromDump {
    const NAME: &'static str = "FromDump";
    const PORTS: Ports = Ports::parse("0/1");
    const PROCESSING: ProcessingSpec = ProcessingSpec::parse("/h");
    const EXAMPLE: &'static str = "in.pcap";
}

impl Element for FromDump {
    fn configure(&mut self, args: &mut Args, ctx: &ConfigureContext<'_>) -> Result<(), String> {
        self.pool = ctx.pool.clone();
        self.filename = args.read_mp("FILENAME", parse_string).unwrap_or_default();
        self.stop = args.read_kw("STOP", parse_bool).unwrap_or(false);
        self.active = args.read_kw("ACTIVE", parse_bool).unwrap_or(true);
        let burst = args.read_kw("BURST", parse_i64).unwrap_or(1);
        if args.read_kw("TIMING", parse_bool) == Some(true) {
            return Err("TIMING: real-time replay is not supported".to_string());
        }
        let burst = usize::try_from(burst)
            .ok()
            .filter(|&b| b > 0)
            .ok_or("BURST: must be at least 1")?;
        self.burst = ctx.limits.check_burst("BURST", burst)?;
        Ok(())
    }

    fn initialize(&mut self) -> Result<(), String> {
        let file = File::open(&self.filename).map_err(|e| format!("{}: {e}", self.filename))?;
        let reader = PcapReader::new(BufReader::new(file))
            .map_err(|e| format!("{}: not a pcap file ({e})", self.filename))?;
        self.reader = Some(reader);
        Ok(())
    }

    fn has_task(&self) -> bool {
        true
    }

    fn run_task(&mut self, ctx: &mut TaskContext<'_>) -> TaskStatus {
        if self.finished {
            return TaskStatus::Done;
        }
        if !self.active {
            return TaskStatus::Idle;
        }
        let Some(reader) = self.reader.as_mut() else {
            return TaskStatus::Done;
        };
        let mut emitted = 0;
        while emitted < self.burst {
            match reader.next_packet() {
                Some(Ok(record)) => {
                    let mut p = self.pool.packet_from_slice(&record.data);
                    p.set_mac_header(0);
                    p.anno.timestamp = Timestamp {
                        sec: record.timestamp.as_secs(),
                        nsec: record.timestamp.subsec_nanos(),
                    };
                    p.anno.extra_length = record.orig_len.saturating_sub(record.data.len() as u32);
                    ctx.push.output(0, p);
                    emitted += 1;
                    self.count += 1;
                }
                Some(Err(e)) => {
                    ctx.push.chatter(format_args!(
                        "{}: {}: {e}",
                        ctx.push.element_name(),
                        self.filename
                    ));
                    self.finished = true;
                    break;
                }
                None => {
                    self.finished = true;
                    break;
                }
            }
        }
        if self.finished && self.stop {
            ctx.router.request_stop();
        }
        if emitted > 0 {
            TaskStatus::Worked
        } else {
            TaskStatus::Done
        }
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["count", "filename", "active"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        match name {
            "count" => Some(format!("{}", self.count)),
            "filename" => Some(self.filename.clone()),
            "active" => Some(format!("{}", self.active)),
            _ => None,
        }
    }

    fn write_handlers(&self) -> &'static [&'static str] {
        &["active"]
    }

    fn write_handler(&mut self, name: &str, value: &str) -> Result<(), String> {
        match name {
            "active" => self.active = parse_bool(value.trim())?,
            _ => return Err(format!("no write handler '{name}'")),
        }
        Ok(())
    }
}

/// Writes every packet it receives to a nanosecond pcap file in host byte order.
pub struct ToDump {
    filename: String,
    snaplen: u32,
    extra_length: bool,
    writer: Option<PcapWriter<BufWriter<File>>>,
    count: u64,
    errors: u64,
}

impl Default for ToDump {
    fn default() -> Self {
        ToDump {
            filename: String::new(),
            snaplen: 2000,
            extra_length: true,
            writer: None,
            count: 0,
            errors: 0,
        }
    }
}

impl ElementClass for ToDump {
    const NAME: &'static str = "ToDump";
    const PORTS: Ports = Ports::parse("1/0");
    const PROCESSING: ProcessingSpec = ProcessingSpec::parse("h/");
    const EXAMPLE: &'static str = "out.pcap";
}

impl Element for ToDump {
    fn configure(&mut self, args: &mut Args, _ctx: &ConfigureContext<'_>) -> Result<(), String> {
        self.filename = args.read_mp("FILENAME", parse_string).unwrap_or_default();
        if let Some(s) = args.read_p("SNAPLEN", parse_i64) {
            self.snaplen = u32::try_from(s)
                .ok()
                .filter(|&s| s > 0)
                .ok_or("SNAPLEN: must be positive")?;
        }
        if let Some(encap) = args.read_p("ENCAP", parse_string) {
            if encap != "ETHER" {
                return Err(format!("ENCAP: only ETHER is supported, not '{encap}'"));
            }
        }
        self.extra_length = args.read_kw("EXTRA_LENGTH", parse_bool).unwrap_or(true);
        if args.read_kw("NANO", parse_bool) == Some(false) {
            return Err("NANO: only nanosecond pcap is written".to_string());
        }
        Ok(())
    }

    fn initialize(&mut self) -> Result<(), String> {
        let file = File::create(&self.filename).map_err(|e| format!("{}: {e}", self.filename))?;
        let header = PcapHeader {
            snaplen: self.snaplen,
            datalink: DataLink::ETHERNET,
            ts_resolution: TsResolution::NanoSecond,
            endianness: Endianness::native(),
            ..PcapHeader::default()
        };
        let writer = PcapWriter::with_header(BufWriter::new(file), header)
            .map_err(|e| format!("{}: {e}", self.filename))?;
        self.writer = Some(writer);
        Ok(())
    }

    fn push(&mut self, _port: usize, packet: Packet, ctx: &mut PushContext<'_>) {
        let Some(writer) = self.writer.as_mut() else {
            return;
        };
        let ts = if packet.anno.timestamp.is_zero() {
            ctx.now()
        } else {
            packet.anno.timestamp
        };
        let data = packet.data();
        let caplen = data.len().min(self.snaplen as usize);
        let extra = if self.extra_length {
            packet.anno.extra_length
        } else {
            0
        };
        let orig_len = (data.len() as u32).saturating_add(extra);
        let record = PcapPacket::new(Duration::new(ts.sec, ts.nsec), orig_len, &data[..caplen]);
        match writer.write_packet(&record) {
            Ok(_) => self.count += 1,
            Err(e) => {
                if self.errors == 0 {
                    ctx.chatter(format_args!(
                        "{}: {}: {e}",
                        ctx.element_name(),
                        self.filename
                    ));
                }
                self.errors += 1;
            }
        }
    }

    fn read_handlers(&self) -> &'static [&'static str] {
        &["count", "filename"]
    }

    fn read_handler(&self, name: &str) -> Option<String> {
        match name {
            "count" => Some(format!("{}", self.count)),
            "filename" => Some(self.filename.clone()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_is_a_clear_initialize_error() {
        let mut fd = FromDump {
            filename: "/nonexistent/in.pcap".into(),
            ..FromDump::default()
        };
        let err = fd.initialize().unwrap_err();
        assert!(err.starts_with("/nonexistent/in.pcap: "), "{err}");
    }

    #[test]
    fn bad_snaplen_is_rejected() {
        let mut td = ToDump::default();
        let mut args = Args::parse("out.pcap, SNAPLEN 0");
        let ctx = ConfigureContext {
            name: "t",
            ninputs: 1,
            noutputs: 0,
            input_processing: &[],
            output_processing: &[],
            pool: &PacketPool::default(),
            limits: &crate::Limits::HOST,
            peers: &[],
        };
        let err = td.configure(&mut args, &ctx).unwrap_err();
        assert!(err.contains("SNAPLEN"), "{err}");
    }

    /// The file header and records are written as Click writes them on x86: little-endian,
    /// nanosecond magic, version 2.4, snaplen 2000, Ethernet; each record `sec nsec caplen len`.
    #[test]
    fn writes_host_order_like_click() {
        let dir = std::env::temp_dir().join(format!("clickos-todump-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.pcap");
        let mut h = crate::elements::testing::Harness::with_inputs(
            ToDump::default(),
            "t",
            path.to_str().unwrap(),
            1,
            0,
        )
        .unwrap();
        let mut p = crate::elements::testing::dump_packet(&[0xab; 60]);
        p.anno.timestamp = Timestamp {
            sec: 0x0102_0304,
            nsec: 5,
        };
        p.anno.extra_length = 4;
        h.push(0, p);
        drop(h);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let mut want = std::vec::Vec::new();
        want.extend_from_slice(&0xa1b2_3c4d_u32.to_ne_bytes());
        want.extend_from_slice(&2u16.to_ne_bytes());
        want.extend_from_slice(&4u16.to_ne_bytes());
        for word in [0u32, 0, 2000, 1] {
            want.extend_from_slice(&word.to_ne_bytes());
        }
        for word in [0x0102_0304_u32, 5, 60, 64] {
            want.extend_from_slice(&word.to_ne_bytes());
        }
        want.extend_from_slice(&[0xab; 60]);
        assert_eq!(bytes, want);
        #[cfg(target_endian = "little")]
        assert_eq!(bytes[..4], [0x4d, 0x3c, 0xb2, 0xa1]);
    }
}
