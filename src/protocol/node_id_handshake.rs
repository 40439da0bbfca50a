//! node_id_handshake (0x0a): optional query cookie (bit 0), optional response
//! (bit 1), v1 or v2 layout (bit 2; signature last) and its signature check (5.8).

use super::crypto::verify;
use super::wire::{bytes, exact_len, run};
use super::{HandshakeResponse, Hash, Header, Malformed, NodeIdHandshake};

/// Payload size the extension bits call for: cookie 32, response 96 (v1: node id,
/// signature) or 160 (v2: node id, salt, genesis, signature).
pub(crate) fn payload_size(extensions: u16) -> usize {
    let (has_query, has_response, v2) = flags(extensions);
    let query = if has_query { 32 } else { 0 };
    let response = match (has_response, v2) {
        (false, _) => 0,
        (true, false) => 96,
        (true, true) => 160,
    };
    query + response
}

/// Extension bits 0, 1 and 2: query present, response present, v2 layout.
fn flags(ext: u16) -> (bool, bool, bool) {
    (ext & 1 != 0, ext & 2 != 0, ext & 4 != 0)
}

pub(crate) fn decode(h: &Header, payload: &[u8]) -> Result<NodeIdHandshake, Malformed> {
    let what = "node_id_handshake";
    let ext = h.extensions;
    let (has_query, has_response, v2) = flags(ext);
    exact_len(what, payload, payload_size(ext))?;
    let mut rest = payload;
    let query = if has_query {
        let (r, cookie) = run(what, bytes::<32>, rest)?;
        rest = r;
        Some(cookie)
    } else {
        None
    };
    let response = match (has_response, v2) {
        (false, _) => None,
        (true, false) => {
            let (_, (node_id, signature)) = run(what, (bytes::<32>, bytes::<64>), rest)?;
            Some(HandshakeResponse {
                node_id,
                v2: None,
                signature,
            })
        }
        (true, true) => {
            let (_, (node_id, salt, genesis, signature)) = run(
                what,
                (bytes::<32>, bytes::<32>, bytes::<32>, bytes::<64>),
                rest,
            )?;
            Some(HandshakeResponse {
                node_id,
                v2: Some((salt, genesis)),
                signature,
            })
        }
    };
    Ok(NodeIdHandshake {
        query,
        response,
        v2,
    })
}

impl HandshakeResponse {
    /// The bytes the node id signs: the peer's cookie (v1), or cookie ‖ salt ‖ genesis (v2).
    pub fn signed_bytes(&self, peer_cookie: &Hash) -> Vec<u8> {
        let mut m = Vec::with_capacity(96);
        m.extend_from_slice(peer_cookie);
        if let Some((salt, genesis)) = &self.v2 {
            m.extend_from_slice(salt);
            m.extend_from_slice(genesis);
        }
        m
    }

    /// Checks the signature against the cookie the peer sent in its query.
    pub fn verify(&self, peer_cookie: &Hash) -> bool {
        verify(
            &self.node_id,
            &self.signed_bytes(peer_cookie),
            &self.signature,
        )
    }
}
