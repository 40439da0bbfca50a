//! Headerless bootstrap stream items (docs/protocol.md section 6): frontiers, block
//! streams, the bulk_pull_account head and pending entries, and their terminators.

use super::block::{block_size, parse_block};
use super::decode::StreamKind;
use super::wire::{bytes, is_zero, malformed, run};
use super::{DecodeError, StreamEntry};
use nom::number::complete::be_u128;

/// Size of a pending entry for the request flags of a bulk_pull_account.
pub fn pending_entry_size(flags: u8) -> Option<usize> {
    match flags {
        0 => Some(48),
        1 => Some(32),
        2 => Some(80),
        _ => None,
    }
}

/// `Ok(prefix)` when `buf` holds `n` bytes, else how many more are needed.
fn need(buf: &[u8], n: usize) -> Result<&[u8], DecodeError> {
    buf.get(..n).ok_or_else(|| DecodeError::Incomplete {
        needed: n - buf.len(),
    })
}

pub(crate) fn decode_entry(
    kind: StreamKind,
    buf: &[u8],
) -> Result<(StreamEntry, usize), DecodeError> {
    let m = DecodeError::Malformed;
    match kind {
        StreamKind::Frontiers => {
            let item = need(buf, 64)?;
            let (_, (account, hash)) =
                run("frontier entry", (bytes::<32>, bytes::<32>), item).map_err(m)?;
            // The node client stops on a zero account (the server zeroes both halves).
            if is_zero(&account) {
                Ok((StreamEntry::End, 64))
            } else {
                Ok((StreamEntry::Frontier { account, hash }, 64))
            }
        }
        StreamKind::Blocks => {
            let first = need(buf, 1)?;
            let bt = first[0];
            if bt == 1 {
                return Ok((StreamEntry::End, 1));
            }
            let size = block_size(bt).ok_or_else(|| {
                m(malformed(
                    "bad_block_type",
                    format!("type byte {bt} in a block stream is not 1..6"),
                ))
            })?;
            let item = need(buf, 1 + size)?;
            let (_, block) = parse_block(bt, &item[1..], "block stream").map_err(m)?;
            Ok((StreamEntry::Block(block), 1 + size))
        }
        StreamKind::AccountFrontier => {
            let item = need(buf, 48)?;
            let (_, (frontier_hash, balance)) =
                run("account frontier", (bytes::<32>, be_u128), item).map_err(m)?;
            Ok((
                StreamEntry::AccountFrontier {
                    frontier_hash,
                    balance,
                },
                48,
            ))
        }
        StreamKind::Pending { flags } => {
            let size = pending_entry_size(flags).ok_or_else(|| {
                m(malformed(
                    "bad_pending_flags",
                    format!("bulk_pull_account flags {flags} is not 0, 1 or 2"),
                ))
            })?;
            let item = need(buf, size)?;
            if is_zero(item) {
                return Ok((StreamEntry::End, size));
            }
            let what = "pending entry";
            let entry = match flags {
                0 => {
                    let (_, (hash, amount)) = run(what, (bytes::<32>, be_u128), item).map_err(m)?;
                    StreamEntry::PendingEntry {
                        hash: Some(hash),
                        amount: Some(amount),
                        source: None,
                    }
                }
                1 => {
                    let (_, source) = run(what, bytes::<32>, item).map_err(m)?;
                    StreamEntry::PendingEntry {
                        hash: None,
                        amount: None,
                        source: Some(source),
                    }
                }
                _ => {
                    let (_, (hash, amount, source)) =
                        run(what, (bytes::<32>, be_u128, bytes::<32>), item).map_err(m)?;
                    StreamEntry::PendingEntry {
                        hash: Some(hash),
                        amount: Some(amount),
                        source: Some(source),
                    }
                }
            };
            Ok((entry, size))
        }
    }
}
