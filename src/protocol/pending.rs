//! TEMPORARY stubs so the SQL layer compiles before the decoder lands. Delete on merge.
#![allow(unused)]
use super::*;
pub fn hex_upper(_b: &[u8]) -> String {
    todo!()
}
pub fn encode_account(_k: &[u8; 32]) -> String {
    todo!()
}
pub fn encode_node_id(_k: &[u8; 32]) -> String {
    todo!()
}
pub fn decode_account(_s: &str) -> Result<[u8; 32], String> {
    todo!()
}
pub fn msg_name(_t: u8) -> Option<&'static str> {
    todo!()
}
pub enum VoteTiming {
    Final,
    Timestamp { ms: u64, duration_ms: Option<u64> },
    Sequence(u64),
}
impl Header {
    pub fn block_type(&self) -> u8 {
        todo!()
    }
    pub fn item_count(&self) -> Option<u16> {
        todo!()
    }
    pub fn network_name(&self) -> Option<&'static str> {
        todo!()
    }
}
impl Block {
    pub fn block_type(&self) -> BlockType {
        todo!()
    }
    pub fn hash(&self) -> Hash {
        todo!()
    }
    pub fn account(&self) -> Option<PublicKey> {
        todo!()
    }
    pub fn signature(&self) -> &Signature {
        todo!()
    }
    pub fn work(&self) -> u64 {
        todo!()
    }
    pub fn work_valid(&self, _n: u16) -> bool {
        todo!()
    }
    pub fn verify_signature(&self) -> Option<bool> {
        todo!()
    }
}
impl Vote {
    pub fn hash(&self) -> Hash {
        todo!()
    }
    pub fn verify(&self) -> bool {
        todo!()
    }
    pub fn timing(&self, _v: u8) -> VoteTiming {
        todo!()
    }
}
impl TelemetryData {
    pub fn verify(&self) -> bool {
        todo!()
    }
}
impl HandshakeResponse {
    pub fn verify(&self, _c: &[u8; 32]) -> bool {
        todo!()
    }
}
