//! The five block types (docs/protocol.md section 4): parsing by type code, sizes,
//! hash, root, proof-of-work value and thresholds, signature check.

use super::crypto::{blake2b_256, blake2b_64, verify, SignatureCheck};
use super::header::{NET_BETA, NET_DEV};
use super::wire::{bytes, malformed, run};
use super::*;
use nom::number::complete::{be_u128, be_u64, le_u64};

/// Serialized size (without a type byte) of block type `bt`, `None` unless 2..6.
pub fn block_size(bt: u8) -> Option<usize> {
    match bt {
        2 => Some(152),
        3 => Some(136),
        4 => Some(168),
        5 => Some(136),
        6 => Some(216),
        _ => None,
    }
}

/// Name of a block type code as the node prints it.
pub fn block_type_name(bt: u8) -> Option<&'static str> {
    Some(match bt {
        0 => "invalid",
        1 => "not_a_block",
        2 => "send",
        3 => "receive",
        4 => "open",
        5 => "change",
        6 => "state",
        _ => return None,
    })
}

/// Parses one block of type `bt` from the front of `i`; returns the rest.
/// `what` names the container for error details.
pub(crate) fn parse_block<'a>(
    bt: u8,
    i: &'a [u8],
    what: &str,
) -> Result<(&'a [u8], Block), Malformed> {
    let Some(size) = block_size(bt) else {
        return Err(malformed(
            "bad_block_type",
            format!("block type {bt} in {what} is not 2..6"),
        ));
    };
    if i.len() < size {
        return Err(malformed(
            "bad_length",
            format!(
                "{} block in {what} needs {size} bytes, {} left",
                block_type_name(bt).unwrap_or("?"),
                i.len()
            ),
        ));
    }
    // Sizes are checked above, so `run` cannot fail here; a static name avoids an
    // allocation per block.
    let w = "block";
    Ok(match bt {
        2 => {
            let (r, (previous, destination, balance, signature, work)) =
                run(w, (bytes, bytes, be_u128, bytes, le_u64), i)?;
            (
                r,
                Block::Send(SendBlock {
                    previous,
                    destination,
                    balance,
                    signature,
                    work,
                }),
            )
        }
        3 => {
            let (r, (previous, source, signature, work)) =
                run(w, (bytes, bytes, bytes, le_u64), i)?;
            (
                r,
                Block::Receive(ReceiveBlock {
                    previous,
                    source,
                    signature,
                    work,
                }),
            )
        }
        4 => {
            let (r, (source, representative, account, signature, work)) =
                run(w, (bytes, bytes, bytes, bytes, le_u64), i)?;
            (
                r,
                Block::Open(OpenBlock {
                    source,
                    representative,
                    account,
                    signature,
                    work,
                }),
            )
        }
        5 => {
            let (r, (previous, representative, signature, work)) =
                run(w, (bytes, bytes, bytes, le_u64), i)?;
            (
                r,
                Block::Change(ChangeBlock {
                    previous,
                    representative,
                    signature,
                    work,
                }),
            )
        }
        _ => {
            let (r, (account, previous, representative, balance, link, (signature, work))) =
                run(w, (bytes, bytes, bytes, be_u128, bytes, (bytes, be_u64)), i)?;
            (
                r,
                Block::State(StateBlock {
                    account,
                    previous,
                    representative,
                    balance,
                    link,
                    signature,
                    work,
                }),
            )
        }
    })
}

/// Work thresholds of one network (docs/protocol.md section 4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkThresholds {
    pub epoch_1: u64,
    pub epoch_2_send: u64,
    pub epoch_2_receive: u64,
}

impl WorkThresholds {
    /// Thresholds of a network id; live for unknown ids (test uses live's by default).
    pub fn for_network(network: u16) -> Self {
        match network {
            NET_DEV => WorkThresholds {
                epoch_1: 0xfe00_0000_0000_0000,
                epoch_2_send: 0xffc0_0000_0000_0000,
                epoch_2_receive: 0xf000_0000_0000_0000,
            },
            NET_BETA => WorkThresholds {
                epoch_1: 0xffff_f000_0000_0000,
                epoch_2_send: 0xffff_f000_0000_0000,
                epoch_2_receive: 0xffff_e000_0000_0000,
            },
            _ => WorkThresholds {
                epoch_1: 0xffff_ffc0_0000_0000,
                epoch_2_send: 0xffff_fff8_0000_0000,
                epoch_2_receive: 0xffff_fe00_0000_0000,
            },
        }
    }

    /// The lowest of the three: what a state block must reach at the publish entry check.
    pub fn entry_minimum(&self) -> u64 {
        self.epoch_1
            .min(self.epoch_2_send)
            .min(self.epoch_2_receive)
    }
}

impl Block {
    pub fn block_type(&self) -> BlockType {
        match self {
            Block::Send(_) => BlockType::Send,
            Block::Receive(_) => BlockType::Receive,
            Block::Open(_) => BlockType::Open,
            Block::Change(_) => BlockType::Change,
            Block::State(_) => BlockType::State,
        }
    }

    /// BLAKE2b-256 of the hashed fields (4.3); state blocks start with the preamble
    /// 31 × 00 ‖ 06.
    pub fn hash(&self) -> Hash {
        match self {
            Block::Send(b) => blake2b_256(&[&b.previous, &b.destination, &b.balance.to_be_bytes()]),
            Block::Receive(b) => blake2b_256(&[&b.previous, &b.source]),
            Block::Open(b) => blake2b_256(&[&b.source, &b.representative, &b.account]),
            Block::Change(b) => blake2b_256(&[&b.previous, &b.representative]),
            Block::State(b) => {
                let mut preamble = [0u8; 32];
                preamble[31] = BlockType::State as u8;
                blake2b_256(&[
                    &preamble,
                    &b.account,
                    &b.previous,
                    &b.representative,
                    &b.balance.to_be_bytes(),
                    &b.link,
                ])
            }
        }
    }

    /// The root the work is computed on: previous, or the account for the first block.
    pub fn root(&self) -> Hash {
        match self {
            Block::Send(b) => b.previous,
            Block::Receive(b) => b.previous,
            Block::Open(b) => b.account,
            Block::Change(b) => b.previous,
            Block::State(b) if b.previous == [0u8; 32] => b.account,
            Block::State(b) => b.previous,
        }
    }

    /// The account, when the block carries it (open and state).
    pub fn account(&self) -> Option<PublicKey> {
        match self {
            Block::Open(b) => Some(b.account),
            Block::State(b) => Some(b.account),
            _ => None,
        }
    }

    pub fn previous(&self) -> Option<Hash> {
        match self {
            Block::Send(b) => Some(b.previous),
            Block::Receive(b) => Some(b.previous),
            Block::Open(_) => None,
            Block::Change(b) => Some(b.previous),
            Block::State(b) => Some(b.previous),
        }
    }

    pub fn signature(&self) -> &Signature {
        match self {
            Block::Send(b) => &b.signature,
            Block::Receive(b) => &b.signature,
            Block::Open(b) => &b.signature,
            Block::Change(b) => &b.signature,
            Block::State(b) => &b.signature,
        }
    }

    /// The work nonce as a number (wire order already undone).
    pub fn work(&self) -> u64 {
        match self {
            Block::Send(b) => b.work,
            Block::Receive(b) => b.work,
            Block::Open(b) => b.work,
            Block::Change(b) => b.work,
            Block::State(b) => b.work,
        }
    }

    /// `u64le(blake2b-8(work as 8 bytes le ‖ root))`.
    pub fn work_value(&self) -> u64 {
        u64::from_le_bytes(blake2b_64(&[&self.work().to_le_bytes(), &self.root()]))
    }

    /// The node's entry check: epoch_1 for legacy blocks, the lowest threshold for state
    /// blocks (the epoch is not known without the ledger). Unknown networks use live.
    pub fn work_valid(&self, network: u16) -> bool {
        let t = WorkThresholds::for_network(network);
        let threshold = match self {
            Block::State(_) => t.entry_minimum(),
            _ => t.epoch_1,
        };
        self.work_value() >= threshold
    }

    /// Signature check where the signer is in the block (open, state); `None` for send,
    /// receive and change (their account is only in the ledger). State epoch blocks are
    /// signed by the epoch signer, so they report `Some(false)` here.
    pub fn verify_signature(&self) -> Option<bool> {
        let account = self.account()?;
        Some(verify(&account, &self.hash(), self.signature()))
    }

    /// What `verify_signature` checks, when it checks anything.
    pub fn signature_check(&self) -> Option<SignatureCheck> {
        Some(SignatureCheck {
            key: self.account()?,
            message: self.hash().to_vec(),
            signature: *self.signature(),
        })
    }
}
