//! nanocap: Nano node-to-node traffic as SQL tables. This file only wires the
//! modules together and exposes the SQLite entry point.

pub mod capture;
pub mod config;
#[cfg(feature = "sql")]
mod panic_text;
#[cfg(feature = "sql")]
pub(crate) use panic_text::panic_text;
#[cfg(feature = "synth")]
pub mod fuzzing;
pub mod present;
pub mod protocol;
mod spare;
#[cfg(feature = "sql")]
pub mod sql;
#[cfg(feature = "sql")]
pub mod store;
#[cfg(feature = "synth")]
pub mod synth;
#[cfg(any(test, feature = "synth"))]
pub mod test_support;

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
        // SAFETY: the arguments come straight from SQLite's extension loader, which
        // passes a valid connection, error-message slot and API table, the contract
        // `extension_init2` requires; `init` runs before this call returns.
        unsafe { Connection::extension_init2(db, pz_err_msg, p_api, init) }
    }

    fn init(db: Connection) -> rusqlite::Result<bool> {
        crate::sql::register(&db)?;
        register_for_new_connections()?;
        // Load permanently: capture threads outlive the statement that loaded us.
        Ok(true)
    }

    /// Loaded once, nanocap is there in every connection the process opens afterwards:
    /// SQLite calls the entry point for each of them (`sqlite3_auto_extension`), as a
    /// user who reads "loads permanently" expects. Connections that were already open
    /// still need their own load. Once per process; loading again is harmless.
    fn register_for_new_connections() -> rusqlite::Result<()> {
        use std::sync::atomic::{AtomicBool, Ordering};
        static REGISTERED: AtomicBool = AtomicBool::new(false);
        if REGISTERED.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        // SQLite stores the entry point with the type `void (*)(void)` and calls it
        // with the real signature, which is `auto_init`'s.
        let entry: unsafe extern "C" fn() = unsafe {
            // SAFETY: a function pointer cast to another function pointer type, as the
            // C API requires; SQLite casts it back before calling it.
            std::mem::transmute::<
                unsafe extern "C" fn(
                    *mut ffi::sqlite3,
                    *mut *mut c_char,
                    *const ffi::sqlite3_api_routines,
                ) -> c_int,
                unsafe extern "C" fn(),
            >(auto_init)
        };
        // SAFETY: the API table was set up by `extension_init2` before `init` ran, and
        // the entry point stays valid for the life of the process because we load
        // permanently (SQLite never unloads the library).
        let rc = unsafe { ffi::sqlite3_auto_extension(Some(entry)) };
        if rc != ffi::SQLITE_OK {
            REGISTERED.store(false, Ordering::Release);
            return Err(rusqlite::Error::SqliteFailure(
                ffi::Error::new(rc),
                Some("nanocap: sqlite3_auto_extension failed".into()),
            ));
        }
        Ok(())
    }

    /// The entry point as an automatic extension: there, any result but SQLITE_OK
    /// fails the opening of the connection, SQLITE_OK_LOAD_PERMANENTLY included.
    unsafe extern "C" fn auto_init(
        db: *mut ffi::sqlite3,
        pz_err_msg: *mut *mut c_char,
        p_api: *const ffi::sqlite3_api_routines,
    ) -> c_int {
        // SAFETY: SQLite calls automatic extensions with the same arguments as the
        // loader calls an entry point; the API table is only read.
        match unsafe { sqlite3_nanocap_init(db, pz_err_msg, p_api.cast_mut()) } {
            ffi::SQLITE_OK_LOAD_PERMANENTLY => ffi::SQLITE_OK,
            rc => rc,
        }
    }
}
