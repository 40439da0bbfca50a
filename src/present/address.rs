//! IP addresses as text, written straight into an `Inline`.
//!
//! The text is exactly what Rust's `Display` of the address gives (the form every
//! table, the store and the JSON have always shown): dotted decimal for IPv4; for
//! IPv6, lowercase hex groups without leading zeros, the longest run of two or more
//! zero groups (the first one on a tie) shortened to `::`, and an IPv4-mapped address
//! as `::ffff:` and its dotted IPv4. Going through `core::fmt` cost about a twentieth
//! of a wide `SELECT` over a capture; this writes the same characters without it.

use super::text::Inline;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Longest address text: eight groups of four digits and seven colons (39), or
/// `::ffff:` and a dotted IPv4 (22).
const _: () = assert!(Inline::MAX_LEN >= 39);

pub fn push_ip(out: &mut Inline, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => push_ipv4(out, v4),
        IpAddr::V6(v6) => push_ipv6(out, v6),
    }
}

fn push_ipv4(out: &mut Inline, ip: Ipv4Addr) {
    let mut digits = itoa::Buffer::new();
    for (i, octet) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            out.push_str(".");
        }
        out.push_str(digits.format(octet));
    }
}

fn push_ipv6(out: &mut Inline, ip: Ipv6Addr) {
    if let Some(v4) = ip.to_ipv4_mapped() {
        out.push_str("::ffff:");
        return push_ipv4(out, v4);
    }
    let groups = ip.segments();
    let (start, len) = longest_zero_run(&groups);
    if len > 1 {
        push_groups(out, &groups[..start]);
        out.push_str("::");
        push_groups(out, &groups[start + len..]);
    } else {
        push_groups(out, &groups);
    }
}

/// Start and length of the first longest run of zero groups (length 0 if none).
fn longest_zero_run(groups: &[u16; 8]) -> (usize, usize) {
    let (mut best, mut run_start, mut run_len) = ((0, 0), 0, 0);
    for (i, &g) in groups.iter().enumerate() {
        if g != 0 {
            run_len = 0;
            continue;
        }
        if run_len == 0 {
            run_start = i;
        }
        run_len += 1;
        if run_len > best.1 {
            best = (run_start, run_len);
        }
    }
    best
}

/// Groups joined by `:`, each in lowercase hex without leading zeros.
fn push_groups(out: &mut Inline, groups: &[u16]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (i, &g) in groups.iter().enumerate() {
        if i > 0 {
            out.push_str(":");
        }
        let nibbles =
            [g >> 12, (g >> 8) & 0xf, (g >> 4) & 0xf, g & 0xf].map(|n| DIGITS[n as usize]);
        // Leading zero digits dropped, one digit kept for a zero group.
        let skip = (g.leading_zeros() as usize / 4).min(3);
        out.push_ascii(&nibbles[skip..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::test_rng::Rng;

    fn text(ip: IpAddr) -> String {
        let mut t = Inline::new();
        push_ip(&mut t, ip);
        t.as_str().to_owned()
    }

    #[test]
    fn addresses_read_as_rusts_display_of_them() {
        let fixed: [IpAddr; 12] = [
            "0.0.0.0".parse().unwrap(),
            "255.255.255.255".parse().unwrap(),
            "10.0.100.7".parse().unwrap(),
            "::".parse().unwrap(),
            "::1".parse().unwrap(),
            "1::".parse().unwrap(),
            "::ffff:192.0.2.1".parse().unwrap(),
            "::192.0.2.1".parse().unwrap(),
            "2001:db8:0:1:0:0:0:1".parse().unwrap(),
            "2001:0:0:1:0:0:1:1".parse().unwrap(),
            "fe80::1:0:0:0".parse().unwrap(),
            "1:0:2:0:3:0:4:0".parse().unwrap(),
        ];
        for ip in fixed {
            assert_eq!(text(ip), ip.to_string(), "{ip:?}");
        }
        // Random addresses with zero groups scattered in, so that runs of every length
        // and position (and ties between runs) come up.
        let mut rng = Rng(0x1ab5_2026);
        for _ in 0..20_000 {
            let mut groups = [0u16; 8];
            for g in &mut groups {
                *g = match rng.below(4) {
                    0 | 1 => 0,
                    2 => rng.below(16) as u16,
                    _ => rng.next() as u16,
                };
            }
            let v6 = Ipv6Addr::from(groups);
            assert_eq!(text(v6.into()), v6.to_string(), "{groups:x?}");
            let v4 = Ipv4Addr::from(rng.next() as u32);
            assert_eq!(text(v4.into()), v4.to_string());
            let mapped = v4.to_ipv6_mapped();
            assert_eq!(text(mapped.into()), mapped.to_string());
        }
    }
}
