//! Hands a presented value to SQLite as a column's result.
//!
//! Text goes over with its NUL terminator. A text result handed over by length only is
//! kept unterminated, and every client that reads text (`sqlite3_column_text`: the
//! shell, Python's `sqlite3`, rusqlite) then terminates it by reallocating the cell's
//! buffer to the text's exact length; the next row's text, copied into that buffer, no
//! longer fits and reallocates again. Those two reallocations per text cell were about
//! a seventh of `SELECT * FROM nano_packets(f)`. A terminated text is copied into the
//! cell's buffer, which SQLite then reuses row after row.

use crate::present::text::{self, Text};
use crate::present::Value;
use rusqlite::ffi;
use rusqlite::vtab::Context;
use std::cell::RefCell;
use std::ffi::c_char;

/// A reusable buffer for text that must be copied to get its terminator (text
/// borrowed from the event or from a static name), so that takes no allocation.
#[derive(Default)]
pub(crate) struct Scratch(RefCell<Vec<u8>>);

/// Sets `value` as the result of the column SQLite asked `ctx` for.
///
/// Numbers go straight to SQLite's setters rather than through rusqlite's `ToSql`,
/// which would move the whole value (inline text buffer included) once more per cell.
#[inline]
pub(crate) fn set_result(ctx: &mut Context, mut value: Value<'_>, scratch: &Scratch) {
    let raw = raw_context(ctx);
    // Matched in place: moving an inline text out of the value copies its buffer.
    match &mut value {
        // SAFETY (the three setters): `raw` is the context of the running xColumn call.
        Value::Null => unsafe { ffi::sqlite3_result_null(raw) },
        Value::Integer(i) => unsafe { ffi::sqlite3_result_int64(raw, *i) },
        Value::Real(r) => unsafe { ffi::sqlite3_result_double(raw, *r) },
        Value::Text(text) if !text.as_bytes().contains(&0) => match text {
            Text::Inline(t) => set_terminated_text(raw, t.terminated()),
            Text::Owned(s) => {
                s.push('\0');
                set_terminated_text(raw, s.as_bytes());
            }
            Text::Borrowed(s) => {
                // A scratch borrowed already would mean a re-entrant column call on
                // this cursor; copy into a fresh buffer rather than fail.
                let mut fresh = Vec::new();
                let mut held = scratch.0.try_borrow_mut();
                let buf = held.as_deref_mut().unwrap_or(&mut fresh);
                buf.clear();
                buf.extend_from_slice(s.as_bytes());
                buf.push(0);
                set_terminated_text(raw, buf);
            }
        },
        // Text with a NUL inside (never formatted by nanocap, but a path or options
        // argument may hold one) goes by length, as do blobs; rusqlite's conversion of
        // a borrowed value cannot fail.
        other => {
            let _ = ctx.set_result(other);
        }
    }
    // SQLite has copied the text: its buffer serves the next long text of this thread.
    if let Value::Text(t) = value {
        text::recycle(t);
    }
}

/// `bytes` ends with its only NUL.
fn set_terminated_text(ctx: *mut ffi::sqlite3_context, bytes: &[u8]) {
    debug_assert_eq!(bytes.iter().position(|&b| b == 0), Some(bytes.len() - 1));
    // SAFETY: `ctx` is the context of the running xColumn call (`raw_context`); the
    // text is NUL-terminated and valid for the call, and SQLITE_TRANSIENT makes SQLite
    // copy it before returning, so the buffer may change or go afterwards.
    unsafe {
        ffi::sqlite3_result_text(
            ctx,
            bytes.as_ptr().cast::<c_char>(),
            -1,
            ffi::SQLITE_TRANSIENT(),
        );
    }
}

/// The `sqlite3_context` pointer inside rusqlite's `Context`, which does not expose it.
fn raw_context(ctx: &mut Context) -> *mut ffi::sqlite3_context {
    const _: () =
        assert!(std::mem::size_of::<Context>() == std::mem::size_of::<*mut ffi::sqlite3_context>());
    // SAFETY: rusqlite's `Context` is a struct of one `*mut sqlite3_context` field; the
    // assertion above shows it is exactly that pointer's size, so there is no room for
    // the field anywhere but at offset 0, and reading it there reads that pointer.
    unsafe { *(ctx as *mut Context).cast::<*mut ffi::sqlite3_context>() }
}
