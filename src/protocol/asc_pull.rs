//! asc_pull_req (0x0e) and asc_pull_ack (0x0f): `type u8, id u64be`, then a body of
//! `ext` bytes: blocks, account_info or frontiers (5.12, 5.13).

use super::block::parse_block;
use super::wire::{bytes, exact_len, is_zero, malformed, run};
use super::*;
use nom::number::complete::{be_u16, be_u64, u8 as byte};

pub const PREFIX_SIZE: usize = 9;

fn bad_type(what: &str, t: u8) -> Malformed {
    malformed(
        "bad_asc_pull_type",
        format!("{what} type {t} is not 1, 2 or 3"),
    )
}

/// The 9-byte prefix, after checking the payload is `9 + ext` long.
fn prefix<'a>(what: &str, h: &Header, payload: &'a [u8]) -> Result<(&'a [u8], u8, u64), Malformed> {
    exact_len(what, payload, PREFIX_SIZE + h.extensions as usize)?;
    let (body, (t, id)) = run(what, (byte, be_u64), payload)?;
    Ok((body, t, id))
}

/// The node does not check for trailing bytes after a request body; they are ignored.
pub(crate) fn decode_req(h: &Header, payload: &[u8]) -> Result<AscPullReq, Malformed> {
    let what = "asc_pull_req";
    let (body, t, id) = prefix(what, h, payload)?;
    let body = match t {
        1 => {
            let (_, (start, count, start_type)) =
                run("asc_pull_req blocks body", (bytes::<32>, byte, byte), body)?;
            AscPullReqBody::Blocks {
                start,
                count,
                start_type,
            }
        }
        2 => {
            let (_, (target, target_type)) =
                run("asc_pull_req account_info body", (bytes::<32>, byte), body)?;
            AscPullReqBody::AccountInfo {
                target,
                target_type,
            }
        }
        3 => {
            let (_, (start, count)) =
                run("asc_pull_req frontiers body", (bytes::<32>, be_u16), body)?;
            AscPullReqBody::Frontiers { start, count }
        }
        t => return Err(bad_type(what, t)),
    };
    Ok(AscPullReq { id, body })
}

pub(crate) fn decode_ack(h: &Header, payload: &[u8]) -> Result<AscPullAck, Malformed> {
    let what = "asc_pull_ack";
    let (body, t, id) = prefix(what, h, payload)?;
    let body = match t {
        1 => AscPullAckBody::Blocks(blocks(body)?),
        2 => {
            let (_, (account, open, head, block_count, conf_frontier, conf_height)) = run(
                "asc_pull_ack account_info body",
                (
                    bytes::<32>,
                    bytes::<32>,
                    bytes::<32>,
                    be_u64,
                    bytes::<32>,
                    be_u64,
                ),
                body,
            )?;
            AscPullAckBody::AccountInfo(AccountInfo {
                account,
                open,
                head,
                block_count,
                conf_frontier,
                conf_height,
            })
        }
        3 => AscPullAckBody::Frontiers(frontiers(body)?),
        t => return Err(bad_type(what, t)),
    };
    Ok(AscPullAck { id, body })
}

fn missing_terminator(what: &str, n: usize) -> Malformed {
    malformed(
        "missing_terminator",
        format!("{what} ends after {n} entries without its terminator"),
    )
}

/// `[type][block]` repeated until the not_a_block byte 0x01.
fn blocks(mut i: &[u8]) -> Result<List<Block>, Malformed> {
    let what = "asc_pull_ack blocks";
    let mut out = List::with_capacity(0);
    loop {
        let Some((&bt, rest)) = i.split_first() else {
            return Err(missing_terminator(what, out.len()));
        };
        if bt == 1 {
            return Ok(out);
        }
        let (rest, block) = parse_block(bt, rest, what)?;
        out.push(block);
        i = rest;
    }
}

/// `account ‖ hash` entries until one has a zero account or a zero hash.
fn frontiers(mut i: &[u8]) -> Result<List<(PublicKey, Hash)>, Malformed> {
    let what = "asc_pull_ack frontiers";
    let mut out = List::with_capacity(i.len() / 64);
    loop {
        if i.len() < 64 {
            return Err(missing_terminator(what, out.len()));
        }
        let (rest, (account, hash)) = run(what, (bytes::<32>, bytes::<32>), i)?;
        if is_zero(&account) || is_zero(&hash) {
            return Ok(out);
        }
        out.push((account, hash));
        i = rest;
    }
}
