//! confirm_ack (0x05): a vote by hash (count v1/v2, or to the end of a proto ≤ 16
//! datagram) or a legacy vote-by-block; vote hash, signature and timestamp meaning (5.4, 8).

use super::block::{block_size, parse_block};
use super::crypto::{blake2b_256, blake2b_256_of, verify, SignatureCheck};
use super::wire::{bad_length, bytes, exact_len, malformed, run};
use super::{ConfirmAck, Hash, Header, List, Malformed, Vote};
use nom::number::complete::le_u64;

/// Size of the vote fields before the hashes or block.
pub const VOTE_HEADER_SIZE: usize = 104;

pub(crate) fn decode(
    h: &Header,
    payload: &[u8],
    udp_legacy: bool,
) -> Result<ConfirmAck, Malformed> {
    let what = "confirm_ack";
    if payload.len() < VOTE_HEADER_SIZE {
        return Err(bad_length(what, payload.len(), "at least 104"));
    }
    let (rest, (account, signature, timestamp_raw)) =
        run(what, (bytes::<32>, bytes::<64>, le_u64), payload)?;
    let bt = h.block_type();
    // Block types 2..6 are the legacy vote-by-block; any other value is a vote by hash
    // (V24+ nodes ignore the field; V27 rebroadcasts are seen with block type 0).
    let (hashes, block) = match block_size(bt) {
        None => {
            let count = if udp_legacy {
                // Before V19 the hashes run to the end of the datagram.
                if rest.len() % 32 != 0 {
                    return Err(malformed(
                        "bad_length",
                        format!(
                            "{} bytes of hashes in a proto ≤ 16 vote is not a multiple of 32",
                            rest.len()
                        ),
                    ));
                }
                rest.len() / 32
            } else {
                let count = h.item_count().unwrap_or(0) as usize;
                exact_len(what, payload, VOTE_HEADER_SIZE + 32 * count)?;
                count
            };
            let mut hashes = List::with_capacity(count);
            let mut r = rest;
            for _ in 0..count {
                let (next, hash) = run(what, bytes::<32>, r)?;
                hashes.push(hash);
                r = next;
            }
            (hashes, None)
        }
        Some(size) => {
            exact_len(what, payload, VOTE_HEADER_SIZE + size)?;
            (List::new(), Some(Box::new(parse_block(bt, rest, what)?.1)))
        }
    };
    Ok(ConfirmAck {
        vote: Vote {
            account,
            signature,
            timestamp_raw,
            hashes,
            block,
        },
        rebroadcasted: h.extensions & 0x0004 != 0,
    })
}

/// What the vote's 8-byte field means (docs/protocol.md section 8 item 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteTiming {
    /// All ones: a final vote (V22+).
    Final,
    /// Milliseconds since the Unix epoch, with the duration when the low nibble is one.
    Timestamp { ms: u64, duration_ms: Option<u64> },
    /// A per-representative counter (≤V21).
    Sequence(u64),
}

/// Smallest value taken as milliseconds since the epoch for proto 18 (2017-07-14).
pub const MIN_PLAUSIBLE_MS: u64 = 1_500_000_000_000;

/// Duration code normal V23+ votes carry; the only low nibble taken as a duration at proto 18.
pub const NORMAL_DURATION_CODE: u64 = 9;

impl VoteTiming {
    /// Interprets the raw field of a vote sent with `version_using`:
    /// - proto < 18: always a sequence (final votes did not exist yet);
    /// - all ones: final;
    /// - proto ≥ 19: packed ms timestamp (low nibble cleared) + duration 2^(d+4) ms;
    /// - proto 18 (V21, V22 and V23 all send 18): values ≥ 1.5e12 are ms timestamps;
    ///   the low nibble is read as a duration only when it is 9 (what V23 sends for
    ///   normal votes), so a V22 time is then off by at most 9 ms; smaller values are
    ///   V21 sequences.
    pub fn interpret(raw: u64, version_using: u8) -> VoteTiming {
        if version_using < 18 {
            return VoteTiming::Sequence(raw);
        }
        if raw == u64::MAX {
            return VoteTiming::Final;
        }
        let packed = |raw: u64| VoteTiming::Timestamp {
            ms: raw & !0xf,
            duration_ms: Some(1u64 << ((raw & 0xf) + 4)),
        };
        if version_using >= 19 {
            packed(raw)
        } else if raw < MIN_PLAUSIBLE_MS {
            VoteTiming::Sequence(raw)
        } else if raw & 0xf == NORMAL_DURATION_CODE {
            packed(raw)
        } else {
            VoteTiming::Timestamp {
                ms: raw,
                duration_ms: None,
            }
        }
    }
}

impl Vote {
    /// The signed hash: BLAKE2b-256("vote " ‖ hashes ‖ field le) for votes by hash;
    /// BLAKE2b-256(block hash ‖ field le), without the prefix, for vote-by-block.
    pub fn hash(&self) -> Hash {
        let ts = self.timestamp_raw.to_le_bytes();
        match &self.block {
            Some(block) => blake2b_256(&[&block.hash(), &ts]),
            None => blake2b_256_of(
                std::iter::once(&b"vote "[..])
                    .chain(self.hashes.iter().map(|h| h.as_slice()))
                    .chain(std::iter::once(&ts[..])),
            ),
        }
    }

    /// The representative's signature over `hash()`.
    pub fn verify(&self) -> bool {
        verify(&self.account, &self.hash(), &self.signature)
    }

    /// What `verify` checks.
    pub fn signature_check(&self) -> SignatureCheck {
        SignatureCheck {
            key: self.account,
            message: self.hash().to_vec(),
            signature: self.signature,
        }
    }

    pub fn timing(&self, version_using: u8) -> VoteTiming {
        VoteTiming::interpret(self.timestamp_raw, version_using)
    }
}
