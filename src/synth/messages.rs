//! What to generate: a factory of signed, worked, encoded Nano messages (every type
//! and every flag / legacy form of docs/protocol.md section 2-6) together with their expected decode.

use super::encode::{self, *};
use super::keys::{self, hex_upper, Key};
use super::rng::Rng;
use super::truth::{BlockTruth, MessageTruth};
use crate::protocol::types::*;
use crate::protocol::List;

/// The four networks of docs/protocol.md section 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    Dev,
    Live,
    Beta,
    Test,
}

impl Network {
    pub fn id(self) -> u16 {
        match self {
            Network::Dev => 0x5241,
            Network::Beta => 0x5242,
            Network::Live => 0x5243,
            Network::Test => 0x5258,
        }
    }

    pub fn port(self) -> u16 {
        match self {
            Network::Dev => 44000,
            Network::Beta => 54000,
            Network::Live => 7075,
            Network::Test => 17075,
        }
    }

    pub fn parse(s: &str) -> Option<Network> {
        Some(match s {
            "dev" => Network::Dev,
            "live" => Network::Live,
            "beta" => Network::Beta,
            "test" => Network::Test,
            _ => return None,
        })
    }

    /// (epoch_1, epoch_2 send/change, epoch_2 receive/open) thresholds (docs/protocol.md section 4.4).
    pub fn thresholds(self) -> (u64, u64, u64) {
        match self {
            Network::Live | Network::Test => {
                (0xffffffc000000000, 0xfffffff800000000, 0xfffffe0000000000)
            }
            Network::Beta => (0xfffff00000000000, 0xfffff00000000000, 0xffffe00000000000),
            Network::Dev => (0xfe00000000000000, 0xffc0000000000000, 0xf000000000000000),
        }
    }

    /// The publish entry threshold: epoch_1 for legacy blocks, the minimum of the
    /// three for state blocks.
    pub fn entry_threshold(self, state: bool) -> u64 {
        let (e1, e2s, e2r) = self.thresholds();
        if state {
            e1.min(e2s).min(e2r)
        } else {
            e1
        }
    }

    pub fn genesis_hash(self) -> Hash {
        match self {
            Network::Dev => keys::DEV_GENESIS_HASH,
            _ => keys::LIVE_GENESIS_HASH,
        }
    }
}

/// One encoded message and its expected decode (addresses, frame and id are filled in
/// when it is put on the wire).
#[derive(Debug, Clone)]
pub struct Msg {
    pub bytes: Vec<u8>,
    pub truth: MessageTruth,
    /// Cookie sent in the query part of a handshake, for pairing.
    pub cookie: Option<Hash>,
}

/// Version bytes (max, using, min) of a current V27 node and of older forms.
pub const V_CURRENT: (u8, u8, u8) = (0x15, 0x15, 0x14);
const V_PROTO18: (u8, u8, u8) = (0x12, 0x12, 0x12);
const V_PROTO19: (u8, u8, u8) = (0x13, 0x13, 0x12);
const V_PROTO16: (u8, u8, u8) = (0x10, 0x10, 0x0d);
const V_PROTO15: (u8, u8, u8) = (0x0f, 0x0f, 0x0d);

/// Kinds of vote timestamp field (docs/protocol.md section 5.4 and 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteStamp {
    /// V23+: ms timestamp with duration code 9.
    Packed,
    /// All ones.
    Final,
    /// V22: plain ms timestamp (proto 18 header).
    PlainMs,
    /// V21: small sequence number (proto 18 header).
    Sequence,
}

pub struct Factory {
    pub net: Network,
    rng: Rng,
    /// Account keys: the dev key first, then keys derived from the seed.
    pub accounts: Vec<Key>,
    /// Node id keys (not account keys).
    pub node_ids: Vec<Key>,
    heads: Vec<Hash>,
    balances: Vec<u128>,
    /// Milliseconds, advances with every vote/telemetry.
    clock_ms: u64,
    sequence: u64,
    /// Every block made, for confirm_req roots and bulk_pull streams.
    pub made: Vec<(Block, Hash)>,
}

fn blank_truth(h: &Header, size: usize) -> MessageTruth {
    MessageTruth {
        id: 0,
        frame: 0,
        time_usec: 0,
        transport: String::new(),
        ipv: 0,
        src_ip: String::new(),
        src_port: 0,
        dst_ip: String::new(),
        dst_port: 0,
        network: h.network,
        version_max: h.version_max,
        version_using: h.version_using,
        version_min: h.version_min,
        msg_type: h.msg_type,
        msg_name: msg_name(h.msg_type).to_string(),
        extensions: h.extensions,
        block_type: None,
        item_count: None,
        size,
        error: None,
        blocks: Vec::new(),
        vote_hash: None,
        signature_valid: None,
        after_gap: false,
    }
}

fn block_type_name(t: BlockType) -> &'static str {
    match t {
        BlockType::Send => "send",
        BlockType::Receive => "receive",
        BlockType::Open => "open",
        BlockType::Change => "change",
        BlockType::State => "state",
    }
}

impl Factory {
    pub fn new(net: Network, seed: u64) -> Factory {
        let mut rng = Rng::new(seed).fork(0x6b657973);
        let mut accounts = vec![Key::dev()];
        for _ in 0..5 {
            accounts.push(Key::from_private(rng.bytes32()));
        }
        let node_ids = (0..6).map(|_| Key::from_private(rng.bytes32())).collect();
        let mut heads = vec![keys::DEV_GENESIS_HASH];
        heads.extend((1..accounts.len()).map(|_| [0u8; 32]));
        let mut balances = vec![u128::MAX];
        balances.extend((1..accounts.len()).map(|_| 0u128));
        Factory {
            net,
            rng,
            accounts,
            node_ids,
            heads,
            balances,
            clock_ms: 1_700_000_000_000,
            sequence: 1,
            made: Vec::new(),
        }
    }

    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    pub fn header(&self, v: (u8, u8, u8), msg_type: u8, extensions: u16) -> Header {
        Header {
            network: self.net.id(),
            version_max: v.0,
            version_using: v.1,
            version_min: v.2,
            msg_type,
            extensions,
        }
    }

    // ---- blocks ----

    fn work_for(&mut self, root: &Hash) -> u64 {
        let start = self.rng.next_u64();
        match self.net {
            // Dev work is cheap (~128 tries). Meeting epoch_1 (fe00..) makes it valid for
            // legacy blocks and for the state entry threshold (min of the three).
            Network::Dev => keys::find_work(root, self.net.entry_threshold(false), start),
            // Live/beta/test thresholds cost up to 2^26 hashes: use cheap, invalid work.
            _ => start,
        }
    }

    /// Fills signature and work of an unsigned block; `account` signs.
    fn finish_block(&mut self, mut block: Block, signer: &Key) -> Block {
        let hash = keys::block_hash(&block);
        let sig = signer.sign(&hash);
        let root = keys::work_root(&block);
        let work = self.work_for(&root);
        match &mut block {
            Block::Send(b) => (b.signature, b.work) = (sig, work),
            Block::Receive(b) => (b.signature, b.work) = (sig, work),
            Block::Open(b) => (b.signature, b.work) = (sig, work),
            Block::Change(b) => (b.signature, b.work) = (sig, work),
            Block::State(b) => (b.signature, b.work) = (sig, work),
        }
        self.made.push((block.clone(), hash));
        block
    }

    /// A new block of type `t` on one of the chains, signed and worked.
    pub fn block(&mut self, t: BlockType) -> Block {
        let i = self.rng.index(self.accounts.len());
        let key = self.accounts[i].clone();
        let prev = if self.heads[i] == [0u8; 32] {
            self.rng.bytes32()
        } else {
            self.heads[i]
        };
        let rep = self.accounts[self.rng.index(self.accounts.len())].public;
        let amount = (self.rng.range(1, 1000) as u128) * 10u128.pow(30);
        let b = match t {
            BlockType::Send => Block::Send(SendBlock {
                previous: prev,
                destination: self.accounts[self.rng.index(self.accounts.len())].public,
                balance: self.balances[i].wrapping_sub(amount),
                signature: [0; 64],
                work: 0,
            }),
            BlockType::Receive => Block::Receive(ReceiveBlock {
                previous: prev,
                source: self.rng.bytes32(),
                signature: [0; 64],
                work: 0,
            }),
            BlockType::Open => Block::Open(OpenBlock {
                source: self.rng.bytes32(),
                representative: rep,
                account: key.public,
                signature: [0; 64],
                work: 0,
            }),
            BlockType::Change => Block::Change(ChangeBlock {
                previous: prev,
                representative: rep,
                signature: [0; 64],
                work: 0,
            }),
            BlockType::State => {
                let open = self.rng.chance(0.1);
                let send = self.rng.chance(0.5);
                let balance = if send {
                    self.balances[i].wrapping_sub(amount)
                } else {
                    self.balances[i].wrapping_add(amount)
                };
                Block::State(StateBlock {
                    account: key.public,
                    previous: if open { [0u8; 32] } else { prev },
                    representative: rep,
                    balance,
                    link: if send {
                        self.accounts[self.rng.index(self.accounts.len())].public
                    } else {
                        self.rng.bytes32()
                    },
                    signature: [0; 64],
                    work: 0,
                })
            }
        };
        let b = self.finish_block(b, &key);
        let h = keys::block_hash(&b);
        if !matches!(b, Block::Open(_)) {
            self.heads[i] = h;
        }
        if let Block::Send(s) = &b {
            self.balances[i] = s.balance;
        }
        if let Block::State(s) = &b {
            self.balances[i] = s.balance;
        }
        b
    }

    pub fn block_truth(&self, b: &Block) -> BlockTruth {
        let hash = keys::block_hash(b);
        let t = block_type(b);
        let (sig_valid, work, state) = match b {
            Block::Open(o) => (Some(verify(&o.account, &hash, &o.signature)), o.work, false),
            Block::State(s) => (Some(verify(&s.account, &hash, &s.signature)), s.work, true),
            Block::Send(s) => (None, s.work, false),
            Block::Receive(s) => (None, s.work, false),
            Block::Change(s) => (None, s.work, false),
        };
        BlockTruth {
            block_type: block_type_name(t).to_string(),
            hash: hex_upper(&hash),
            signature_valid: sig_valid,
            work_valid: keys::work_value(work, &keys::work_root(b))
                >= self.net.entry_threshold(state),
        }
    }

    // ---- message assembly ----

    /// Encodes `payload` under `header` and derives its truth.
    pub fn finish(&self, header: Header, payload: &Payload) -> Msg {
        let mut bytes = Vec::with_capacity(8 + 256);
        encode::header_bytes(&header, &mut bytes);
        encode::payload_bytes(payload, &mut bytes);
        let mut t = blank_truth(&header, bytes.len() - 8);
        let mut cookie = None;
        match payload {
            Payload::Publish(p) => {
                t.block_type = Some(block_type(&p.block) as u8);
                t.blocks.push(self.block_truth(&p.block));
            }
            Payload::ConfirmReq(ConfirmReq::ByHash { pairs, .. }) => {
                t.block_type = Some(1);
                t.item_count = Some(pairs.len() as u32);
            }
            Payload::ConfirmReq(ConfirmReq::Block(b)) => {
                t.block_type = Some(block_type(b) as u8);
                t.blocks.push(self.block_truth(b));
            }
            Payload::ConfirmAck(a) => {
                let vh = match &a.vote.block {
                    Some(b) => {
                        t.block_type = Some(block_type(b) as u8);
                        t.blocks.push(self.block_truth(b));
                        keys::vote_hash_legacy(&keys::block_hash(b), a.vote.timestamp_raw)
                    }
                    None => {
                        t.block_type = Some(1);
                        t.item_count = Some(a.vote.hashes.len() as u32);
                        keys::vote_hash(&a.vote.hashes, a.vote.timestamp_raw)
                    }
                };
                t.vote_hash = Some(hex_upper(&vh));
                t.signature_valid = Some(verify(&a.vote.account, &vh, &a.vote.signature));
            }
            Payload::NodeIdHandshake(h) => {
                cookie = h.query;
                // Validity of a response needs the peer's cookie: set by the caller.
            }
            Payload::TelemetryAck(TelemetryAck { data: Some(d) }) => {
                let signed = encode::telemetry_signed_part(d);
                t.signature_valid = Some(verify(&d.node_id, &signed, &d.signature));
            }
            Payload::AscPullAck(AscPullAck {
                body: AscPullAckBody::Blocks(bs),
                ..
            }) => {
                for b in bs {
                    t.blocks.push(self.block_truth(b));
                }
            }
            _ => {}
        }
        Msg {
            bytes,
            truth: t,
            cookie,
        }
    }

    fn current(&self, p: &Payload, flag2: bool, v2_count: bool) -> Msg {
        let h = self.header(
            V_CURRENT,
            msg_type_of(p),
            extensions_for(p, flag2, v2_count),
        );
        self.finish(h, p)
    }

    // ---- one maker per message form ----

    fn endpoint_v4(&mut self) -> Endpoint {
        let mut addr = [0u8; 16];
        addr[10] = 0xff;
        addr[11] = 0xff;
        addr[12] = 10;
        addr[13] = self.rng.range(0, 255) as u8;
        addr[14] = self.rng.range(0, 255) as u8;
        addr[15] = self.rng.range(1, 254) as u8;
        Endpoint {
            addr,
            port: self.net.port(),
        }
    }

    fn endpoint_v6(&mut self) -> Endpoint {
        let mut addr = [0u8; 16];
        addr[0] = 0xfd;
        self.rng.fill(&mut addr[8..]);
        Endpoint {
            addr,
            port: self.rng.range(1024, 65535) as u16,
        }
    }

    /// Slot 0 = `::` + own port, slot 1 zero, then IPv4-mapped and IPv6 peers, then
    /// `empty` zero slots at the end.
    pub fn keepalive(&mut self, empty: usize) -> Msg {
        let zero = Endpoint {
            addr: [0; 16],
            port: 0,
        };
        let mut peers = [zero; 8];
        peers[0].port = self.net.port();
        let filled = 8usize.saturating_sub(empty).max(2);
        for (i, p) in peers.iter_mut().enumerate().take(filled).skip(2) {
            *p = if i % 2 == 0 {
                self.endpoint_v4()
            } else {
                self.endpoint_v6()
            };
        }
        self.current(&Payload::Keepalive(Keepalive { peers }), false, false)
    }

    pub fn publish(&mut self, t: BlockType, originator: bool) -> Msg {
        let block = self.block(t);
        self.current(
            &Payload::Publish(Publish { block, originator }),
            originator,
            false,
        )
    }

    /// A publish whose block signature is broken (signature_valid false for state/open).
    pub fn publish_bad_signature(&mut self) -> Msg {
        let mut block = self.block(BlockType::State);
        if let Block::State(s) = &mut block {
            s.signature[10] ^= 0x40;
        }
        self.current(
            &Payload::Publish(Publish {
                block,
                originator: false,
            }),
            false,
            false,
        )
    }

    fn pairs(&mut self, count: usize) -> Vec<(Hash, Hash)> {
        (0..count)
            .map(|_| {
                if !self.made.is_empty() && self.rng.chance(0.7) {
                    let (b, h) = &self.made[self.rng.index(self.made.len())];
                    (*h, keys::work_root(b))
                } else {
                    (self.rng.bytes32(), self.rng.bytes32())
                }
            })
            .collect()
    }

    /// confirm_req by hash; counts 16..255 use the v2 encoding.
    pub fn confirm_req(&mut self, count: usize) -> Msg {
        let pairs = self.pairs(count.clamp(1, 255));
        let p = Payload::ConfirmReq(ConfirmReq::ByHash {
            pairs: pairs.into(),
            v18_body_count: false,
        });
        self.current(&p, false, false)
    }

    /// Legacy block form (≤V25, proto 19 header).
    pub fn confirm_req_block(&mut self, t: BlockType) -> Msg {
        let b = self.block(t);
        let p = Payload::ConfirmReq(ConfirmReq::Block(b));
        self.finish(
            self.header(V_PROTO19, CONFIRM_REQ, extensions_for(&p, false, false)),
            &p,
        )
    }

    /// V18 UDP form: count byte in the body, proto 16 header.
    pub fn confirm_req_v18(&mut self, count: usize) -> Msg {
        let pairs = self.pairs(count.clamp(1, 255));
        let p = Payload::ConfirmReq(ConfirmReq::ByHash {
            pairs: pairs.into(),
            v18_body_count: true,
        });
        self.finish(
            self.header(V_PROTO16, CONFIRM_REQ, extensions_for(&p, false, false)),
            &p,
        )
    }

    fn hashes(&mut self, count: usize) -> Vec<Hash> {
        (0..count)
            .map(|_| {
                if !self.made.is_empty() && self.rng.chance(0.7) {
                    self.made[self.rng.index(self.made.len())].1
                } else {
                    self.rng.bytes32()
                }
            })
            .collect()
    }

    fn stamp(&mut self, s: VoteStamp) -> u64 {
        self.clock_ms += self.rng.range(1, 500);
        match s {
            VoteStamp::Packed => (self.clock_ms & !0xf) | 9,
            VoteStamp::Final => u64::MAX,
            VoteStamp::PlainMs => self.clock_ms - 60_000_000_000,
            VoteStamp::Sequence => {
                self.sequence += self.rng.range(1, 20);
                self.sequence
            }
        }
    }

    fn rep(&mut self) -> Key {
        self.accounts[self.rng.index(self.accounts.len())].clone()
    }

    /// confirm_ack by hash. Proto-18 header for V21 sequence / V22 plain ms stamps.
    pub fn confirm_ack(&mut self, count: usize, stamp: VoteStamp, rebroadcasted: bool) -> Msg {
        let hashes = self.hashes(count.clamp(1, 255));
        let ts = self.stamp(stamp);
        let key = self.rep();
        let signature = key.sign(&keys::vote_hash(&hashes, ts));
        let p = Payload::ConfirmAck(ConfirmAck {
            vote: Vote {
                account: key.public,
                signature,
                timestamp_raw: ts,
                hashes: hashes.into(),
                block: None,
            },
            rebroadcasted,
        });
        let v = match stamp {
            VoteStamp::Sequence | VoteStamp::PlainMs => V_PROTO18,
            _ => V_CURRENT,
        };
        self.finish(
            self.header(v, CONFIRM_ACK, extensions_for(&p, false, false)),
            &p,
        )
    }

    /// A vote whose signature does not verify.
    pub fn confirm_ack_bad_signature(&mut self) -> Msg {
        let mut m = self.confirm_ack(2, VoteStamp::Packed, false);
        m.bytes[8 + 32 + 5] ^= 0x01;
        m.truth.signature_valid = Some(false);
        m
    }

    /// Legacy vote-by-block (≤V23, proto 18 header, sequence stamp, no "vote " prefix).
    pub fn confirm_ack_block(&mut self, t: BlockType) -> Msg {
        let block = self.block(t);
        let ts = self.stamp(VoteStamp::Sequence);
        let key = self.rep();
        let signature = key.sign(&keys::vote_hash_legacy(&keys::block_hash(&block), ts));
        let p = Payload::ConfirmAck(ConfirmAck {
            vote: Vote {
                account: key.public,
                signature,
                timestamp_raw: ts,
                hashes: List::new(),
                block: Some(Box::new(block)),
            },
            rebroadcasted: false,
        });
        self.finish(
            self.header(V_PROTO18, CONFIRM_ACK, extensions_for(&p, false, false)),
            &p,
        )
    }

    /// Proto-16 UDP vote by hash: count 0 in the header, hashes run to the datagram end.
    pub fn confirm_ack_v16(&mut self, count: usize) -> Msg {
        let hashes = self.hashes(count.clamp(1, 12));
        let ts = self.stamp(VoteStamp::Sequence);
        let key = self.rep();
        let signature = key.sign(&keys::vote_hash(&hashes, ts));
        let n = hashes.len() as u32;
        let p = Payload::ConfirmAck(ConfirmAck {
            vote: Vote {
                account: key.public,
                signature,
                timestamp_raw: ts,
                hashes: hashes.into(),
                block: None,
            },
            rebroadcasted: false,
        });
        let mut m = self.finish(self.header(V_PROTO16, CONFIRM_ACK, 0x0100), &p);
        m.truth.item_count = Some(n);
        m
    }

    pub fn bulk_pull(&mut self, count: Option<u32>, ascending: bool) -> Msg {
        let start = if self.rng.chance(0.5) || self.made.is_empty() {
            self.rep().public
        } else {
            self.made[self.rng.index(self.made.len())].1
        };
        let p = Payload::BulkPull(BulkPull {
            start,
            end: [0; 32],
            count,
            ascending,
        });
        self.current(&p, false, false)
    }

    pub fn bulk_push(&mut self) -> Msg {
        self.current(&Payload::BulkPush, false, false)
    }

    pub fn frontier_req(&mut self, only_confirmed: bool) -> Msg {
        let p = Payload::FrontierReq(FrontierReq {
            start: [0; 32],
            age: u32::MAX,
            count: 0x0010_0000,
            only_confirmed,
        });
        self.current(&p, false, false)
    }

    /// Proto-15 bulk_pull_blocks (type 0x09, deleted in V18): mode 0 lists the blocks, 1
    /// asks for their checksum.
    pub fn bulk_pull_blocks(&mut self, mode: u8) -> Msg {
        let p = Payload::BulkPullBlocks(BulkPullBlocks {
            min_hash: self.rng.bytes32(),
            max_hash: self.rng.bytes32(),
            mode,
            max_count: 128,
        });
        self.finish(self.header(V_PROTO15, BULK_PULL_BLOCKS, 0), &p)
    }

    pub fn bulk_pull_account(&mut self, flags: u8) -> Msg {
        let p = Payload::BulkPullAccount(BulkPullAccount {
            account: self.rep().public,
            minimum_amount: 10u128.pow(24),
            flags,
        });
        self.current(&p, false, false)
    }

    pub fn new_cookie(&mut self) -> Hash {
        self.rng.bytes32()
    }

    /// A handshake with an optional query cookie and an optional response signing
    /// `peer_cookie` by node id `node`. v1 (V19-V24) or v2 (V25+) layout.
    pub fn handshake(
        &mut self,
        query: Option<Hash>,
        respond_to: Option<Hash>,
        node: usize,
        v2: bool,
    ) -> Msg {
        let key = self.node_ids[node % self.node_ids.len()].clone();
        let response = respond_to.map(|peer_cookie| {
            if v2 {
                let salt = self.rng.bytes32();
                let genesis = self.net.genesis_hash();
                let mut signed = Vec::with_capacity(96);
                signed.extend_from_slice(&peer_cookie);
                signed.extend_from_slice(&salt);
                signed.extend_from_slice(&genesis);
                HandshakeResponse {
                    node_id: key.public,
                    v2: Some((salt, genesis)),
                    signature: key.sign(&signed),
                }
            } else {
                HandshakeResponse {
                    node_id: key.public,
                    v2: None,
                    signature: key.sign(&peer_cookie),
                }
            }
        });
        // Check the signature the way a receiver would: over the peer's cookie
        // (v1) or cookie ‖ salt ‖ genesis (v2).
        let valid = match (&response, respond_to) {
            (Some(r), Some(c)) => {
                let mut signed = c.to_vec();
                if let Some((salt, genesis)) = &r.v2 {
                    signed.extend_from_slice(salt);
                    signed.extend_from_slice(genesis);
                }
                Some(verify(&r.node_id, &signed, &r.signature))
            }
            _ => None,
        };
        let p = Payload::NodeIdHandshake(NodeIdHandshake {
            query,
            response,
            v2,
        });
        let mut m = self.current(&p, false, false);
        m.truth.signature_valid = valid;
        m
    }

    pub fn telemetry_req(&mut self) -> Msg {
        self.current(&Payload::TelemetryReq, false, false)
    }

    /// A signed telemetry_ack (202 bytes plus `unknown` trailing bytes).
    pub fn telemetry_ack(&mut self, node: usize, unknown: usize) -> Msg {
        let key = self.node_ids[node % self.node_ids.len()].clone();
        self.clock_ms += self.rng.range(1, 1000);
        let mut d = TelemetryData {
            signature: [0; 64],
            node_id: key.public,
            block_count: self.rng.range(1_000, 200_000_000),
            cemented_count: 0,
            unchecked_count: self.rng.range(0, 5000),
            account_count: self.rng.range(100, 40_000_000),
            bandwidth_cap: 10 * 1024 * 1024,
            peer_count: self.rng.range(1, 300) as u32,
            protocol_version: 0x15,
            uptime: self.rng.range(1, 10_000_000),
            genesis_block: self.net.genesis_hash(),
            major_version: 27,
            minor_version: 1,
            patch_version: 0,
            pre_release_version: 0,
            maker: self.rng.range(0, 3) as u8,
            timestamp: self.clock_ms,
            active_difficulty: self.net.thresholds().1,
            unknown_data: self.rng.bytes(unknown),
        };
        d.cemented_count = d.block_count - self.rng.range(0, 999);
        d.signature = key.sign(&encode::telemetry_signed_part(&d));
        let p = Payload::TelemetryAck(TelemetryAck { data: Some(d) });
        self.current(&p, false, false)
    }

    pub fn telemetry_ack_empty(&mut self) -> Msg {
        self.current(
            &Payload::TelemetryAck(TelemetryAck { data: None }),
            false,
            false,
        )
    }

    pub fn asc_pull_req(&mut self, kind: u8, id: u64) -> Msg {
        let body = match kind {
            1 => AscPullReqBody::Blocks {
                start: self.rep().public,
                count: 128,
                start_type: 0,
            },
            2 => AscPullReqBody::AccountInfo {
                target: self.rep().public,
                target_type: 0,
            },
            _ => AscPullReqBody::Frontiers {
                start: self.rng.bytes32(),
                count: 1000,
            },
        };
        self.current(&Payload::AscPullReq(AscPullReq { id, body }), false, false)
    }

    pub fn asc_pull_ack(&mut self, kind: u8, id: u64) -> Msg {
        let body = match kind {
            1 => {
                let n = self.rng.range(1, 4) as usize;
                let bs = (0..n)
                    .map(|i| {
                        let t = if i % 2 == 0 {
                            BlockType::State
                        } else {
                            BlockType::Send
                        };
                        self.block(t)
                    })
                    .collect();
                AscPullAckBody::Blocks(bs)
            }
            2 => {
                let k = self.rep().public;
                AscPullAckBody::AccountInfo(AccountInfo {
                    account: k,
                    open: self.rng.bytes32(),
                    head: self.rng.bytes32(),
                    block_count: self.rng.range(1, 10_000),
                    conf_frontier: self.rng.bytes32(),
                    conf_height: self.rng.range(1, 10_000),
                })
            }
            _ => {
                let n = self.rng.range(1, 5) as usize;
                AscPullAckBody::Frontiers(
                    (0..n)
                        .map(|_| (self.rng.bytes32(), self.rng.bytes32()))
                        .collect(),
                )
            }
        };
        self.current(&Payload::AscPullAck(AscPullAck { id, body }), false, false)
    }

    // ---- malformed messages (all framable as one UDP datagram) ----

    fn malformed(&self, bytes: Vec<u8>, code: &str) -> Msg {
        let h = Header {
            network: u16::from_be_bytes([bytes[0], bytes[1]]),
            version_max: bytes[2],
            version_using: bytes[3],
            version_min: bytes[4],
            msg_type: bytes[5],
            extensions: u16::from_le_bytes([bytes[6], bytes[7]]),
        };
        let mut t = blank_truth(&h, bytes.len() - 8);
        t.error = Some(code.to_string());
        if matches!(h.msg_type, PUBLISH | CONFIRM_REQ | CONFIRM_ACK) {
            t.block_type = Some(((h.extensions >> 8) & 0xf) as u8);
        }
        Msg {
            bytes,
            truth: t,
            cookie: None,
        }
    }

    /// The malformed forms of the brief; `which` picks one (cycled).
    /// Codes: bad_block_type, truncated, trailing_bytes, unknown_type,
    /// bad_asc_pull_type, bad_extended, bad_length.
    pub fn malformed_msg(&mut self, which: usize) -> Msg {
        match which % 7 {
            0 => {
                // publish with block type 7
                let mut m = self.publish(BlockType::State, false).bytes;
                m[7] = 0x07;
                self.malformed(m, "bad_block_type")
            }
            1 => {
                let mut m = self.keepalive(2).bytes;
                m.truncate(8 + 100);
                self.malformed(m, "truncated")
            }
            2 => {
                let mut m = self.keepalive(2).bytes;
                m.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef, 0x00]);
                self.malformed(m, "trailing_bytes")
            }
            3 => {
                let mut m = Vec::new();
                encode::header_bytes(&self.header(V_CURRENT, 0x10, 0), &mut m);
                m.extend_from_slice(&self.rng.bytes(24));
                self.malformed(m, "unknown_type")
            }
            4 => {
                let id = self.rng.next_u64();
                let mut m = self.asc_pull_req(1, id).bytes;
                m[8] = 0x07;
                self.malformed(m, "bad_asc_pull_type")
            }
            5 => {
                let mut m = self.bulk_pull(Some(64), false).bytes;
                m[8 + 64] = 0x01;
                self.malformed(m, "bad_extended")
            }
            _ => {
                let mut m = self.telemetry_ack(0, 0).bytes;
                m.truncate(8 + 150);
                m[6] = 150;
                m[7] = 0;
                self.malformed(m, "bad_length")
            }
        }
    }
}

/// ed25519-blake2b verification, used only to fill signature-valid truth flags.
pub fn verify(public: &PublicKey, msg: &[u8], sig: &Signature) -> bool {
    use ed25519_dalek::hazmat::raw_verify;
    let Ok(vk) = ed25519_dalek::VerifyingKey::from_bytes(public) else {
        return false;
    };
    raw_verify::<blake2::Blake2b512>(&vk, msg, &ed25519_dalek::Signature::from_bytes(sig)).is_ok()
}
