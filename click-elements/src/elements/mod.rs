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

/// Calls `$callback!(PATH)` with the path of each built-in element class that needs no `std`
/// (every class a guest can have), in the order [`register_standard`] adds them. The one list
/// of those classes: [`register_standard`] is built from it, and so is a guest's registry
/// that keeps only the classes its configuration uses.
///
/// ```
/// let mut names = Vec::new();
/// macro_rules! name {
///     ($class:path) => {
///         names.push(<$class as click_elements::class::ElementClass>::NAME);
///     };
/// }
/// click_elements::for_each_standard_class!(name);
/// assert!(names.contains(&"Discard"));
/// ```
#[macro_export]
macro_rules! for_each_standard_class {
    ($callback:ident) => {
        $callback!($crate::elements::Discard);
        $callback!($crate::elements::Idle);
        $callback!($crate::elements::Null);
        $callback!($crate::elements::FromDevice);
        $callback!($crate::elements::ToDevice);
        $callback!($crate::elements::DriverManager);
        $callback!($crate::elements::InfiniteSource);
        $callback!($crate::elements::Queue);
        $callback!($crate::elements::Unqueue);
        $callback!($crate::elements::Classifier);
        $callback!($crate::elements::VLANEncap);
        $callback!($crate::elements::VLANDecap);
        $callback!($crate::elements::ARPResponder);
        $callback!($crate::elements::ARPQuerier);
        $callback!($crate::elements::ARPPrint);
        $callback!($crate::elements::ICMPPingResponder);
        $callback!($crate::elements::CheckIPHeader);
        $callback!($crate::elements::IPClassifier);
        $callback!($crate::elements::IPFilter);
        $callback!($crate::elements::EtherMirror);
        $callback!($crate::elements::EtherEncap);
        $callback!($crate::elements::EnsureEther);
        $callback!($crate::elements::Strip);
        $callback!($crate::elements::Unstrip);
        $callback!($crate::elements::Print);
        $callback!($crate::elements::Counter);
        $callback!($crate::elements::Tee);
        $callback!($crate::elements::MarkIPHeader);
        $callback!($crate::elements::StripIPHeader);
        $callback!($crate::elements::UnstripIPHeader);
        $callback!($crate::elements::FixIPSrc);
        $callback!($crate::elements::DecIPTTL);
        $callback!($crate::elements::ICMPError);
        $callback!($crate::elements::IPGWOptions);
        $callback!($crate::elements::IPFragmenter);
        $callback!($crate::elements::HostEtherFilter);
        $callback!($crate::elements::DropBroadcasts);
        $callback!($crate::elements::LinearIPLookup);
        $callback!($crate::elements::StaticIPLookup);
        $callback!($crate::elements::RadixIPLookup);
        $callback!($crate::elements::DirectIPLookup);
        $callback!($crate::elements::RangeIPLookup);
        $callback!($crate::elements::GetIPAddress);
        $callback!($crate::elements::SetIPAddress);
        $callback!($crate::elements::IPEncap);
        $callback!($crate::elements::UDPIPEncap);
        $callback!($crate::elements::EtherRewrite);
        $callback!($crate::elements::MarkMACHeader);
        $callback!($crate::elements::Paint);
        $callback!($crate::elements::CheckPaint);
        $callback!($crate::elements::PaintTee);
        $callback!($crate::elements::PaintSwitch);
        $callback!($crate::elements::HashSwitch);
        $callback!($crate::elements::RoundRobinSwitch);
        $callback!($crate::elements::Switch);
        $callback!($crate::elements::StaticSwitch);
        $callback!($crate::elements::CheckTCPHeader);
        $callback!($crate::elements::CheckUDPHeader);
        $callback!($crate::elements::CheckICMPHeader);
        $callback!($crate::elements::SetIPChecksum);
        $callback!($crate::elements::SetTCPChecksum);
        $callback!($crate::elements::SetUDPChecksum);
        $callback!($crate::elements::AverageCounter);
        $callback!($crate::elements::IPPrint);
        $callback!($crate::elements::IPRewriter);
        $callback!($crate::elements::TCPRewriter);
        $callback!($crate::elements::UDPRewriter);
        $callback!($crate::elements::IPAddrRewriter);
        $callback!($crate::elements::RoundRobinIPMapper);
        $callback!($crate::elements::IPRewriterPatterns);
    };
}

/// Registers every built-in element class: those of [`for_each_standard_class!`], and with
/// the `std` feature the host-only ones (pcap files).
pub fn register_standard(registry: &mut Registry) {
    macro_rules! add {
        ($class:path) => {
            registry.add::<$class>();
        };
    }
    for_each_standard_class!(add);
    #[cfg(feature = "std")]
    {
        registry.add::<FromDump>();
        registry.add::<ToDump>();
    }
}

#[cfg(test)]
pub(crate) mod testing;
