//! Uppercase hex, the form the node prints hashes, keys and signatures in; and the
//! 16 lowercase digits it prints work and difficulty in.

const DIGITS: &[u8; 16] = b"0123456789ABCDEF";

/// The two digits of every byte value, so a byte costs one table load.
const PAIRS: [[u8; 2]; 256] = {
    let mut t = [[0u8; 2]; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = [DIGITS[b >> 4], DIGITS[b & 0x0f]];
        b += 1;
    }
    t
};

/// Uppercase hex of `bytes`, two characters per byte, no separators.
pub fn hex_upper(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    push_hex_upper(&mut s, bytes);
    s
}

/// Writes the uppercase hex of `bytes` into `out`, whose length must be twice theirs
/// (the digits are ASCII). Extra room in `out` is left as it is.
pub fn hex_upper_into(bytes: &[u8], out: &mut [u8]) {
    for (pair, &b) in out.chunks_exact_mut(2).zip(bytes) {
        pair.copy_from_slice(&PAIRS[usize::from(b)]);
    }
}

/// Appends the uppercase hex of `bytes` to `out`, through a stack buffer: pushing one
/// char at a time showed up in profiles of wide queries.
pub fn push_hex_upper(out: &mut String, bytes: &[u8]) {
    let mut buf = [0u8; 128];
    out.reserve(bytes.len() * 2);
    for chunk in bytes.chunks(buf.len() / 2) {
        let digits = &mut buf[..2 * chunk.len()];
        hex_upper_into(chunk, digits);
        // SAFETY: `hex_upper_into` wrote only ASCII digits from `DIGITS`, which are
        // valid UTF-8 on their own.
        out.push_str(unsafe { std::str::from_utf8_unchecked(digits) });
    }
}
/// A u64 as 16 lowercase hex digits (ASCII), the way the node prints work and
/// difficulty.
pub fn hex_lower_u64(v: u64) -> [u8; 16] {
    const LOWER: &[u8; 16] = b"0123456789abcdef";
    let mut digits = [0u8; 16];
    for (i, d) in digits.iter_mut().enumerate() {
        *d = LOWER[((v >> (60 - 4 * i)) & 0xf) as usize];
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_lower_u64_reads_as_016x() {
        for v in [0, 1, 0x0123_4567_89ab_cdef, u64::MAX, 1 << 63] {
            assert_eq!(hex_lower_u64(v), format!("{v:016x}").as_bytes());
        }
    }

    #[test]
    fn hex_upper_formats_every_nibble() {
        assert_eq!(hex_upper(&[]), "");
        assert_eq!(hex_upper(&[0x00, 0x0f, 0xa5, 0xff]), "000FA5FF");
        // Longer than one pass of the stack buffer.
        let long: Vec<u8> = (0..=255).collect();
        let h = hex_upper(&long);
        assert_eq!(h.len(), 512);
        assert_eq!(&h[..6], "000102");
        assert_eq!(&h[126..132], "3F4041");
        assert_eq!(&h[506..], "FDFEFF");
    }
}
