//! The 8-byte message header (docs/protocol.md section 2), names of networks and message
//! types, and the payload length rules a framer needs (section 7).

use super::block::block_size;
use super::wire::malformed;
use super::{DecodeError, Header, Malformed};

/// Largest payload the node accepts: 65 × 1024.
pub const MAX_MESSAGE_SIZE: usize = 66560;
pub const HEADER_SIZE: usize = 8;

pub const NET_DEV: u16 = 0x5241;
pub const NET_BETA: u16 = 0x5242;
pub const NET_LIVE: u16 = 0x5243;
pub const NET_TEST: u16 = 0x5258;

pub const KEEPALIVE: u8 = 0x02;
pub const PUBLISH: u8 = 0x03;
pub const CONFIRM_REQ: u8 = 0x04;
pub const CONFIRM_ACK: u8 = 0x05;
pub const BULK_PULL: u8 = 0x06;
pub const BULK_PUSH: u8 = 0x07;
pub const FRONTIER_REQ: u8 = 0x08;
pub const BULK_PULL_BLOCKS: u8 = 0x09;
pub const NODE_ID_HANDSHAKE: u8 = 0x0a;
pub const BULK_PULL_ACCOUNT: u8 = 0x0b;
pub const TELEMETRY_REQ: u8 = 0x0c;
pub const TELEMETRY_ACK: u8 = 0x0d;
pub const ASC_PULL_REQ: u8 = 0x0e;
pub const ASC_PULL_ACK: u8 = 0x0f;

/// Name of a message type code; `None` above 0x0f.
pub fn msg_name(msg_type: u8) -> Option<&'static str> {
    Some(match msg_type {
        0x00 => "invalid",
        0x01 => "not_a_type",
        KEEPALIVE => "keepalive",
        PUBLISH => "publish",
        CONFIRM_REQ => "confirm_req",
        CONFIRM_ACK => "confirm_ack",
        BULK_PULL => "bulk_pull",
        BULK_PUSH => "bulk_push",
        FRONTIER_REQ => "frontier_req",
        BULK_PULL_BLOCKS => "bulk_pull_blocks",
        NODE_ID_HANDSHAKE => "node_id_handshake",
        BULK_PULL_ACCOUNT => "bulk_pull_account",
        TELEMETRY_REQ => "telemetry_req",
        TELEMETRY_ACK => "telemetry_ack",
        ASC_PULL_REQ => "asc_pull_req",
        ASC_PULL_ACK => "asc_pull_ack",
        _ => return None,
    })
}

/// Name of a network id (u16 as read big-endian).
pub fn network_name(network: u16) -> Option<&'static str> {
    Some(match network {
        NET_LIVE => "live",
        NET_BETA => "beta",
        NET_TEST => "test",
        NET_DEV => "dev",
        _ => return None,
    })
}

impl Header {
    /// Header bits 8–11: a block type for publish and the confirm messages.
    pub fn block_type(&self) -> u8 {
        ((self.extensions >> 8) & 0x0f) as u8
    }

    /// Confirm v2 flag (bit 0 of a confirm_req / confirm_ack).
    pub fn confirm_v2(&self) -> bool {
        self.extensions & 1 != 0
    }

    /// Count of a confirm_req / confirm_ack header, v1 (bits 12–15) or v2 (bit 0 set:
    /// high nibble in bits 12–15, low nibble in bits 4–7). `None` for other types.
    /// It is given for the legacy block forms too, where the node ignores it.
    pub fn item_count(&self) -> Option<u16> {
        if self.msg_type != CONFIRM_REQ && self.msg_type != CONFIRM_ACK {
            return None;
        }
        let ext = self.extensions;
        let high = (ext >> 12) & 0x0f;
        Some(if self.confirm_v2() {
            (high << 4) | ((ext >> 4) & 0x0f)
        } else {
            high
        })
    }

    pub fn network_name(&self) -> Option<&'static str> {
        network_name(self.network)
    }

    pub fn msg_name(&self) -> Option<&'static str> {
        msg_name(self.msg_type)
    }

    /// The 8 wire bytes of this header.
    pub fn to_bytes(&self) -> [u8; 8] {
        let n = self.network.to_be_bytes();
        let e = self.extensions.to_le_bytes();
        [
            n[0],
            n[1],
            self.version_max,
            self.version_using,
            self.version_min,
            self.msg_type,
            e[0],
            e[1],
        ]
    }
}

/// Reads the 8-byte header; checks nothing but the length.
pub fn parse(buf: &[u8]) -> Result<Header, DecodeError> {
    let Some(b) = buf.get(..HEADER_SIZE) else {
        return Err(DecodeError::Incomplete {
            needed: HEADER_SIZE - buf.len(),
        });
    };
    Ok(Header {
        network: u16::from_be_bytes([b[0], b[1]]),
        version_max: b[2],
        version_using: b[3],
        version_min: b[4],
        msg_type: b[5],
        extensions: u16::from_le_bytes([b[6], b[7]]),
    })
}

fn bad_block_type(h: &Header, allowed: &str) -> Malformed {
    malformed(
        "bad_block_type",
        format!(
            "block type {} in {} is not {allowed}",
            h.block_type(),
            msg_name(h.msg_type).unwrap_or("?")
        ),
    )
}

/// Payload length after this header by the TCP rules of section 7.
pub fn payload_len(h: &Header) -> Result<usize, Malformed> {
    let ext = h.extensions as usize;
    let bt = h.block_type();
    let count = h.item_count().unwrap_or(0) as usize;
    let len = match h.msg_type {
        KEEPALIVE => 144,
        PUBLISH => block_size(bt).ok_or_else(|| bad_block_type(h, "2..6"))?,
        // Block types 2..6 are the legacy block forms; any other value is the by-hash
        // form: V24+/V26+ nodes ignore the block type of confirm messages, and V27
        // nodes do send rebroadcast votes with block type 0.
        CONFIRM_REQ => block_size(bt).unwrap_or(64 * count),
        CONFIRM_ACK => 104 + block_size(bt).unwrap_or(32 * count),
        BULK_PULL => 64 + if ext & 1 != 0 { 8 } else { 0 },
        BULK_PUSH => 0,
        FRONTIER_REQ => 40,
        BULK_PULL_BLOCKS => 69,
        NODE_ID_HANDSHAKE => {
            let query = if ext & 1 != 0 { 32 } else { 0 };
            let response = match (ext & 2 != 0, ext & 4 != 0) {
                (false, _) => 0,
                (true, false) => 96,
                (true, true) => 160,
            };
            query + response
        }
        BULK_PULL_ACCOUNT => 49,
        TELEMETRY_REQ => 0,
        TELEMETRY_ACK => ext & 0x3ff,
        ASC_PULL_REQ | ASC_PULL_ACK => 9 + ext,
        t => {
            return Err(malformed(
                "unknown_type",
                format!(
                    "message type 0x{t:02x} ({}) is not a valid type",
                    msg_name(t).unwrap_or("unknown")
                ),
            ))
        }
    };
    if len > MAX_MESSAGE_SIZE {
        return Err(malformed(
            "too_large",
            format!("payload of {len} bytes is over the {MAX_MESSAGE_SIZE}-byte limit"),
        ));
    }
    Ok(len)
}

/// Section 6.5 step 7: could these 8 bytes be a header of a known network?
pub fn is_plausible(buf: &[u8]) -> bool {
    let Ok(h) = parse(buf) else {
        return false;
    };
    (h.network >> 8) == 0x52
        && network_name(h.network).is_some()
        && (13..=40).contains(&h.version_using)
        && h.version_max >= h.version_using
        && h.version_using >= h.version_min
        && matches!(h.msg_type, 2..=8 | 10..=15)
        && payload_len(&h).is_ok_and(|n| n <= MAX_MESSAGE_SIZE)
}
