//! Noticing `sqlite3_interrupt()` (Ctrl-C in the shell, `conn.interrupt()` in Python)
//! during long work inside one call from SQLite: an import, or a scan reading through
//! a file that yields no row for a long time. SQLite checks the flag only between its
//! own steps, and the interface that reads it (`sqlite3_is_interrupted`) is missing
//! before 3.41. What works on every version: while the calling statement runs, the
//! flag stays set, and any statement stepped on the same connection fails with
//! SQLITE_INTERRUPT.

use rusqlite::{ffi, Connection, Error, ErrorCode};

/// Frames, or events without a row, read between two interrupt checks: a few
/// milliseconds of work at most, so that an interrupt stops a scan at once.
pub const WORK_BETWEEN_CHECKS: u64 = 4096;

/// Whether `conn` has been interrupted: prepares and steps a trivial statement on it
/// (a few microseconds; callers ask every few milliseconds at most).
pub fn interrupted(conn: &Connection) -> bool {
    let result = conn
        .prepare("SELECT 1")
        .and_then(|mut probe| probe.query_row([], |_| Ok(())));
    matches!(result, Err(e) if is_interrupt(&e))
}

/// Whether the error is SQLite's "interrupted".
pub fn is_interrupt(e: &Error) -> bool {
    matches!(e, Error::SqliteFailure(f, _) if f.code == ErrorCode::OperationInterrupted)
}

/// The error a table-valued function returns when interrupted: SQLite's own, so the
/// statement fails as any interrupted statement does.
pub fn interrupt_error() -> Error {
    Error::SqliteFailure(
        ffi::Error::new(ffi::SQLITE_INTERRUPT),
        Some("interrupted".to_string()),
    )
}

/// The connection a virtual table was created on, to check for interrupts from its
/// cursors.
pub struct Probe {
    conn: Connection,
}

impl Probe {
    /// # Safety
    /// `db` must be a valid connection handle that outlives the probe, used only on
    /// the thread that runs the statement the probe serves.
    pub unsafe fn new(db: *mut ffi::sqlite3) -> Option<Probe> {
        // SAFETY: the caller guarantees `db`; `from_handle` does not take ownership
        // (dropping the probe leaves `db` open).
        let conn = unsafe { Connection::from_handle(db) }.ok()?;
        Some(Probe { conn })
    }

    pub fn interrupted(&self) -> bool {
        interrupted(&self.conn)
    }
}
