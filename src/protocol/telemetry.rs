//! telemetry_ack (0x0d): signed node statistics, all integers big-endian, field
//! order peer_count u32, protocol_version u8, uptime u64 (5.11). Empty when ext & 0x3ff = 0.

use super::crypto::{verify, SignatureCheck};
use super::wire::{bad_length, bytes, exact_len, run};
use super::{Header, Malformed, TelemetryAck, TelemetryData};
use nom::number::complete::{be_u32, be_u64, u8 as byte};

/// Bytes of the fields a current node knows; more are `unknown_data`.
pub const KNOWN_SIZE: usize = 202;
/// Size bits of the header extensions.
pub const SIZE_MASK: u16 = 0x03ff;

pub(crate) fn decode_ack(h: &Header, payload: &[u8]) -> Result<TelemetryAck, Malformed> {
    let what = "telemetry_ack";
    let size = (h.extensions & SIZE_MASK) as usize;
    exact_len(what, payload, size)?;
    if size == 0 {
        return Ok(TelemetryAck { data: None });
    }
    if payload.len() < KNOWN_SIZE {
        return Err(bad_length(what, payload.len(), "0 or at least 202"));
    }
    let (
        rest,
        (
            signature,
            node_id,
            (block_count, cemented_count, unchecked_count, account_count, bandwidth_cap),
        ),
    ) = run(
        what,
        (
            bytes::<64>,
            bytes::<32>,
            (be_u64, be_u64, be_u64, be_u64, be_u64),
        ),
        payload,
    )?;
    let (rest, (peer_count, protocol_version, uptime, genesis_block)) =
        run(what, (be_u32, byte, be_u64, bytes::<32>), rest)?;
    let (rest, (major_version, minor_version, patch_version, pre_release_version, maker)) =
        run(what, (byte, byte, byte, byte, byte), rest)?;
    let (unknown, (timestamp, active_difficulty)) = run(what, (be_u64, be_u64), rest)?;
    Ok(TelemetryAck {
        data: Some(TelemetryData {
            signature,
            node_id,
            block_count,
            cemented_count,
            unchecked_count,
            account_count,
            bandwidth_cap,
            peer_count,
            protocol_version,
            uptime,
            genesis_block,
            major_version,
            minor_version,
            patch_version,
            pre_release_version,
            maker,
            timestamp,
            active_difficulty,
            unknown_data: unknown.to_vec(),
        }),
    })
}

impl TelemetryData {
    /// Payload bytes 64..end as on the wire (what the signature covers).
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut m = Vec::with_capacity(KNOWN_SIZE - 64 + self.unknown_data.len());
        m.extend_from_slice(&self.node_id);
        for v in [
            self.block_count,
            self.cemented_count,
            self.unchecked_count,
            self.account_count,
            self.bandwidth_cap,
        ] {
            m.extend_from_slice(&v.to_be_bytes());
        }
        m.extend_from_slice(&self.peer_count.to_be_bytes());
        m.push(self.protocol_version);
        m.extend_from_slice(&self.uptime.to_be_bytes());
        m.extend_from_slice(&self.genesis_block);
        m.extend_from_slice(&[
            self.major_version,
            self.minor_version,
            self.patch_version,
            self.pre_release_version,
            self.maker,
        ]);
        m.extend_from_slice(&self.timestamp.to_be_bytes());
        m.extend_from_slice(&self.active_difficulty.to_be_bytes());
        m.extend_from_slice(&self.unknown_data);
        m
    }

    /// The node id's signature over `signed_bytes()`.
    pub fn verify(&self) -> bool {
        verify(&self.node_id, &self.signed_bytes(), &self.signature)
    }

    /// What `verify` checks.
    pub fn signature_check(&self) -> SignatureCheck {
        SignatureCheck {
            key: self.node_id,
            message: self.signed_bytes(),
            signature: self.signature,
        }
    }
}
