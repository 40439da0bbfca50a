//! The connections `/api/v1/capture/query` runs SQL on. Read-only is enforced by
//! SQLite, three times over, never by looking at the SQL text: the database is
//! opened read-only, an authorizer refuses every action that is not a read (and
//! ATTACH, transactions, pragmas that write, functions that reach outside the
//! database), and a statement SQLite does not call read-only is refused before
//! its first step. nanocap's table functions, which open files named in SQL, are
//! not registered here; its pure scalar functions are.

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::limits::Limit;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Pragmas that only read, and take a table or index name as their argument.
const PRAGMAS_WITH_ARG: &[&str] = &[
    "table_info",
    "table_xinfo",
    "index_list",
    "index_info",
    "index_xinfo",
    "foreign_key_list",
];

/// Pragmas that only read when given no value (with a value most of them write).
const PRAGMAS_NO_ARG: &[&str] = &[
    "table_list",
    "database_list",
    "function_list",
    "module_list",
    "pragma_list",
    "collation_list",
    "compile_options",
    "user_version",
    "schema_version",
    "application_id",
    "page_count",
    "page_size",
    "freelist_count",
    "data_version",
    "encoding",
    "journal_mode",
];

/// Functions that reach outside the database or change the process. Not all of them
/// exist in this build; refusing them by name keeps it so if one ever does.
const FUNCTIONS_REFUSED: &[&str] = &[
    "load_extension",
    "fts3_tokenizer",
    "readfile",
    "writefile",
    "edit",
    "nano_import",
    "nano_capture_start",
    "nano_capture_stop",
];

/// Why a statement was refused (the first action the authorizer denied).
#[derive(Default)]
pub struct Refusal(Mutex<Option<String>>);

impl Refusal {
    fn set(&self, why: String) {
        let mut slot = self.0.lock().unwrap_or_else(|e| e.into_inner());
        slot.get_or_insert(why);
    }

    pub fn take(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// What the query endpoint allows: reads of any table, SELECT, recursive CTEs,
/// functions not in [`FUNCTIONS_REFUSED`], and the reading pragmas above.
fn authorize(ctx: &AuthContext<'_>) -> Result<(), String> {
    match &ctx.action {
        AuthAction::Select | AuthAction::Read { .. } | AuthAction::Recursive => Ok(()),
        AuthAction::Function { function_name } => {
            let name = function_name.to_ascii_lowercase();
            if FUNCTIONS_REFUSED.contains(&name.as_str()) {
                Err(format!(
                    "the function {function_name}() is not available here"
                ))
            } else {
                Ok(())
            }
        }
        AuthAction::Pragma {
            pragma_name,
            pragma_value,
        } => {
            let name = pragma_name.to_ascii_lowercase();
            let allowed = match pragma_value {
                None => {
                    PRAGMAS_NO_ARG.contains(&name.as_str())
                        || PRAGMAS_WITH_ARG.contains(&name.as_str())
                }
                Some(_) => PRAGMAS_WITH_ARG.contains(&name.as_str()),
            };
            if allowed {
                Ok(())
            } else {
                Err(format!(
                    "PRAGMA {pragma_name}{} is not a read-only pragma",
                    pragma_value.map(|v| format!(" = {v}")).unwrap_or_default()
                ))
            }
        }
        AuthAction::Attach { filename } => Err(format!("ATTACH ('{filename}') is not allowed")),
        AuthAction::Transaction { .. } | AuthAction::Savepoint { .. } => {
            Err("transactions are not allowed (each query is one read)".into())
        }
        other => Err(format!("{} is not a read", action_name(other))),
    }
}

fn action_name(a: &AuthAction<'_>) -> String {
    let debug = format!("{a:?}");
    let name = debug
        .split([' ', '{', '('])
        .next()
        .unwrap_or("this statement");
    match a {
        AuthAction::Insert { table_name }
        | AuthAction::Delete { table_name }
        | AuthAction::Update { table_name, .. } => format!("{name} on {table_name}"),
        _ => name.to_string(),
    }
}

/// The time a query may spend inside SQLite. The progress handler asks
/// [`Clock::expired`] every few thousand VM instructions; only the time inside
/// `sqlite3_step` counts, so an export that waits on a slow client is not cut.
pub struct Clock {
    base: Instant,
    limit_ns: AtomicU64,
    spent_ns: AtomicU64,
    /// Nanoseconds after `base` when the current step began; 0 outside a step.
    step_since: AtomicU64,
}

impl Clock {
    fn new() -> Clock {
        Clock {
            base: Instant::now(),
            limit_ns: AtomicU64::new(u64::MAX),
            spent_ns: AtomicU64::new(0),
            step_since: AtomicU64::new(0),
        }
    }

    fn now_ns(&self) -> u64 {
        (self.base.elapsed().as_nanos() as u64).max(1)
    }

    /// Starts a new query's budget.
    pub fn reset(&self, limit: Duration) {
        let ns = if limit.is_zero() {
            u64::MAX
        } else {
            limit.as_nanos() as u64
        };
        self.limit_ns.store(ns, Ordering::Relaxed);
        self.spent_ns.store(0, Ordering::Relaxed);
        self.step_since.store(0, Ordering::Relaxed);
    }

    pub fn begin_step(&self) {
        self.step_since.store(self.now_ns(), Ordering::Relaxed);
    }

    pub fn end_step(&self) {
        let since = self.step_since.swap(0, Ordering::Relaxed);
        if since != 0 {
            self.spent_ns
                .fetch_add(self.now_ns().saturating_sub(since), Ordering::Relaxed);
        }
    }

    /// Time spent in SQLite so far.
    pub fn spent(&self) -> Duration {
        let since = self.step_since.load(Ordering::Relaxed);
        let running = if since == 0 {
            0
        } else {
            self.now_ns().saturating_sub(since)
        };
        Duration::from_nanos(self.spent_ns.load(Ordering::Relaxed) + running)
    }

    pub fn expired(&self) -> bool {
        self.spent().as_nanos() as u64 > self.limit_ns.load(Ordering::Relaxed)
    }
}

/// A read-only connection with its guards.
pub struct QueryConn {
    pub conn: Connection,
    pub clock: Arc<Clock>,
    pub refusal: Arc<Refusal>,
}

/// Longest text or BLOB a query may build: a runaway `printf('%.*c', …)` or
/// `zeroblob()` fails instead of taking the memory.
const MAX_VALUE_BYTES: i32 = 16 * 1024 * 1024;

pub fn open(path: &Path) -> Result<QueryConn, String> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| format!("cannot open {} read-only: {e}", path.display()))?;
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(|e| e.to_string())?;
    // Defence in depth: no database can be attached even if the authorizer let
    // ATTACH through, and values stay bounded.
    let _ = conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0);
    let _ = conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES);
    nanocap::sql::scalar::register(&conn).map_err(|e| e.to_string())?;

    let refusal = Arc::new(Refusal::default());
    let hook_refusal = refusal.clone();
    conn.authorizer(Some(move |ctx: AuthContext<'_>| match authorize(&ctx) {
        Ok(()) => Authorization::Allow,
        Err(why) => {
            hook_refusal.set(why);
            Authorization::Deny
        }
    }))
    .map_err(|e| e.to_string())?;

    let clock = Arc::new(Clock::new());
    let hook_clock = clock.clone();
    // Every 10,000 VM instructions: a few microseconds apart, cheap to check.
    conn.progress_handler(10_000, Some(move || hook_clock.expired()))
        .map_err(|e| e.to_string())?;
    Ok(QueryConn {
        conn,
        clock,
        refusal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(sql: &str) -> Result<(), String> {
        let dir = std::env::temp_dir().join(format!("nanocap-ro-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.db");
        {
            let rw = Connection::open(&path).unwrap();
            rw.execute_batch("CREATE TABLE IF NOT EXISTS t(a); PRAGMA journal_mode=WAL")
                .unwrap();
        }
        let q = open(&path).unwrap();
        let result = match q.conn.prepare(sql) {
            Ok(stmt) if stmt.readonly() => Ok(()),
            Ok(_) => Err("not read-only".into()),
            Err(e) => Err(q.refusal.take().unwrap_or_else(|| e.to_string())),
        };
        result
    }

    #[test]
    fn reads_pass() {
        for sql in [
            "SELECT * FROM t",
            "SELECT count(*) FROM sqlite_master",
            "PRAGMA table_info(t)",
            "SELECT * FROM pragma_table_info('t')",
            "PRAGMA user_version",
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c LIMIT 5) SELECT x FROM c",
            "SELECT nano_msg_name(3)",
        ] {
            assert_eq!(check(sql), Ok(()), "{sql}");
        }
    }

    #[test]
    fn everything_else_is_refused() {
        for (sql, why) in [
            ("INSERT INTO t VALUES (1)", "Insert on t"),
            ("DELETE FROM t", "Delete on t"),
            ("UPDATE t SET a = 2", "Update on t"),
            ("CREATE TABLE u(a)", "not a read"),
            ("CREATE TEMP TABLE u(a)", "not a read"),
            ("DROP TABLE t", "not a read"),
            ("ATTACH '/etc/passwd' AS p", "ATTACH"),
            ("PRAGMA user_version = 5", "PRAGMA user_version = 5"),
            ("PRAGMA journal_mode = DELETE", "PRAGMA journal_mode"),
            ("PRAGMA writable_schema", "PRAGMA writable_schema"),
            ("BEGIN", "transactions"),
            ("SELECT load_extension('x')", "load_extension"),
            ("VACUUM INTO '/tmp/nanocap-copy.db'", ""),
        ] {
            let err = check(sql).expect_err(sql);
            assert!(err.contains(why), "{sql}: {err}");
        }
    }

    #[test]
    fn clock_counts_only_steps() {
        let c = Clock::new();
        c.reset(Duration::from_millis(20));
        std::thread::sleep(Duration::from_millis(30));
        assert!(!c.expired(), "time outside steps does not count");
        c.begin_step();
        std::thread::sleep(Duration::from_millis(30));
        assert!(c.expired());
        c.end_step();
        c.reset(Duration::from_millis(20));
        assert!(!c.expired());
    }
}
