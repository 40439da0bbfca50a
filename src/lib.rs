//! nanocap: Nano node-to-node traffic as SQL tables. This file only wires the
//! modules together and exposes the SQLite entry point.

pub mod capture;
pub mod protocol;
#[cfg(feature = "extension")]
pub mod sql;
pub mod synth;

#[cfg(feature = "extension")]
mod entry {
    use rusqlite::{ffi, Connection};
    use std::os::raw::{c_char, c_int};

    /// Entry point SQLite derives from the file name `libnanocap.so`.
    ///
    /// # Safety
    /// Called by SQLite with a valid connection handle and API table.
    #[no_mangle]
    pub unsafe extern "C" fn sqlite3_nanocap_init(
        db: *mut ffi::sqlite3,
        pz_err_msg: *mut *mut c_char,
        p_api: *mut ffi::sqlite3_api_routines,
    ) -> c_int {
        // SAFETY: the arguments come straight from SQLite's extension loader.
        unsafe { Connection::extension_init2(db, pz_err_msg, p_api, init) }
    }

    fn init(db: Connection) -> rusqlite::Result<bool> {
        crate::sql::register(&db)?;
        // Load permanently: capture threads outlive the statement that loaded us.
        Ok(true)
    }
}
