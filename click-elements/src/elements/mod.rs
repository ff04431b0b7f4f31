//! The element library.

use crate::registry::Registry;

mod arp;
mod arpquerier;
mod basic;
mod classifier;
mod counter;
mod device;
mod driver;
#[cfg(feature = "std")]
mod dump;
mod ether;
mod ip;
mod iprewriter;
mod net;
mod print;
mod queue;
mod rwtable;
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
pub use iprewriter::{
    IPAddrRewriter, IPRewriter, IPRewriterPatterns, Rewriter, RoundRobinIPMapper, TCPRewriter,
    UDPRewriter,
};
pub use print::Print;
pub use queue::{Queue, Unqueue};
pub use rwtable::{Flow, FlowId, FlowKind, FlowTable};
pub use source::InfiniteSource;
pub use tee::Tee;
pub use vlan::{VLANDecap, VLANEncap};

/// Registers every built-in element class.
pub fn register_standard(registry: &mut Registry) {
    registry.add::<Discard>();
    registry.add::<Idle>();
    registry.add::<Null>();
    registry.add::<FromDevice>();
    registry.add::<ToDevice>();
    registry.add::<DriverManager>();
    registry.add::<InfiniteSource>();
    registry.add::<Queue>();
    registry.add::<Unqueue>();
    registry.add::<Classifier>();
    registry.add::<VLANEncap>();
    registry.add::<VLANDecap>();
    registry.add::<ARPResponder>();
    registry.add::<ARPQuerier>();
    registry.add::<ARPPrint>();
    registry.add::<ICMPPingResponder>();
    registry.add::<CheckIPHeader>();
    registry.add::<EtherMirror>();
    registry.add::<EtherEncap>();
    registry.add::<EnsureEther>();
    registry.add::<Strip>();
    registry.add::<Unstrip>();
    registry.add::<Print>();
    registry.add::<Counter>();
    registry.add::<Tee>();
    registry.add::<IPRewriter>();
    registry.add::<TCPRewriter>();
    registry.add::<UDPRewriter>();
    registry.add::<IPAddrRewriter>();
    registry.add::<RoundRobinIPMapper>();
    registry.add::<IPRewriterPatterns>();
    #[cfg(feature = "std")]
    {
        registry.add::<FromDump>();
        registry.add::<ToDump>();
    }
}

#[cfg(test)]
pub(crate) mod testing;
