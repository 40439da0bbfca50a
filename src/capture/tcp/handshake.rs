//! node_id_handshake across the two directions of a connection: the cookie each side
//! sent, and the node id a side proved by signing the other side's cookie.

use crate::protocol::crypto::verify;
use crate::protocol::{HandshakeResponse, NodeIdHandshake};

/// Handshake facts of one direction (one side of the connection).
#[derive(Debug, Default, Clone)]
pub struct HandshakeSide {
    /// The cookie this side sent in its query, for the other side to sign.
    pub cookie: Option<[u8; 32]>,
    /// The node id this side proved (a response whose signature verifies).
    pub node_id: Option<[u8; 32]>,
}

/// Records a handshake message sent by `sender`. Returns the cookie the other side had
/// sent (the one a response in this message must sign), when the message has a response.
pub fn on_handshake(
    msg: &NodeIdHandshake,
    sender: &mut HandshakeSide,
    other: &HandshakeSide,
    prove_node_ids: bool,
) -> Option<[u8; 32]> {
    if let Some(cookie) = msg.query {
        sender.cookie = Some(cookie);
    }
    let response = msg.response.as_ref()?;
    let peer_cookie = other.cookie?;
    if prove_node_ids && verify_response(response, &peer_cookie) {
        sender.node_id = Some(response.node_id);
    }
    Some(peer_cookie)
}

/// Nano's Ed25519 (BLAKE2b-512) over the cookie (v1) or over
/// `cookie ‖ salt ‖ genesis` (v2), docs/protocol.md section 5.8.
pub fn verify_response(response: &HandshakeResponse, cookie: &[u8; 32]) -> bool {
    match &response.v2 {
        None => verify(&response.node_id, cookie, &response.signature),
        Some((salt, genesis)) => {
            let mut signed = [0u8; 96];
            signed[..32].copy_from_slice(cookie);
            signed[32..64].copy_from_slice(salt);
            signed[64..].copy_from_slice(genesis);
            verify(&response.node_id, &signed, &response.signature)
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn hex32(s: &str) -> [u8; 32] {
        let v = hex(s);
        v.try_into().unwrap()
    }

    pub fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// docs/protocol.md section 10, Example 4: the dev genesis key signs C1 ‖ salt ‖ genesis
    /// with C1 = 40..5f (the peer's cookie), salt = 60..7f.
    pub fn example4_response() -> HandshakeResponse {
        let mut salt = [0u8; 32];
        for (i, b) in salt.iter_mut().enumerate() {
            *b = 0x60 + i as u8;
        }
        let sig = hex(
            "b3eadd438cda06c77d49048e7931f77079bb1c20afe8829b22ddd27d249c3a3c\
             972bb4aeb94251342e76cac303113efc6ae721fd92d13f69d618594d6468df09",
        );
        HandshakeResponse {
            node_id: hex32("b0311ea55708d6a53c75cdbf88300259c6d018522fe3d4d0a242e431f9e8b6d0"),
            v2: Some((
                salt,
                hex32("04270d7f11c4b2b472f2854c5a59f2a7e84226ce9ed799de75744bd7d85fc9d9"),
            )),
            signature: sig.try_into().unwrap(),
        }
    }

    pub fn cookie(first: u8) -> [u8; 32] {
        let mut c = [0u8; 32];
        for (i, b) in c.iter_mut().enumerate() {
            *b = first + i as u8;
        }
        c
    }

    #[test]
    fn example4_signature_verifies_against_the_peer_cookie_only() {
        let r = example4_response();
        assert!(verify_response(&r, &cookie(0x40)));
        // The cookie carried in the same message (C2 = 20..3f) is not what it signs.
        assert!(!verify_response(&r, &cookie(0x20)));
    }

    #[test]
    fn node_id_is_proved_only_by_a_verified_response() {
        let mut initiator = HandshakeSide::default();
        let mut responder = HandshakeSide::default();
        let query = NodeIdHandshake {
            query: Some(cookie(0x40)),
            response: None,
            v2: true,
        };
        assert_eq!(on_handshake(&query, &mut initiator, &responder, true), None);
        assert_eq!(initiator.cookie, Some(cookie(0x40)));
        let answer = NodeIdHandshake {
            query: Some(cookie(0x20)),
            response: Some(example4_response()),
            v2: true,
        };
        let peer = on_handshake(&answer, &mut responder, &initiator, true);
        assert_eq!(peer, Some(cookie(0x40)));
        assert_eq!(responder.cookie, Some(cookie(0x20)));
        assert_eq!(responder.node_id, Some(example4_response().node_id));
        // A response signing the wrong cookie proves nothing.
        let mut liar = HandshakeSide::default();
        let wrong = HandshakeSide {
            cookie: Some(cookie(0x00)),
            node_id: None,
        };
        on_handshake(&answer, &mut liar, &wrong, true);
        assert_eq!(liar.node_id, None);
        // Not asked to prove node ids: the cookie still pairs, nothing is verified.
        let mut unproved = HandshakeSide::default();
        assert_eq!(
            on_handshake(&answer, &mut unproved, &initiator, false),
            Some(cookie(0x40))
        );
        assert_eq!(unproved.node_id, None);
    }
}
