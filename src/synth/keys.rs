//! Keys, ed25519-blake2b signing, BLAKE2b block and vote hashing and proof of work,
//! written from docs/protocol.md section 3, 4.3, 4.4 and 5.4 independently of `crate::protocol`.

use blake2::digest::consts::{U32, U8};
use blake2::{Blake2b, Blake2b512, Digest};
use ed25519_dalek::hazmat::{raw_sign, ExpandedSecretKey};
use ed25519_dalek::VerifyingKey;

use crate::protocol::types::{Block, Hash, PublicKey, Signature};

/// The published dev-network private key (nano-node `dev_private_key_data`).
pub const DEV_PRIVATE_KEY: [u8; 32] =
    hex32("34F0A37AAD20F4A260F0A5B3CB3D7FB50673212263E58A380BC10474BB039CE4");
/// Its public key: the dev genesis account.
pub const DEV_PUBLIC_KEY: [u8; 32] =
    hex32("B0311EA55708D6A53C75CDBF88300259C6D018522FE3D4D0A242E431F9E8B6D0");
/// Hash of the dev genesis open block (docs/protocol.md section 4.3).
pub const DEV_GENESIS_HASH: [u8; 32] =
    hex32("04270D7F11C4B2B472F2854C5A59F2A7E84226CE9ED799DE75744BD7D85FC9D9");
/// Live genesis account (used as a realistic destination / link).
pub const LIVE_GENESIS_ACCOUNT: [u8; 32] =
    hex32("E89208DD038FBB269987689621D52292AE9C35941A7484756ECCED92A65093BA");
/// Live genesis block hash (genesis field of live handshakes and telemetry).
pub const LIVE_GENESIS_HASH: [u8; 32] =
    hex32("991CF190094C00F0B68E2E5F75F6BEE95A2E0BD93CEAA4A6734DB9F19B728948");

/// Parses 64 hex digits at compile time (panics in const context on a typo).
pub const fn hex32(s: &str) -> [u8; 32] {
    let b = s.as_bytes();
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nibble(b[2 * i]) << 4) | nibble(b[2 * i + 1]);
        i += 1;
    }
    out
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => panic!("bad hex digit"),
    }
}

/// Uppercase hex, the way the SQL surface shows hashes.
pub fn hex_upper(bytes: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(D[(b >> 4) as usize] as char);
        s.push(D[(b & 15) as usize] as char);
    }
    s
}

/// An ed25519-blake2b key pair.
#[derive(Clone)]
pub struct Key {
    pub private: [u8; 32],
    pub public: PublicKey,
    // Shared: ExpandedSecretKey is not Clone.
    esk: std::sync::Arc<ExpandedSecretKey>,
    vk: VerifyingKey,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({})", hex_upper(&self.public))
    }
}

impl Key {
    /// Nano expands the 32-byte private key with BLAKE2b-512 where RFC 8032 uses SHA-512.
    pub fn from_private(private: [u8; 32]) -> Key {
        let expanded: [u8; 64] = Blake2b512::digest(private).into();
        let esk = ExpandedSecretKey::from_bytes(&expanded);
        let vk = VerifyingKey::from(&esk);
        Key {
            private,
            public: vk.to_bytes(),
            esk: std::sync::Arc::new(esk),
            vk,
        }
    }

    pub fn dev() -> Key {
        Key::from_private(DEV_PRIVATE_KEY)
    }

    /// Signs raw bytes (a 32-byte hash for blocks and votes, raw bytes for the
    /// handshake and telemetry).
    pub fn sign(&self, message: &[u8]) -> Signature {
        raw_sign::<Blake2b512>(&self.esk, message, &self.vk).to_bytes()
    }
}

/// BLAKE2b-256 over the concatenation of `parts`.
pub fn blake2b_256(parts: &[&[u8]]) -> Hash {
    let mut h = Blake2b::<U32>::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// Block hash per docs/protocol.md section 4.3 (signature and work excluded).
pub fn block_hash(block: &Block) -> Hash {
    match block {
        Block::Send(b) => blake2b_256(&[&b.previous, &b.destination, &b.balance.to_be_bytes()]),
        Block::Receive(b) => blake2b_256(&[&b.previous, &b.source]),
        Block::Open(b) => blake2b_256(&[&b.source, &b.representative, &b.account]),
        Block::Change(b) => blake2b_256(&[&b.previous, &b.representative]),
        Block::State(b) => {
            let mut preamble = [0u8; 32];
            preamble[31] = 6;
            blake2b_256(&[
                &preamble,
                &b.account,
                &b.previous,
                &b.representative,
                &b.balance.to_be_bytes(),
                &b.link,
            ])
        }
    }
}

/// Vote hash of a vote by hash: BLAKE2b-256("vote " ‖ hashes ‖ field u64le).
pub fn vote_hash(hashes: &[Hash], timestamp_raw: u64) -> Hash {
    let mut h = Blake2b::<U32>::new();
    h.update(b"vote ");
    for x in hashes {
        h.update(x);
    }
    h.update(timestamp_raw.to_le_bytes());
    h.finalize().into()
}

/// Vote hash of a legacy vote-by-block: no "vote " prefix (docs/protocol.md section 5.4).
pub fn vote_hash_legacy(block_hash: &Hash, sequence: u64) -> Hash {
    blake2b_256(&[block_hash, &sequence.to_le_bytes()])
}

/// The PoW root of a block (docs/protocol.md section 4.4).
pub fn work_root(block: &Block) -> Hash {
    match block {
        Block::Send(b) => b.previous,
        Block::Receive(b) => b.previous,
        Block::Open(b) => b.account,
        Block::Change(b) => b.previous,
        Block::State(b) => {
            if b.previous == [0u8; 32] {
                b.account
            } else {
                b.previous
            }
        }
    }
}

/// `u64le(blake2b-8(work le ‖ root))`.
pub fn work_value(work: u64, root: &Hash) -> u64 {
    let mut h = Blake2b::<U8>::new();
    h.update(work.to_le_bytes());
    h.update(root);
    let out: [u8; 8] = h.finalize().into();
    u64::from_le_bytes(out)
}

/// Searches nonces upwards from `start` until one meets `threshold`.
pub fn find_work(root: &Hash, threshold: u64, start: u64) -> u64 {
    let mut w = start;
    while work_value(w, root) < threshold {
        w = w.wrapping_add(1);
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::types::{OpenBlock, StateBlock};

    #[test]
    fn dev_key_derivation() {
        assert_eq!(Key::dev().public, DEV_PUBLIC_KEY);
    }

    #[test]
    fn dev_genesis_hash() {
        let open = Block::Open(OpenBlock {
            source: DEV_PUBLIC_KEY,
            representative: DEV_PUBLIC_KEY,
            account: DEV_PUBLIC_KEY,
            signature: [0; 64],
            work: 0,
        });
        assert_eq!(block_hash(&open), DEV_GENESIS_HASH);
    }

    #[test]
    fn example2_state_hash_and_work_value() {
        let b = Block::State(StateBlock {
            account: DEV_PUBLIC_KEY,
            previous: DEV_GENESIS_HASH,
            representative: DEV_PUBLIC_KEY,
            balance: 0xFFFFFFF360D3632FB98B1215BFFFFFFF,
            link: LIVE_GENESIS_ACCOUNT,
            signature: [0; 64],
            work: 0x41e,
        });
        assert_eq!(
            block_hash(&b),
            hex32("A1A72D9CAD3C5FA8091FDAACED6B47208E3F66BB3D0E3AA1BC300DAA77612155")
        );
        // docs/protocol.md example 2: value of work 0x41e against root = previous.
        assert_eq!(work_value(0x41e, &work_root(&b)), 0xffc4d15e6be4d3e7);
    }

    #[test]
    fn example3_vote_hashes() {
        let h = hex32("A1A72D9CAD3C5FA8091FDAACED6B47208E3F66BB3D0E3AA1BC300DAA77612155");
        assert_eq!(
            vote_hash(&[h], 0x0000018BCFE56809),
            hex32("5A793BF309F44179656DEA9897D4059E3A2B356BB62B675F21300C4477E3BE96")
        );
        assert_eq!(&hex_upper(&vote_hash(&[h], u64::MAX))[..8], "BEEC0E40");
    }

    #[test]
    fn found_work_meets_dev_threshold() {
        let root = [7u8; 32];
        let w = find_work(&root, 0xfe00_0000_0000_0000, 12345);
        assert!(work_value(w, &root) >= 0xfe00_0000_0000_0000);
        // And the nonce before it (if any was tried) did not.
        if w > 12345 {
            assert!(work_value(w - 1, &root) < 0xfe00_0000_0000_0000);
        }
    }
}
