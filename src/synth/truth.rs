//! Ground truth: the exact decode a correct nanocap must produce for a generated
//! capture, computed by the generator's own encoder and hashing.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One block carried by a message or stream item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockTruth {
    /// "send", "receive", "open", "change", "state".
    pub block_type: String,
    /// Uppercase hex BLAKE2b block hash.
    pub hash: String,
    /// Signature by the block's account verifies. `None` for legacy send/receive/change
    /// (the account is not in the block, a decoder cannot check it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_valid: Option<bool>,
    /// Work meets the network's entry threshold (legacy: epoch_1; state: min of the
    /// three thresholds). Non-dev networks get cheap, invalid work.
    pub work_valid: bool,
}

/// One Nano message, as `nano_packets` must show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageTruth {
    /// Message number in capture order, from 1.
    pub id: u64,
    /// 1-based record number of the frame that completes the message.
    pub frame: u64,
    pub time_usec: i64,
    /// "udp" or "tcp".
    pub transport: String,
    pub ipv: u8,
    pub src_ip: String,
    pub src_port: u16,
    pub dst_ip: String,
    pub dst_port: u16,
    pub network: u16,
    pub version_max: u8,
    pub version_using: u8,
    pub version_min: u8,
    pub msg_type: u8,
    pub msg_name: String,
    pub extensions: u16,
    /// Header bits 8-11 for publish, confirm_req and confirm_ack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_type: Option<u8>,
    /// Hash / pair count for confirm_req and confirm_ack by hash (header v1/v2, the
    /// V18 body byte, or the datagram length for proto <= 16 votes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_count: Option<u32>,
    /// Payload bytes after the 8-byte header.
    pub size: usize,
    /// `None` when the message decodes cleanly, else the expected `Malformed.code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocks: Vec<BlockTruth>,
    /// Vote hash (uppercase hex) for confirm_ack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vote_hash: Option<String>,
    /// Vote, telemetry or handshake-response signature verifies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_valid: Option<bool>,
    /// The message follows lost bytes or a capture that started mid-stream on its TCP
    /// direction: a decoder has to resynchronise, its frame number may differ.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub after_gap: bool,
}

/// One item of a headerless bootstrap stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamItemTruth {
    pub frame: u64,
    /// Message id of the request that opened the stream.
    pub request_id: u64,
    pub request_type: u8,
    /// 1-based index within the stream (the terminator counts as an item).
    pub index: u64,
    /// "frontier", "block", "account_frontier", "pending_entry", "end".
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block: Option<BlockTruth>,
}

/// Summary of one headerless stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamTruth {
    pub request_id: u64,
    pub request_type: u8,
    /// Items before the terminator.
    pub entries: u64,
    /// False when the server closed early.
    pub terminated: bool,
}

/// Frames that must not become message rows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedTruth {
    /// Non-IP frames (ARP).
    pub non_ip: u64,
    /// UDP datagrams that are not Nano (DNS-like, random bytes).
    pub non_nano_udp: u64,
    /// IPv4 fragments that only become a message with the last one (counted per record
    /// except the completing one).
    pub ip_fragments: u64,
    /// TCP segments without payload (SYN, ACK, FIN, RST).
    pub tcp_control: u64,
}

/// Everything a test needs to compare a decode against.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroundTruth {
    pub seed: u64,
    pub format: String,
    /// Records written (the cut-off last one included).
    pub records: u64,
    /// The last record was cut (truncated file): it holds no message.
    pub truncated_last_record: bool,
    /// Link types (DLT numbers) present.
    pub link_types: Vec<u16>,
    /// Number of messages (equals `messages.len()` when they are kept).
    pub message_count: u64,
    pub malformed_count: u64,
    /// Messages per `msg_name`.
    pub counts: BTreeMap<String, u64>,
    /// Malformed messages per error code.
    pub error_counts: BTreeMap<String, u64>,
    /// Per-message truth; empty for huge benchmark captures (`messages_kept` false).
    pub messages: Vec<MessageTruth>,
    pub messages_kept: bool,
    pub stream_items: Vec<StreamItemTruth>,
    pub streams: Vec<StreamTruth>,
    pub skipped: SkippedTruth,
    /// TCP connections generated.
    pub tcp_connections: u64,
    /// Messages lost in a dropped TCP segment (not in `messages`).
    pub lost_messages: u64,
}

impl GroundTruth {
    pub fn new(seed: u64, format: &str, keep: bool) -> Self {
        GroundTruth {
            seed,
            format: format.to_string(),
            messages_kept: keep,
            ..Default::default()
        }
    }

    /// Records a message; its id is the next number in capture order.
    pub fn push_message(&mut self, mut m: MessageTruth) -> u64 {
        self.message_count += 1;
        m.id = self.message_count;
        *self.counts.entry(m.msg_name.clone()).or_default() += 1;
        if let Some(e) = &m.error {
            self.malformed_count += 1;
            *self.error_counts.entry(e.clone()).or_default() += 1;
        }
        if self.messages_kept {
            self.messages.push(m);
        }
        self.message_count
    }

    pub fn note_link_type(&mut self, dlt: u16) {
        if !self.link_types.contains(&dlt) {
            self.link_types.push(dlt);
            self.link_types.sort_unstable();
        }
    }

    /// Compact JSON with one message / stream item per line (small files, readable diffs).
    pub fn to_json(&self) -> String {
        let mut v = match serde_json::to_value(self) {
            Ok(v) => v,
            Err(_) => return String::new(),
        };
        let mut out = String::from("{\n");
        if let Some(obj) = v.as_object_mut() {
            let n = obj.len();
            for (i, (k, val)) in obj.iter().enumerate() {
                out.push_str(&format!("  {}: ", serde_json::Value::String(k.clone())));
                match val.as_array() {
                    Some(items) if !items.is_empty() && items.iter().all(|x| x.is_object()) => {
                        out.push_str("[\n");
                        for (j, it) in items.iter().enumerate() {
                            out.push_str("    ");
                            out.push_str(&it.to_string());
                            out.push_str(if j + 1 < items.len() { ",\n" } else { "\n" });
                        }
                        out.push_str("  ]");
                    }
                    _ => out.push_str(&val.to_string()),
                }
                out.push_str(if i + 1 < n { ",\n" } else { "\n" });
            }
        }
        out.push('}');
        out
    }

    pub fn from_json(s: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(s)
    }
}
