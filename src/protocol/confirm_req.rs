//! confirm_req (0x04): `(hash, root)` pairs counted by the header (v1/v2), the legacy
//! block form (≤V25), and the V18 UDP form with a count byte in the body (5.3).

use super::block::{block_size, parse_block};
use super::wire::{bytes, exact_len, is_zero, malformed, run};
use super::{ConfirmReq, Hash, Header, List, Malformed};
use nom::number::complete::u8 as byte;

pub(crate) fn decode(
    h: &Header,
    payload: &[u8],
    udp_legacy: bool,
) -> Result<ConfirmReq, Malformed> {
    let bt = h.block_type();
    match block_size(bt) {
        // Not 2..6: by hash (the node sets 1, but only the legacy values 2..6 matter).
        None if udp_legacy => decode_v18(payload),
        None => {
            let count = h.item_count().unwrap_or(0) as usize;
            exact_len("confirm_req", payload, 64 * count)?;
            let mut pairs = List::with_capacity(count);
            let mut rest = payload;
            for _ in 0..count {
                let (r, pair) = run("confirm_req", (bytes::<32>, bytes::<32>), rest)?;
                pairs.push(pair);
                rest = r;
            }
            check_pairs(&pairs, count)?;
            Ok(ConfirmReq::ByHash {
                pairs,
                v18_body_count: false,
            })
        }
        Some(size) => {
            exact_len("confirm_req", payload, size)?;
            Ok(ConfirmReq::Block(
                parse_block(bt, payload, "confirm_req")?.1,
            ))
        }
    }
}

/// The node drops all-zero pairs and then rejects the message because the number of
/// pairs no longer matches the count; an empty request is rejected too.
fn check_pairs(pairs: &[(Hash, Hash)], count: usize) -> Result<(), Malformed> {
    if count == 0 {
        return Err(malformed(
            "empty_confirm_req",
            "confirm_req by hash with count 0",
        ));
    }
    if let Some(i) = pairs.iter().position(|(a, b)| is_zero(a) && is_zero(b)) {
        return Err(malformed(
            "zero_pair",
            format!("confirm_req pair {i} is all zero"),
        ));
    }
    Ok(())
}

/// V18 (proto 16) UDP: `u8 count`, then per pair a hash and, only when the hash is
/// non-zero, a root. Bytes after the last pair are trailing.
fn decode_v18(payload: &[u8]) -> Result<ConfirmReq, Malformed> {
    let what = "V18 confirm_req";
    let (mut rest, count) = run(what, byte, payload)?;
    let mut pairs = List::with_capacity(count as usize);
    for _ in 0..count {
        let (r, hash) = run(what, bytes::<32>, rest)?;
        let (r, root) = if is_zero(&hash) {
            (r, [0u8; 32])
        } else {
            run(what, bytes::<32>, r)?
        };
        pairs.push((hash, root));
        rest = r;
    }
    if !rest.is_empty() {
        return Err(malformed(
            "trailing_bytes",
            format!(
                "{} bytes after the {count} pairs of a V18 confirm_req",
                rest.len()
            ),
        ));
    }
    if count == 0 {
        return Err(malformed(
            "empty_confirm_req",
            "V18 confirm_req with count 0",
        ));
    }
    Ok(ConfirmReq::ByHash {
        pairs,
        v18_body_count: true,
    })
}
