//! Entry points of the decoder. STUBS: the protocol work fills these in.

use super::*;

/// Parses the 8-byte header. Checks nothing but length (see `is_plausible_header`).
pub fn parse_header(_buf: &[u8]) -> Result<Header, DecodeError> {
    todo!()
}

/// Payload length a stream framer must read after this header (PROTOCOL.md section 7,
/// TCP rules). Malformed when the length cannot be computed (unknown type, block type
/// out of range, over 66560 bytes, ...).
pub fn payload_len(_h: &Header) -> Result<usize, Malformed> {
    todo!()
}

/// Decodes a payload whose length the caller already framed.
pub fn decode_payload(_h: &Header, _payload: &[u8]) -> Result<Payload, Malformed> {
    todo!()
}

/// Frames and decodes one message from the front of a byte stream (TCP rules).
/// Returns the header, the decoded payload (or why it is malformed) and the bytes consumed.
/// `Incomplete` when the buffer does not yet hold the whole message; `Malformed` when the
/// header itself cannot be framed (the stream is out of sync).
pub fn decode_message(
    _buf: &[u8],
) -> Result<(Header, Result<Payload, Malformed>, usize), DecodeError> {
    todo!()
}

/// Decodes one UDP datagram (one message, UDP length rules including proto <= 16).
/// `None` when the datagram does not start with a plausible Nano header (not a row).
pub fn decode_datagram(_buf: &[u8]) -> Option<(Header, Result<Payload, Malformed>)> {
    todo!()
}

/// Resynchronisation heuristic of PROTOCOL.md 6.5 step 7 on the first 8 bytes.
pub fn is_plausible_header(_buf: &[u8]) -> bool {
    todo!()
}

/// Which headerless stream item is expected next (PROTOCOL.md section 6).
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
pub fn decode_stream_entry(
    _kind: StreamKind,
    _buf: &[u8],
) -> Result<(StreamEntry, usize), DecodeError> {
    todo!()
}
