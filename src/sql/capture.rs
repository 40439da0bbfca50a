//! `nano_capture_start([device [, filter [, options]]])` and `nano_capture_stop()`:
//! live capture into the persistent tables of the calling connection's main
//! database file, on background threads (`store::capture`). Errors are SQL errors
//! that start with the function's name.

use crate::config::CaptureOptions;
use crate::panic_text;
use crate::store::capture::{self, StartRequest};
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Error, Result};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

fn user_error(what: &str, msg: String) -> Error {
    Error::UserFunctionError(format!("{what}: {msg}").into())
}

/// A panic inside nanocap becomes an SQL error: a bug must not take down the host.
fn guarded<R>(what: &str, f: impl FnOnce() -> Result<R>) -> Result<R> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let msg = panic_text(&*payload);
        Err(user_error(
            what,
            format!("nanocap internal error: {msg} (please report this)"),
        ))
    })
}

const START: &str = "nano_capture_start";

fn text_arg(ctx: &Context<'_>, i: usize, what: &str) -> Result<Option<String>> {
    if i >= ctx.len() {
        return Ok(None);
    }
    match ctx.get_raw(i) {
        ValueRef::Null => Ok(None),
        ValueRef::Text(t) => std::str::from_utf8(t)
            .map(|s| Some(s.to_string()))
            .map_err(|_| user_error(START, format!("the {what} is not UTF-8"))),
        _ => Err(user_error(START, format!("the {what} must be text"))),
    }
}

/// The calling connection's main database file, which the capture's own connection
/// writes to.
fn main_database(conn: &Connection) -> Result<PathBuf> {
    let path = conn.path().unwrap_or("");
    if path.is_empty() {
        return Err(user_error(
            START,
            "the main database is in memory or temporary, and a capture needs a database \
             file that its own connection can open; open one first (sqlite3 capture.db, or \
             .open capture.db)"
                .into(),
        ));
    }
    if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
        return Err(user_error(
            START,
            format!("the main database {path} is open read-only"),
        ));
    }
    Ok(PathBuf::from(path))
}

fn nano_capture_start(ctx: &Context<'_>) -> Result<String> {
    if ctx.len() > 3 {
        return Err(user_error(
            START,
            "takes at most a device, a filter and an options JSON object".into(),
        ));
    }
    let device = text_arg(ctx, 0, "device")?;
    let filter = text_arg(ctx, 1, "filter")?;
    let options = match text_arg(ctx, 2, "options")? {
        Some(json) => CaptureOptions::from_json(&json)
            .map_err(|e| user_error(START, format!("options: {e}")))?,
        None => CaptureOptions::default(),
    };
    // SAFETY: the calling connection's handle, used on this thread during this call.
    let conn = unsafe { ctx.get_connection()? };
    let db_path = main_database(&conn)?;
    let started = capture::start(StartRequest {
        db_path,
        device,
        filter,
        options,
    })
    .map_err(|e| user_error(START, e))?;
    Ok(started.to_json().to_string())
}

pub fn register(db: &Connection) -> Result<()> {
    // Direct only: starting a capture is not for views or triggers.
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DIRECTONLY;
    db.create_scalar_function(START, -1, flags, |ctx| {
        guarded(START, || nano_capture_start(ctx))
    })?;
    db.create_scalar_function("nano_capture_stop", 0, flags, |_| {
        guarded("nano_capture_stop", || {
            capture::stop().map_err(|e| user_error("nano_capture_stop", e))
        })
    })?;
    Ok(())
}
