//! Owned message types. Fixed-size fields are arrays so that decoding costs a
//! few memcpys and no allocation except for variable-length lists.

use super::list::List;

pub type Hash = [u8; 32];
pub type PublicKey = [u8; 32];
pub type Signature = [u8; 64];

/// The 8-byte message header (docs/protocol.md section 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// u16 big-endian, e.g. 0x5243 for live.
    pub network: u16,
    pub version_max: u8,
    pub version_using: u8,
    pub version_min: u8,
    pub msg_type: u8,
    /// u16 little-endian on the wire.
    pub extensions: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// IPv6 address bytes (IPv4 as ::ffff:a.b.c.d).
    pub addr: [u8; 16],
    pub port: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BlockType {
    Send = 2,
    Receive = 3,
    Open = 4,
    Change = 5,
    State = 6,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendBlock {
    pub previous: Hash,
    pub destination: PublicKey,
    pub balance: u128,
    pub signature: Signature,
    pub work: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiveBlock {
    pub previous: Hash,
    pub source: Hash,
    pub signature: Signature,
    pub work: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenBlock {
    pub source: Hash,
    pub representative: PublicKey,
    pub account: PublicKey,
    pub signature: Signature,
    pub work: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeBlock {
    pub previous: Hash,
    pub representative: PublicKey,
    pub signature: Signature,
    pub work: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateBlock {
    pub account: PublicKey,
    pub previous: Hash,
    pub representative: PublicKey,
    pub balance: u128,
    pub link: Hash,
    pub signature: Signature,
    pub work: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Send(SendBlock),
    Receive(ReceiveBlock),
    Open(OpenBlock),
    Change(ChangeBlock),
    State(StateBlock),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keepalive {
    pub peers: [Endpoint; 8],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publish {
    pub block: Block,
    /// Extension bit 2 (V27+).
    pub originator: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // a block is inline on purpose: no allocation
pub enum ConfirmReq {
    /// `(block hash, root)` pairs; count from the header (v1 or v2) or, for
    /// V18 UDP, from the body's count byte.
    ByHash {
        pairs: List<(Hash, Hash)>,
        v18_body_count: bool,
    },
    /// Legacy block form (header block type 2..6, ≤V25).
    Block(Block),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vote {
    pub account: PublicKey,
    pub signature: Signature,
    /// The 8-byte field as a u64 (little-endian on the wire), kept raw.
    pub timestamp_raw: u64,
    /// Vote by hash. Empty for a legacy vote-by-block.
    pub hashes: List<Hash>,
    /// Legacy vote-by-block (header block type 2..6, ≤V23). Boxed: it is rare, and
    /// inline it made every message event 120 bytes larger.
    pub block: Option<Box<Block>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmAck {
    pub vote: Vote,
    /// Extension bit 2 (V27+).
    pub rebroadcasted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkPull {
    pub start: Hash,
    pub end: Hash,
    /// Extended count (ext bit 0); `None` when the 8 extended bytes are absent.
    pub count: Option<u32>,
    /// Ext bit 1 (V24+).
    pub ascending: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontierReq {
    pub start: PublicKey,
    pub age: u32,
    pub count: u32,
    /// Ext bit 1 (V21.3+).
    pub only_confirmed: bool,
}

/// Deleted type 0x09 (≤V17), decoded for old captures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkPullBlocks {
    pub min_hash: Hash,
    pub max_hash: Hash,
    pub mode: u8,
    pub max_count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeResponse {
    pub node_id: PublicKey,
    /// `Some((salt, genesis))` for the v2 layout.
    pub v2: Option<(Hash, Hash)>,
    pub signature: Signature,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeIdHandshake {
    /// The cookie of the query part (ext bit 0).
    pub query: Option<Hash>,
    /// The response part (ext bit 1).
    pub response: Option<HandshakeResponse>,
    /// Ext bit 2.
    pub v2: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkPullAccount {
    pub account: PublicKey,
    pub minimum_amount: u128,
    pub flags: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelemetryData {
    pub signature: Signature,
    pub node_id: PublicKey,
    pub block_count: u64,
    pub cemented_count: u64,
    pub unchecked_count: u64,
    pub account_count: u64,
    pub bandwidth_cap: u64,
    pub peer_count: u32,
    pub protocol_version: u8,
    pub uptime: u64,
    pub genesis_block: Hash,
    pub major_version: u8,
    pub minor_version: u8,
    pub patch_version: u8,
    pub pre_release_version: u8,
    pub maker: u8,
    pub timestamp: u64,
    pub active_difficulty: u64,
    /// Bytes after the 202 known ones, kept and covered by the signature.
    pub unknown_data: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelemetryAck {
    /// `None` for the empty ack (ext & 0x3ff == 0).
    pub data: Option<TelemetryData>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AscPullReqBody {
    Blocks {
        start: Hash,
        count: u8,
        start_type: u8,
    },
    AccountInfo {
        target: Hash,
        target_type: u8,
    },
    Frontiers {
        start: PublicKey,
        count: u16,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AscPullReq {
    pub id: u64,
    pub body: AscPullReqBody,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    pub account: PublicKey,
    pub open: Hash,
    pub head: Hash,
    pub block_count: u64,
    pub conf_frontier: Hash,
    pub conf_height: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AscPullAckBody {
    Blocks(List<Block>),
    AccountInfo(AccountInfo),
    /// `(account, hash)` entries, terminator not included.
    Frontiers(List<(PublicKey, Hash)>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AscPullAck {
    pub id: u64,
    pub body: AscPullAckBody,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    Keepalive(Keepalive),
    Publish(Publish),
    ConfirmReq(ConfirmReq),
    ConfirmAck(ConfirmAck),
    BulkPull(BulkPull),
    BulkPush,
    FrontierReq(FrontierReq),
    BulkPullBlocks(BulkPullBlocks),
    NodeIdHandshake(NodeIdHandshake),
    BulkPullAccount(BulkPullAccount),
    TelemetryReq,
    TelemetryAck(TelemetryAck),
    AscPullReq(AscPullReq),
    AscPullAck(AscPullAck),
}

/// One item of a headerless bootstrap stream (docs/protocol.md section 6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEntry {
    /// 6.1: `account ‖ frontier_hash`.
    Frontier { account: PublicKey, hash: Hash },
    /// 6.2 / 6.4: `[type][block]`.
    Block(Block),
    /// 6.3 first item: the account's head and balance.
    AccountFrontier { frontier_hash: Hash, balance: u128 },
    /// 6.3 pending entry; fields absent for the request's flags are `None`.
    PendingEntry {
        hash: Option<Hash>,
        amount: Option<u128>,
        source: Option<PublicKey>,
    },
    /// The stream's terminator (zero entry or not_a_block byte).
    End,
}
