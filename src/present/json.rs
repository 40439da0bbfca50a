//! The `details` column: a message's whole decoded payload as JSON, fields in wire
//! order, for reading at a glance. Typed tables carry the same fields as columns.
//! Signature checks are left to the typed tables' `signature_valid` columns: at tens
//! of microseconds each, they would make `SELECT *` over `nano_packets` a hundred
//! times slower. The text is written straight into one `String` (building a value
//! tree first cost more than all other columns together).

use crate::present::address::push_ip;
use crate::present::text::{string_with_capacity, Inline};
use crate::protocol::*;
use std::fmt::Write;

/// Writes one JSON object's members; nested objects and arrays through closures.
struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    fn new(out: &'a mut String) -> Obj<'a> {
        out.push('{');
        Obj { out, first: true }
    }

    /// Keys are this module's own identifiers: nothing in them needs escaping.
    fn key(&mut self, k: &'static str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push('"');
        self.out.push_str(k);
        self.out.push_str("\":");
        self.out
    }

    fn str(&mut self, k: &'static str, v: &str) -> &mut Self {
        let out = self.key(k);
        push_str(out, v);
        self
    }

    /// A JSON string of what `v` displays as, written in place; only for displays
    /// that need no escaping (addresses, hex, decimal digits).
    fn shown(&mut self, k: &'static str, v: impl std::fmt::Display) -> &mut Self {
        let out = self.key(k);
        // Writing into a String cannot fail.
        let _ = write!(out, "\"{v}\"");
        self
    }

    /// A JSON string of text that needs no escaping (addresses, digits).
    fn quoted(&mut self, k: &'static str, v: &str) -> &mut Self {
        let out = self.key(k);
        out.push('"');
        out.push_str(v);
        out.push('"');
        self
    }

    /// An IPv6 (or IPv4-mapped) address as `Display` shows it, without `core::fmt`.
    fn address(&mut self, k: &'static str, v: std::net::Ipv6Addr) -> &mut Self {
        let mut text = Inline::new();
        push_ip(&mut text, v.into());
        self.quoted(k, text.as_str())
    }

    /// An integer as a JSON string of its decimal digits (a u64 a JSON reader's
    /// doubles could not hold).
    fn digits(&mut self, k: &'static str, v: impl itoa::Integer) -> &mut Self {
        let mut digits = itoa::Buffer::new();
        self.quoted(k, digits.format(v))
    }

    /// A u64 as 16 lowercase hex digits, the way the node prints work and difficulty.
    fn hex_u64(&mut self, k: &'static str, v: u64) -> &mut Self {
        // Hex digits are ASCII: the conversion cannot fail.
        self.quoted(
            k,
            std::str::from_utf8(&hex_lower_u64(v)).unwrap_or_default(),
        )
    }

    fn hex(&mut self, k: &'static str, v: &[u8]) -> &mut Self {
        let out = self.key(k);
        out.push('"');
        push_hex_upper(out, v);
        out.push('"');
        self
    }

    fn opt_hex(&mut self, k: &'static str, v: Option<&[u8]>) -> &mut Self {
        match v {
            Some(v) => self.hex(k, v),
            None => self.raw(k, "null"),
        }
    }

    /// `nano_` addresses are base32 letters and digits: written without escaping.
    fn account(&mut self, k: &'static str, v: &[u8; 32]) -> &mut Self {
        self.key_text(k, ACCOUNT_PREFIX, v)
    }

    /// A node id in its `node_` form, like an account.
    fn node_id(&mut self, k: &'static str, v: &[u8; 32]) -> &mut Self {
        self.key_text(k, NODE_ID_PREFIX, v)
    }

    fn key_text(&mut self, k: &'static str, prefix: &str, v: &[u8; 32]) -> &mut Self {
        let out = self.key(k);
        out.push('"');
        push_key_text(out, prefix, v);
        out.push('"');
        self
    }

    /// An integer, in decimal.
    fn num(&mut self, k: &'static str, v: impl itoa::Integer) -> &mut Self {
        let mut digits = itoa::Buffer::new();
        self.key(k).push_str(digits.format(v));
        self
    }

    fn raw(&mut self, k: &'static str, v: &str) -> &mut Self {
        self.key(k).push_str(v);
        self
    }

    fn bool(&mut self, k: &'static str, v: bool) -> &mut Self {
        self.raw(k, if v { "true" } else { "false" })
    }

    /// A u128 amount as decimal text (JSON numbers lose precision past 2^53).
    fn amount(&mut self, k: &'static str, v: u128) -> &mut Self {
        let mut digits = itoa::Buffer::new();
        let out = self.key(k);
        out.push('"');
        out.push_str(digits.format(v));
        out.push('"');
        self
    }

    fn obj(&mut self, k: &'static str, f: impl FnOnce(&mut Obj<'_>)) -> &mut Self {
        let out = self.key(k);
        let mut inner = Obj::new(out);
        f(&mut inner);
        inner.close();
        self
    }

    fn arr<T>(
        &mut self,
        k: &'static str,
        items: &[T],
        mut f: impl FnMut(&mut String, &T),
    ) -> &mut Self {
        let out = self.key(k);
        out.push('[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            f(out, item);
        }
        out.push(']');
        self
    }

    fn close(self) {
        self.out.push('}');
    }
}

fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn push_hex_item(out: &mut String, bytes: &[u8]) {
    out.push('"');
    push_hex_upper(out, bytes);
    out.push('"');
}

fn write_block(o: &mut Obj<'_>, b: &Block, network: u16) {
    o.str(
        "type",
        block_type_name(b.block_type() as u8).unwrap_or("unknown"),
    );
    o.hex("hash", &b.hash());
    match b {
        Block::Send(s) => {
            o.hex("previous", &s.previous)
                .account("destination", &s.destination)
                .amount("balance", s.balance);
        }
        Block::Receive(r) => {
            o.hex("previous", &r.previous).hex("source", &r.source);
        }
        Block::Open(x) => {
            o.hex("source", &x.source)
                .account("representative", &x.representative)
                .account("account", &x.account);
        }
        Block::Change(c) => {
            o.hex("previous", &c.previous)
                .account("representative", &c.representative);
        }
        Block::State(s) => {
            o.account("account", &s.account)
                .hex("previous", &s.previous)
                .account("representative", &s.representative)
                .amount("balance", s.balance)
                .hex("link", &s.link)
                .account("link_as_account", &s.link);
        }
    }
    o.hex("signature", b.signature())
        .hex_u64("work", b.work())
        .bool("work_valid", b.work_valid(network));
}

fn write_timing(o: &mut Obj<'_>, v: &Vote, version_using: u8) {
    match v.timing(version_using) {
        VoteTiming::Final => {
            o.bool("final", true);
        }
        VoteTiming::Timestamp { ms, duration_ms } => {
            o.bool("final", false).num("timestamp_ms", ms);
            match duration_ms {
                Some(d) => o.num("duration_ms", d),
                None => o.raw("duration_ms", "null"),
            };
        }
        VoteTiming::Sequence(s) => {
            o.bool("final", false).num("sequence", s);
        }
    }
}

/// The payload of a cleanly decoded message as a JSON object.
pub fn payload_json(hdr: &Header, p: &Payload) -> String {
    let net = hdr.network;
    let mut out = string_with_capacity(512);
    let mut o = Obj::new(&mut out);
    match p {
        Payload::Keepalive(k) => {
            o.arr("peers", &k.peers, |out, e| {
                let mut peer = Obj::new(out);
                peer.address("address", std::net::Ipv6Addr::from(e.addr))
                    .num("port", e.port);
                peer.close();
            });
        }
        Payload::Publish(p) => {
            o.bool("originator", p.originator)
                .obj("block", |b| write_block(b, &p.block, net));
        }
        Payload::ConfirmReq(ConfirmReq::ByHash { pairs, .. }) => {
            o.arr("pairs", pairs, |out, (hash, root)| {
                let mut pair = Obj::new(out);
                pair.hex("hash", hash).hex("root", root);
                pair.close();
            });
        }
        Payload::ConfirmReq(ConfirmReq::Block(b)) => {
            o.obj("block", |o| write_block(o, b, net));
        }
        Payload::ConfirmAck(a) => {
            let v = &a.vote;
            o.account("account", &v.account)
                .hex("signature", &v.signature)
                .digits("timestamp_raw", v.timestamp_raw)
                .obj("timing", |t| write_timing(t, v, hdr.version_using))
                .bool("rebroadcasted", a.rebroadcasted)
                .hex("vote_hash", &v.hash())
                .arr("hashes", &v.hashes, |out, x| push_hex_item(out, x));
            if let Some(b) = &v.block {
                o.obj("block", |o| write_block(o, b, net));
            }
        }
        Payload::BulkPull(b) => {
            o.hex("start", &b.start).hex("end", &b.end);
            match b.count {
                Some(c) => o.num("count", c),
                None => o.raw("count", "null"),
            };
            o.bool("ascending", b.ascending);
        }
        Payload::BulkPush | Payload::TelemetryReq => {}
        Payload::FrontierReq(f) => {
            o.account("start", &f.start)
                .num("age", f.age)
                .num("count", f.count)
                .bool("only_confirmed", f.only_confirmed);
        }
        Payload::BulkPullBlocks(b) => {
            o.hex("min_hash", &b.min_hash)
                .hex("max_hash", &b.max_hash)
                .num("mode", b.mode)
                .num("max_count", b.max_count);
        }
        Payload::NodeIdHandshake(hs) => {
            o.bool("v2", hs.v2)
                .opt_hex("cookie", hs.query.as_ref().map(|c| &c[..]));
            if let Some(r) = &hs.response {
                o.obj("response", |o| {
                    o.node_id("node_id", &r.node_id)
                        .opt_hex("salt", r.v2.as_ref().map(|(s, _)| &s[..]))
                        .opt_hex("genesis", r.v2.as_ref().map(|(_, g)| &g[..]))
                        .hex("signature", &r.signature);
                });
            }
        }
        Payload::BulkPullAccount(b) => {
            o.account("account", &b.account)
                .amount("minimum_amount", b.minimum_amount)
                .num("flags", b.flags);
        }
        Payload::TelemetryAck(t) => match &t.data {
            None => {
                o.bool("empty", true);
            }
            Some(d) => {
                o.bool("empty", false)
                    .hex("signature", &d.signature)
                    .node_id("node_id", &d.node_id)
                    .num("block_count", d.block_count)
                    .num("cemented_count", d.cemented_count)
                    .num("unchecked_count", d.unchecked_count)
                    .num("account_count", d.account_count)
                    .num("bandwidth_cap", d.bandwidth_cap)
                    .num("peer_count", d.peer_count)
                    .num("protocol_version", d.protocol_version)
                    .num("uptime", d.uptime)
                    .hex("genesis_block", &d.genesis_block)
                    .shown(
                        "version",
                        format_args!(
                            "{}.{}.{}.{}",
                            d.major_version,
                            d.minor_version,
                            d.patch_version,
                            d.pre_release_version
                        ),
                    )
                    .num("maker", d.maker)
                    .num("timestamp", d.timestamp)
                    .hex_u64("active_difficulty", d.active_difficulty)
                    .hex("unknown_data", &d.unknown_data);
            }
        },
        Payload::AscPullReq(r) => {
            o.hex("id", &r.id.to_be_bytes())
                .obj("request", |o| match &r.body {
                    AscPullReqBody::Blocks {
                        start,
                        count,
                        start_type,
                    } => {
                        o.str("type", "blocks")
                            .hex("start", start)
                            .num("count", *count)
                            .num("start_type", *start_type);
                    }
                    AscPullReqBody::AccountInfo {
                        target,
                        target_type,
                    } => {
                        o.str("type", "account_info")
                            .hex("target", target)
                            .num("target_type", *target_type);
                    }
                    AscPullReqBody::Frontiers { start, count } => {
                        o.str("type", "frontiers")
                            .account("start", start)
                            .num("count", *count);
                    }
                });
        }
        Payload::AscPullAck(a) => {
            o.hex("id", &a.id.to_be_bytes())
                .obj("response", |o| match &a.body {
                    AscPullAckBody::Blocks(bs) => {
                        o.str("type", "blocks").arr("blocks", bs, |out, b| {
                            let mut bo = Obj::new(out);
                            write_block(&mut bo, b, net);
                            bo.close();
                        });
                    }
                    AscPullAckBody::AccountInfo(i) => {
                        o.str("type", "account_info")
                            .account("account", &i.account)
                            .hex("open", &i.open)
                            .hex("head", &i.head)
                            .num("block_count", i.block_count)
                            .hex("conf_frontier", &i.conf_frontier)
                            .num("conf_height", i.conf_height);
                    }
                    AscPullAckBody::Frontiers(f) => {
                        o.str("type", "frontiers")
                            .arr("frontiers", f, |out, (acct, hash)| {
                                let mut e = Obj::new(out);
                                e.account("account", acct).hex("hash", hash);
                                e.close();
                            });
                    }
                });
        }
    }
    o.close();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_valid_json_for_every_kind_of_string() {
        let mut out = String::new();
        let mut o = Obj::new(&mut out);
        o.str("quote", "a\"b\\c\n")
            .num("n", 5)
            .bool("t", true)
            .hex("h", &[0xab, 0x01]);
        o.close();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["quote"], "a\"b\\c\n");
        assert_eq!(v["n"], 5);
        assert_eq!(v["h"], "AB01");
    }

    #[test]
    fn hex_digits_and_addresses_read_as_their_display() {
        let mut out = String::new();
        let mut o = Obj::new(&mut out);
        let addr: std::net::Ipv6Addr = "::ffff:10.1.2.3".parse().unwrap();
        o.hex_u64("w", 0x0123_4567_89ab_cdef)
            .hex_u64("z", 0)
            .hex_u64("m", u64::MAX)
            .digits("d", u64::MAX)
            .address("a", addr)
            .address("b", "2001:db8::1".parse().unwrap());
        o.close();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["w"], format!("{:016x}", 0x0123_4567_89ab_cdef_u64));
        assert_eq!(v["z"], "0000000000000000");
        assert_eq!(v["m"], "ffffffffffffffff");
        assert_eq!(v["d"], u64::MAX.to_string());
        assert_eq!(v["a"], "::ffff:10.1.2.3");
        assert_eq!(v["b"], "2001:db8::1");
    }
}
