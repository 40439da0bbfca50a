//! Message -> bytes, written from docs/protocol.md sections 2-6 (an encoder independent
//! of `crate::protocol`'s decoder so the two can be tested against each other).

use crate::protocol::types::*;

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

/// The name the SQL surface uses for a message type code.
pub fn msg_name(t: u8) -> &'static str {
    match t {
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
        _ => "unknown",
    }
}

pub fn block_type(block: &Block) -> BlockType {
    match block {
        Block::Send(_) => BlockType::Send,
        Block::Receive(_) => BlockType::Receive,
        Block::Open(_) => BlockType::Open,
        Block::Change(_) => BlockType::Change,
        Block::State(_) => BlockType::State,
    }
}

/// Serialized size without the type byte (docs/protocol.md section 4.1).
pub fn block_size(t: BlockType) -> usize {
    match t {
        BlockType::Send => 152,
        BlockType::Receive => 136,
        BlockType::Open => 168,
        BlockType::Change => 136,
        BlockType::State => 216,
    }
}

pub fn header_bytes(h: &Header, out: &mut Vec<u8>) {
    out.extend_from_slice(&h.network.to_be_bytes());
    out.push(h.version_max);
    out.push(h.version_using);
    out.push(h.version_min);
    out.push(h.msg_type);
    out.extend_from_slice(&h.extensions.to_le_bytes());
}

/// Legacy work is little-endian, state work big-endian (docs/protocol.md section 3).
pub fn block_bytes(block: &Block, out: &mut Vec<u8>) {
    match block {
        Block::Send(b) => {
            out.extend_from_slice(&b.previous);
            out.extend_from_slice(&b.destination);
            out.extend_from_slice(&b.balance.to_be_bytes());
            out.extend_from_slice(&b.signature);
            out.extend_from_slice(&b.work.to_le_bytes());
        }
        Block::Receive(b) => {
            out.extend_from_slice(&b.previous);
            out.extend_from_slice(&b.source);
            out.extend_from_slice(&b.signature);
            out.extend_from_slice(&b.work.to_le_bytes());
        }
        Block::Open(b) => {
            out.extend_from_slice(&b.source);
            out.extend_from_slice(&b.representative);
            out.extend_from_slice(&b.account);
            out.extend_from_slice(&b.signature);
            out.extend_from_slice(&b.work.to_le_bytes());
        }
        Block::Change(b) => {
            out.extend_from_slice(&b.previous);
            out.extend_from_slice(&b.representative);
            out.extend_from_slice(&b.signature);
            out.extend_from_slice(&b.work.to_le_bytes());
        }
        Block::State(b) => {
            out.extend_from_slice(&b.account);
            out.extend_from_slice(&b.previous);
            out.extend_from_slice(&b.representative);
            out.extend_from_slice(&b.balance.to_be_bytes());
            out.extend_from_slice(&b.link);
            out.extend_from_slice(&b.signature);
            out.extend_from_slice(&b.work.to_be_bytes());
        }
    }
}

/// `[type][block]`, the stream form (docs/protocol.md section 6.2, 6.4, 5.13).
pub fn typed_block_bytes(block: &Block, out: &mut Vec<u8>) {
    out.push(block_type(block) as u8);
    block_bytes(block, out);
}

/// Count bits of confirm_req/confirm_ack (docs/protocol.md section 2.2): v1 in bits 12-15 for
/// 1..15, v2 (bit 0, split nibbles) when `v2` is asked or the count needs it.
pub fn count_bits(count: usize, v2: bool) -> u16 {
    let c = count.min(255) as u16;
    if v2 || c > 15 {
        0x0001 | ((c >> 4) << 12) | ((c & 0xf) << 4)
    } else {
        c << 12
    }
}

pub fn endpoint_bytes(e: &Endpoint, out: &mut Vec<u8>) {
    out.extend_from_slice(&e.addr);
    out.extend_from_slice(&e.port.to_le_bytes());
}

pub fn vote_common_bytes(v: &Vote, out: &mut Vec<u8>) {
    out.extend_from_slice(&v.account);
    out.extend_from_slice(&v.signature);
    out.extend_from_slice(&v.timestamp_raw.to_le_bytes());
}

/// Telemetry payload from offset 64 on: the part the node id key signs.
pub fn telemetry_signed_part(t: &TelemetryData) -> Vec<u8> {
    let mut o = Vec::with_capacity(138 + t.unknown_data.len());
    o.extend_from_slice(&t.node_id);
    o.extend_from_slice(&t.block_count.to_be_bytes());
    o.extend_from_slice(&t.cemented_count.to_be_bytes());
    o.extend_from_slice(&t.unchecked_count.to_be_bytes());
    o.extend_from_slice(&t.account_count.to_be_bytes());
    o.extend_from_slice(&t.bandwidth_cap.to_be_bytes());
    o.extend_from_slice(&t.peer_count.to_be_bytes());
    o.push(t.protocol_version);
    o.extend_from_slice(&t.uptime.to_be_bytes());
    o.extend_from_slice(&t.genesis_block);
    o.push(t.major_version);
    o.push(t.minor_version);
    o.push(t.patch_version);
    o.push(t.pre_release_version);
    o.push(t.maker);
    o.extend_from_slice(&t.timestamp.to_be_bytes());
    o.extend_from_slice(&t.active_difficulty.to_be_bytes());
    o.extend_from_slice(&t.unknown_data);
    o
}

/// Payload bytes of a message. The header's extensions must agree with the payload
/// (see [`extensions_for`]); legacy UDP forms are produced by `v18_body_count` and
/// by a vote with count 0 in the header.
pub fn payload_bytes(p: &Payload, out: &mut Vec<u8>) {
    match p {
        Payload::Keepalive(k) => k.peers.iter().for_each(|e| endpoint_bytes(e, out)),
        Payload::Publish(p) => block_bytes(&p.block, out),
        Payload::ConfirmReq(ConfirmReq::ByHash {
            pairs,
            v18_body_count,
        }) => {
            if *v18_body_count {
                out.push(pairs.len().min(255) as u8);
            }
            for (h, r) in pairs {
                out.extend_from_slice(h);
                out.extend_from_slice(r);
            }
        }
        Payload::ConfirmReq(ConfirmReq::Block(b)) => block_bytes(b, out),
        Payload::ConfirmAck(a) => {
            vote_common_bytes(&a.vote, out);
            match &a.vote.block {
                Some(b) => block_bytes(b, out),
                None => a.vote.hashes.iter().for_each(|h| out.extend_from_slice(h)),
            }
        }
        Payload::BulkPull(b) => {
            out.extend_from_slice(&b.start);
            out.extend_from_slice(&b.end);
            if let Some(c) = b.count {
                out.push(0);
                out.extend_from_slice(&c.to_le_bytes());
                out.extend_from_slice(&[0, 0, 0]);
            }
        }
        Payload::BulkPush | Payload::TelemetryReq => {}
        Payload::FrontierReq(f) => {
            out.extend_from_slice(&f.start);
            out.extend_from_slice(&f.age.to_le_bytes());
            out.extend_from_slice(&f.count.to_le_bytes());
        }
        Payload::BulkPullBlocks(b) => {
            out.extend_from_slice(&b.min_hash);
            out.extend_from_slice(&b.max_hash);
            out.push(b.mode);
            out.extend_from_slice(&b.max_count.to_le_bytes());
        }
        Payload::NodeIdHandshake(h) => {
            if let Some(c) = &h.query {
                out.extend_from_slice(c);
            }
            if let Some(r) = &h.response {
                out.extend_from_slice(&r.node_id);
                if let Some((salt, genesis)) = &r.v2 {
                    out.extend_from_slice(salt);
                    out.extend_from_slice(genesis);
                }
                out.extend_from_slice(&r.signature);
            }
        }
        Payload::BulkPullAccount(b) => {
            out.extend_from_slice(&b.account);
            out.extend_from_slice(&b.minimum_amount.to_be_bytes());
            out.push(b.flags);
        }
        Payload::TelemetryAck(t) => {
            if let Some(d) = &t.data {
                out.extend_from_slice(&d.signature);
                out.extend_from_slice(&telemetry_signed_part(d));
            }
        }
        Payload::AscPullReq(r) => {
            let (ty, body) = asc_pull_req_body(&r.body);
            out.push(ty);
            out.extend_from_slice(&r.id.to_be_bytes());
            out.extend_from_slice(&body);
        }
        Payload::AscPullAck(a) => {
            let (ty, body) = asc_pull_ack_body(&a.body);
            out.push(ty);
            out.extend_from_slice(&a.id.to_be_bytes());
            out.extend_from_slice(&body);
        }
    }
}

pub fn asc_pull_req_body(b: &AscPullReqBody) -> (u8, Vec<u8>) {
    let mut o = Vec::new();
    match b {
        AscPullReqBody::Blocks {
            start,
            count,
            start_type,
        } => {
            o.extend_from_slice(start);
            o.push(*count);
            o.push(*start_type);
            (1, o)
        }
        AscPullReqBody::AccountInfo {
            target,
            target_type,
        } => {
            o.extend_from_slice(target);
            o.push(*target_type);
            (2, o)
        }
        AscPullReqBody::Frontiers { start, count } => {
            o.extend_from_slice(start);
            o.extend_from_slice(&count.to_be_bytes());
            (3, o)
        }
    }
}

pub fn asc_pull_ack_body(b: &AscPullAckBody) -> (u8, Vec<u8>) {
    let mut o = Vec::new();
    match b {
        AscPullAckBody::Blocks(blocks) => {
            blocks.iter().for_each(|b| typed_block_bytes(b, &mut o));
            o.push(0x01);
            (1, o)
        }
        AscPullAckBody::AccountInfo(a) => {
            o.extend_from_slice(&a.account);
            o.extend_from_slice(&a.open);
            o.extend_from_slice(&a.head);
            o.extend_from_slice(&a.block_count.to_be_bytes());
            o.extend_from_slice(&a.conf_frontier);
            o.extend_from_slice(&a.conf_height.to_be_bytes());
            (2, o)
        }
        AscPullAckBody::Frontiers(entries) => {
            for (a, h) in entries {
                o.extend_from_slice(a);
                o.extend_from_slice(h);
            }
            o.extend_from_slice(&[0u8; 64]);
            (3, o)
        }
    }
}

/// The extensions field a node would send for this payload. `flag2` is the bit-2
/// flag (originator / rebroadcasted / handshake v2 query); `v2_count` forces the v2
/// count encoding.
pub fn extensions_for(p: &Payload, flag2: bool, v2_count: bool) -> u16 {
    let f2 = if flag2 { 0x0004 } else { 0 };
    match p {
        Payload::Publish(x) => ((block_type(&x.block) as u16) << 8) | f2,
        Payload::ConfirmReq(ConfirmReq::ByHash {
            pairs,
            v18_body_count,
        }) => {
            if *v18_body_count {
                0x0100
            } else {
                0x0100 | count_bits(pairs.len(), v2_count)
            }
        }
        Payload::ConfirmReq(ConfirmReq::Block(b)) => (block_type(b) as u16) << 8,
        Payload::ConfirmAck(a) => {
            let base = match &a.vote.block {
                Some(b) => (block_type(b) as u16) << 8,
                None => 0x0100 | count_bits(a.vote.hashes.len(), v2_count),
            };
            base | if a.rebroadcasted { 0x0004 } else { 0 }
        }
        Payload::BulkPull(b) => {
            (if b.count.is_some() { 1 } else { 0 }) | (if b.ascending { 2 } else { 0 })
        }
        Payload::FrontierReq(f) => u16::from(f.only_confirmed) << 1,
        Payload::NodeIdHandshake(h) => {
            (if h.query.is_some() { 1 } else { 0 })
                | (if h.response.is_some() { 2 } else { 0 })
                | (if h.v2 { 4 } else { 0 })
        }
        Payload::TelemetryAck(t) => match &t.data {
            Some(d) => ((202 + d.unknown_data.len()) & 0x3ff) as u16,
            None => 0,
        },
        Payload::AscPullReq(r) => asc_pull_req_body(&r.body).1.len() as u16,
        Payload::AscPullAck(a) => asc_pull_ack_body(&a.body).1.len() as u16,
        _ => 0,
    }
}

pub fn msg_type_of(p: &Payload) -> u8 {
    match p {
        Payload::Keepalive(_) => KEEPALIVE,
        Payload::Publish(_) => PUBLISH,
        Payload::ConfirmReq(_) => CONFIRM_REQ,
        Payload::ConfirmAck(_) => CONFIRM_ACK,
        Payload::BulkPull(_) => BULK_PULL,
        Payload::BulkPush => BULK_PUSH,
        Payload::FrontierReq(_) => FRONTIER_REQ,
        Payload::BulkPullBlocks(_) => BULK_PULL_BLOCKS,
        Payload::NodeIdHandshake(_) => NODE_ID_HANDSHAKE,
        Payload::BulkPullAccount(_) => BULK_PULL_ACCOUNT,
        Payload::TelemetryReq => TELEMETRY_REQ,
        Payload::TelemetryAck(_) => TELEMETRY_ACK,
        Payload::AscPullReq(_) => ASC_PULL_REQ,
        Payload::AscPullAck(_) => ASC_PULL_ACK,
    }
}
