//! keepalive (0x02): eight peer endpoints, exactly 144 bytes (docs/protocol.md section 5.1).

use super::wire::{bytes, exact_len, run};
use super::{Endpoint, Keepalive, Malformed};
use nom::number::complete::le_u16;
use nom::Parser;

pub const SIZE: usize = 144;

/// `[16]` IPv6 address then u16le port.
pub(crate) fn endpoint(i: &[u8]) -> super::wire::Res<'_, Endpoint> {
    (bytes::<16>, le_u16)
        .map(|(addr, port)| Endpoint { addr, port })
        .parse(i)
}

pub(crate) fn decode(payload: &[u8]) -> Result<Keepalive, Malformed> {
    // The node rejects both short and long keepalives.
    exact_len("keepalive", payload, SIZE)?;
    let mut peers = [Endpoint {
        addr: [0; 16],
        port: 0,
    }; 8];
    let mut rest = payload;
    for p in peers.iter_mut() {
        let (r, e) = run("keepalive", endpoint, rest)?;
        *p = e;
        rest = r;
    }
    Ok(Keepalive { peers })
}

impl Endpoint {
    /// The IPv4 address when this is an IPv4-mapped IPv6 address.
    pub fn ipv4(&self) -> Option<[u8; 4]> {
        let a = &self.addr;
        if a[..10].iter().all(|&b| b == 0) && a[10] == 0xff && a[11] == 0xff {
            Some([a[12], a[13], a[14], a[15]])
        } else {
            None
        }
    }
}
