//! bulk_pull (0x06): start, end, and with ext bit 0 eight extended bytes
//! (zero byte, u32le count, 3 reserved); bit 1 = ascending (5.5).

use super::wire::{bytes, exact_len, malformed, run};
use super::{BulkPull, Header, Malformed};
use nom::number::complete::{le_u32, u8 as byte};

/// Start and end.
pub const SIZE: usize = 64;
/// The extended part that ext bit 0 adds.
pub const EXTENDED_SIZE: usize = 8;

/// Payload size the extension bits call for.
pub(crate) fn payload_size(extensions: u16) -> usize {
    SIZE + if count_present(extensions) {
        EXTENDED_SIZE
    } else {
        0
    }
}

fn count_present(extensions: u16) -> bool {
    extensions & 0x0001 != 0
}

pub(crate) fn decode(h: &Header, payload: &[u8]) -> Result<BulkPull, Malformed> {
    let count_present = count_present(h.extensions);
    exact_len("bulk_pull", payload, payload_size(h.extensions))?;
    let (rest, (start, end)) = run("bulk_pull", (bytes::<32>, bytes::<32>), payload)?;
    let count = if count_present {
        let (_, (zero, count, _reserved)) = run("bulk_pull", (byte, le_u32, bytes::<3>), rest)?;
        if zero != 0 {
            // The node rejects the message when the first extended byte is not zero.
            return Err(malformed(
                "bad_extended",
                format!("bulk_pull extended byte 0 is 0x{zero:02x}, must be 0"),
            ));
        }
        Some(count)
    } else {
        None
    };
    Ok(BulkPull {
        start,
        end,
        count,
        ascending: h.extensions & 0x0002 != 0,
    })
}
