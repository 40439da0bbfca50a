//! One generic table-valued function over the capture pipeline. Each table
//! (`nano_packets`, `nano_blocks`, ...) is a `present::TableDef`: which columns it has
//! and how an event turns into rows of values. Scanning, argument handling, error
//! reporting and the hand-over of values to SQLite live here.

use crate::capture::source::FileSource;
use crate::capture::Pipeline;
use crate::present::values::text;
use crate::present::{ScanState, TableDef, Value};
use rusqlite::ffi;
use rusqlite::types::{ToSql, ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::vtab::{
    Context, Filters, IndexConstraintOp, IndexInfo, VTab, VTabConfig, VTabConnection, VTabCursor,
};
use rusqlite::{Error, Result};
use std::borrow::Cow;
use std::ffi::{c_int, CStr, CString};
use std::marker::PhantomData;
use std::os::unix::fs::FileTypeExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

#[repr(C)]
pub struct PipelineTab<T: TableDef> {
    base: ffi::sqlite3_vtab,
    _t: PhantomData<T>,
}

fn schema<T: TableDef>() -> CString {
    let mut sql = String::from("CREATE TABLE x(");
    for c in T::columns() {
        sql.push_str(&format!("\"{}\" {}, ", c.name, c.decl));
    }
    sql.push_str("path HIDDEN, options HIDDEN)");
    CString::new(sql).expect("column names have no NUL")
}

/// `idx_num` bits: the path is an argument; the options are too.
const PLAN_WITH_PATH: c_int = 1;
const PLAN_WITH_OPTIONS: c_int = 2;

// SAFETY: rusqlite casts the `sqlite3_vtab` pointer SQLite hands back to this type;
// that is sound because `PipelineTab` is `#[repr(C)]` with `base: ffi::sqlite3_vtab`
// as its first field; `connect` creates `base` zeroed (`default()`) and only SQLite
// writes its fields afterwards.
unsafe impl<'vtab, T: TableDef> VTab<'vtab> for PipelineTab<T> {
    type Aux = ();
    type Cursor = PipelineCursor<'vtab, T>;

    fn connect(
        db: &mut VTabConnection,
        _aux: Option<&()>,
        _module_name: &[u8],
        _database_name: &[u8],
        _table_name: &[u8],
        _args: &[&[u8]],
    ) -> Result<(Cow<'static, CStr>, Self)> {
        // Reading files named in SQL is not something a view or trigger should do
        // behind the user's back.
        db.config(VTabConfig::DirectOnly)?;
        guarded(T::NAME, || {
            Ok((
                Cow::Owned(schema::<T>()),
                PipelineTab {
                    base: ffi::sqlite3_vtab::default(),
                    _t: PhantomData,
                },
            ))
        })
    }

    fn best_index(&self, info: &mut IndexInfo) -> Result<bool> {
        guarded(T::NAME, || Ok(plan_scan(T::columns().len() as c_int, info)))
    }

    fn open(&'vtab mut self) -> Result<PipelineCursor<'vtab, T>> {
        guarded(T::NAME, || {
            Ok(PipelineCursor {
                base: ffi::sqlite3_vtab_cursor::default(),
                scan: None,
                state: ScanState::default(),
                args: Args::default(),
                _p: PhantomData,
            })
        })
    }
}

/// Chooses the plan: the path (and options) must be arguments known when the scan
/// starts. `false` when a path or options constraint is not usable yet (it comes
/// from a table SQLite has not positioned): SQLite then tries an order where it is.
fn plan_scan(path_col: c_int, info: &mut IndexInfo) -> bool {
    let options_col = path_col + 1;
    let mut path_constraint = None;
    let mut options_constraint = None;
    let mut unusable = false;
    for (i, c) in info.constraints().enumerate() {
        if c.operator() != IndexConstraintOp::SQLITE_INDEX_CONSTRAINT_EQ {
            continue;
        }
        let slot = if c.column() == path_col {
            &mut path_constraint
        } else if c.column() == options_col {
            &mut options_constraint
        } else {
            continue;
        };
        if c.is_usable() {
            *slot = Some(i);
        } else {
            unusable = true;
        }
    }
    if unusable {
        return false;
    }
    let mut plan = 0;
    if let Some(i) = path_constraint {
        let mut usage = info.constraint_usage(i);
        usage.set_argv_index(1);
        usage.set_omit(true);
        plan |= PLAN_WITH_PATH;
        if let Some(j) = options_constraint {
            let mut usage = info.constraint_usage(j);
            usage.set_argv_index(2);
            usage.set_omit(true);
            plan |= PLAN_WITH_OPTIONS;
        }
        info.set_estimated_cost(1_000_000.0);
        info.set_estimated_rows(1_000_000);
    } else {
        info.set_estimated_cost(f64::MAX);
    }
    info.set_idx_num(plan);
    true
}

struct Scan {
    pipeline: Pipeline,
    /// Rows the pipeline's current event yields (the event stays lent inside the
    /// pipeline: `pipeline.current()`).
    rows_in_event: usize,
    row: usize,
    /// Emitting final rows: index into them.
    final_row: Option<usize>,
    eof: bool,
}

/// The arguments of the current scan, given back as the hidden `path` and `options`
/// columns: SQLite checks a second `path = ...` constraint against them.
#[derive(Default)]
struct Args {
    path: Option<String>,
    options: Option<String>,
}

#[repr(C)]
pub struct PipelineCursor<'vtab, T: TableDef> {
    base: ffi::sqlite3_vtab_cursor,
    scan: Option<Scan>,
    state: ScanState,
    args: Args,
    _p: PhantomData<&'vtab PipelineTab<T>>,
}

impl<T: TableDef> Drop for PipelineCursor<'_, T> {
    /// SQLite's xClose drops the cursor: a panic while tearing down the pipeline must
    /// not unwind into C.
    fn drop(&mut self) {
        let scan = self.scan.take();
        let _ = catch_unwind(AssertUnwindSafe(move || drop(scan)));
    }
}

fn module_error(msg: String) -> Error {
    Error::ModuleError(msg)
}

/// Runs `f`, turning a panic into an SQL error: a bug in nanocap must never take
/// down the host process.
pub(crate) fn guarded<R>(what: &str, f: impl FnOnce() -> Result<R>) -> Result<R> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(module_error(format!(
                "nanocap internal error in {what}: {msg} (please report this with the capture)"
            )))
        }
    }
}

/// Argument `i` as text (NULL as `None`); any other type is an error naming it.
fn text_arg<T: TableDef>(args: &Filters<'_>, i: usize, what: &str) -> Result<Option<String>> {
    let wrong =
        |got: &str| module_error(format!("{}: the {what} must be text, got {got}", T::NAME));
    match args.get::<SqlValue>(i) {
        Ok(SqlValue::Null) => Ok(None),
        Ok(SqlValue::Text(t)) => Ok(Some(t)),
        Ok(SqlValue::Integer(n)) => Err(wrong(&format!("the integer {n}"))),
        Ok(SqlValue::Real(r)) => Err(wrong(&format!("the real {r}"))),
        Ok(SqlValue::Blob(_)) => Err(wrong("a blob")),
        Err(e) => Err(wrong(&e.to_string())),
    }
}

/// Refuses what is not a regular file. Opening a FIFO blocks until some writer
/// appears (forever, inside the query, out of reach of sqlite3_interrupt), and a
/// device or socket is no capture file either. Shared with `nano_import`.
pub(crate) fn check_capture_path(path: &Path) -> std::result::Result<(), String> {
    if path.as_os_str().is_empty() {
        return Err("the path is empty".into());
    }
    // Follows symbolic links, as opening does. Any error is left to opening, whose
    // messages already name the path (not found, permission denied, ...).
    if let Ok(meta) = std::fs::metadata(path) {
        let ft = meta.file_type();
        let what = if ft.is_dir() {
            Some("a directory")
        } else if ft.is_fifo() {
            Some("a FIFO (named pipe)")
        } else if ft.is_socket() {
            Some("a socket")
        } else if ft.is_block_device() || ft.is_char_device() {
            Some("a device")
        } else {
            None
        };
        if let Some(what) = what {
            return Err(format!(
                "{} is {what}, not a capture file (only regular pcap or pcapng files are read)",
                path.display()
            ));
        }
    }
    Ok(())
}

/// Opens the capture file for a scan.
fn open_capture(path: &Path) -> std::result::Result<FileSource, String> {
    check_capture_path(path)?;
    FileSource::open(path).map_err(|e| e.to_string())
}

impl<T: TableDef> PipelineCursor<'_, T> {
    fn advance(&mut self) -> Result<()> {
        let Some(scan) = self.scan.as_mut() else {
            return Ok(());
        };
        if let Some(fr) = scan.final_row.as_mut() {
            *fr += 1;
            if *fr >= T::final_rows(scan.pipeline.stats()) {
                scan.eof = true;
            }
            self.state.row_number += 1;
            return Ok(());
        }
        scan.row += 1;
        while scan.row >= scan.rows_in_event {
            if scan.pipeline.advance() {
                scan.rows_in_event = scan
                    .pipeline
                    .current()
                    .map_or(0, |ev| T::rows(ev, &self.state));
                scan.row = 0;
            } else {
                if T::final_rows(scan.pipeline.stats()) > 0 {
                    scan.final_row = Some(0);
                } else {
                    scan.eof = true;
                }
                break;
            }
        }
        self.state.row_number += 1;
        Ok(())
    }
}

// SAFETY: as for `PipelineTab`: `PipelineCursor` is `#[repr(C)]` with
// `base: ffi::sqlite3_vtab_cursor` first, so the cursor pointer SQLite hands back can be
// cast to it; `open` creates `base` zeroed and only SQLite writes it afterwards.
unsafe impl<T: TableDef> VTabCursor for PipelineCursor<'_, T> {
    fn filter(&mut self, idx_num: c_int, _idx_str: Option<&str>, args: &Filters<'_>) -> Result<()> {
        guarded(T::NAME, || {
            self.scan = None;
            self.state = ScanState::default();
            self.args = Args::default();
            if idx_num & PLAN_WITH_PATH == 0 || args.is_empty() {
                return Err(module_error(format!(
                    "{}: the capture file path is required, e.g. SELECT * FROM {}('capture.pcapng')",
                    T::NAME,
                    T::NAME
                )));
            }
            let path = text_arg::<T>(args, 0, "path")?
                .ok_or_else(|| module_error(format!("{}: the path is NULL", T::NAME)))?;
            let options = if idx_num & PLAN_WITH_OPTIONS != 0 {
                text_arg::<T>(args, 1, "options")?
            } else {
                None
            };
            self.state.options = T::parse_options(options.as_deref())
                .map_err(|e| module_error(format!("{}: {e}", T::NAME)))?;
            let source = open_capture(Path::new(&path))
                .map_err(|e| module_error(format!("{}: {e}", T::NAME)))?;
            let pipeline = Pipeline::from_source(source, T::pipeline_options(&self.state.options));
            self.args = Args {
                path: Some(path),
                options,
            };
            self.scan = Some(Scan {
                pipeline,
                rows_in_event: 0,
                row: 0,
                final_row: None,
                eof: false,
            });
            // Position on the first row: `advance` moves past row 0 of "no event".
            self.advance()
        })
    }

    fn next(&mut self) -> Result<()> {
        guarded(T::NAME, || self.advance())
    }

    fn eof(&self) -> bool {
        // No way to report an error here: a panic ends the scan.
        catch_unwind(AssertUnwindSafe(|| {
            self.scan.as_ref().is_none_or(|s| s.eof)
        }))
        .unwrap_or(true)
    }

    fn column(&self, ctx: &mut Context, i: c_int) -> Result<()> {
        let value = guarded(T::NAME, || {
            let Some(scan) = self.scan.as_ref() else {
                return Ok(Value::Null);
            };
            let i = i as usize;
            let own = T::columns().len();
            if i == own {
                return Ok(self.args.path.as_deref().map_or(Value::Null, text));
            }
            if i > own {
                return Ok(self.args.options.as_deref().map_or(Value::Null, text));
            }
            Ok(match (scan.pipeline.current(), scan.final_row) {
                (Some(ev), _) => T::column(ev, scan.row, i, &self.state),
                (None, Some(fr)) => T::final_column(scan.pipeline.stats(), fr, i),
                _ => Value::Null,
            })
        })?;
        ctx.set_result(&value)
    }

    fn rowid(&self) -> Result<i64> {
        guarded(T::NAME, || Ok(self.state.row_number))
    }
}

/// A presented value as SQLite's: borrowed, so text goes to SQLite (which copies it)
/// without another copy on our side. Binds statement parameters as well (the store).
impl ToSql for Value<'_> {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(r) => ValueRef::Real(*r),
            Value::Text(t) => ValueRef::Text(t.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}
