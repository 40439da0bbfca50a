//! Decoding allocates nothing per message on the hot path: once a scan is warm (its
//! buffers grown, the list pools of `protocol::list` filled), reading, reassembling and
//! decoding further messages of the same file, presenting every column of their rows
//! (`details` and signatures included) and dropping it all makes no heap allocation. What is left is per TCP
//! connection (its state, its reassembly buffer), bounded per connection here.
//!
//! Counted by a global allocator that counts per thread, so tests running beside these
//! (other threads) do not disturb the counts.

use nanocap::capture::{ConnectionEventKind, Event, Pipeline};
use nanocap::present::tables::packets::Packets;
use nanocap::present::tables::{blocks::Blocks, votes::Votes};
use nanocap::present::{text, PerMessage, ScanState, TableDef, Value};
use nanocap::synth::{self, Config, TcpShaping, TransportChoice};
use nanocap_tests::TempDir;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count_one() {
    // `try_with`: during a thread's teardown the counter may be gone already.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counter is a
// const-initialised thread-local of a `Cell<u64>`, which needs no allocation and has
// no destructor, so counting never re-enters the allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: the caller's layout, as `GlobalAlloc::alloc` requires.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with this layout (every allocation here does).
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: as `GlobalAlloc::realloc` requires, forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(|n| n.get())
}

/// What a scan did after its first `warm` messages.
#[derive(Debug)]
struct Counted {
    messages: u64,
    connections_opened: u64,
    allocations: u64,
}

/// Scans `path` to its end as table `T` would, presenting every column of every row
/// and handing each value back as the SQLite sink does (`text::recycle`), and counts
/// what happened after the first `warm` messages.
fn scan<T: TableDef>(path: &Path, warm: u64) -> Counted {
    let state = ScanState::default();
    let options = T::pipeline_options(&state.options);
    let mut pipeline = Pipeline::open_with(path, options).expect("open capture");
    let mut seen = 0u64;
    let mut start = None;
    let mut counted = Counted {
        messages: 0,
        connections_opened: 0,
        allocations: 0,
    };
    while let Some(ev) = pipeline.next_event() {
        let warm_now = start.is_some();
        match &ev {
            Event::Message(_) => {
                seen += 1;
                counted.messages += u64::from(warm_now);
            }
            Event::Connection(c) if c.event == ConnectionEventKind::Open => {
                counted.connections_opened += u64::from(warm_now);
            }
            _ => {}
        }
        for row in 0..T::rows(&ev, &state) {
            for c in 0..T::columns().len() {
                if let Value::Text(t) = std::hint::black_box(T::column(&ev, row, c, &state)) {
                    text::recycle(t);
                }
            }
        }
        drop(ev);
        if seen == warm && start.is_none() {
            start = Some(allocations());
        }
    }
    counted.allocations = allocations() - start.expect("fewer messages than the warm-up");
    counted
}

fn capture(
    dir: &TempDir,
    name: &str,
    transport: TransportChoice,
    shaping: TcpShaping,
) -> std::path::PathBuf {
    let path = dir.path().join(name);
    let mut cfg = Config::new(60_000);
    cfg.transport = transport;
    cfg.shaping = shaping;
    // Fewer distinct pre-signed messages than the default: the file is still every
    // message type, built in a fraction of the time.
    cfg.pool_size = 1024;
    let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    synth::generate(&cfg, file).expect("generate");
    path
}

/// After 20 000 messages every message type and size has been seen many times over.
const WARM: u64 = 20_000;

#[test]
fn a_warm_udp_scan_allocates_nothing_per_message() {
    let dir = TempDir::new("allocations-udp");
    let path = capture(
        &dir,
        "udp.pcapng",
        TransportChoice::Udp,
        TcpShaping::plain(),
    );
    let packets = scan::<Packets>(&path, WARM);
    let votes = scan::<PerMessage<Votes>>(&path, WARM);
    let blocks = scan::<Blocks>(&path, WARM);
    for (table, c) in [
        ("nano_packets", packets),
        ("nano_votes", votes),
        ("nano_blocks", blocks),
    ] {
        eprintln!("{table}: {c:?}");
        assert_eq!(c.messages, 40_000);
        // The generated file is the same every run: after the warm-up no message is
        // larger than one before it, so no reused buffer has to grow.
        assert_eq!(
            c.allocations, 0,
            "{table}, {c:?}: reading, decoding and presenting warm UDP messages allocated"
        );
    }
}

/// In-order TCP allocates per connection (its state, its reassembly and framing
/// buffers growing to their size), never per message: the generator's connections
/// carry 1000 messages each.
#[test]
fn a_warm_tcp_scan_allocates_per_connection_not_per_message() {
    let dir = TempDir::new("allocations-tcp");
    let coalesced = TcpShaping {
        coalesce: true,
        ..TcpShaping::plain()
    };
    let path = capture(&dir, "tcp.pcapng", TransportChoice::Tcp, coalesced);
    let c = scan::<Packets>(&path, WARM);
    eprintln!("{c:?}");
    assert_eq!(c.messages, 40_000);
    assert!(c.connections_opened >= 30, "{c:?}");
    assert!(
        c.allocations <= PER_CONNECTION * c.connections_opened,
        "{c:?}: more than {PER_CONNECTION} allocations per connection"
    );
}

/// What a connection may allocate over its life (measured: about 11).
const PER_CONNECTION: u64 = 16;

/// Segments that arrive ahead of a hole are copied until the hole fills (the frame they
/// came in is gone by then): one copy per held piece, on the path of reordered and
/// lost segments, not of messages. The messy generator reorders, splits and loses
/// segments throughout (measured: about one allocation per 15 messages).
#[test]
fn reordered_tcp_allocates_for_the_segments_it_holds_not_per_message() {
    let dir = TempDir::new("allocations-messy");
    let path = capture(
        &dir,
        "messy.pcapng",
        TransportChoice::Tcp,
        TcpShaping::messy(),
    );
    let c = scan::<Packets>(&path, WARM);
    eprintln!("{c:?}");
    assert_eq!(c.messages, 40_000);
    assert!(
        c.allocations <= c.messages / 10,
        "{c:?}: more than one allocation per 10 messages"
    );
}
