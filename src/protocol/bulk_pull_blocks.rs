//! bulk_pull_blocks (0x09, deleted in V18): min_hash, max_hash, mode u8, max_count u32le.

use super::wire::{bytes, exact_len, run};
use super::{BulkPullBlocks, Malformed};
use nom::number::complete::{le_u32, u8 as byte};

/// Min hash, max hash, mode, max count.
pub const SIZE: usize = 69;

pub(crate) fn decode(payload: &[u8]) -> Result<BulkPullBlocks, Malformed> {
    exact_len("bulk_pull_blocks", payload, SIZE)?;
    let (_, (min_hash, max_hash, mode, max_count)) = run(
        "bulk_pull_blocks",
        (bytes::<32>, bytes::<32>, byte, le_u32),
        payload,
    )?;
    Ok(BulkPullBlocks {
        min_hash,
        max_hash,
        mode,
        max_count,
    })
}
