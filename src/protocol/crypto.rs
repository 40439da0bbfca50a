//! BLAKE2b digests and ed25519 verification with BLAKE2b-512 in place of SHA-512,
//! the signature scheme of every Nano signature.

use blake2::digest::consts::{U32, U5, U8};
use blake2::{Blake2b, Blake2b512, Digest};
use ed25519_dalek::{Signature, VerifyingKey};

/// BLAKE2b-256 over the concatenation of `parts`.
pub fn blake2b_256(parts: &[&[u8]]) -> [u8; 32] {
    blake2b_256_of(parts.iter().copied())
}

/// BLAKE2b-256 of the concatenation of `parts`, for a number of parts known only at
/// run time (no list of them to build).
pub fn blake2b_256_of<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> [u8; 32] {
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
/// False for keys that are not curve points as well as for bad signatures. A verdict
/// `verify_ahead` worked out for this thread is taken instead of checking again.
pub fn verify(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    let known = KNOWN.with(|k| {
        let k = k.borrow();
        let (check, verdict) = k.get(signature)?;
        (check.key == *public_key && check.message == message).then_some(*verdict)
    });
    known.unwrap_or_else(|| verify_now(public_key, message, signature))
}

fn verify_now(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    let Ok(vk) = VerifyingKey::from_bytes(public_key) else {
        return false;
    };
    let sig = Signature::from_bytes(signature);
    ed25519_dalek::hazmat::raw_verify::<Blake2b512>(&vk, message, &sig).is_ok()
}

/// A signature to check: by whom, over what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureCheck {
    pub key: [u8; 32],
    pub message: Vec<u8>,
    pub signature: [u8; 64],
}

/// Verdicts `verify_ahead` remembers at most; past that they are all forgotten (a
/// forgotten one is only checked again when asked for).
const MAX_KNOWN: usize = 16_384;

type Known = std::collections::HashMap<[u8; 64], (SignatureCheck, bool)>;

thread_local! {
    /// Verdicts worked out ahead for this thread, by signature, with what they were
    /// checked against so a signature reused over another message is not taken for it.
    static KNOWN: std::cell::RefCell<Known> = std::cell::RefCell::new(Known::new());
}

/// Forgets the verdicts `verify_ahead` remembered for this thread (a scan that used
/// them has ended: its memory goes with it).
pub fn forget_ahead() {
    KNOWN.with(|k| *k.borrow_mut() = Known::new());
}

/// Checks `checks` on up to `threads` threads (this one among them) and remembers the
/// verdicts for this thread, so that the `verify` calls for them that follow return
/// at once. What a scan uses to check the signatures of the rows it is about to
/// return on every core, one batch at a time, while it stays on one thread.
pub fn verify_ahead(checks: Vec<SignatureCheck>, threads: usize) {
    let threads = threads.clamp(1, checks.len().max(1));
    let chunk = checks.len().div_ceil(threads).max(1);
    let verdicts: Vec<bool> = std::thread::scope(|s| {
        let mut parts = checks.chunks(chunk);
        let own = parts.next().unwrap_or_default();
        let check_all = |part: &[SignatureCheck]| -> Vec<bool> {
            part.iter()
                .map(|c| verify_now(&c.key, &c.message, &c.signature))
                .collect()
        };
        // A thread that cannot be started (the host at its limit) leaves its part to
        // this one: slower, never an error.
        let others: Vec<_> = parts
            .map(|part| {
                std::thread::Builder::new()
                    .spawn_scoped(s, move || check_all(part))
                    .map_err(|_| part)
            })
            .collect();
        let mut all = check_all(own);
        for h in others {
            match h {
                Ok(h) => match h.join() {
                    Ok(v) => all.extend(v),
                    // A panic in a check is ed25519's, never expected: the verdicts
                    // are simply checked again when asked for.
                    Err(_) => return Vec::new(),
                },
                Err(part) => all.extend(check_all(part)),
            }
        }
        all
    });
    if verdicts.len() != checks.len() {
        return;
    }
    KNOWN.with(|k| {
        let mut k = k.borrow_mut();
        if k.len() + checks.len() > MAX_KNOWN {
            k.clear();
        }
        for (c, v) in checks.into_iter().zip(verdicts) {
            k.insert(c.signature, (c, v));
        }
    });
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

#[cfg(test)]
mod tests {
    use super::*;

    fn check(key: [u8; 32], message: &[u8], signature: [u8; 64]) -> SignatureCheck {
        SignatureCheck {
            key,
            message: message.to_vec(),
            signature,
        }
    }

    #[test]
    fn verdicts_made_ahead_are_those_of_a_check_and_bound_to_what_was_checked() {
        let (key, good) = sign(&[1; 32], b"vote A");
        let mut bad = good;
        bad[10] ^= 1;
        let (other_key, other) = sign(&[2; 32], b"vote B");
        // More checks than threads, so every thread takes a share.
        let mut checks = vec![check(key, b"vote A", good), check(key, b"vote A", bad)];
        for i in 0..6u8 {
            let (k, s) = sign(&[10 + i; 32], &[i; 32]);
            checks.push(check(k, &[i; 32], s));
        }
        verify_ahead(checks, 3);
        KNOWN.with(|k| assert_eq!(k.borrow().len(), 8, "every verdict remembered"));
        assert!(verify(&key, b"vote A", &good));
        assert!(!verify(&key, b"vote A", &bad));
        for i in 0..6u8 {
            let (k, s) = sign(&[10 + i; 32], &[i; 32]);
            assert!(verify(&k, &[i; 32], &s));
        }
        // The same signature over another message, or under another key, is checked
        // again rather than taken from the remembered verdict.
        assert!(!verify(&key, b"vote B", &good));
        assert!(!verify(&other_key, b"vote A", &good));
        // Not remembered at all: checked now.
        assert!(verify(&other_key, b"vote B", &other));
    }

    #[test]
    fn remembered_verdicts_stay_bounded() {
        let (key, sig) = sign(&[3; 32], b"m");
        for round in 0..3 {
            let checks: Vec<SignatureCheck> = (0..MAX_KNOWN / 2 + 1)
                .map(|i| {
                    let mut s = sig;
                    s[..8].copy_from_slice(&((round * MAX_KNOWN + i) as u64).to_le_bytes());
                    check(key, b"m", s)
                })
                .collect();
            verify_ahead(checks, 2);
            KNOWN.with(|k| assert!(k.borrow().len() <= MAX_KNOWN));
        }
        assert!(
            verify(&key, b"m", &sig),
            "a forgotten verdict is checked again"
        );
        forget_ahead();
        KNOWN.with(|k| assert!(k.borrow().is_empty()));
    }

    #[test]
    fn one_check_or_none_needs_no_other_thread() {
        verify_ahead(Vec::new(), 4);
        let (key, sig) = sign(&[4; 32], b"only");
        verify_ahead(vec![check(key, b"only", sig)], 4);
        KNOWN.with(|k| assert_eq!(k.borrow().len(), 1));
        assert!(verify(&key, b"only", &sig));
    }
}
