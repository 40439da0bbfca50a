//! Entry points of the decoder: header, framing (TCP stream and UDP datagram),
//! payload dispatch by message type, and headerless stream items.

use super::header::{self, HEADER_SIZE};
use super::wire::{exact_len, malformed};
use super::*;

/// Parses the 8-byte header. Checks nothing but length (see `is_plausible_header`).
pub fn parse_header(buf: &[u8]) -> Result<Header, DecodeError> {
    header::parse(buf)
}

/// Payload length a stream framer must read after this header (docs/protocol.md section 7,
/// TCP rules). Malformed when the length cannot be computed (unknown type, block type
/// out of range, over 66560 bytes, ...).
pub fn payload_len(h: &Header) -> Result<usize, Malformed> {
    header::payload_len(h)
}

/// Decodes a payload whose length the caller already framed (TCP rules). A payload
/// whose size differs from what the header and type require is `bad_length`.
pub fn decode_payload(h: &Header, payload: &[u8]) -> Result<Payload, Malformed> {
    decode_body(h, payload, false)
}

/// `udp_legacy`: the proto ≤ 16 datagram rules for confirm_req / confirm_ack by hash.
fn decode_body(h: &Header, payload: &[u8], udp_legacy: bool) -> Result<Payload, Malformed> {
    use header::MessageType as T;
    let Some(t) = h.message_type() else {
        return Err(header::unknown_type(h));
    };
    Ok(match t {
        T::Keepalive => Payload::Keepalive(keepalive::decode(payload)?),
        T::Publish => Payload::Publish(publish::decode(h, payload)?),
        T::ConfirmReq => Payload::ConfirmReq(confirm_req::decode(h, payload, udp_legacy)?),
        T::ConfirmAck => Payload::ConfirmAck(confirm_ack::decode(h, payload, udp_legacy)?),
        T::BulkPull => Payload::BulkPull(bulk_pull::decode(h, payload)?),
        T::BulkPush => {
            exact_len(t.name(), payload, 0)?;
            Payload::BulkPush
        }
        T::FrontierReq => Payload::FrontierReq(frontier_req::decode(h, payload)?),
        T::BulkPullBlocks => Payload::BulkPullBlocks(bulk_pull_blocks::decode(payload)?),
        T::NodeIdHandshake => Payload::NodeIdHandshake(node_id_handshake::decode(h, payload)?),
        T::BulkPullAccount => Payload::BulkPullAccount(bulk_pull_account::decode(payload)?),
        T::TelemetryReq => {
            exact_len(t.name(), payload, 0)?;
            Payload::TelemetryReq
        }
        T::TelemetryAck => Payload::TelemetryAck(telemetry::decode_ack(h, payload)?),
        T::AscPullReq => Payload::AscPullReq(asc_pull::decode_req(h, payload)?),
        T::AscPullAck => Payload::AscPullAck(asc_pull::decode_ack(h, payload)?),
        T::Invalid | T::NotAType => return Err(header::unknown_type(h)),
    })
}

/// Frames and decodes one message from the front of a byte stream (TCP rules).
/// Returns the header, the decoded payload (or why it is malformed) and the bytes consumed.
/// `Incomplete` when the buffer does not yet hold the whole message; `Malformed` when the
/// header itself cannot be framed (the stream is out of sync).
///
/// The network id and versions are not checked here (custom test networks may use any
/// id); callers looking for a sync point use `is_plausible_header`.
pub fn decode_message(
    buf: &[u8],
) -> Result<(Header, Result<Payload, Malformed>, usize), DecodeError> {
    let h = header::parse(buf)?;
    let len = header::payload_len(&h).map_err(DecodeError::Malformed)?;
    let total = HEADER_SIZE + len;
    let Some(payload) = buf.get(HEADER_SIZE..total) else {
        return Err(DecodeError::Incomplete {
            needed: total - buf.len(),
        });
    };
    Ok((h, decode_payload(&h, payload), total))
}

/// Can this header start a UDP datagram row? Looser than `is_plausible_header`, since
/// old nodes sent versions outside today's range: 'R', a known network byte and
/// 1 ≤ version_using ≤ 100 (0 or more than 100 is taken as not Nano).
/// The max ≥ using ≥ min order is not required.
pub fn is_plausible_datagram_header(h: &Header) -> bool {
    h.has_magic()
        && header::network_name(h.network).is_some()
        && (1..=100).contains(&h.version_using)
    // Any type byte: a datagram with a Nano header and a type this decoder does not
    // know (a future release's message, or garbage) is a row with `unknown_type`,
    // not something to hide.
}

/// Decodes one UDP datagram (one message, UDP length rules including proto <= 16).
/// `None` when the datagram does not start with a plausible Nano header (not a row).
/// Bytes beyond the framed length are `trailing_bytes`, too few are `truncated`.
pub fn decode_datagram(buf: &[u8]) -> Option<(Header, Result<Payload, Malformed>)> {
    let h = datagram_header(buf)?;
    Some((h, decode_datagram_payload(&h, buf)))
}

/// The header of a UDP datagram that is a Nano message (`decode_datagram` in two
/// steps, so a scan can look at the header before paying for the payload).
pub fn datagram_header(buf: &[u8]) -> Option<Header> {
    header::parse(buf).ok().filter(is_plausible_datagram_header)
}

/// The payload of datagram `buf` whose header `datagram_header` returned.
pub fn decode_datagram_payload(h: &Header, buf: &[u8]) -> Result<Payload, Malformed> {
    let h = *h;
    let body = buf.get(HEADER_SIZE..).unwrap_or_default();
    let by_hash = block::block_size(h.block_type()).is_none()
        && h.message_type().is_some_and(MessageType::is_confirm);
    if h.version_using <= 16 && by_hash {
        // Proto ≤ 16: the vote's hashes run to the end of the datagram and the V18
        // confirm_req has its own count byte; the decoders check the ends themselves.
        return decode_body(&h, body, true);
    }
    match header::payload_len(&h) {
        Err(m) => Err(m),
        Ok(len) if body.len() < len => Err(malformed(
            "truncated",
            format!(
                "datagram holds {} payload bytes, the header needs {len}",
                body.len()
            ),
        )),
        Ok(len) if body.len() > len => Err(malformed(
            "trailing_bytes",
            format!("{} bytes after the {len}-byte payload", body.len() - len),
        )),
        Ok(_) => decode_body(&h, body, false),
    }
}

/// Resynchronisation heuristic of docs/protocol.md section 6.5 step 7 on the first 8 bytes:
/// 'R', a known network byte, version_using 13..=40, max ≥ using ≥ min, type in
/// {2..8, 10..15}, payload length computable and ≤ 66560.
pub fn is_plausible_header(buf: &[u8]) -> bool {
    header::is_plausible(buf)
}

/// Which headerless stream item is expected next (docs/protocol.md section 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    /// 6.1, 64-byte entries; End when the account is zero.
    Frontiers,
    /// 6.2 / 6.4, `[type][block]`; End on 0x01.
    Blocks,
    /// 6.3 first 48 bytes.
    AccountFrontier,
    /// 6.3 pending entries for the request's flags (0, 1, 2); End on an all-zero entry.
    Pending { flags: u8 },
}

/// Decodes one stream item from the front of `buf`: the item and the bytes consumed.
/// `Incomplete { needed }` is exact: the item's size is known from its first byte
/// (blocks) or from the kind.
pub fn decode_stream_entry(
    kind: StreamKind,
    buf: &[u8],
) -> Result<(StreamEntry, usize), DecodeError> {
    stream::decode_entry(kind, buf)
}
