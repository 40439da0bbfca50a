//! `nano_votes(path)`: one row per confirm_ack vote; `nano_vote_hashes(path)`: one
//! row per hash voted for, to answer "who voted for this block, and when".

use crate::capture::MessageEvent;
use crate::present::per_message::MessageTable;
use crate::present::table::Col;
use crate::present::text::string_with_capacity;
use crate::present::values::*;
use crate::protocol::MessageType;
use crate::protocol::{push_hex_upper, ConfirmAck, Payload, VoteTiming};

columns!(C {
    Account => ("account", "TEXT"),
    Signature => ("signature", "TEXT"),
    SignatureValid => ("signature_valid", "INTEGER"),
    VoteHash => ("vote_hash", "TEXT"),
    TimestampRaw => ("timestamp_raw", "TEXT"),
    IsFinal => ("final", "INTEGER"),
    TimestampMs => ("timestamp_ms", "INTEGER"),
    Timestamp => ("timestamp", "TEXT"),
    DurationMs => ("duration_ms", "INTEGER"),
    Sequence => ("sequence", "INTEGER"),
    Vbh => ("vbh", "INTEGER"),
    VoteCount => ("vote_count", "INTEGER"),
    Hashes => ("hashes", "TEXT"),
    BlockHash => ("block_hash", "TEXT"),
    Rebroadcasted => ("rebroadcasted", "INTEGER"),
    VersionUsing => ("version_using", "INTEGER"),
});

fn pick_vote(p: &Payload) -> Option<&ConfirmAck> {
    match p {
        Payload::ConfirmAck(a) => Some(a),
        _ => None,
    }
}

pub struct Votes;

impl MessageTable for Votes {
    const NAME: &'static str = "nano_votes";
    const TYPE: MessageType = MessageType::ConfirmAck;
    type Item = ConfirmAck;

    fn columns() -> &'static [Col] {
        with_meta!(C::COLS)
    }

    fn pick(p: &Payload) -> Option<&ConfirmAck> {
        pick_vote(p)
    }

    fn value<'e>(m: &'e MessageEvent, ack: &'e ConfirmAck, _row: usize, col: usize) -> Value<'e> {
        let v = &ack.vote;
        let timing = || v.timing(m.header.version_using);
        match C::ALL[col] {
            C::Account => account(&v.account),
            C::Signature => hex(&v.signature),
            C::SignatureValid => bool_int(v.verify()),
            C::VoteHash => hex(&v.hash()),
            C::TimestampRaw => decimal(v.timestamp_raw),
            C::IsFinal => bool_int(matches!(timing(), VoteTiming::Final)),
            C::TimestampMs => match timing() {
                VoteTiming::Timestamp { ms, .. } => u64_value(ms),
                _ => Value::Null,
            },
            C::Timestamp => match timing() {
                VoteTiming::Timestamp { ms, .. } => time_ms_text(ms),
                _ => Value::Null,
            },
            C::DurationMs => match timing() {
                VoteTiming::Timestamp {
                    duration_ms: Some(d),
                    ..
                } => u64_value(d),
                _ => Value::Null,
            },
            C::Sequence => match timing() {
                VoteTiming::Sequence(s) => u64_value(s),
                _ => Value::Null,
            },
            C::Vbh => bool_int(v.block.is_none()),
            C::VoteCount => int(if v.block.is_some() {
                1
            } else {
                v.hashes.len() as i64
            }),
            // One string written in place, not one per hash joined afterwards.
            C::Hashes => match &v.block {
                Some(b) => hex(&b.hash()),
                None => {
                    let mut list = string_with_capacity(v.hashes.len() * 65);
                    for (i, h) in v.hashes.iter().enumerate() {
                        if i > 0 {
                            list.push(',');
                        }
                        push_hex_upper(&mut list, h);
                    }
                    text(list)
                }
            },
            C::BlockHash => v.block.as_ref().map_or(Value::Null, |b| hex(&b.hash())),
            C::Rebroadcasted => bool_int(ack.rebroadcasted),
            C::VersionUsing => int(m.header.version_using),
        }
    }
}

columns!(H {
    Account => ("account", "TEXT"),
    HashIndex => ("hash_index", "INTEGER"),
    Hash => ("hash", "TEXT"),
    IsFinal => ("final", "INTEGER"),
    TimestampMs => ("timestamp_ms", "INTEGER"),
    Rebroadcasted => ("rebroadcasted", "INTEGER"),
    Timestamp => ("timestamp", "TEXT"),
});

pub struct VoteHashes;

impl MessageTable for VoteHashes {
    const NAME: &'static str = "nano_vote_hashes";
    const TYPE: MessageType = MessageType::ConfirmAck;
    type Item = ConfirmAck;

    fn columns() -> &'static [Col] {
        with_meta!(H::COLS)
    }

    fn pick(p: &Payload) -> Option<&ConfirmAck> {
        pick_vote(p)
    }

    /// One row per hash; a legacy vote-by-block votes for its one block.
    fn count(a: &ConfirmAck) -> usize {
        if a.vote.block.is_some() {
            1
        } else {
            a.vote.hashes.len()
        }
    }

    fn value<'e>(m: &'e MessageEvent, ack: &'e ConfirmAck, row: usize, col: usize) -> Value<'e> {
        let v = &ack.vote;
        match H::ALL[col] {
            H::Account => account(&v.account),
            H::HashIndex => int(row as i64 + 1),
            H::Hash => match &v.block {
                Some(b) => hex(&b.hash()),
                None => v.hashes.get(row).map_or(Value::Null, |h| hex(h)),
            },
            H::IsFinal => bool_int(matches!(
                v.timing(m.header.version_using),
                VoteTiming::Final
            )),
            H::TimestampMs => match v.timing(m.header.version_using) {
                VoteTiming::Timestamp { ms, .. } => u64_value(ms),
                _ => Value::Null,
            },
            H::Rebroadcasted => bool_int(ack.rebroadcasted),
            H::Timestamp => match v.timing(m.header.version_using) {
                VoteTiming::Timestamp { ms, .. } => time_ms_text(ms),
                _ => Value::Null,
            },
        }
    }
}
