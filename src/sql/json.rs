//! The `details` column: a message's whole decoded payload as JSON, for reading
//! at a glance. Typed tables carry the same fields as columns. Signature checks are
//! left to the typed tables' `signature_valid` columns: at tens of microseconds
//! each, they would make `SELECT *` over `nano_packets` a hundred times slower.

use crate::protocol::*;
use serde_json::{json, Map, Value};

fn h(b: &[u8]) -> Value {
    Value::String(hex_upper(b))
}

fn acct(k: &[u8; 32]) -> Value {
    Value::String(encode_account(k))
}

pub fn block_json(b: &Block, network: u16) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!(block_type_name(b.block_type() as u8)));
    m.insert("hash".into(), h(&b.hash()));
    match b {
        Block::Send(s) => {
            m.insert("previous".into(), h(&s.previous));
            m.insert("destination".into(), acct(&s.destination));
            m.insert("balance".into(), json!(s.balance.to_string()));
        }
        Block::Receive(r) => {
            m.insert("previous".into(), h(&r.previous));
            m.insert("source".into(), h(&r.source));
        }
        Block::Open(o) => {
            m.insert("source".into(), h(&o.source));
            m.insert("representative".into(), acct(&o.representative));
            m.insert("account".into(), acct(&o.account));
        }
        Block::Change(c) => {
            m.insert("previous".into(), h(&c.previous));
            m.insert("representative".into(), acct(&c.representative));
        }
        Block::State(s) => {
            m.insert("account".into(), acct(&s.account));
            m.insert("previous".into(), h(&s.previous));
            m.insert("representative".into(), acct(&s.representative));
            m.insert("balance".into(), json!(s.balance.to_string()));
            m.insert("link".into(), h(&s.link));
            m.insert("link_as_account".into(), acct(&s.link));
        }
    }
    m.insert("signature".into(), h(b.signature()));
    m.insert("work".into(), json!(format!("{:016x}", b.work())));
    m.insert("work_valid".into(), json!(b.work_valid(network)));
    Value::Object(m)
}

fn endpoint(e: &Endpoint) -> Value {
    json!({ "address": std::net::Ipv6Addr::from(e.addr).to_string(), "port": e.port })
}

pub fn vote_timing_json(v: &Vote, version_using: u8) -> Value {
    match v.timing(version_using) {
        VoteTiming::Final => json!({ "final": true }),
        VoteTiming::Timestamp { ms, duration_ms } => {
            json!({ "final": false, "timestamp_ms": ms, "duration_ms": duration_ms })
        }
        VoteTiming::Sequence(s) => json!({ "final": false, "sequence": s }),
    }
}

pub fn payload_json(hdr: &Header, p: &Payload) -> Value {
    let net = hdr.network;
    match p {
        Payload::Keepalive(k) => {
            json!({ "peers": k.peers.iter().map(endpoint).collect::<Vec<_>>() })
        }
        Payload::Publish(p) => {
            json!({ "originator": p.originator, "block": block_json(&p.block, net) })
        }
        Payload::ConfirmReq(ConfirmReq::ByHash { pairs, .. }) => json!({
            "pairs": pairs.iter().map(|(hash, root)| json!({ "hash": h(hash), "root": h(root) })).collect::<Vec<_>>()
        }),
        Payload::ConfirmReq(ConfirmReq::Block(b)) => json!({ "block": block_json(b, net) }),
        Payload::ConfirmAck(a) => {
            let v = &a.vote;
            let mut m = json!({
                "account": acct(&v.account),
                "signature": h(&v.signature),
                "timestamp_raw": v.timestamp_raw.to_string(),
                "timing": vote_timing_json(v, hdr.version_using),
                "rebroadcasted": a.rebroadcasted,
                "vote_hash": h(&v.hash()),
                "hashes": v.hashes.iter().map(|x| h(x)).collect::<Vec<_>>(),
            });
            if let Some(b) = &v.block {
                m["block"] = block_json(b, net);
            }
            m
        }
        Payload::BulkPull(b) => json!({
            "start": h(&b.start), "end": h(&b.end), "count": b.count, "ascending": b.ascending
        }),
        Payload::BulkPush => json!({}),
        Payload::FrontierReq(f) => json!({
            "start": acct(&f.start), "age": f.age, "count": f.count, "only_confirmed": f.only_confirmed
        }),
        Payload::BulkPullBlocks(b) => json!({
            "min_hash": h(&b.min_hash), "max_hash": h(&b.max_hash), "mode": b.mode, "max_count": b.max_count
        }),
        Payload::NodeIdHandshake(hs) => {
            let mut m = json!({ "v2": hs.v2, "cookie": hs.query.as_ref().map(|c| h(c)) });
            if let Some(r) = &hs.response {
                m["response"] = json!({
                    "node_id": Value::String(encode_node_id(&r.node_id)),
                    "salt": r.v2.as_ref().map(|(s, _)| h(s)),
                    "genesis": r.v2.as_ref().map(|(_, g)| h(g)),
                    "signature": h(&r.signature),
                });
            }
            m
        }
        Payload::BulkPullAccount(b) => json!({
            "account": acct(&b.account), "minimum_amount": b.minimum_amount.to_string(), "flags": b.flags
        }),
        Payload::TelemetryReq => json!({}),
        Payload::TelemetryAck(t) => match &t.data {
            None => json!({ "empty": true }),
            Some(d) => json!({
                "empty": false,
                "node_id": Value::String(encode_node_id(&d.node_id)),
                "signature": h(&d.signature),
                "block_count": d.block_count,
                "cemented_count": d.cemented_count,
                "unchecked_count": d.unchecked_count,
                "account_count": d.account_count,
                "bandwidth_cap": d.bandwidth_cap,
                "peer_count": d.peer_count,
                "protocol_version": d.protocol_version,
                "uptime": d.uptime,
                "genesis_block": h(&d.genesis_block),
                "version": format!("{}.{}.{}.{}", d.major_version, d.minor_version, d.patch_version, d.pre_release_version),
                "maker": d.maker,
                "timestamp": d.timestamp,
                "active_difficulty": format!("{:016x}", d.active_difficulty),
                "unknown_data": h(&d.unknown_data),
            }),
        },
        Payload::AscPullReq(r) => {
            let body = match &r.body {
                AscPullReqBody::Blocks {
                    start,
                    count,
                    start_type,
                } => {
                    json!({ "type": "blocks", "start": h(start), "count": count, "start_type": start_type })
                }
                AscPullReqBody::AccountInfo {
                    target,
                    target_type,
                } => {
                    json!({ "type": "account_info", "target": h(target), "target_type": target_type })
                }
                AscPullReqBody::Frontiers { start, count } => {
                    json!({ "type": "frontiers", "start": acct(start), "count": count })
                }
            };
            json!({ "id": format!("{:016X}", r.id), "request": body })
        }
        Payload::AscPullAck(a) => {
            let body = match &a.body {
                AscPullAckBody::Blocks(bs) => json!({
                    "type": "blocks", "blocks": bs.iter().map(|b| block_json(b, net)).collect::<Vec<_>>()
                }),
                AscPullAckBody::AccountInfo(i) => json!({
                    "type": "account_info",
                    "account": acct(&i.account),
                    "open": h(&i.open),
                    "head": h(&i.head),
                    "block_count": i.block_count,
                    "conf_frontier": h(&i.conf_frontier),
                    "conf_height": i.conf_height,
                }),
                AscPullAckBody::Frontiers(f) => json!({
                    "type": "frontiers",
                    "frontiers": f.iter().map(|(a, hh)| json!({ "account": acct(a), "hash": h(hh) })).collect::<Vec<_>>()
                }),
            };
            json!({ "id": format!("{:016X}", a.id), "response": body })
        }
    }
}
