//! The guest as a network function: netfront devices bound to the Click router's
//! `FromDevice`/`ToDevice`, driven by one scheduler task that blocks on the devices' event
//! channels, the XenStore ring and a timer when there is nothing to do, and that honours
//! `xl shutdown` (`control/shutdown`).
//!
//! The platform-independent pieces (the traffic meter, the shutdown request) are here and
//! tested on the host; so are the vifs and the router rounds over them (`vif`), generic over
//! netfront's platform; the Xen wiring is in `guest`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use click_elements::sort;

#[cfg(target_os = "none")]
pub mod guest;
pub mod vif;

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

/// The guest's vifs by XenStore id: `device/vif/N` is device N of the routers
/// (`FromDevice(N)`, `ToDevice(N)`), whatever order the vifs connected in and whether the
/// others did. Records which vifs the toolstack gave the guest and which connected, to say
/// why a device a configuration names cannot be used.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VifSet {
    connected: Vec<usize>,
    failed: Vec<usize>,
}

impl VifSet {
    /// The vif ids among the entries of `device/vif`, sorted, and the entries that are not
    /// ids (no toolstack writes those; they are reported and skipped).
    pub fn ids(entries: &[String]) -> (Vec<usize>, Vec<&str>) {
        let mut ids = Vec::new();
        let mut other = Vec::new();
        for entry in entries {
            // Only plain decimal numbers: "+1" or " 1" would parse but name no node.
            match entry.parse::<usize>() {
                Ok(id) if entry.bytes().all(|b| b.is_ascii_digit()) => ids.push(id),
                _ => other.push(entry.as_str()),
            }
        }
        sort::by_key(&mut ids, |&id| id as u128);
        ids.dedup();
        (ids, other)
    }

    /// Records that vif `id` connected.
    pub fn add_connected(&mut self, id: usize) {
        self.connected.push(id);
    }

    /// Records that vif `id` exists but failed to connect.
    pub fn add_failed(&mut self, id: usize) {
        self.failed.push(id);
    }

    /// `Ok` when device `n` is a connected vif, otherwise why not (for a diagnostic).
    pub fn check(&self, n: usize) -> Result<(), String> {
        if self.connected.contains(&n) {
            return Ok(());
        }
        if self.failed.contains(&n) {
            return Err(format!("vif {n} (device/vif/{n}) failed to connect"));
        }
        let mut have: Vec<usize> = self.connected.clone();
        sort::by_key(&mut have, |&id| id as u128);
        let have = match have.as_slice() {
            [] => String::from("no connected vif"),
            ids => {
                let list: Vec<String> = ids.iter().map(|id| format!("{id}")).collect();
                format!("connected vifs {}", list.join(", "))
            }
        };
        Err(format!(
            "no vif {n} (no device/vif/{n}; the guest has {have})"
        ))
    }
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
    fn vif_ids_are_the_numbers_under_device_vif_sorted() {
        let entries: Vec<String> = ["2", "0", "10", "x", "+1", "2", ""]
            .iter()
            .map(|s| String::from(*s))
            .collect();
        let (ids, other) = VifSet::ids(&entries);
        assert_eq!(ids, vec![0, 2, 10]);
        assert_eq!(other, vec!["x", "+1", ""]);
    }

    #[test]
    fn devices_are_vif_ids_not_connection_order() {
        // vif 1 failed and there is no vif 2: device 3 is vif 3, never "the third vif".
        let mut set = VifSet::default();
        set.add_connected(3);
        set.add_connected(0);
        set.add_failed(1);
        assert_eq!(set.check(0), Ok(()));
        assert_eq!(set.check(3), Ok(()));
        assert_eq!(
            set.check(1),
            Err(String::from("vif 1 (device/vif/1) failed to connect"))
        );
        assert_eq!(
            set.check(2),
            Err(String::from(
                "no vif 2 (no device/vif/2; the guest has connected vifs 0, 3)"
            ))
        );
        assert_eq!(
            VifSet::default().check(0),
            Err(String::from(
                "no vif 0 (no device/vif/0; the guest has no connected vif)"
            ))
        );
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
