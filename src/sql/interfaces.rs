//! `nano_interfaces()`: the devices libpcap can capture on, one row each (what the
//! original's `--if` printed). No arguments, so not the generic pipeline table: a
//! small table of its own, filled when the scan starts.
//!
//! `link_type` needs the device opened, which needs the capture privilege: the
//! device is opened briefly (and closed at once) to read it; without the privilege,
//! or for a device that cannot be opened, it is NULL.

use super::table::guarded;
use crate::capture::source::live::{self, Interface};
use rusqlite::ffi;
use rusqlite::types::Value;
use rusqlite::vtab::{Context, Filters, IndexInfo, VTab, VTabConfig, VTabConnection, VTabCursor};
use rusqlite::{Error, Result};
use std::borrow::Cow;
use std::ffi::{c_int, CStr};

const NAME: &str = "nano_interfaces";

const SCHEMA: &CStr = c"CREATE TABLE x(name TEXT, description TEXT, addresses TEXT, up INTEGER, \
    running INTEGER, loopback INTEGER, wireless INTEGER, connection_status TEXT, \
    link_type INTEGER, link_name TEXT, default_device INTEGER)";

#[repr(C)]
pub struct InterfacesTab {
    base: ffi::sqlite3_vtab,
}

// SAFETY: `#[repr(C)]` with `base: ffi::sqlite3_vtab` first, created zeroed; only
// SQLite writes its fields afterwards (as for `PipelineTab`).
unsafe impl<'vtab> VTab<'vtab> for InterfacesTab {
    type Aux = ();
    type Cursor = InterfacesCursor;

    fn connect(
        db: &mut VTabConnection,
        _aux: Option<&()>,
        _module_name: &[u8],
        _database_name: &[u8],
        _table_name: &[u8],
        _args: &[&[u8]],
    ) -> Result<(Cow<'static, CStr>, Self)> {
        // Opening devices is for direct queries, not views or triggers.
        db.config(VTabConfig::DirectOnly)?;
        Ok((
            Cow::Borrowed(SCHEMA),
            InterfacesTab {
                base: ffi::sqlite3_vtab::default(),
            },
        ))
    }

    fn best_index(&self, info: &mut IndexInfo) -> Result<bool> {
        info.set_estimated_cost(10.0);
        info.set_estimated_rows(10);
        Ok(true)
    }

    fn open(&'vtab mut self) -> Result<InterfacesCursor> {
        Ok(InterfacesCursor {
            base: ffi::sqlite3_vtab_cursor::default(),
            rows: Vec::new(),
            at: 0,
        })
    }
}

struct Row {
    interface: Interface,
    link: Option<(u32, Option<String>)>,
    default_device: bool,
}

#[repr(C)]
pub struct InterfacesCursor {
    base: ffi::sqlite3_vtab_cursor,
    rows: Vec<Row>,
    at: usize,
}

// SAFETY: `#[repr(C)]` with `base: ffi::sqlite3_vtab_cursor` first.
unsafe impl VTabCursor for InterfacesCursor {
    fn filter(
        &mut self,
        _idx_num: c_int,
        _idx_str: Option<&str>,
        _args: &Filters<'_>,
    ) -> Result<()> {
        guarded(NAME, || {
            let list =
                live::interfaces().map_err(|e| Error::ModuleError(format!("{NAME}: {e}")))?;
            let default = live::resolve_device(None).ok().map(|(name, _)| name);
            self.rows = list
                .into_iter()
                .map(|interface| Row {
                    link: live::probe_link_type(&interface.name),
                    default_device: default.as_deref() == Some(interface.name.as_str()),
                    interface,
                })
                .collect();
            self.at = 0;
            Ok(())
        })
    }

    fn next(&mut self) -> Result<()> {
        self.at += 1;
        Ok(())
    }

    fn eof(&self) -> bool {
        self.at >= self.rows.len()
    }

    fn column(&self, ctx: &mut Context, i: c_int) -> Result<()> {
        let Some(row) = self.rows.get(self.at) else {
            return ctx.set_result(&Value::Null);
        };
        let d = &row.interface;
        let flag = |b: bool| Value::Integer(b as i64);
        let value = match i {
            0 => Value::Text(d.name.clone()),
            1 => d.description.clone().map_or(Value::Null, Value::Text),
            2 => Value::Text(d.address_text()),
            3 => flag(d.up),
            4 => flag(d.running),
            5 => flag(d.loopback),
            6 => flag(d.wireless),
            7 => Value::Text(d.status.into()),
            8 => row
                .link
                .as_ref()
                .map_or(Value::Null, |l| Value::Integer(l.0 as i64)),
            9 => row
                .link
                .as_ref()
                .and_then(|l| l.1.clone())
                .map_or(Value::Null, Value::Text),
            10 => flag(row.default_device),
            _ => Value::Null,
        };
        ctx.set_result(&value)
    }

    fn rowid(&self) -> Result<i64> {
        Ok(self.at as i64 + 1)
    }
}
