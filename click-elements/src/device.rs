//! The network device interface FromDevice and ToDevice talk to.
//!
//! The guest kernel binds Xen netfront devices to it; the host binds pcap files or test
//! doubles. Both directions work in bursts.

use crate::element::Batch;

/// A network interface that receives and transmits frames in bursts.
pub trait NetDevice {
    /// Appends up to `max` received frames to `into`; returns how many were appended.
    fn receive_burst(&mut self, into: &mut Batch, max: usize) -> usize;

    /// Transmits frames from the front of `batch`, removing those it took; returns how many
    /// were taken (fewer than offered when the device is full).
    fn transmit_burst(&mut self, batch: &mut Batch) -> usize;

    /// The device's Ethernet address.
    fn mac_address(&self) -> [u8; 6];
}
