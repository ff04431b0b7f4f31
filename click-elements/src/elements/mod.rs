//! The element library.

use alloc::boxed::Box;

use crate::registry::Registry;

mod arp;
mod arpquerier;
mod basic;
mod classifier;
mod counter;
mod decision;
mod device;
mod driver;
#[cfg(feature = "std")]
mod dump;
mod ether;
mod ip;
mod ipfilter;
mod net;
mod print;
mod queue;
mod source;
mod tee;
mod vlan;

pub use arp::{ARPPrint, ARPResponder};
pub use arpquerier::ARPQuerier;
pub use basic::{Discard, Idle, Null};
pub use classifier::Classifier;
pub use counter::Counter;
pub use device::{FromDevice, ToDevice};
pub use driver::DriverManager;
#[cfg(feature = "std")]
pub use dump::{FromDump, ToDump};
pub use ether::{EnsureEther, EtherEncap, EtherMirror, Strip, Unstrip};
pub use ip::{CheckIPHeader, ICMPPingResponder};
pub use ipfilter::{IPClassifier, IPFilter};
pub use print::Print;
pub use queue::{Queue, Unqueue};
pub use source::InfiniteSource;
pub use tee::Tee;
pub use vlan::{VLANDecap, VLANEncap};

/// Registers every built-in element class.
pub fn register_standard(registry: &mut Registry) {
    registry.register("Discard", || Box::new(Discard::default()));
    registry.register("Idle", || Box::new(Idle));
    registry.register("Null", || Box::new(Null));
    registry.register("FromDevice", || Box::new(FromDevice::default()));
    registry.register("ToDevice", || Box::new(ToDevice::default()));
    registry.register("DriverManager", || Box::new(DriverManager::default()));
    registry.register("InfiniteSource", || Box::new(InfiniteSource::default()));
    registry.register("Queue", || Box::new(Queue::default()));
    registry.register("Unqueue", || Box::new(Unqueue::default()));
    registry.register("Classifier", || Box::new(Classifier::default()));
    registry.register("VLANEncap", || Box::new(VLANEncap::default()));
    registry.register("VLANDecap", || Box::new(VLANDecap::default()));
    registry.register("ARPResponder", || Box::new(ARPResponder::default()));
    registry.register("ARPQuerier", || Box::new(ARPQuerier::default()));
    registry.register("ARPPrint", || Box::new(ARPPrint::default()));
    registry.register("ICMPPingResponder", || {
        Box::new(ICMPPingResponder::default())
    });
    registry.register("CheckIPHeader", || Box::new(CheckIPHeader::default()));
    registry.register("IPClassifier", || Box::new(IPClassifier::default()));
    registry.register("IPFilter", || Box::new(IPFilter::default()));
    registry.register("EtherMirror", || Box::new(EtherMirror::default()));
    registry.register("EtherEncap", || Box::new(EtherEncap::default()));
    registry.register("EnsureEther", || Box::new(EnsureEther::default()));
    registry.register("Strip", || Box::new(Strip::default()));
    registry.register("Unstrip", || Box::new(Unstrip::default()));
    registry.register("Print", || Box::new(Print::default()));
    registry.register("Counter", || Box::new(Counter::default()));
    registry.register("Tee", || Box::new(Tee::default()));
    #[cfg(feature = "std")]
    {
        registry.register("FromDump", || Box::new(FromDump::default()));
        registry.register("ToDump", || Box::new(ToDump::default()));
    }
}

#[cfg(test)]
pub(crate) mod testing;
