//! Fixed-width integers read from byte slices at an offset, in either byte order: the
//! one set of byte readers the decoder and the capture layers share. A read past the end
//! is `None`, never a panic: offsets come from packet data.

/// `N` bytes at `at`, or `None` when the slice ends before them.
fn array<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    b.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// u16 at `at`, big-endian when `big` (network order), little-endian otherwise.
pub fn u16_at(b: &[u8], at: usize, big: bool) -> Option<u16> {
    let a = array(b, at)?;
    Some(if big {
        u16::from_be_bytes(a)
    } else {
        u16::from_le_bytes(a)
    })
}

/// u32 at `at`, big-endian when `big`, little-endian otherwise.
pub fn u32_at(b: &[u8], at: usize, big: bool) -> Option<u32> {
    let a = array(b, at)?;
    Some(if big {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    })
}

/// u64 at `at`, big-endian when `big`, little-endian otherwise.
pub fn u64_at(b: &[u8], at: usize, big: bool) -> Option<u64> {
    let a = array(b, at)?;
    Some(if big {
        u64::from_be_bytes(a)
    } else {
        u64::from_le_bytes(a)
    })
}

/// Big-endian (network order) u16 at `at`.
pub fn be_u16(b: &[u8], at: usize) -> Option<u16> {
    u16_at(b, at, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_orders_and_the_end() {
        let b = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        assert_eq!(be_u16(&b, 0), Some(0x0102));
        assert_eq!(u16_at(&b, 7, false), Some(0x0908));
        assert_eq!(be_u16(&b, 8), None);
        assert_eq!(u32_at(&b, 1, true), Some(0x0203_0405));
        assert_eq!(u32_at(&b, 1, false), Some(0x0504_0302));
        assert_eq!(u64_at(&b, 1, true), Some(0x0203_0405_0607_0809));
        assert_eq!(u64_at(&b, 2, false), None);
        // An offset near usize::MAX is out of range, not an overflow.
        assert_eq!(u32_at(&b, usize::MAX - 1, true), None);
    }
}
