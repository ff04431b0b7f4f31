//! The netif wire format: ring entries, flags, status codes and xenbus states.
//!
//! Layouts follow Xen's public headers `io/netif.h`, `io/ring.h` and `io/xenbus.h`; the sizes
//! are checked at compile time at the bottom of this file.

/// A grant reference, as in `grant_table.h` (`grant_ref_t`, 32 bits).
pub type GrantRef = u32;

/// A Xen domain id (`domid_t`, 16 bits).
pub type DomId = u16;

/// An event-channel port number (`evtchn_port_t`, 32 bits).
pub type Port = u32;

/// The size of a Xen page, of a shared ring and of a buffer page.
pub const PAGE_SIZE: usize = 4096;

/// Bytes at the start of a shared ring page before the first entry (indices, private area,
/// padding).
pub const RING_HEADER_SIZE: usize = 64;

/// Transmit request flag: the protocol checksum field is blank (checksum offload).
pub const NETTXF_CSUM_BLANK: u16 = 1 << 0;
/// Transmit request flag: the packet's checksum has been validated.
pub const NETTXF_DATA_VALIDATED: u16 = 1 << 1;
/// Transmit request flag: the packet continues in the next request.
pub const NETTXF_MORE_DATA: u16 = 1 << 2;
/// Transmit request flag: extra-info descriptors follow.
pub const NETTXF_EXTRA_INFO: u16 = 1 << 3;

/// Receive response flag: the packet's checksum has been validated.
pub const NETRXF_DATA_VALIDATED: u16 = 1 << 0;
/// Receive response flag: the protocol checksum field is blank (checksum offload).
pub const NETRXF_CSUM_BLANK: u16 = 1 << 1;
/// Receive response flag: the packet continues in the next response.
pub const NETRXF_MORE_DATA: u16 = 1 << 2;
/// Receive response flag: extra-info descriptors follow in the next slots.
pub const NETRXF_EXTRA_INFO: u16 = 1 << 3;

/// Response status: the backend dropped the packet.
pub const NETIF_RSP_DROPPED: i16 = -2;
/// Response status: the backend failed to handle the request.
pub const NETIF_RSP_ERROR: i16 = -1;
/// Response status: success.
pub const NETIF_RSP_OKAY: i16 = 0;
/// Response status: no response (slots used by extra-info descriptors).
pub const NETIF_RSP_NULL: i16 = 1;

/// The largest size a transmit request can describe.
pub const MAX_TX_SIZE: usize = 0xFFFF;

/// A transmit request (`netif_tx_request`): one buffer the backend should send.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TxRequest {
    /// Grant reference of the page holding the data.
    pub gref: GrantRef,
    /// Offset of the data within that page.
    pub offset: u16,
    /// `NETTXF_*` flags.
    pub flags: u16,
    /// Request id, echoed in the response.
    pub id: u16,
    /// Packet size in bytes.
    pub size: u16,
}

/// A transmit response (`netif_tx_response`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TxResponse {
    /// The id of the request this answers.
    pub id: u16,
    /// A `NETIF_RSP_*` status.
    pub status: i16,
}

/// A receive request (`netif_rx_request`): a page the backend may fill with a packet.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RxRequest {
    /// Request id, echoed in the response.
    pub id: u16,
    /// Unused.
    pub pad: u16,
    /// Grant reference of the (writable) page to fill.
    pub gref: GrantRef,
}

/// A receive response (`netif_rx_response`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RxResponse {
    /// The id of the request this answers.
    pub id: u16,
    /// Offset of the packet within the page.
    pub offset: u16,
    /// `NETRXF_*` flags.
    pub flags: u16,
    /// Negative: a `NETIF_RSP_*` error; otherwise the packet size in bytes.
    pub status: i16,
}

/// The state of one end of a xenbus connection (`XenbusState` in `io/xenbus.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum XenbusState {
    /// 0: unknown (also: the key is missing).
    Unknown,
    /// 1: early initialisation.
    Initialising,
    /// 2: waiting for information from the peer.
    InitWait,
    /// 3: initialised, waiting for a connection from the peer.
    Initialised,
    /// 4: connected.
    Connected,
    /// 5: closing, after an error or an unplug.
    Closing,
    /// 6: closed.
    Closed,
    /// 7: reconfiguring.
    Reconfiguring,
    /// 8: reconfigured.
    Reconfigured,
}

impl XenbusState {
    /// The state for its number, if it is one.
    pub fn from_number(n: u32) -> Option<XenbusState> {
        use XenbusState::*;
        Some(match n {
            0 => Unknown,
            1 => Initialising,
            2 => InitWait,
            3 => Initialised,
            4 => Connected,
            5 => Closing,
            6 => Closed,
            7 => Reconfiguring,
            8 => Reconfigured,
            _ => return None,
        })
    }

    /// The state's number, as written in XenStore.
    pub fn number(self) -> u32 {
        self as u32
    }

    /// Parses a XenStore value (decimal, surrounding whitespace allowed).
    pub fn parse(value: &str) -> Option<XenbusState> {
        value
            .trim()
            .parse::<u32>()
            .ok()
            .and_then(XenbusState::from_number)
    }
}

/// Bytes one ring entry takes: the larger of the request and the response (they share a slot).
pub const fn slot_size(req: usize, rsp: usize) -> usize {
    if req > rsp {
        req
    } else {
        rsp
    }
}

/// Entries in a one-page ring with `slot` bytes per entry: as many as fit after the header,
/// rounded down to a power of two (as `__CONST_RING_SIZE` does).
pub const fn ring_entries(slot: usize) -> usize {
    let fit = (PAGE_SIZE - RING_HEADER_SIZE) / slot;
    if fit == 0 {
        0
    } else {
        1 << (usize::BITS - 1 - fit.leading_zeros())
    }
}

/// Entries in the transmit ring.
pub const TX_RING_SIZE: usize = ring_entries(slot_size(
    core::mem::size_of::<TxRequest>(),
    core::mem::size_of::<TxResponse>(),
));

/// Entries in the receive ring.
pub const RX_RING_SIZE: usize = ring_entries(slot_size(
    core::mem::size_of::<RxRequest>(),
    core::mem::size_of::<RxResponse>(),
));

// Layouts of io/netif.h and io/ring.h.
const _: () = assert!(core::mem::size_of::<TxRequest>() == 12);
const _: () = assert!(core::mem::size_of::<TxResponse>() == 4);
const _: () = assert!(core::mem::size_of::<RxRequest>() == 8);
const _: () = assert!(core::mem::size_of::<RxResponse>() == 8);
const _: () = assert!(core::mem::offset_of!(TxRequest, offset) == 4);
const _: () = assert!(core::mem::offset_of!(TxRequest, id) == 8);
const _: () = assert!(core::mem::offset_of!(RxRequest, gref) == 4);
const _: () = assert!(core::mem::offset_of!(RxResponse, status) == 6);
const _: () = assert!(TX_RING_SIZE == 256);
const _: () = assert!(RX_RING_SIZE == 256);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip() {
        for n in 0..=8 {
            assert_eq!(
                XenbusState::from_number(n).map(XenbusState::number),
                Some(n)
            );
        }
        assert_eq!(XenbusState::from_number(9), None);
        assert_eq!(XenbusState::parse(" 4\n"), Some(XenbusState::Connected));
        assert_eq!(XenbusState::parse("x"), None);
    }

    #[test]
    fn ring_sizes_round_down_to_powers_of_two() {
        assert_eq!(ring_entries(12), 256);
        assert_eq!(ring_entries(8), 256);
        assert_eq!(ring_entries(16), 128);
        assert_eq!(ring_entries(4096), 0);
    }
}
