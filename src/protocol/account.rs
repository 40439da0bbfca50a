//! Text form of accounts and node ids: `nano_` / `node_` + 52 base32 characters of the
//! key (4 zero bits first) + 8 characters of the byte-reversed BLAKE2b-40 checksum.

use super::crypto::blake2b_40;

const ALPHABET: &[u8; 32] = b"13456789abcdefghijkmnopqrstuwxyz";

/// Prefixes `decode_account` accepts (the node also accepts the dash forms).
const PREFIXES: [&str; 5] = ["nano_", "xrb_", "node_", "nano-", "xrb-"];

fn checksum(key: &[u8; 32]) -> [u8; 5] {
    let mut c = blake2b_40(key);
    c.reverse();
    c
}

/// Base32 of the 260-bit `0000 ‖ key` and of the 40-bit checksum.
fn encode_body_bytes(key: &[u8; 32]) -> [u8; 60] {
    let mut out = [0u8; 60];
    // Five bits at a time from a small accumulator; the 4 leading zero bits are
    // already "in" it.
    let (mut acc, mut bits, mut next) = (0u64, 4u32, 0usize);
    for o in out.iter_mut().take(52) {
        if bits < 5 {
            acc = (acc << 8) | u64::from(key[next]);
            next += 1;
            bits += 8;
        }
        bits -= 5;
        *o = ALPHABET[((acc >> bits) & 0x1f) as usize];
    }
    let sum = checksum(key);
    let mut n = sum.iter().fold(0u64, |acc, &b| (acc << 8) | b as u64);
    for t in out[52..].iter_mut().rev() {
        *t = ALPHABET[(n & 0x1f) as usize];
        n >>= 5;
    }
    out
}

/// Slots of the per-thread cache of recent encodings: the same few representatives
/// sign most votes, and a vote's account is on every row of its hashes.
const CACHE_SLOTS: usize = 64;

thread_local! {
    static CACHE: std::cell::RefCell<Vec<([u8; 32], [u8; 60])>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The 60 base32 characters of `key` and its checksum, the part after the prefix
/// (ASCII), from the per-thread cache when it was encoded lately.
pub fn encoded_body(key: &[u8; 32]) -> [u8; 60] {
    let slot = (usize::from(key[0]) ^ (usize::from(key[31]) << 1)) % CACHE_SLOTS;
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.is_empty() {
            c.resize(CACHE_SLOTS, ([0; 32], [0; 60]));
        }
        let e = &mut c[slot];
        // An all-zero body never comes out of the encoder: an empty slot never hits.
        if e.1[0] == 0 || e.0 != *key {
            *e = (*key, encode_body_bytes(key));
        }
        e.1
    })
}

/// Prefix of the text form of an account.
pub const ACCOUNT_PREFIX: &str = "nano_";
/// Prefix of the text form of a node id.
pub const NODE_ID_PREFIX: &str = "node_";

/// Appends `prefix` and the text of `key` to `out` (a JSON writer's buffer, say).
pub fn push_key_text(out: &mut String, prefix: &str, key: &[u8; 32]) {
    out.push_str(prefix);
    // SAFETY: `encoded_body` writes only characters of `ALPHABET`, which is ASCII and
    // so valid UTF-8 on its own.
    out.push_str(unsafe { std::str::from_utf8_unchecked(&encoded_body(key)) });
}

fn encode_body_into(key: &[u8; 32], prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + 60);
    push_key_text(&mut out, prefix, key);
    out
}

/// `nano_` address of a public key.
pub fn encode_account(key: &[u8; 32]) -> String {
    encode_body_into(key, ACCOUNT_PREFIX)
}

/// `node_` form of a node id.
pub fn encode_node_id(key: &[u8; 32]) -> String {
    encode_body_into(key, NODE_ID_PREFIX)
}

fn digit(c: u8) -> Option<u8> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u8)
}

/// Public key of a `nano_`, `xrb_` or `node_` address; an error on a wrong prefix,
/// length, character or checksum.
pub fn decode_account(s: &str) -> Result<[u8; 32], String> {
    let body = PREFIXES
        .iter()
        .find_map(|p| s.strip_prefix(p))
        .ok_or_else(|| format!("no nano_/xrb_/node_ prefix in {s:?}"))?;
    let raw = body.as_bytes();
    if raw.len() != 60 {
        return Err(format!(
            "address body is {} characters, expected 60",
            raw.len()
        ));
    }
    let mut digits = [0u8; 60];
    for (d, &c) in digits.iter_mut().zip(raw) {
        *d = digit(c)
            .ok_or_else(|| format!("character {:?} is not in the address alphabet", c as char))?;
    }
    // The first character carries the 4 padding bits, which must be zero.
    if digits[0] > 1 {
        return Err("address encodes more than 256 bits".into());
    }
    let mut key = [0u8; 32];
    for k in 0..256 {
        let i = k + 4; // bit index in the padded 260-bit value
        let bitv = (digits[i / 5] >> (4 - i % 5)) & 1;
        key[k / 8] |= bitv << (7 - k % 8);
    }
    let n = digits[52..]
        .iter()
        .fold(0u64, |acc, &d| (acc << 5) | d as u64);
    let got: [u8; 5] = {
        let b = n.to_be_bytes();
        [b[3], b[4], b[5], b[6], b[7]]
    };
    if got != checksum(&key) {
        return Err("address checksum does not match".into());
    }
    Ok(key)
}
