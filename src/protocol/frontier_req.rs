//! frontier_req (0x08): start account, age and count u32le; bit 1 = only_confirmed (5.7).

use super::wire::{bytes, exact_len, run};
use super::{FrontierReq, Header, Malformed};
use nom::number::complete::le_u32;

/// Start account, age, count.
pub const SIZE: usize = 40;

pub(crate) fn decode(h: &Header, payload: &[u8]) -> Result<FrontierReq, Malformed> {
    exact_len("frontier_req", payload, SIZE)?;
    let (_, (start, age, count)) = run("frontier_req", (bytes::<32>, le_u32, le_u32), payload)?;
    Ok(FrontierReq {
        start,
        age,
        count,
        only_confirmed: h.extensions & 0x0002 != 0,
    })
}
