//! publish (0x03): one block of the header's block type, no type byte (5.2).

use super::block::{block_size, parse_block};
use super::wire::{exact_len, malformed};
use super::{Header, Malformed, Publish};

pub(crate) fn decode(h: &Header, payload: &[u8]) -> Result<Publish, Malformed> {
    let bt = h.block_type();
    let size = block_size(bt).ok_or_else(|| {
        malformed(
            "bad_block_type",
            format!("block type {bt} in publish is not 2..6"),
        )
    })?;
    exact_len("publish", payload, size)?;
    let (_, block) = parse_block(bt, payload, "publish")?;
    Ok(Publish {
        block,
        originator: h.extensions & 0x0004 != 0,
    })
}
