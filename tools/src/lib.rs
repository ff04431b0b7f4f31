//! Shared code of the host tools: the Linux platform the Click router runs on, and clickctl's
//! control-protocol client.

#![deny(unsafe_code)]

pub mod clickctl;
#[allow(unsafe_code)]
pub mod heap;

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use click_elements::device::NetDevice;
use click_elements::element::Platform;
use click_elements::packet::Timestamp;

/// The host platform: diagnostics on stderr, output on stdout, the system clock, no devices.
#[derive(Default)]
pub struct HostPlatform;

impl Platform for HostPlatform {
    fn chatter(&mut self, line: &str) {
        let stderr = std::io::stderr();
        let mut err = stderr.lock();
        // A closed stderr must not stop the router.
        let _ = writeln!(err, "{line}");
    }

    fn print(&mut self, line: &str) {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        if line.ends_with('\n') {
            let _ = write!(out, "{line}");
        } else {
            let _ = writeln!(out, "{line}");
        }
    }

    fn now(&self) -> Timestamp {
        let d = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp {
            sec: d.as_secs(),
            nsec: d.subsec_nanos(),
        }
    }

    fn device(&mut self, _n: usize) -> Option<&mut dyn NetDevice> {
        None
    }
}
