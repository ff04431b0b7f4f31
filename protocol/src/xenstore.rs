//! The XenStore message format (xen/include/public/io/xs_wire.h): a 16-byte `xsd_sockmsg`
//! header (type, request id, transaction id, payload length, all little-endian `u32`)
//! followed by the payload. The same on xenstored's Unix socket (clickctl) and on a domain's
//! shared ring (the guest).

use alloc::vec::Vec;

/// `XS_DIRECTORY`.
pub const XS_DIRECTORY: u32 = 1;
/// `XS_READ`.
pub const XS_READ: u32 = 2;
/// `XS_WATCH`.
pub const XS_WATCH: u32 = 4;
/// `XS_UNWATCH`.
pub const XS_UNWATCH: u32 = 5;
/// `XS_TRANSACTION_START`.
pub const XS_TRANSACTION_START: u32 = 6;
/// `XS_TRANSACTION_END`.
pub const XS_TRANSACTION_END: u32 = 7;
/// `XS_WRITE`.
pub const XS_WRITE: u32 = 11;
/// `XS_MKDIR`.
pub const XS_MKDIR: u32 = 12;
/// `XS_RM`.
pub const XS_RM: u32 = 13;
/// `XS_WATCH_EVENT`: an unsolicited message carrying `path\0token\0`.
pub const XS_WATCH_EVENT: u32 = 15;
/// `XS_ERROR`: the reply names an errno (`"ENOENT\0"`).
pub const XS_ERROR: u32 = 16;

/// Size of the message header.
pub const HEADER_SIZE: usize = 16;
/// The largest payload xenstored sends or accepts (`XENSTORE_PAYLOAD_MAX`).
pub const PAYLOAD_MAX: usize = 4096;

/// A message header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Header {
    /// `XS_*` message type.
    pub ty: u32,
    /// Request id, echoed in the reply.
    pub req_id: u32,
    /// Transaction id (0: none).
    pub tx_id: u32,
    /// Payload length.
    pub len: u32,
}

impl Header {
    /// The header's 16 bytes.
    pub fn encode(&self) -> [u8; HEADER_SIZE] {
        let mut b = [0u8; HEADER_SIZE];
        b[0..4].copy_from_slice(&self.ty.to_le_bytes());
        b[4..8].copy_from_slice(&self.req_id.to_le_bytes());
        b[8..12].copy_from_slice(&self.tx_id.to_le_bytes());
        b[12..16].copy_from_slice(&self.len.to_le_bytes());
        b
    }

    /// Parses 16 header bytes.
    pub fn decode(b: &[u8; HEADER_SIZE]) -> Header {
        let word = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        Header {
            ty: word(0),
            req_id: word(4),
            tx_id: word(8),
            len: word(12),
        }
    }
}

/// A whole request: header and payload, or `None` when the payload is over
/// [`PAYLOAD_MAX`] (xenstored would refuse it).
pub fn request(ty: u32, req_id: u32, tx_id: u32, payload: &[u8]) -> Option<Vec<u8>> {
    if payload.len() > PAYLOAD_MAX {
        return None;
    }
    let header = Header {
        ty,
        req_id,
        tx_id,
        len: payload.len() as u32,
    };
    let mut msg = Vec::with_capacity(HEADER_SIZE + payload.len());
    msg.extend_from_slice(&header.encode());
    msg.extend_from_slice(payload);
    Some(msg)
}

/// `path\0`, the payload of a read, directory or rm request.
pub fn path_payload(path: &str) -> Vec<u8> {
    let mut p = Vec::with_capacity(path.len() + 1);
    p.extend_from_slice(path.as_bytes());
    p.push(0);
    p
}

/// `path\0value`, the payload of a write request (the value is not terminated).
pub fn write_payload(path: &str, value: &str) -> Vec<u8> {
    let mut p = path_payload(path);
    p.extend_from_slice(value.as_bytes());
    p
}

/// The errno numbers of the names xenstored puts in `XS_ERROR` replies (xs_wire.h's
/// `xsd_errors`, Linux values); unknown names map to `EIO`.
pub fn errno_of(name: &str) -> i32 {
    match name {
        "EINVAL" => 22,
        "EACCES" => 13,
        "EEXIST" => 17,
        "EISDIR" => 21,
        "ENOENT" => 2,
        "ENOMEM" => 12,
        "ENOSPC" => 28,
        "EIO" => 5,
        "ENOTEMPTY" => 39,
        "ENOSYS" => 38,
        "EROFS" => 30,
        "EBUSY" => 16,
        "EAGAIN" => 11,
        "EISCONN" => 106,
        "E2BIG" => 7,
        "EPERM" => 1,
        _ => 5,
    }
}

/// `ENOENT`.
pub const ENOENT: i32 = 2;
/// `EAGAIN`.
pub const EAGAIN: i32 = 11;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip() {
        let h = Header {
            ty: XS_WRITE,
            req_id: 0x0102_0304,
            tx_id: 7,
            len: 4096,
        };
        let b = h.encode();
        assert_eq!(&b[0..4], &[11, 0, 0, 0]);
        assert_eq!(&b[4..8], &[4, 3, 2, 1]);
        assert_eq!(Header::decode(&b), h);
    }

    #[test]
    fn requests_are_framed() {
        let m = request(XS_WRITE, 9, 0, &write_payload("a/b", "v")).unwrap();
        assert_eq!(m.len(), HEADER_SIZE + 5);
        assert_eq!(Header::decode(m[..16].try_into().unwrap()).len, 5);
        assert_eq!(&m[16..], b"a/b\0v");
        assert!(request(XS_WRITE, 1, 0, &[0; PAYLOAD_MAX + 1]).is_none());
    }

    #[test]
    fn errnos() {
        assert_eq!(errno_of("ENOENT"), ENOENT);
        assert_eq!(errno_of("EAGAIN"), EAGAIN);
        assert_eq!(errno_of("bogus"), 5);
    }
}
