//! `nano_import(path [, options])`: imports a capture file into the persistent tables
//! of the calling connection's main database; `nano_capture_status()`: what this
//! process is importing. The work is `store::import`; here are the SQL arguments,
//! the database file, errors, and Ctrl-C.

use super::interrupt;
use crate::config::CaptureOptions;
use crate::panic_text;
use crate::store;
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Error, Result};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

fn user_error(msg: String) -> Error {
    Error::UserFunctionError(format!("nano_import: {msg}").into())
}

/// A panic inside nanocap becomes an SQL error: a bug must not take down the host.
fn guarded<R>(f: impl FnOnce() -> Result<R>) -> Result<R> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let msg = panic_text(&*payload);
        Err(user_error(format!(
            "nanocap internal error: {msg} (please report this with the capture)"
        )))
    })
}

fn text_arg(ctx: &Context<'_>, i: usize, what: &str) -> Result<Option<String>> {
    match ctx.get_raw(i) {
        ValueRef::Null => Ok(None),
        ValueRef::Text(t) => std::str::from_utf8(t)
            .map(|s| Some(s.to_string()))
            .map_err(|_| user_error(format!("the {what} is not UTF-8"))),
        _ => Err(user_error(format!("the {what} must be text"))),
    }
}

/// The calling connection's main database file: the one the writer opens a
/// connection of its own to.
fn main_database(conn: &Connection) -> Result<PathBuf> {
    let path = conn.path().unwrap_or("");
    if path.is_empty() {
        return Err(user_error(
            "the main database is in memory or temporary; open a database file first \
             (sqlite3 capture.db, or .open capture.db)"
                .into(),
        ));
    }
    if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
        return Err(user_error(format!(
            "the main database {path} is open read-only"
        )));
    }
    Ok(PathBuf::from(path))
}

fn nano_import(ctx: &Context<'_>) -> Result<i64> {
    if !(1..=2).contains(&ctx.len()) {
        return Err(user_error(
            "takes a capture file path and optionally an options JSON object".into(),
        ));
    }
    let path = text_arg(ctx, 0, "path")?.ok_or_else(|| user_error("the path is NULL".into()))?;
    let options = match text_arg(ctx, 1.min(ctx.len() - 1), "options")? {
        Some(json) if ctx.len() == 2 => {
            CaptureOptions::from_json(&json).map_err(|e| user_error(format!("options: {e}")))?
        }
        // Keys left out keep their defaults; an import filters nothing unless told.
        _ => CaptureOptions {
            filter: None,
            ..CaptureOptions::default()
        },
    };
    // SAFETY: the handle is the calling connection's, valid for this call; it is
    // used only on this thread, during this call.
    let conn = unsafe { ctx.get_connection()? };
    let db_path = main_database(&conn)?;
    // Ctrl-C in the shell, conn.interrupt() in Python: see `interrupt`.
    let mut interrupted = || interrupt::interrupted(&conn);
    let result = store::import::import(&db_path, Path::new(&path), &options, &mut interrupted)
        .map_err(user_error)?;
    Ok(result.messages as i64)
}

pub fn register(db: &Connection) -> Result<()> {
    // Direct only: importing a file named in SQL is not for views or triggers.
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DIRECTONLY;
    db.create_scalar_function("nano_import", -1, flags, |ctx| guarded(|| nano_import(ctx)))?;
    db.create_scalar_function("nano_capture_status", 0, FunctionFlags::SQLITE_UTF8, |_| {
        guarded(|| Ok(store::status::status_json()))
    })?;
    Ok(())
}
