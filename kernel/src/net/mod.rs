//! The guest as a network function: netfront devices bound to the Click router's
//! `FromDevice`/`ToDevice`, driven by one scheduler task that blocks on the devices' event
//! channels, the XenStore ring and a timer when there is nothing to do, and that honours
//! `xl shutdown` (`control/shutdown`).
//!
//! The platform-independent pieces (the traffic meter, the shutdown request) are here and
//! tested on the host; the Xen wiring is in `guest`.

use alloc::string::String;

#[cfg(target_os = "none")]
pub mod guest;

/// Formats a MAC address as Click writes it.
pub fn mac_text(mac: [u8; 6]) -> String {
    let mut s = String::new();
    for (i, b) in mac.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        s.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        s.push(char::from_digit(u32::from(b & 15), 16).unwrap_or('0'));
    }
    s
}

/// What `control/shutdown` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShutdownRequest {
    /// `poweroff` or `halt`.
    Poweroff,
    /// `reboot`.
    Reboot,
}

impl ShutdownRequest {
    /// Parses the value of `control/shutdown`; empty and unsupported values (`suspend`,
    /// anything else) are no request.
    pub fn parse(value: &str) -> Option<ShutdownRequest> {
        match value.trim_end_matches('\0').trim() {
            "poweroff" | "halt" => Some(ShutdownRequest::Poweroff),
            "reboot" => Some(ShutdownRequest::Reboot),
            _ => None,
        }
    }
}

/// Nanoseconds.
pub type Nanos = u64;

/// One burst of traffic: packets counted from the first to the last change of the counter,
/// closed by a quiet period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Burst {
    /// Packets in the burst.
    pub packets: u64,
    /// From the first to the last packet seen.
    pub duration: Nanos,
}

impl Burst {
    /// Packets per second (0 when the burst had no measurable length).
    pub fn pps(&self) -> u64 {
        if self.duration == 0 {
            0
        } else {
            (u128::from(self.packets) * 1_000_000_000 / u128::from(self.duration)) as u64
        }
    }
}

/// Cuts a packet counter's history into bursts separated by `quiet` nanoseconds without
/// packets.
#[derive(Clone, Debug)]
pub struct TrafficMeter {
    quiet: Nanos,
    last_count: u64,
    /// (count before the burst, time of the first observed packets)
    start: Option<(u64, Nanos)>,
    last_activity: Nanos,
}

impl TrafficMeter {
    /// A meter closing bursts after `quiet` nanoseconds without packets.
    pub fn new(quiet: Nanos) -> Self {
        TrafficMeter {
            quiet,
            last_count: 0,
            start: None,
            last_activity: 0,
        }
    }

    /// Feeds the counter's value at `now`; returns the burst that just ended, if one did.
    pub fn observe(&mut self, now: Nanos, count: u64) -> Option<Burst> {
        if count != self.last_count {
            if self.start.is_none() {
                self.start = Some((self.last_count, now));
            }
            self.last_count = count;
            self.last_activity = now;
            return None;
        }
        let (before, first) = self.start?;
        if now.saturating_sub(self.last_activity) < self.quiet {
            return None;
        }
        self.start = None;
        Some(Burst {
            packets: count.wrapping_sub(before),
            duration: self.last_activity.saturating_sub(first),
        })
    }

    /// When the current burst closes if nothing more arrives (`None`: no burst open).
    pub fn deadline(&self) -> Option<Nanos> {
        self.start.map(|_| self.last_activity + self.quiet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shutdown_values() {
        assert_eq!(
            ShutdownRequest::parse("poweroff"),
            Some(ShutdownRequest::Poweroff)
        );
        assert_eq!(
            ShutdownRequest::parse("halt\0"),
            Some(ShutdownRequest::Poweroff)
        );
        assert_eq!(
            ShutdownRequest::parse("reboot"),
            Some(ShutdownRequest::Reboot)
        );
        assert_eq!(ShutdownRequest::parse(""), None);
        assert_eq!(ShutdownRequest::parse("suspend"), None);
    }

    #[test]
    fn bursts_close_after_quiet_periods() {
        let mut m = TrafficMeter::new(100);
        assert_eq!(m.observe(0, 0), None);
        assert_eq!(m.deadline(), None);
        assert_eq!(m.observe(10, 5), None);
        assert_eq!(m.observe(50, 25), None);
        assert_eq!(m.deadline(), Some(150));
        assert_eq!(m.observe(149, 25), None);
        let b = m.observe(150, 25).unwrap();
        assert_eq!(
            b,
            Burst {
                packets: 25,
                duration: 40
            }
        );
        assert_eq!(b.pps(), 625_000_000);
        assert_eq!(m.observe(400, 25), None);
        assert_eq!(m.observe(500, 26), None);
        assert_eq!(m.observe(700, 26).unwrap().pps(), 0);
    }
}
