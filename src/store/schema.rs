//! The capture database's schema: applied to a new database, migrated forward from an
//! older version, refused when a newer nanocap wrote it. The version lives in
//! `PRAGMA user_version`.

use rusqlite::Connection;

/// The schema this nanocap writes.
pub const SCHEMA_VERSION: i64 = 1;

/// The DDL of the current version (every statement is `IF NOT EXISTS`).
pub const SCHEMA_SQL: &str = include_str!("../../sql/schema.sql");

/// Steps from version `n` to `n + 1`, in order: `MIGRATIONS[0]` takes a version-1
/// database to version 2, and so on. Empty while there is only version 1.
const MIGRATIONS: &[&str] = &[];

const _: () = assert!(MIGRATIONS.len() as i64 == SCHEMA_VERSION - 1);

/// Why a database cannot be used.
#[derive(Debug)]
pub enum SchemaError {
    /// Written by a newer nanocap.
    Newer {
        found: i64,
    },
    /// No nanocap schema, but tables with the names of ours (an original C++ nanocap
    /// database, say): writing into them would mix two formats.
    Foreign {
        tables: Vec<String>,
    },
    Sqlite(rusqlite::Error),
}

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SchemaError::Newer { found } => write!(
                f,
                "the database was written by a newer nanocap (schema version {found}; this \
                 nanocap knows up to version {SCHEMA_VERSION}): use that nanocap, or another database"
            ),
            SchemaError::Foreign { tables } => write!(
                f,
                "the database has tables named like nanocap's that nanocap did not create \
                 ({}); an original nanocap database? Import into a new database",
                tables.join(", ")
            ),
            SchemaError::Sqlite(e) => write!(f, "cannot set up the capture tables: {e}"),
        }
    }
}

impl std::error::Error for SchemaError {}

impl From<rusqlite::Error> for SchemaError {
    fn from(e: rusqlite::Error) -> Self {
        SchemaError::Sqlite(e)
    }
}

/// The database's schema version (0: none applied yet).
pub fn version(db: &Connection) -> rusqlite::Result<i64> {
    db.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Brings the database to [`SCHEMA_VERSION`]: creates the tables of a new database,
/// migrates an older one step by step, each step in its own transaction together with
/// its new version number, so a crash leaves either the old or the new version.
pub fn apply(db: &Connection) -> Result<(), SchemaError> {
    let found = version(db)?;
    if found > SCHEMA_VERSION {
        return Err(SchemaError::Newer { found });
    }
    if found == SCHEMA_VERSION {
        // An import builds the indexes of the tables it fills first at its end; if
        // it never got there (the process was killed), they are built now.
        ensure_indexes(db)?;
        return Ok(());
    }
    if found == 0 {
        let foreign = our_tables_present(db)?;
        if !foreign.is_empty() {
            return Err(SchemaError::Foreign { tables: foreign });
        }
        db.execute_batch(&format!(
            "BEGIN IMMEDIATE; {SCHEMA_SQL}; PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
        ))
        .inspect_err(|_| {
            let _ = db.execute_batch("ROLLBACK");
        })?;
        return Ok(());
    }
    for (step, sql) in MIGRATIONS.iter().enumerate().skip(found as usize - 1) {
        let to = step as i64 + 2;
        db.execute_batch(&format!(
            "BEGIN IMMEDIATE; {sql}; PRAGMA user_version = {to}; COMMIT;"
        ))
        .inspect_err(|_| {
            let _ = db.execute_batch("ROLLBACK");
        })?;
    }
    Ok(())
}

/// Removes every row of every table of the schema (`runs` included: the database
/// is as new, and ids start again, still unique within it), then gives the space
/// back to the file system. Returns the rows removed. The caller makes sure no
/// import or capture writes meanwhile.
pub fn clear(db: &Connection) -> Result<u64, String> {
    apply(db).map_err(|e| e.to_string())?;
    let mut removed = 0u64;
    let tx = (|| -> rusqlite::Result<()> {
        db.execute_batch("BEGIN IMMEDIATE")?;
        for t in table_names() {
            removed += db.execute(&format!("DELETE FROM \"{t}\""), [])? as u64;
        }
        db.execute_batch("COMMIT")
    })();
    if let Err(e) = tx {
        let _ = db.execute_batch("ROLLBACK");
        return Err(format!("cannot remove the data: {e}"));
    }
    // Readers of an older snapshot only delay the checkpoint; VACUUM needs none of
    // them, and failing it leaves the space free inside the file for later rows.
    db.execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")
        .map_err(|e| format!("the data is removed, but the file could not shrink: {e}"))?;
    Ok(removed)
}

/// Names of the schema's tables that already exist in the database.
fn our_tables_present(db: &Connection) -> rusqlite::Result<Vec<String>> {
    let ours = table_names();
    let mut stmt =
        db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")?;
    let names = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut found = Vec::new();
    for name in names {
        let name = name?;
        if ours.contains(&name.as_str()) {
            found.push(name);
        }
    }
    Ok(found)
}

/// The tables the schema creates, read from its DDL.
pub fn table_names() -> Vec<&'static str> {
    SCHEMA_SQL
        .lines()
        .filter_map(|l| l.trim().strip_prefix("CREATE TABLE IF NOT EXISTS "))
        .filter_map(|rest| rest.split_whitespace().next())
        .collect()
}

/// The schema's indexes: (name, table, its `CREATE INDEX IF NOT EXISTS` statement).
pub fn indexes() -> Vec<(String, String, String)> {
    SCHEMA_SQL
        .split(';')
        .filter_map(|stmt| {
            let sql = stmt
                .lines()
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n");
            let sql = sql.trim();
            let mut words = sql
                .strip_prefix("CREATE INDEX IF NOT EXISTS ")?
                .split_whitespace();
            let name = words.next()?.to_string();
            (words.next()? == "ON").then_some(())?;
            let table = words.next()?.to_string();
            Some((name, table, sql.to_string()))
        })
        .collect()
}

/// Creates every index of the schema that is missing.
pub fn ensure_indexes(db: &Connection) -> rusqlite::Result<()> {
    for (_, _, sql) in indexes() {
        db.execute_batch(&sql)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_index_is_found() {
        let n = super::SCHEMA_SQL.matches("CREATE INDEX").count();
        let found = super::indexes();
        assert_eq!(found.len(), n);
        assert!(found
            .iter()
            .any(|(n, t, _)| n == "vote_hash_hash" && t == "vote_hash"));
        let tables = super::table_names();
        assert!(found.iter().all(|(_, t, _)| tables.contains(&t.as_str())));
    }
}
