//! Scalar functions: `nano_version`, `nano_account`, `nano_key`, `nano_msg_name`.

use crate::protocol::{decode_account, encode_account, hex_upper, msg_name};
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Error, Result};

/// The newest protocol version (header `version_using`) the decoder knows, and the
/// node release that introduced it.
pub const NEWEST_PROTOCOL: u8 = 21;
pub const NEWEST_NODE_RELEASE: &str = "V27";

pub fn version_text() -> String {
    format!(
        "nanocap {} (Nano protocol up to version {NEWEST_PROTOCOL}, node {NEWEST_NODE_RELEASE})",
        env!("CARGO_PKG_VERSION")
    )
}

fn user_error(msg: String) -> Error {
    Error::UserFunctionError(msg.into())
}

/// A 32-byte key from a blob or from 64 hex digits.
fn key_arg(ctx: &Context<'_>, fname: &str) -> Result<Option<[u8; 32]>> {
    match ctx.get_raw(0) {
        ValueRef::Null => Ok(None),
        ValueRef::Blob(b) => <[u8; 32]>::try_from(b).map(Some).map_err(|_| {
            user_error(format!(
                "{fname}: a key blob must be 32 bytes, got {}",
                b.len()
            ))
        }),
        ValueRef::Text(t) => {
            let s = std::str::from_utf8(t)
                .map_err(|_| user_error(format!("{fname}: text is not UTF-8")))?;
            parse_hex_key(s.trim())
                .map(Some)
                .ok_or_else(|| user_error(format!("{fname}: expected 64 hex digits, got '{s}'")))
        }
        _ => Err(user_error(format!(
            "{fname}: expected a 32-byte blob or 64 hex digits"
        ))),
    }
}

fn parse_hex_key(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

pub fn register(db: &Connection) -> Result<()> {
    let pure = FunctionFlags::SQLITE_UTF8
        | FunctionFlags::SQLITE_DETERMINISTIC
        | FunctionFlags::SQLITE_INNOCUOUS;
    db.create_scalar_function("nano_version", 0, pure, |_| Ok(version_text()))?;
    db.create_scalar_function("nano_account", 1, pure, |ctx| {
        Ok(key_arg(ctx, "nano_account")?.map(|k| encode_account(&k)))
    })?;
    db.create_scalar_function("nano_key", 1, pure, |ctx| match ctx.get_raw(0) {
        ValueRef::Null => Ok(None),
        ValueRef::Text(t) => {
            let s = std::str::from_utf8(t)
                .map_err(|_| user_error("nano_key: text is not UTF-8".into()))?;
            decode_account(s.trim())
                .map(|k| Some(hex_upper(&k)))
                .map_err(|e| user_error(format!("nano_key: {e}")))
        }
        _ => Err(user_error(
            "nano_key: expected a nano_ address as text".into(),
        )),
    })?;
    db.create_scalar_function("nano_msg_name", 1, pure, |ctx| match ctx.get_raw(0) {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(i) => Ok(u8::try_from(i).ok().and_then(msg_name).map(str::to_string)),
        _ => Err(user_error(
            "nano_msg_name: expected an integer message type".into(),
        )),
    })?;
    Ok(())
}
