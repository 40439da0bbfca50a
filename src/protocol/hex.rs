//! Uppercase hex, the form the node prints hashes, keys and signatures in.

const DIGITS: &[u8; 16] = b"0123456789ABCDEF";

/// Uppercase hex of `bytes`, two characters per byte, no separators.
pub fn hex_upper(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    push_hex_upper(&mut s, bytes);
    s
}

/// Appends the uppercase hex of `bytes` to `out`, through a stack buffer: pushing one
/// char at a time showed up in profiles of wide queries.
pub fn push_hex_upper(out: &mut String, bytes: &[u8]) {
    let mut buf = [0u8; 128];
    for chunk in bytes.chunks(buf.len() / 2) {
        for (i, &b) in chunk.iter().enumerate() {
            buf[2 * i] = DIGITS[usize::from(b >> 4)];
            buf[2 * i + 1] = DIGITS[usize::from(b & 0x0f)];
        }
        // Always ASCII digits: the conversion cannot fail.
        out.push_str(std::str::from_utf8(&buf[..2 * chunk.len()]).unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
