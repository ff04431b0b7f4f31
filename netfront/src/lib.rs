//! The Xen netif frontend ("netfront"), platform-agnostic.
//!
//! A guest talks to the backend in the driver domain (Linux netback) through two shared
//! rings (transmit and receive), an event channel and a handful of XenStore keys. This crate
//! holds the protocol: the ring layouts of `io/netif.h` and `io/ring.h` ([`wire`],
//! [`shared`]), the xenbus handshake ([`xenbus`]) and a batched data path ([`Netfront`]).
//! The platform — grant table, event channels, XenStore — is reached through the small traits
//! of [`platform`], which the guest kernel implements with hypercalls and host tests
//! implement in memory.
//!
//! Data path design:
//! - every receive and transmit buffer page is granted once, at bring-up (persistent
//!   grants); the data path has no access to the grant table at all;
//! - [`Netfront::receive`] hands out a burst of [`RxBuffer`]s, each a received frame in its
//!   own granted page, without a copy; dropping one returns the page to the ring;
//! - [`Netfront::transmit`] takes a burst of frames and copies each into a granted transmit
//!   buffer;
//! - responses are consumed in bursts, and the backend is notified once per burst, only
//!   when its event index asks for it;
//! - the frontend asks for complete checksums (`feature-no-csum-offload`) and negotiates
//!   neither scatter-gather nor GSO, so a frame is one slot with a valid checksum and can be
//!   forwarded as it is; a frame still flagged `NETRXF_csum_blank`, or spanning several slots,
//!   is dropped and counted in [`Stats`];
//! - the backend is not trusted: every response is copied out of the shared ring once (one
//!   volatile read) and only that copy is checked and used; every id, offset, status and
//!   length is checked, and a bad response is dropped and counted in [`Stats`]; a response
//!   producer that claims more responses than requests, or goes back, marks the device
//!   [`DeviceState::Broken`];
//! - work per call is bounded whatever the backend publishes: [`Netfront::receive`] takes
//!   at most `max` responses and transmit completion at most one per request;
//! - pages are zeroed before they are granted, and the guest never writes a receive page,
//!   so the backend sees nothing of the guest's memory but the frames sent to it; a page
//!   whose grant cannot be ended (the backend still maps it) is leaked and counted, never
//!   freed or reused.
//!
//! `unsafe` code is confined to [`shared`] (the crate denies it everywhere else).
#![no_std]
#![deny(missing_docs)]
#![deny(unsafe_code)]

extern crate alloc;

mod device;
pub mod platform;
#[allow(unsafe_code)]
pub mod shared;
pub mod wire;
pub mod xenbus;

pub use device::{Config, DeviceState, Netfront, RxBuffer, Stats, MIN_FRAME, TX_BUFFER_SIZE};
pub use platform::{EventChannel, GrantTable, PlatformError, Store, StoreError, TxnId};
pub use shared::SharedPage;
pub use wire::{DomId, GrantRef, Port, XenbusState};

/// Why bring-up or tear-down failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// A store operation failed.
    Store(StoreError),
    /// A grant or event-channel operation failed.
    Platform(PlatformError),
    /// A key under the device node holds an unusable value (names the key).
    BadValue(&'static str),
    /// The backend is in a state the handshake cannot continue from.
    BackendState(XenbusState),
    /// No memory for a ring or buffer page.
    NoMemory,
    /// The connect transaction kept conflicting (`EAGAIN`) past the configured attempts.
    TooManyRetries,
    /// The [`Config`] asks for no buffers or for more than a ring holds.
    BadConfig,
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Store(e)
    }
}

impl From<PlatformError> for Error {
    fn from(e: PlatformError) -> Self {
        Error::Platform(e)
    }
}
