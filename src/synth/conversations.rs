//! Typical TCP conversations: a realtime connection (handshake first, then messages
//! both ways) and legacy bootstrap connections with their headerless answers
//! (docs/protocol.md section 5.8 and section 6).

use super::encode::{self, *};
use super::messages::{Factory, Msg, VoteStamp};
use super::tcp::{Conversation, StreamMeta};
use crate::protocol::types::BlockType;

const BLOCK_TYPES: [BlockType; 5] = [
    BlockType::Send,
    BlockType::Receive,
    BlockType::Open,
    BlockType::Change,
    BlockType::State,
];

/// A random message of the kinds a V27 node sends on a realtime connection.
pub fn realtime_msg(f: &mut Factory) -> Msg {
    let r = f.rng().range(0, 99);
    match r {
        0..=9 => {
            let empty = f.rng().range(0, 6) as usize;
            f.keepalive(empty)
        }
        10..=24 => {
            let t = BLOCK_TYPES[f.rng().index(5)];
            let o = f.rng().chance(0.3);
            f.publish(t, o)
        }
        25..=39 => {
            let n = if f.rng().chance(0.2) {
                f.rng().range(16, 40)
            } else {
                f.rng().range(1, 15)
            };
            f.confirm_req(n as usize)
        }
        40..=79 => {
            let n = if f.rng().chance(0.2) {
                f.rng().range(16, 40)
            } else {
                f.rng().range(1, 15)
            };
            let stamp = if f.rng().chance(0.3) {
                VoteStamp::Final
            } else {
                VoteStamp::Packed
            };
            let rb = f.rng().chance(0.3);
            f.confirm_ack(n as usize, stamp, rb)
        }
        80..=84 => {
            let node = f.rng().index(6);
            f.telemetry_ack(node, 0)
        }
        85..=86 => f.telemetry_req(),
        87..=93 => {
            let k = f.rng().range(1, 3) as u8;
            let id = f.rng().next_u64();
            f.asc_pull_req(k, id)
        }
        _ => {
            let k = f.rng().range(1, 3) as u8;
            let id = f.rng().next_u64();
            f.asc_pull_ack(k, id)
        }
    }
}

/// Handshake (v1: 0x0001/0x0003/0x0002, v2: 0x0005/0x0007/0x0006), then `n` messages
/// both ways, with asc_pull request/ack pairs sharing an id.
pub fn realtime(f: &mut Factory, n: usize, v2: bool, node_a: usize, node_b: usize) -> Conversation {
    let mut c = Conversation::default();
    let c1 = f.new_cookie();
    let c2 = f.new_cookie();
    c.msg(true, f.handshake(Some(c1), None, node_a, v2));
    c.msg(false, f.handshake(Some(c2), Some(c1), node_b, v2));
    c.msg(true, f.handshake(None, Some(c2), node_a, v2));
    let mut k = 0;
    while k < n {
        let from_client = f.rng().chance(0.5);
        if f.rng().chance(0.05) {
            let kind = f.rng().range(1, 3) as u8;
            let id = f.rng().next_u64();
            c.msg(from_client, f.asc_pull_req(kind, id));
            c.msg(!from_client, f.asc_pull_ack(kind, id));
            k += 2;
        } else {
            c.msg(from_client, realtime_msg(f));
            k += 1;
        }
    }
    c
}

/// Server answer to a bulk_pull: `n` typed blocks then 0x01 (unless `close_early`).
fn block_stream(
    f: &mut Factory,
    c: &mut Conversation,
    from_client: bool,
    req: usize,
    req_type: u8,
    n: usize,
    terminate: bool,
) {
    for i in 0..n {
        let b = f.block(BLOCK_TYPES[i % 5]);
        let mut bytes = Vec::new();
        encode::typed_block_bytes(&b, &mut bytes);
        let bt = f.block_truth(&b);
        c.stream_item(
            from_client,
            req,
            req_type,
            i as u64 + 1,
            "block",
            bytes,
            Some(bt),
        );
    }
    if terminate {
        c.stream_item(
            from_client,
            req,
            req_type,
            n as u64 + 1,
            "end",
            vec![0x01],
            None,
        );
    }
    c.streams.push(StreamMeta {
        request: req,
        request_type: req_type,
        entries: n as u64,
        terminated: terminate,
    });
}

/// frontier_req -> frontiers + 64-zero terminator, then bulk_push of a few blocks + 0x01
/// on the same connection (the reuse seen in real traffic).
pub fn frontier_then_push(
    f: &mut Factory,
    n_frontiers: usize,
    only_confirmed: bool,
) -> Conversation {
    let mut c = Conversation::default();
    let req = c.msg(true, f.frontier_req(only_confirmed));
    for i in 0..n_frontiers {
        let mut e = f.rng().bytes32().to_vec();
        e.extend_from_slice(&f.rng().bytes32());
        c.stream_item(false, req, FRONTIER_REQ, i as u64 + 1, "frontier", e, None);
    }
    c.stream_item(
        false,
        req,
        FRONTIER_REQ,
        n_frontiers as u64 + 1,
        "end",
        vec![0u8; 64],
        None,
    );
    c.streams.push(StreamMeta {
        request: req,
        request_type: FRONTIER_REQ,
        entries: n_frontiers as u64,
        terminated: true,
    });
    let push = c.msg(true, f.bulk_push());
    block_stream(f, &mut c, true, push, BULK_PUSH, 3, true);
    c
}

/// Several bulk_pulls in turn on one connection: with a count, ascending without a
/// count, and an unknown account answered by a lone 0x01. With `close_early` a last
/// bulk_pull is answered by two blocks and no terminator.
pub fn bulk_pulls(f: &mut Factory, close_early: bool) -> Conversation {
    let mut c = Conversation::default();
    let r = c.msg(true, f.bulk_pull(Some(4), false));
    block_stream(f, &mut c, false, r, BULK_PULL, 4, true);
    let r = c.msg(true, f.bulk_pull(None, true));
    block_stream(f, &mut c, false, r, BULK_PULL, 6, true);
    let r = c.msg(true, f.bulk_pull(Some(128), false));
    block_stream(f, &mut c, false, r, BULK_PULL, 0, true);
    if close_early {
        let r = c.msg(true, f.bulk_pull(None, false));
        block_stream(f, &mut c, false, r, BULK_PULL, 2, false);
    }
    c
}

/// bulk_pull_blocks (nodes up to V17): in list mode answered by blocks as an early server
/// sent them, then in checksum mode answered by the lone 0x01 of a V15–V17 server
/// (docs/protocol.md section 6.2.1).
pub fn bulk_pull_blocks(f: &mut Factory) -> Conversation {
    let mut c = Conversation::default();
    let r = c.msg(true, f.bulk_pull_blocks(0));
    block_stream(f, &mut c, false, r, BULK_PULL_BLOCKS, 3, true);
    let r = c.msg(true, f.bulk_pull_blocks(1));
    block_stream(f, &mut c, false, r, BULK_PULL_BLOCKS, 0, true);
    c
}

/// bulk_pull_account with flags 0, 1 and 2 in turn (docs/protocol.md section 6.3).
pub fn bulk_pull_accounts(f: &mut Factory) -> Conversation {
    let mut c = Conversation::default();
    for flags in [0u8, 1, 2] {
        let req = c.msg(true, f.bulk_pull_account(flags));
        let mut head = f.rng().bytes32().to_vec();
        head.extend_from_slice(&(f.rng().range(1, 1 << 40) as u128 * 10u128.pow(24)).to_be_bytes());
        c.stream_item(
            false,
            req,
            BULK_PULL_ACCOUNT,
            1,
            "account_frontier",
            head,
            None,
        );
        let n = f.rng().range(0, 4) as usize;
        let size = match flags {
            0 => 48,
            1 => 32,
            _ => 80,
        };
        for i in 0..n {
            let mut e = Vec::with_capacity(size);
            if flags != 1 {
                e.extend_from_slice(&f.rng().bytes32());
                e.extend_from_slice(
                    &(f.rng().range(1, 1 << 40) as u128 * 10u128.pow(24)).to_be_bytes(),
                );
            }
            if flags != 0 {
                e.extend_from_slice(&f.accounts[i % f.accounts.len()].public);
            }
            c.stream_item(
                false,
                req,
                BULK_PULL_ACCOUNT,
                i as u64 + 2,
                "pending_entry",
                e,
                None,
            );
        }
        c.stream_item(
            false,
            req,
            BULK_PULL_ACCOUNT,
            n as u64 + 2,
            "end",
            vec![0u8; size],
            None,
        );
        c.streams.push(StreamMeta {
            request: req,
            request_type: BULK_PULL_ACCOUNT,
            entries: n as u64 + 1,
            terminated: true,
        });
    }
    c
}
