//! Throughput of nanocap against baselines measured in the same run.
//!
//! Usage: bench CAPTURE [--tshark] [--runs N]
//! Prints a Markdown table: messages per second and the ratio to the plain read
//! (pcap-file + etherparse, no decoding) and to tshark's Nano dissector.

use nanocap_tests::{connect, lit};
use rusqlite::types::ValueRef;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed());
        last = Some(r);
    }
    (best, last.expect("at least one run"))
}

/// The baseline: read every record and slice link/IP/transport headers, no Nano
/// decoding, no SQLite.
fn plain_read(path: &Path) -> u64 {
    use etherparse::SlicedPacket;
    use pcap_file::pcap::PcapReader;
    use pcap_file::pcapng::{Block, PcapNgReader};
    let file = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path).unwrap());
    let mut sliced = 0u64;
    let mut eat = |data: &[u8]| {
        if let Ok(p) = SlicedPacket::from_ethernet(data) {
            if p.transport.is_some() {
                sliced += 1;
            }
        }
    };
    let magic = std::fs::read(path)
        .map(|b| b.get(..4).map(|m| m.to_vec()))
        .ok()
        .flatten();
    if magic.as_deref() == Some(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        let mut r = PcapNgReader::new(file).unwrap();
        while let Some(block) = r.next_block() {
            match block {
                Ok(Block::EnhancedPacket(p)) => eat(&p.data),
                Ok(Block::SimplePacket(p)) => eat(&p.data),
                Ok(_) => {}
                Err(_) => break,
            }
        }
    } else {
        let mut r = PcapReader::new(file).unwrap();
        while let Some(Ok(p)) = r.next_packet() {
            eat(&p.data);
        }
    }
    sliced
}

fn read_all_columns(path: &Path) -> u64 {
    let conn = connect();
    let mut stmt = conn
        .prepare(&format!("SELECT * FROM nano_packets({})", lit(path)))
        .unwrap();
    let n = stmt.column_count();
    let mut rows = stmt.query([]).unwrap();
    let mut count = 0u64;
    let mut bytes = 0usize;
    while let Some(row) = rows.next().unwrap() {
        for i in 0..n {
            bytes += match row.get_ref(i).unwrap() {
                ValueRef::Text(t) => t.len(),
                ValueRef::Blob(b) => b.len(),
                _ => 1,
            };
        }
        count += 1;
    }
    std::hint::black_box(bytes);
    count
}

fn tshark_count(path: &Path) -> Option<u64> {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(path)
        .args(["-T", "fields", "-e", "nano.packet_type"])
        .args([
            "-d",
            "udp.port==44000,nano",
            "-d",
            "udp.port==17075,nano",
            "-d",
            "udp.port==54000,nano",
        ])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(
        out.stdout
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .count() as u64,
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(PathBuf::from)
    else {
        eprintln!("usage: bench CAPTURE [--tshark] [--runs N]");
        std::process::exit(2);
    };
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(3);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);

    let conn = connect();
    let count_sql = format!("SELECT count(*) FROM nano_packets({})", lit(&path));
    let (t_count, messages) = best_of(runs, || {
        conn.query_row(&count_sql, [], |r| r.get::<_, i64>(0))
            .unwrap() as u64
    });
    let (t_plain, frames) = best_of(runs, || plain_read(&path));
    let (t_all, rows) = best_of(runs, || read_all_columns(&path));
    assert_eq!(rows, messages);
    let tshark = if args.iter().any(|a| a == "--tshark") {
        let t = Instant::now();
        tshark_count(&path).map(|n| (t.elapsed(), n))
    } else {
        None
    };

    let rate = |d: Duration| messages as f64 / d.as_secs_f64();
    println!(
        "capture: {} ({:.1} MB, {frames} frames, {messages} messages), best of {runs} runs\n",
        path.display(),
        size as f64 / 1e6
    );
    println!("| what | time (s) | messages/s | time vs plain read | speed vs tshark |");
    println!("|---|---|---|---|---|");
    let row = |name: &str, d: Duration| {
        let vs_tshark = tshark.map_or("n/a".to_string(), |(t, _)| {
            format!("{:.0}x faster", t.as_secs_f64() / d.as_secs_f64())
        });
        println!(
            "| {name} | {:.3} | {:.0} | {:.2}x | {vs_tshark} |",
            d.as_secs_f64(),
            rate(d),
            d.as_secs_f64() / t_plain.as_secs_f64()
        );
    };
    row("plain read (pcap-file + etherparse, no decoding)", t_plain);
    row("SELECT count(*) FROM nano_packets(f)", t_count);
    row("SELECT * FROM nano_packets(f), every column read", t_all);
    if let Some((t, n)) = tshark {
        println!(
            "| tshark -T fields -e nano.packet_type ({n} lines) | {:.3} | {:.0} | {:.2}x | 1x |",
            t.as_secs_f64(),
            rate(t),
            t.as_secs_f64() / t_plain.as_secs_f64()
        );
    }
}
