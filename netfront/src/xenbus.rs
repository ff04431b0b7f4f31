//! The xenbus side of the handshake: reading the device node, following the backend's state,
//! and writing the connection keys in one transaction.

use alloc::format;
use alloc::string::String;

use crate::platform::{Store, StoreError, TxnId};
use crate::wire::{DomId, GrantRef, Port, XenbusState};
use crate::Error;

/// What the toolstack wrote under the frontend's node (`device/vif/N`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// The backend's directory, e.g. `/local/domain/0/backend/vif/7/0`.
    pub backend: String,
    /// The backend's domain.
    pub backend_id: DomId,
    /// The MAC address assigned to the vif.
    pub mac: [u8; 6],
}

/// Parses `aa:bb:cc:dd:ee:ff` (hex, either case).
pub fn parse_mac(text: &str) -> Option<[u8; 6]> {
    let mut mac = [0u8; 6];
    let mut parts = text.trim().split(':');
    for byte in mac.iter_mut() {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 2 {
            return None;
        }
        *byte = u8::from_str_radix(part, 16).ok()?;
    }
    parts.next().is_none().then_some(mac)
}

/// Reads `backend`, `backend-id` and `mac` under `node`.
pub fn read_device_info<S: Store>(store: &mut S, node: &str) -> Result<DeviceInfo, Error> {
    let backend = store.read(TxnId::NONE, &format!("{node}/backend"))?;
    let backend = String::from(backend.trim());
    if !backend.starts_with('/') {
        return Err(Error::BadValue("backend"));
    }
    let backend_id = store
        .read(TxnId::NONE, &format!("{node}/backend-id"))?
        .trim()
        .parse::<DomId>()
        .map_err(|_| Error::BadValue("backend-id"))?;
    let mac = parse_mac(&store.read(TxnId::NONE, &format!("{node}/mac"))?)
        .ok_or(Error::BadValue("mac"))?;
    Ok(DeviceInfo {
        backend,
        backend_id,
        mac,
    })
}

/// Reads a state key; a missing key reads as [`XenbusState::Unknown`], and so does a value
/// that is not a state.
pub fn read_state<S: Store>(store: &mut S, path: &str) -> Result<XenbusState, StoreError> {
    match store.read(TxnId::NONE, path) {
        Ok(value) => Ok(XenbusState::parse(&value).unwrap_or(XenbusState::Unknown)),
        Err(StoreError::NotFound) => Ok(XenbusState::Unknown),
        Err(e) => Err(e),
    }
}

/// Waits until the state at `path` satisfies `done`, failing with
/// [`Error::BackendState`] as soon as it satisfies `fail`.
pub fn wait_for_state<S: Store>(
    store: &mut S,
    path: &str,
    done: impl Fn(XenbusState) -> bool,
    fail: impl Fn(XenbusState) -> bool,
) -> Result<XenbusState, Error> {
    loop {
        let state = read_state(store, path)?;
        if done(state) {
            return Ok(state);
        }
        if fail(state) {
            return Err(Error::BackendState(state));
        }
        store.wait_for_change(path)?;
    }
}

/// The keys the frontend publishes to connect.
pub struct ConnectKeys {
    /// Grant reference of the transmit ring page.
    pub tx_ring_ref: GrantRef,
    /// Grant reference of the receive ring page.
    pub rx_ring_ref: GrantRef,
    /// The event channel the backend binds to.
    pub event_channel: Port,
}

/// Writes `tx-ring-ref`, `rx-ring-ref`, `event-channel`, `request-rx-copy = 1`,
/// `feature-rx-notify = 1`, `feature-no-csum-offload = 1` and `state = 4` under `node` in one
/// transaction, redoing it when the store answers `EAGAIN`, at most `attempts` times in all.
///
/// `feature-no-csum-offload = 1` makes Linux netback clear checksum offload from the vif
/// (`xenvif_fix_features`), so dom0's stack completes every TCP/UDP checksum before a frame
/// reaches the ring: a frame the guest forwards unchanged stays valid. No `feature-sg` and no
/// `feature-gso-*` are written: every frame then fits one receive slot (netback caps the vif's
/// MTU at 1500 and segments large sends itself).
pub fn publish<S: Store>(
    store: &mut S,
    node: &str,
    keys: &ConnectKeys,
    attempts: u32,
) -> Result<(), Error> {
    let entries = [
        ("tx-ring-ref", format!("{}", keys.tx_ring_ref)),
        ("rx-ring-ref", format!("{}", keys.rx_ring_ref)),
        ("event-channel", format!("{}", keys.event_channel)),
        ("request-rx-copy", String::from("1")),
        ("feature-rx-notify", String::from("1")),
        ("feature-no-csum-offload", String::from("1")),
        ("state", format!("{}", XenbusState::Connected.number())),
    ];
    for _ in 0..attempts {
        let txn = store.transaction_start()?;
        let mut written = Ok(());
        for (key, value) in &entries {
            written = store.write(txn, &format!("{node}/{key}"), value);
            if written.is_err() {
                break;
            }
        }
        if let Err(e) = written {
            // The write error is the one to report; the abort's outcome adds nothing.
            let _ = store.transaction_end(txn, false);
            if e == StoreError::Again {
                continue;
            }
            return Err(e.into());
        }
        match store.transaction_end(txn, true) {
            Ok(()) => return Ok(()),
            Err(StoreError::Again) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::TooManyRetries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_parse_strictly() {
        assert_eq!(
            parse_mac("00:16:3e:0A:ff:01\n"),
            Some([0, 0x16, 0x3e, 0x0a, 0xff, 0x01])
        );
        assert_eq!(parse_mac("00:16:3e:0a:ff"), None);
        assert_eq!(parse_mac("00:16:3e:0a:ff:01:02"), None);
        assert_eq!(parse_mac("00:16:3e:0a:fff:01"), None);
        assert_eq!(parse_mac("00:16:3e:0a::01"), None);
        assert_eq!(parse_mac("g0:16:3e:0a:ff:01"), None);
    }
}
