//! `nano_join_cache([limit_bytes])`: the connection's decoded-file cache for joins
//! (`lookup`) as JSON, after setting its limit when one is given (0 turns lookups
//! off: every filter scans the file).

use super::lookup::Cache;
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Error, Result};
use std::sync::atomic::Ordering;
use std::sync::Arc;

fn status(cache: &Cache) -> String {
    serde_json::json!({
        "limit_bytes": cache.limit(),
        "held_bytes": cache.held_bytes(),
        "scans": cache.scans.load(Ordering::Relaxed),
        "decoded_files": cache.builds.load(Ordering::Relaxed),
        "fallbacks": cache.fallbacks.load(Ordering::Relaxed),
    })
    .to_string()
}

fn set_limit(cache: &Cache, ctx: &Context<'_>) -> Result<()> {
    match ctx.get_raw(0) {
        ValueRef::Integer(n) if n >= 0 => {
            cache.set_limit(usize::try_from(n).unwrap_or(usize::MAX));
            Ok(())
        }
        _ => Err(Error::UserFunctionError(
            "nano_join_cache: the limit must be a number of bytes (an integer >= 0)".into(),
        )),
    }
}

pub fn register(db: &Connection, cache: &Arc<Cache>) -> Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DIRECTONLY;
    let c = cache.clone();
    db.create_scalar_function("nano_join_cache", 0, flags, move |_| Ok(status(&c)))?;
    let c = cache.clone();
    db.create_scalar_function("nano_join_cache", 1, flags, move |ctx| {
        set_limit(&c, ctx)?;
        Ok(status(&c))
    })?;
    Ok(())
}
