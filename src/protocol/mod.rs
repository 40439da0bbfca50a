//! The Nano wire protocol: pure functions from bytes to typed messages.
//! Nothing here knows about capture files, TCP or SQLite. Layouts follow
//! docs/protocol.md (which follows the node's source).
//!
//! CONTRACT: the public names re-exported here are used by `capture`, `present` and `sql`.
//! Add freely; rename or remove only together with their users.

pub mod account;
pub mod asc_pull;
pub mod block;
pub mod bulk_pull;
pub mod bulk_pull_account;
pub mod bulk_pull_blocks;
pub mod confirm_ack;
pub mod confirm_req;
pub mod crypto;
pub mod decode;
pub mod endian;
pub mod frontier_req;
pub mod header;
pub mod hex;
pub mod keepalive;
pub mod list;
pub mod node_id_handshake;
pub mod publish;
pub mod stream;
pub mod telemetry;
pub mod types;
mod wire;

#[cfg(test)]
pub(crate) mod test_rng;

#[cfg(test)]
mod tests;

pub use account::{
    decode_account, encode_account, encode_node_id, encoded_body, push_key_text, ACCOUNT_PREFIX,
    NODE_ID_PREFIX,
};
pub use block::{block_size, block_type_name, WorkThresholds};
pub use confirm_ack::VoteTiming;
pub use decode::*;
pub use header::{msg_name, network_name, MessageType, HEADER_SIZE, MAGIC, MAX_MESSAGE_SIZE};
pub use hex::{hex_lower_u64, hex_upper, hex_upper_into, push_hex_upper};
pub use list::List;
pub use types::*;
/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The input ends early; `needed` more bytes would let decoding go on
    /// (a lower bound when the final size is not yet known).
    Incomplete { needed: usize },
    /// The bytes can never decode as asked; the text says precisely why.
    Malformed(Malformed),
}

/// A precise reason why a message or stream entry is malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// Short stable code, e.g. "bad_network", "unknown_type", "bad_block_type",
    /// "trailing_bytes", "too_large", "bad_extended", "bad_asc_pull_type".
    pub code: &'static str,
    /// Human-readable detail, e.g. "block type 7 is not 2..6 in publish".
    pub detail: String,
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Incomplete { needed } => {
                write!(f, "incomplete: {needed} more bytes needed")
            }
            DecodeError::Malformed(m) => m.fmt(f),
        }
    }
}

impl std::error::Error for DecodeError {}
