//! The 8-byte message header (docs/protocol.md section 2), names of networks and message
//! types, and the payload length rules a framer needs (section 7).

use super::block::block_size;
use super::confirm_ack::VOTE_HEADER_SIZE;
use super::wire::malformed;
use super::{asc_pull, bulk_pull, bulk_pull_account, bulk_pull_blocks, frontier_req};
use super::{keepalive, node_id_handshake, telemetry};
use super::{DecodeError, Header, Malformed};

/// Largest payload the node accepts: 65 × 1024.
pub const MAX_MESSAGE_SIZE: usize = 66560;
pub const HEADER_SIZE: usize = 8;
/// First byte of every header: the network id's high byte, 'R' on every network.
pub const MAGIC: u8 = b'R';

pub const NET_DEV: u16 = 0x5241;
pub const NET_BETA: u16 = 0x5242;
pub const NET_LIVE: u16 = 0x5243;
pub const NET_TEST: u16 = 0x5258;

/// The message type byte of the header, as the node's `message_type` enum. A header
/// keeps the raw byte (`Header::msg_type`): a code above 0x0f is still a row, with an
/// `unknown_type` error, so `from_u8` gives `None` for it rather than the byte being lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MessageType {
    Invalid = 0x00,
    NotAType = 0x01,
    Keepalive = 0x02,
    Publish = 0x03,
    ConfirmReq = 0x04,
    ConfirmAck = 0x05,
    BulkPull = 0x06,
    BulkPush = 0x07,
    FrontierReq = 0x08,
    BulkPullBlocks = 0x09,
    NodeIdHandshake = 0x0a,
    BulkPullAccount = 0x0b,
    TelemetryReq = 0x0c,
    TelemetryAck = 0x0d,
    AscPullReq = 0x0e,
    AscPullAck = 0x0f,
}

impl MessageType {
    /// Every type, in code order (`ALL[code]` is the type of `code`).
    pub const ALL: [MessageType; 16] = [
        MessageType::Invalid,
        MessageType::NotAType,
        MessageType::Keepalive,
        MessageType::Publish,
        MessageType::ConfirmReq,
        MessageType::ConfirmAck,
        MessageType::BulkPull,
        MessageType::BulkPush,
        MessageType::FrontierReq,
        MessageType::BulkPullBlocks,
        MessageType::NodeIdHandshake,
        MessageType::BulkPullAccount,
        MessageType::TelemetryReq,
        MessageType::TelemetryAck,
        MessageType::AscPullReq,
        MessageType::AscPullAck,
    ];

    /// The type of a header's type byte; `None` above 0x0f.
    pub fn from_u8(code: u8) -> Option<MessageType> {
        Self::ALL.get(usize::from(code)).copied()
    }

    /// The type byte on the wire.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The node's name of the type (`nano_msg_name`, the `msg_name` column).
    pub fn name(self) -> &'static str {
        match self {
            MessageType::Invalid => "invalid",
            MessageType::NotAType => "not_a_type",
            MessageType::Keepalive => "keepalive",
            MessageType::Publish => "publish",
            MessageType::ConfirmReq => "confirm_req",
            MessageType::ConfirmAck => "confirm_ack",
            MessageType::BulkPull => "bulk_pull",
            MessageType::BulkPush => "bulk_push",
            MessageType::FrontierReq => "frontier_req",
            MessageType::BulkPullBlocks => "bulk_pull_blocks",
            MessageType::NodeIdHandshake => "node_id_handshake",
            MessageType::BulkPullAccount => "bulk_pull_account",
            MessageType::TelemetryReq => "telemetry_req",
            MessageType::TelemetryAck => "telemetry_ack",
            MessageType::AscPullReq => "asc_pull_req",
            MessageType::AscPullAck => "asc_pull_ack",
        }
    }

    /// Payload size of the types whose size does not depend on the header's extensions
    /// (section 7); `None` for the others, whose size `payload_len` works out.
    pub fn fixed_payload_size(self) -> Option<usize> {
        Some(match self {
            MessageType::Keepalive => keepalive::SIZE,
            MessageType::BulkPush | MessageType::TelemetryReq => 0,
            MessageType::FrontierReq => frontier_req::SIZE,
            MessageType::BulkPullBlocks => bulk_pull_blocks::SIZE,
            MessageType::BulkPullAccount => bulk_pull_account::SIZE,
            _ => return None,
        })
    }

    /// A legacy bootstrap request: the client message that opens a bootstrap
    /// connection (docs/protocol.md 6.5 step 2).
    pub fn is_bootstrap_request(self) -> bool {
        matches!(
            self,
            MessageType::BulkPull
                | MessageType::BulkPush
                | MessageType::FrontierReq
                | MessageType::BulkPullAccount
                | MessageType::BulkPullBlocks
        )
    }

    /// Carries a block type in header bits 8–11 (publish, confirm_req, confirm_ack).
    pub fn has_block_type(self) -> bool {
        matches!(
            self,
            MessageType::Publish | MessageType::ConfirmReq | MessageType::ConfirmAck
        )
    }

    /// confirm_req or confirm_ack, whose header may carry an item count.
    pub fn is_confirm(self) -> bool {
        matches!(self, MessageType::ConfirmReq | MessageType::ConfirmAck)
    }
}

/// Name of a message type code; `None` above 0x0f.
pub fn msg_name(msg_type: u8) -> Option<&'static str> {
    MessageType::from_u8(msg_type).map(MessageType::name)
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
    /// The message type, `None` for a code this decoder does not know.
    pub fn message_type(&self) -> Option<MessageType> {
        MessageType::from_u8(self.msg_type)
    }

    /// The network id's high byte is the magic 'R'.
    pub fn has_magic(&self) -> bool {
        self.network.to_be_bytes()[0] == MAGIC
    }

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
        if !self.message_type().is_some_and(MessageType::is_confirm) {
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
    pub fn to_bytes(&self) -> [u8; HEADER_SIZE] {
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
    // `b` holds HEADER_SIZE bytes: every index below is inside it.
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

/// The reason a header's type has no payload rule: a code above 0x0f, invalid or not_a_type.
pub(crate) fn unknown_type(h: &Header) -> Malformed {
    malformed(
        "unknown_type",
        format!(
            "message type 0x{:02x} ({}) is not a valid type",
            h.msg_type,
            msg_name(h.msg_type).unwrap_or("unknown")
        ),
    )
}

/// Payload length after this header by the TCP rules of section 7.
pub fn payload_len(h: &Header) -> Result<usize, Malformed> {
    let bt = h.block_type();
    let count = h.item_count().unwrap_or(0) as usize;
    let Some(t) = h.message_type() else {
        return Err(unknown_type(h));
    };
    let len = if let Some(n) = t.fixed_payload_size() {
        n
    } else {
        match t {
            MessageType::Publish => block_size(bt).ok_or_else(|| bad_block_type(h, "2..6"))?,
            // Block types 2..6 are the legacy block forms; any other value is the by-hash
            // form: V24+/V26+ nodes ignore the block type of confirm messages, and V27
            // nodes do send rebroadcast votes with block type 0.
            MessageType::ConfirmReq => block_size(bt).unwrap_or(64 * count),
            MessageType::ConfirmAck => VOTE_HEADER_SIZE + block_size(bt).unwrap_or(32 * count),
            MessageType::BulkPull => bulk_pull::payload_size(h.extensions),
            MessageType::NodeIdHandshake => node_id_handshake::payload_size(h.extensions),
            MessageType::TelemetryAck => usize::from(h.extensions & telemetry::SIZE_MASK),
            MessageType::AscPullReq | MessageType::AscPullAck => {
                asc_pull::PREFIX_SIZE + usize::from(h.extensions)
            }
            // invalid and not_a_type; the fixed sizes were answered above.
            _ => return Err(unknown_type(h)),
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

/// Could these bytes (fewer than a header, or more) start a header? Checks the fields
/// they hold: magic and a known network, versions in order, a known message type. Used
/// for a message cut off at the end of a connection, so that its loss is reported even
/// when nothing before it was Nano.
pub fn starts_like_header(buf: &[u8]) -> bool {
    let network = match buf {
        [a, b, ..] => u16::from_be_bytes([*a, *b]),
        _ => return false,
    };
    let versions_ok = match buf.get(2..5) {
        Some(&[max, using, min]) => (13..=40).contains(&using) && max >= using && using >= min,
        _ => true,
    };
    let type_ok = buf.get(5).is_none_or(|&t| {
        MessageType::from_u8(t)
            .is_some_and(|t| !matches!(t, MessageType::Invalid | MessageType::NotAType))
    });
    network.to_be_bytes()[0] == MAGIC && network_name(network).is_some() && versions_ok && type_ok
}

/// Section 6.5 step 7: could these 8 bytes be a header of a known network?
pub fn is_plausible(buf: &[u8]) -> bool {
    let Ok(h) = parse(buf) else {
        return false;
    };
    // bulk_pull_blocks was removed in V18, before realtime TCP: nothing sends it on
    // a stream worth resynchronising.
    starts_like_header(buf)
        && h.message_type() != Some(MessageType::BulkPullBlocks)
        && payload_len(&h).is_ok_and(|n| n <= MAX_MESSAGE_SIZE)
}
