//! BLAKE2b digests and ed25519 verification with BLAKE2b-512 in place of SHA-512,
//! the signature scheme of every Nano signature.

use blake2::digest::consts::{U32, U5, U8};
use blake2::{Blake2b, Blake2b512, Digest};
use ed25519_dalek::{Signature, VerifyingKey};

/// BLAKE2b-256 over the concatenation of `parts`.
pub fn blake2b_256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Blake2b::<U32>::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// BLAKE2b with an 8-byte digest (proof of work).
pub fn blake2b_64(parts: &[&[u8]]) -> [u8; 8] {
    let mut h = Blake2b::<U8>::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// BLAKE2b with a 5-byte digest (account checksum).
pub fn blake2b_40(data: &[u8]) -> [u8; 5] {
    let mut h = Blake2b::<U5>::new();
    h.update(data);
    h.finalize().into()
}

/// ed25519-blake2b verification of `signature` by `public_key` over `message`.
/// False for keys that are not curve points as well as for bad signatures.
pub fn verify(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    let Ok(vk) = VerifyingKey::from_bytes(public_key) else {
        return false;
    };
    let sig = Signature::from_bytes(signature);
    ed25519_dalek::hazmat::raw_verify::<Blake2b512>(&vk, message, &sig).is_ok()
}

/// Test-only signing with the Nano key expansion (BLAKE2b-512 of the private key).
#[cfg(test)]
pub(crate) fn sign(private_key: &[u8; 32], message: &[u8]) -> ([u8; 32], [u8; 64]) {
    use ed25519_dalek::hazmat::{raw_sign, ExpandedSecretKey};
    let expanded: [u8; 64] = Blake2b512::digest(private_key).into();
    let esk = ExpandedSecretKey::from_bytes(&expanded);
    let vk = VerifyingKey::from(&esk);
    let sig = raw_sign::<Blake2b512>(&esk, message, &vk);
    (vk.to_bytes(), sig.to_bytes())
}
