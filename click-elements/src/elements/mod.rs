//! The element library.

use crate::registry::Registry;

mod arp;
mod arpquerier;
mod avgcounter;
mod basic;
mod checkheader;
mod checksum;
mod classifier;
mod counter;
mod decipttl;
mod decision;
mod device;
mod driver;
mod dropstats;
#[cfg(feature = "std")]
mod dump;
mod ether;
mod icmperror;
mod ip;
mod ipanno;
mod ipencap;
mod ipfilter;
mod ipfragmenter;
mod ipgwoptions;
mod ipheader;
mod ipprint;
mod iprewriter;
mod iproute;
mod linktype;
mod macheader;
mod net;
mod paint;
mod print;
mod queue;
mod rwtable;
mod source;
mod switch;
mod tee;
mod vlan;

pub use arp::{ARPPrint, ARPResponder};
pub use arpquerier::ARPQuerier;
pub use avgcounter::AverageCounter;
pub use basic::{Discard, Idle, Null};
pub use checkheader::{CheckICMPHeader, CheckTCPHeader, CheckUDPHeader};
pub use checksum::{SetIPChecksum, SetTCPChecksum, SetUDPChecksum};
pub use classifier::Classifier;
pub use counter::Counter;
pub use decipttl::DecIPTTL;
pub use device::{FromDevice, ToDevice};
pub use driver::DriverManager;
#[cfg(feature = "std")]
pub use dump::{FromDump, ToDump};
pub use ether::{EnsureEther, EtherEncap, EtherMirror, Strip, Unstrip};
pub use icmperror::ICMPError;
pub use ip::{CheckIPHeader, ICMPPingResponder};
pub use ipanno::{GetIPAddress, SetIPAddress};
pub use ipencap::{IPEncap, UDPIPEncap};
pub use ipfilter::{IPClassifier, IPFilter};
pub use ipfragmenter::IPFragmenter;
pub use ipgwoptions::IPGWOptions;
pub use ipheader::{FixIPSrc, MarkIPHeader, StripIPHeader, UnstripIPHeader};
pub use ipprint::IPPrint;
pub use iprewriter::{
    IPAddrRewriter, IPRewriter, IPRewriterPatterns, Rewriter, RoundRobinIPMapper, TCPRewriter,
    UDPRewriter,
};
pub use iproute::{
    DirectIPLookup, LinearIPLookup, RadixIPLookup, RangeIPLookup, RouteLookup, RouteTable,
    StaticIPLookup,
};
pub use linktype::{DropBroadcasts, HostEtherFilter};
pub use macheader::{EtherRewrite, MarkMACHeader};
pub use paint::{CheckPaint, Paint, PaintSwitch, PaintTee};
pub use print::Print;
pub use queue::{Queue, Unqueue};
pub use rwtable::{Flow, FlowId, FlowKind, FlowTable};
pub use source::InfiniteSource;
pub use switch::{HashSwitch, RoundRobinSwitch, StaticSwitch, Switch};
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
    registry.add::<IPClassifier>();
    registry.add::<IPFilter>();
    registry.add::<EtherMirror>();
    registry.add::<EtherEncap>();
    registry.add::<EnsureEther>();
    registry.add::<Strip>();
    registry.add::<Unstrip>();
    registry.add::<Print>();
    registry.add::<Counter>();
    registry.add::<Tee>();
    registry.add::<MarkIPHeader>();
    registry.add::<StripIPHeader>();
    registry.add::<UnstripIPHeader>();
    registry.add::<FixIPSrc>();
    registry.add::<DecIPTTL>();
    registry.add::<ICMPError>();
    registry.add::<IPGWOptions>();
    registry.add::<IPFragmenter>();
    registry.add::<HostEtherFilter>();
    registry.add::<DropBroadcasts>();
    registry.add::<LinearIPLookup>();
    registry.add::<StaticIPLookup>();
    registry.add::<RadixIPLookup>();
    registry.add::<DirectIPLookup>();
    registry.add::<RangeIPLookup>();
    registry.add::<GetIPAddress>();
    registry.add::<SetIPAddress>();
    registry.add::<IPEncap>();
    registry.add::<UDPIPEncap>();
    registry.add::<EtherRewrite>();
    registry.add::<MarkMACHeader>();
    registry.add::<Paint>();
    registry.add::<CheckPaint>();
    registry.add::<PaintTee>();
    registry.add::<PaintSwitch>();
    registry.add::<HashSwitch>();
    registry.add::<RoundRobinSwitch>();
    registry.add::<Switch>();
    registry.add::<StaticSwitch>();
    registry.add::<CheckTCPHeader>();
    registry.add::<CheckUDPHeader>();
    registry.add::<CheckICMPHeader>();
    registry.add::<SetIPChecksum>();
    registry.add::<SetTCPChecksum>();
    registry.add::<SetUDPChecksum>();
    registry.add::<AverageCounter>();
    registry.add::<IPPrint>();
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
