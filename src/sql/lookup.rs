//! Lookups for joins: a table function on the inner side of a join is filtered once
//! per outer row, and each filter would decode the whole file again. Instead a cursor
//! filtered a second time with an equality on a key column (`hash`, `account`,
//! `packet_id`, ...) decodes the file once into memory (`Decoded`) and answers every
//! later filter from an index on that column. Decoded files are shared by the cursors
//! of one connection while any of them holds one (so a statement's inner tables share
//! it, and it is freed when the statement ends), and are bounded in bytes: a file
//! over the limit is scanned per filter as before.

use super::interrupt::WORK_BETWEEN_CHECKS;
use crate::capture::pipeline::{PipelineOptions, Progress};
use crate::capture::source::FileSource;
use crate::capture::{Event, Pipeline};
use crate::present::{Options, ScanState, TableDef, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::SystemTime;

/// Columns an equality may be served from an index on, wherever a table has them.
pub const KEY_COLUMNS: &[&str] = &[
    "id",
    "packet_id",
    "hash",
    "account",
    "flow_key",
    "request_id",
    "message_id",
];

/// Default bound on the estimated memory of one connection's decoded files.
pub const DEFAULT_LIMIT_BYTES: usize = 256 << 20;

/// One file as read for one set of pipeline options: a changed file (size or
/// modification time) is another key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileKey {
    path: String,
    len: u64,
    modified: Option<SystemTime>,
    per_message_events: bool,
    node_ids: bool,
}

impl FileKey {
    /// `None` when the file cannot be looked at (the scan then reports why).
    pub fn new(path: &str, options: &PipelineOptions) -> Option<FileKey> {
        let meta = std::fs::metadata(path).ok()?;
        Some(FileKey {
            path: path.to_string(),
            len: meta.len(),
            modified: meta.modified().ok(),
            per_message_events: options.tcp.report.per_message_events,
            node_ids: options.tcp.report.node_ids,
        })
    }
}

/// A value as an index key. Only integers and text are indexed: the key columns
/// hold nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Int(i64),
    Text(Box<str>),
}

/// A row of a decoded file: its event, the row within the event, and its 1-based
/// number in a full scan (some tables show it as `id`).
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    pub event: u32,
    pub row: u32,
    pub row_number: i64,
}

/// Rows of one table by the value of one column.
struct Index {
    map: HashMap<Key, Vec<Hit>>,
}

enum Built {
    Index(Arc<Index>),
    /// Some row holds a value that is neither integer nor text: no index can be
    /// trusted to find every match.
    NotUsable,
    /// Over the memory limit.
    TooBig,
}

/// Which index: table name, column, and the `details` option (it changes the rows).
type IndexId = (&'static str, usize, bool);

/// Events per chunk of a decoded file (about 6 MB).
const CHUNK: usize = 1 << 14;

/// Every event of one file, in pipeline order, and the indexes built on them.
pub struct Decoded {
    /// In chunks of `CHUNK` events: one vector of them all would double its allocation
    /// as it grows, holding up to three times the limit for a moment while it copies.
    chunks: Vec<Vec<Event>>,
    /// Estimated bytes of the events, and of the indexes built so far.
    bytes: usize,
    index_bytes: AtomicUsize,
    /// `None`: over the limit when tried (not tried again for this decoded file).
    indexes: Mutex<HashMap<IndexId, Option<Arc<Index>>>>,
}

enum Slot {
    Held(Weak<Decoded>),
    /// Over the limit in force when it was tried: not tried again under it.
    TooBig {
        limit: usize,
    },
}

/// A connection's decoded files, limit and counters (`nano_join_cache()`).
pub struct Cache {
    slots: Mutex<HashMap<FileKey, Slot>>,
    limit: AtomicUsize,
    /// Scans started by table-function cursors (each decodes the file).
    pub scans: AtomicU64,
    /// Files decoded into memory for lookups.
    pub builds: AtomicU64,
    /// Lookups that had to scan because the file was over the limit.
    pub fallbacks: AtomicU64,
}

impl Default for Cache {
    fn default() -> Self {
        Cache {
            slots: Mutex::new(HashMap::new()),
            limit: AtomicUsize::new(DEFAULT_LIMIT_BYTES),
            scans: AtomicU64::new(0),
            builds: AtomicU64::new(0),
            fallbacks: AtomicU64::new(0),
        }
    }
}

/// Rough heap and inline size of an event once decoded: a payload takes about as
/// many bytes as its wire form (hashes, keys, signatures kept as arrays).
fn event_bytes(ev: &Event) -> usize {
    std::mem::size_of::<Event>()
        + match ev {
            Event::Message(m) => m.size + 64,
            Event::StreamItem(_) => 256,
            Event::Connection(c) => c.detail.as_ref().map_or(0, String::len),
            Event::Anomaly(a) => a.detail.len(),
        }
}

impl Cache {
    pub fn limit(&self) -> usize {
        self.limit.load(Ordering::Relaxed)
    }

    pub fn set_limit(&self, bytes: usize) {
        self.limit.store(bytes, Ordering::Relaxed);
    }

    /// Estimated bytes of the decoded files some cursor still holds.
    pub fn held_bytes(&self) -> usize {
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots
            .values()
            .filter_map(|s| match s {
                Slot::Held(w) => w.upgrade().map(|d| d.held_bytes()),
                Slot::TooBig { .. } => None,
            })
            .sum()
    }

    /// The decoded file for `key` if some cursor holds it already.
    pub fn held(&self, key: &FileKey) -> Option<Arc<Decoded>> {
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        match slots.get(key) {
            Some(Slot::Held(w)) => w.upgrade(),
            _ => None,
        }
    }

    /// The decoded file for `key`, decoding it now if no cursor holds it; `None` when
    /// it is over the limit (together with what the other held files take).
    /// `interrupted` is asked every `WORK_BETWEEN_CHECKS` frames or events while
    /// decoding; `Err(Interrupted)` when it said yes.
    pub fn decoded(
        &self,
        key: &FileKey,
        options: PipelineOptions,
        interrupted: &dyn Fn() -> bool,
    ) -> Result<Option<Arc<Decoded>>, Interrupted> {
        let limit = self.limit();
        {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            match slots.get(key) {
                Some(Slot::Held(w)) => {
                    if let Some(d) = w.upgrade() {
                        return Ok(Some(d));
                    }
                }
                Some(&Slot::TooBig { limit: tried }) if limit <= tried => return Ok(None),
                _ => {}
            }
            // Forget files nobody holds any more.
            slots.retain(|_, s| !matches!(s, Slot::Held(w) if w.strong_count() == 0));
        }
        let budget = limit.saturating_sub(self.held_bytes());
        let built = build(Path::new(&key.path), options, budget, interrupted)?;
        self.scans.fetch_add(1, Ordering::Relaxed);
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        match built {
            Some(d) => {
                self.builds.fetch_add(1, Ordering::Relaxed);
                let d = Arc::new(d);
                slots.insert(key.clone(), Slot::Held(Arc::downgrade(&d)));
                Ok(Some(d))
            }
            None => {
                slots.insert(key.clone(), Slot::TooBig { limit });
                Ok(None)
            }
        }
    }
}

/// The user interrupted the statement that was decoding a file.
#[derive(Debug)]
pub struct Interrupted;

/// Decodes the whole file, giving up as soon as it takes more than `budget` bytes.
/// `None` also when the file cannot be opened: the scan that falls back reports it.
fn build(
    path: &Path,
    options: PipelineOptions,
    budget: usize,
    interrupted: &dyn Fn() -> bool,
) -> Result<Option<Decoded>, Interrupted> {
    let Ok(source) = FileSource::open(path) else {
        return Ok(None);
    };
    let mut pipeline = Pipeline::from_source(source, options);
    let mut chunks: Vec<Vec<Event>> = Vec::new();
    let mut bytes = 0usize;
    loop {
        let ev = match pipeline.poll_within(WORK_BETWEEN_CHECKS) {
            Progress::Event => match pipeline.take_current() {
                Some(ev) => ev,
                None => continue,
            },
            Progress::End => break,
            Progress::Idle => {
                if interrupted() {
                    return Err(Interrupted);
                }
                continue;
            }
        };
        bytes += event_bytes(&ev);
        if bytes > budget {
            return Ok(None);
        }
        if chunks.last().is_none_or(|c| c.len() == CHUNK) {
            chunks.push(Vec::new());
        }
        let Some(chunk) = chunks.last_mut() else {
            continue;
        };
        // A chunk grows by doubling, as any vector: its copies stay within a chunk.
        chunk.push(ev);
        if chunk.len() as u64 % WORK_BETWEEN_CHECKS == 0 && interrupted() {
            return Err(Interrupted);
        }
    }
    if let Some(last) = chunks.last_mut() {
        last.shrink_to_fit();
    }
    Ok(Some(Decoded {
        chunks,
        bytes,
        index_bytes: AtomicUsize::new(0),
        indexes: Mutex::new(HashMap::new()),
    }))
}

/// The keys a constraint value `v` may equal under SQLite's comparison rules (the
/// column's affinity applied to it), or `None` when that is not simple to say: the
/// caller then returns every row and lets SQLite compare.
fn keys_for(v: &Value<'_>) -> Option<Vec<Key>> {
    Some(match v {
        // NULL equals nothing.
        Value::Null => Vec::new(),
        // An integer column compares as is; a text column sees the integer as text.
        Value::Integer(i) => vec![Key::Int(*i), Key::Text(i.to_string().into())],
        Value::Text(t) => {
            let mut keys = vec![Key::Text(t.as_ref().into())];
            match t.parse::<i64>() {
                // Numeric affinity turns canonical integer text into that integer.
                Ok(i) if i.to_string() == t.as_ref() => keys.push(Key::Int(i)),
                // Other text that looks numeric ('5.0', ' 5', '1e3') may too.
                _ if t.trim().parse::<f64>().is_ok() => return None,
                _ => {}
            }
            keys
        }
        Value::Real(_) | Value::Blob(_) => return None,
    })
}

impl Decoded {
    fn held_bytes(&self) -> usize {
        self.bytes + self.index_bytes.load(Ordering::Relaxed)
    }

    /// The rows of table `T` whose column `col` may equal `v`, in scan order; `None`
    /// when the index would take more than `budget` more bytes (the caller scans).
    pub fn lookup<T: TableDef>(
        &self,
        col: usize,
        options: Options,
        v: &Value<'_>,
        budget: usize,
    ) -> Option<Vec<Hit>> {
        let Some(keys) = keys_for(v) else {
            return Some(self.all_rows::<T>(options));
        };
        let index = match self.index::<T>(col, options, budget) {
            Built::Index(ix) => ix,
            Built::NotUsable => return Some(self.all_rows::<T>(options)),
            Built::TooBig => return None,
        };
        let mut hits: Vec<Hit> = keys
            .iter()
            .filter_map(|k| index.map.get(k))
            .flatten()
            .copied()
            .collect();
        if keys.len() > 1 {
            hits.sort_by_key(|h| h.row_number);
            hits.dedup_by_key(|h| h.row_number);
        }
        Some(hits)
    }

    /// Calls `f` with every row of table `T`, in scan order.
    fn each_row<T: TableDef>(&self, options: Options, mut f: impl FnMut(&Event, Hit, &ScanState)) {
        let mut state = ScanState {
            row_number: 0,
            options,
        };
        for (i, ev) in self.events().enumerate() {
            for row in 0..T::rows(ev, &state) {
                state.row_number += 1;
                let hit = Hit {
                    event: i as u32,
                    row: row as u32,
                    row_number: state.row_number,
                };
                f(ev, hit, &state);
            }
        }
    }

    fn all_rows<T: TableDef>(&self, options: Options) -> Vec<Hit> {
        let mut all = Vec::new();
        self.each_row::<T>(options, |_, hit, _| all.push(hit));
        all
    }

    /// The index of `T`'s column `col`, built on first use within `budget` bytes.
    fn index<T: TableDef>(&self, col: usize, options: Options, budget: usize) -> Built {
        let id = (T::NAME, col, options.details);
        let mut indexes = self.indexes.lock().unwrap_or_else(|e| e.into_inner());
        match indexes.get(&id) {
            Some(Some(ix)) => return Built::Index(ix.clone()),
            Some(None) => return Built::TooBig,
            None => {}
        }
        let mut map: HashMap<Key, Vec<Hit>> = HashMap::new();
        let mut usable = true;
        let mut bytes = 0usize;
        self.each_row::<T>(options, |ev, hit, state| {
            if !usable || bytes > budget {
                return;
            }
            let key = match T::column(ev, hit.row as usize, col, state) {
                Value::Null => return,
                Value::Integer(i) => Key::Int(i),
                Value::Text(t) => Key::Text(t.as_ref().into()),
                Value::Real(_) | Value::Blob(_) => {
                    usable = false;
                    return;
                }
            };
            // The hit, and a new key's allocation and table slot.
            bytes += std::mem::size_of::<Hit>();
            if let Key::Text(t) = &key {
                bytes += t.len();
            }
            let hits = map.entry(key).or_default();
            if hits.is_empty() {
                bytes += std::mem::size_of::<(Key, Vec<Hit>)>() + 16;
            }
            hits.push(hit);
        });
        if !usable {
            return Built::NotUsable;
        }
        if bytes > budget {
            indexes.insert(id, None);
            return Built::TooBig;
        }
        self.index_bytes.fetch_add(bytes, Ordering::Relaxed);
        let ix = Arc::new(Index { map });
        indexes.insert(id, Some(ix.clone()));
        Built::Index(ix)
    }

    pub fn event(&self, hit: &Hit) -> Option<&Event> {
        let i = hit.event as usize;
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)
    }

    /// Every event, in pipeline order.
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.chunks.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file decoded in several chunks: every event is found where the scan order
    /// puts it.
    #[cfg(feature = "synth")]
    #[test]
    fn a_decoded_file_in_chunks_keeps_every_event_in_order() {
        let path = std::env::temp_dir().join(format!("nanocap-chunks-{}.pcap", std::process::id()));
        let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        crate::synth::bench(3 * CHUNK as u64, 3, file).unwrap();
        let built = build(&path, PipelineOptions::default(), usize::MAX, &|| false);
        let ids = |ev: &Event| match ev {
            Event::Message(m) => Some(m.id),
            _ => None,
        };
        let mut scan = Pipeline::open(&path).unwrap();
        let mut whole = Vec::new();
        while let Some(ev) = scan.next_event() {
            whole.extend(ids(&ev));
        }
        std::fs::remove_file(&path).unwrap();
        let decoded = built.unwrap().expect("fits");
        assert!(decoded.chunks.len() >= 3);
        let in_order: Vec<u64> = decoded.events().filter_map(ids).collect();
        assert_eq!(in_order, whole);
        let n = decoded.events().count();
        let by_hit: Vec<u64> = (0..n as u32)
            .filter_map(|event| {
                let hit = Hit {
                    event,
                    row: 0,
                    row_number: 0,
                };
                decoded.event(&hit).and_then(ids)
            })
            .collect();
        assert_eq!(by_hit, whole);
        assert!(decoded
            .event(&Hit {
                event: n as u32,
                row: 0,
                row_number: 0
            })
            .is_none());
    }

    /// Decoding a file for a join asks whether to stop every few thousand frames,
    /// events or not: a file of two messages and then only datagrams that are not Nano
    /// stops at the first check once interrupted, and is asked all along otherwise.
    #[cfg(feature = "synth")]
    #[test]
    fn decoding_for_a_join_checks_for_interrupts_through_rowless_stretches() {
        let path = std::env::temp_dir().join(format!("nanocap-noise-{}.pcap", std::process::id()));
        let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        crate::synth::hostile::two_messages_then_noise(50_000, file).unwrap();
        let asked = std::cell::Cell::new(0u64);
        let stop = || {
            asked.set(asked.get() + 1);
            true
        };
        let built = build(&path, PipelineOptions::default(), usize::MAX, &stop);
        assert!(matches!(built, Err(Interrupted)));
        assert_eq!(asked.get(), 1);
        asked.set(0);
        let go_on = || {
            asked.set(asked.get() + 1);
            false
        };
        let built = build(&path, PipelineOptions::default(), usize::MAX, &go_on);
        std::fs::remove_file(&path).unwrap();
        let decoded = built.unwrap().expect("fits");
        let messages = decoded.events().filter(|e| matches!(e, Event::Message(_)));
        assert_eq!(messages.count(), 2);
        // 50,002 frames, asked about every 4,096 of them.
        assert_eq!(asked.get(), 50_002 / WORK_BETWEEN_CHECKS);
    }

    #[test]
    fn keys_follow_sqlite_affinity() {
        assert_eq!(keys_for(&Value::Null), Some(vec![]));
        assert_eq!(
            keys_for(&Value::Integer(5)),
            Some(vec![Key::Int(5), Key::Text("5".into())])
        );
        assert_eq!(
            keys_for(&Value::Text("12".into())),
            Some(vec![Key::Text("12".into()), Key::Int(12)])
        );
        assert_eq!(
            keys_for(&Value::Text("AB12".into())),
            Some(vec![Key::Text("AB12".into())])
        );
        assert_eq!(keys_for(&Value::Text("5.0".into())), None);
        assert_eq!(keys_for(&Value::Text(" 5".into())), None);
        assert_eq!(keys_for(&Value::Text("007".into())), None);
        assert_eq!(keys_for(&Value::Real(5.0)), None);
    }
}
