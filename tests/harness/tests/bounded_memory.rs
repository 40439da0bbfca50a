//! Scans stream: a host's peak memory does not grow with the capture's size. Measured
//! in fresh child processes (Debian's Python loading the extension) as VmHWM, which a
//! new process starts afresh (getrusage's maxrss would carry the parent's over exec).

use nanocap_tests::*;
use rusqlite::types::Value;
use std::path::Path;
use std::process::Command;

/// Peak resident memory (KiB) of a fresh Python process that loads the extension and
/// runs `sql` over `capture`.
fn peak_rss_kib(capture: &Path, sql: &str) -> Option<u64> {
    peak_rss_kib_within(capture, sql, None)
}

/// The same, with the process's address space limited to `limit_mib` (RLIMIT_AS): an
/// allocation past it fails, which aborts the process.
fn peak_rss_kib_within(capture: &Path, sql: &str, limit_mib: Option<u64>) -> Option<u64> {
    let limit = limit_mib.map_or(String::new(), |m| {
        format!("import resource\nresource.setrlimit(resource.RLIMIT_AS, ({m} << 20, {m} << 20))\n")
    });
    let script = format!(
        "{limit}import sqlite3\n\
         c = sqlite3.connect(':memory:')\n\
         c.enable_load_extension(True)\n\
         c.load_extension({ext:?})\n\
         rows = c.execute({sql:?}, ({path:?},)).fetchall()\n\
         assert rows and rows[0][0] > 0, rows\n\
         print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')][0])\n",
        ext = extension_path().display().to_string(),
        path = capture.display().to_string(),
    );
    let out = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(&script)
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("maxrss"),
    )
}

#[test]
fn peak_memory_does_not_grow_with_the_file() {
    let dir = TempDir::new("bounded");
    let small = dir.path().join("small.pcapng");
    let large = dir.path().join("large.pcapng");
    // UDP and TCP mixed, about 20 MB and 80 MB.
    for (path, n) in [(&small, 50_000u64), (&large, 200_000)] {
        let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        nanocap::synth::bench(n, 7, file).unwrap();
    }
    for sql in [
        "SELECT count(*) FROM nano_packets(?)",
        "SELECT count(DISTINCT hash) FROM nano_blocks(?)",
        "SELECT count(*) FROM nano_connections(?, 'details')",
    ] {
        let (Some(s), Some(l)) = (peak_rss_kib(&small, sql), peak_rss_kib(&large, sql)) else {
            skip("no /usr/bin/python3");
            return;
        };
        eprintln!("{sql}: {s} KiB / {l} KiB");
        // The DISTINCT set grows with the number of distinct blocks, which the generator
        // caps (a pool), so every query here must stay flat: allow 25 % and 8 MiB of noise.
        assert!(
            l <= s + s / 4 + 8 * 1024,
            "{sql}: peak RSS {s} KiB for the small file, {l} KiB for a 4x larger one"
        );
    }
}

/// One-byte segments behind holes cost the reassembly far more than their bytes: 100
/// clients each hold 45,000 of them (4.5 million pieces, 4.5 MB of payload, about
/// 440 MB of memory if each piece cost only its byte). What the pieces really cost is
/// counted against the TCP budget (256 MiB over all connections), so the peak stays
/// within it, even with the host limited to 1 GiB of address space, and what the
/// budget made the connections give up is reported.
#[test]
fn one_byte_segments_behind_holes_stay_within_the_tcp_budget() {
    let dir = TempDir::new("bounded_pieces");
    let small = dir.path().join("small.pcap");
    let hostile = dir.path().join("one_byte_holes.pcap");
    for (path, segments) in [(&small, 100u32), (&hostile, 45_000)] {
        generate(path, |w| {
            nanocap::synth::hostile::one_byte_holes(100, segments, w)
        });
    }
    let sql = "SELECT count(*) FROM nano_anomalies(?)";
    let within_1_gib = peak_rss_kib_within(&hostile, sql, Some(1024));
    let (Some(s), Some(l)) = (peak_rss_kib(&small, sql), within_1_gib) else {
        skip("no /usr/bin/python3");
        return;
    };
    eprintln!("{sql}: {s} KiB / {l} KiB");
    let budget_kib = 256 * 1024;
    assert!(
        l <= s + budget_kib + budget_kib / 8,
        "peak RSS {l} KiB for 4.5 million held pieces, {s} KiB for a few: over the budget"
    );
    // Every connection lost bytes to the limits, and each loss is on record.
    let conn = connect();
    let count = |kind: &str| -> i64 {
        let sql = format!(
            "SELECT count(DISTINCT srcip) FROM nano_anomalies({}) WHERE kind = '{kind}'",
            lit(&hostile)
        );
        match scalar(&conn, &sql) {
            Value::Integer(n) => n,
            v => panic!("{v:?}"),
        }
    };
    assert_eq!(count("tcp_gap"), 100);
    assert!(count("tcp_overflow") > 0);
}
