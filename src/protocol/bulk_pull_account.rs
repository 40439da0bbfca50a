//! bulk_pull_account (0x0b): account, minimum_amount u128be, flags u8 (5.9).

use super::wire::{bytes, exact_len, run};
use super::{BulkPullAccount, Malformed};
use nom::number::complete::{be_u128, u8 as byte};

/// Account, minimum amount, flags.
pub const SIZE: usize = 49;

pub(crate) fn decode(payload: &[u8]) -> Result<BulkPullAccount, Malformed> {
    exact_len("bulk_pull_account", payload, SIZE)?;
    // Flags outside 0..2 are kept: the server just does not answer them.
    let (_, (account, minimum_amount, flags)) =
        run("bulk_pull_account", (bytes::<32>, be_u128, byte), payload)?;
    Ok(BulkPullAccount {
        account,
        minimum_amount,
        flags,
    })
}
