//! The load generator and baselines of `tests/bench_serve.sh` (see BENCHMARKS.md,
//! "nanocap-serve"). A dev-only example: a plain HTTP/1.1 client on `TcpStream`s,
//! the same SQL run directly through rusqlite for the baselines, a steady UDP
//! sender of Nano messages for the live-capture runs, and the report.
//!
//! ```text
//! load http ADDR PATH [--clients N] [--duration S] [--warmup S] [--new-conn] [--label L] [--phase P]
//! load get ADDR PATH [--label L] [--phase P]          one request, time to first and last byte
//! load request ADDR METHOD PATH                      prints the reply's status and body
//! load sql DB SQL [--clients N] [--duration S] [--warmup S] [--label L] [--phase P]
//! load scan DB SQL [--csv] [--label L] [--phase P]    one pass over every row, every column fetched
//! load send PORT [--rate R]                          Nano messages over UDP to 127.0.0.1:PORT
//! load cpu --server-pid PID [--duration S]           the server's CPU per second, no requests
//! ```
//!
//! The server's CPU time (`--server-pid`) is read from /proc: the whole process less
//! the live capture's threads (`nanocap-capture`, `nanocap-writer`), so that it is the
//! cost of the requests; the capture's own is reported apart (`load cpu`).
//!
//! ```text
//! load report FILE                                   Markdown tables of the medians
//! ```
//!
//! `http`: N client threads, each on its own keep-alive connection (HTTP/1.1, one
//! request at a time, no pipelining), or a new connection per request with
//! `--new-conn` (`Connection: close`). Latency is from writing the request to the
//! reply's last byte; percentiles are nearest-rank over every sample of every
//! client. A reply other than 200, or one whose body says "locked", is an error.
//! Every measuring subcommand prints one JSON line on stdout.

#[path = "../src/values.rs"]
#[allow(dead_code)]
mod values;

use nanocap::protocol::types::BlockType;
use nanocap::synth::messages::VoteStamp;
use nanocap::synth::{Factory, Network};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde_json::{json, Map, Value};
use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("http") => cmd_http(&args[1..]),
        Some("get") => cmd_get(&args[1..]),
        Some("request") => cmd_request(&args[1..]),
        Some("sql") => cmd_sql(&args[1..]),
        Some("scan") => cmd_scan(&args[1..]),
        Some("send") => cmd_send(&args[1..]),
        Some("cpu") => cmd_cpu(&args[1..]),
        Some("report") => cmd_report(&args[1..]),
        _ => {
            Err("usage: load http|get|request|sql|scan|send|cpu|report ... (see the source)".into())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("load: {e}");
            ExitCode::from(2)
        }
    }
}

/// Positional arguments and `--flag [value]` options.
struct Opts {
    pos: Vec<String>,
    named: Vec<(String, Option<String>)>,
}

const SWITCHES: &[&str] = &["--new-conn", "--csv"];

impl Opts {
    fn parse(args: &[String]) -> Opts {
        let (mut pos, mut named) = (Vec::new(), Vec::new());
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if SWITCHES.contains(&a.as_str()) {
                named.push((a.clone(), None));
            } else if a.starts_with("--") {
                named.push((a.clone(), it.next().cloned()));
            } else {
                pos.push(a.clone());
            }
        }
        Opts { pos, named }
    }

    fn pos(&self, i: usize, what: &str) -> Result<&str, String> {
        self.pos
            .get(i)
            .map(String::as_str)
            .ok_or_else(|| format!("missing {what}"))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.named
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.as_deref())
    }

    fn has(&self, name: &str) -> bool {
        self.named.iter().any(|(k, _)| k == name)
    }

    fn num(&self, name: &str, default: f64) -> Result<f64, String> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("{name}: not a number: {v}")),
        }
    }

    fn tags(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("label".into(), json!(self.get("--label").unwrap_or("?")));
        m.insert("phase".into(), json!(self.get("--phase").unwrap_or("idle")));
        m
    }
}

fn print_line(mut tags: Map<String, Value>, v: Value) {
    if let Value::Object(m) = v {
        tags.extend(m);
    }
    println!("{}", Value::Object(tags));
}

// ---------------------------------------------------------------- HTTP client

struct Reply {
    status: u16,
    /// Body bytes (after de-chunking).
    bytes: u64,
    /// The body, when asked for or when the status is not 200 (at most 64 KiB).
    body: Vec<u8>,
    first_byte: Duration,
    server_closes: bool,
    lines: u64,
}

struct Client {
    addr: String,
    conn: Option<BufReader<TcpStream>>,
    close: bool,
    scratch: Vec<u8>,
    /// Count the body's line feeds (`Reply::lines`).
    count_lines: bool,
}

impl Client {
    fn new(addr: &str, close: bool) -> Client {
        Client {
            addr: addr.to_string(),
            conn: None,
            close,
            scratch: vec![0; 256 * 1024],
            count_lines: false,
        }
    }

    fn request(
        &mut self,
        method: &str,
        path: &str,
        body: &[u8],
        keep_body: bool,
    ) -> io::Result<Reply> {
        let started = Instant::now();
        if self.conn.is_none() {
            let s = TcpStream::connect(&self.addr)?;
            s.set_nodelay(true)?;
            s.set_read_timeout(Some(Duration::from_secs(120)))?;
            self.conn = Some(BufReader::with_capacity(256 * 1024, s));
        }
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        if self.close {
            head.push_str("Connection: close\r\n");
        }
        if !body.is_empty() || method == "POST" {
            let _ = write!(
                head,
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            );
        }
        head.push_str("\r\n");
        let r = self.exchange(head.as_bytes(), body, keep_body, started);
        let keep = matches!(&r, Ok(rep) if !rep.server_closes) && !self.close;
        if !keep {
            self.conn = None;
        }
        r
    }

    fn exchange(
        &mut self,
        head: &[u8],
        body: &[u8],
        keep_body: bool,
        started: Instant,
    ) -> io::Result<Reply> {
        let conn = self.conn.as_mut().expect("connected");
        {
            let s = conn.get_mut();
            let mut req = Vec::with_capacity(head.len() + body.len());
            req.extend_from_slice(head);
            req.extend_from_slice(body);
            s.write_all(&req)?;
        }
        let mut line = String::new();
        if conn.read_line(&mut line)? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "no reply"));
        }
        let first_byte = started.elapsed();
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::other(format!("bad status line: {line:?}")))?;
        let (mut length, mut chunked, mut closes) = (None, false, false);
        loop {
            line.clear();
            if conn.read_line(&mut line)? == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "headers cut"));
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_ascii_lowercase());
                match k.as_str() {
                    "content-length" => length = v.parse::<u64>().ok(),
                    "transfer-encoding" => chunked = v.contains("chunked"),
                    "connection" => closes = v.contains("close"),
                    _ => {}
                }
            }
        }
        let keep = keep_body || status != 200;
        let mut out = Vec::new();
        let mut bytes = 0u64;
        let mut lines = 0u64;
        let count_lines = self.count_lines;
        let scratch = &mut self.scratch;
        let mut take = |conn: &mut BufReader<TcpStream>, mut n: u64| -> io::Result<()> {
            while n > 0 {
                let want = n.min(scratch.len() as u64) as usize;
                let got = conn.read(&mut scratch[..want])?;
                if got == 0 {
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "body cut"));
                }
                if keep && out.len() < 64 * 1024 {
                    out.extend_from_slice(&scratch[..got]);
                }
                if count_lines {
                    lines += scratch[..got].iter().filter(|&&b| b == b'\n').count() as u64;
                }
                bytes += got as u64;
                n -= got as u64;
            }
            Ok(())
        };
        if chunked {
            loop {
                line.clear();
                conn.read_line(&mut line)?;
                let size = line.trim().split(';').next().unwrap_or("");
                let n = u64::from_str_radix(size, 16)
                    .map_err(|_| io::Error::other(format!("bad chunk size: {line:?}")))?;
                if n == 0 {
                    // Trailers, then the empty line.
                    loop {
                        line.clear();
                        if conn.read_line(&mut line)? == 0 || line.trim().is_empty() {
                            break;
                        }
                    }
                    break;
                }
                take(conn, n)?;
                line.clear();
                conn.read_line(&mut line)?;
            }
        } else if let Some(n) = length {
            take(conn, n)?;
        } else {
            // Neither: the body ends when the server closes.
            take(conn, u64::MAX).or_else(|e| {
                if e.kind() == io::ErrorKind::UnexpectedEof {
                    Ok(())
                } else {
                    Err(e)
                }
            })?;
            closes = true;
        }
        Ok(Reply {
            status,
            bytes,
            body: out,
            first_byte,
            server_closes: closes,
            lines,
        })
    }
}

/// Nearest-rank percentile of sorted nanoseconds, in milliseconds.
fn pct_ms(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1] as f64 / 1e6
}

fn latency_json(mut ns: Vec<u64>, seconds: f64) -> Value {
    ns.sort_unstable();
    json!({
        "samples": ns.len(),
        "per_s": ns.len() as f64 / seconds,
        "min_ms": pct_ms(&ns, 0.0),
        "p50_ms": pct_ms(&ns, 0.50),
        "p90_ms": pct_ms(&ns, 0.90),
        "p99_ms": pct_ms(&ns, 0.99),
        "max_ms": pct_ms(&ns, 1.0),
    })
}

/// What one client thread measured.
#[derive(Default)]
struct Tally {
    ns: Vec<u64>,
    errors: u64,
    bytes: u64,
    first_error: Option<String>,
}

/// User + system CPU seconds in a /proc `stat` file (a process's or a thread's).
fn stat_cpu(path: &str) -> f64 {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    // After the command name in parentheses: state is field 3, utime 14, stime 15.
    let rest = text.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // Clock ticks; USER_HZ is 100 on Linux.
    (f.get(11).copied().unwrap_or(f64::NAN) + f.get(12).copied().unwrap_or(f64::NAN)) / 100.0
}

/// The live capture's threads in nanocap-serve (the library names them).
const CAPTURE_THREADS: &[&str] = &["nanocap-capture", "nanocap-writer"];

/// CPU time so far (user + system, in seconds) of a live capture's threads in `pid`.
fn capture_cpu_seconds(pid: u32) -> f64 {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0.0;
    };
    dir.flatten()
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm"))
                .is_ok_and(|c| CAPTURE_THREADS.contains(&c.trim()))
        })
        .map(|t| stat_cpu(&t.path().join("stat").to_string_lossy()))
        .sum()
}

/// CPU time so far (user + system, every thread, in seconds) of a process, less its
/// live capture's threads; `None`: this process.
fn cpu_seconds(pid: Option<u32>) -> f64 {
    match pid {
        None => stat_cpu("/proc/self/stat"),
        Some(p) => stat_cpu(&format!("/proc/{p}/stat")) - capture_cpu_seconds(p),
    }
}

/// Runs `work` on N threads: `warmup` unrecorded, then `duration` recorded. Also
/// returns the span of the recording and the CPU seconds `cpu_pid` (`None`: this
/// process) used over it.
fn run_clients<F, S>(
    clients: usize,
    warmup: Duration,
    duration: Duration,
    cpu_pid: Option<u32>,
    setup: S,
) -> (Vec<Tally>, f64, f64)
where
    S: Fn(usize) -> F + Sync,
    F: FnMut() -> Result<u64, String>,
{
    let start = Instant::now() + Duration::from_millis(50);
    let (rec_from, rec_to) = (start + warmup, start + warmup + duration);
    let mut cpu_from = 0.0;
    let tallies = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..clients)
            .map(|i| {
                let setup = &setup;
                sc.spawn(move || {
                    let mut work = setup(i);
                    let mut t = Tally::default();
                    std::thread::sleep(start.saturating_duration_since(Instant::now()));
                    loop {
                        let t0 = Instant::now();
                        if t0 >= rec_to {
                            break;
                        }
                        let r = work();
                        let t1 = Instant::now();
                        // A request counts when it started inside the window.
                        if t0 >= rec_from {
                            match r {
                                Ok(b) => {
                                    t.ns.push((t1 - t0).as_nanos() as u64);
                                    t.bytes += b;
                                }
                                Err(e) => {
                                    t.errors += 1;
                                    t.first_error.get_or_insert(e);
                                }
                            }
                        }
                    }
                    t
                })
            })
            .collect();
        std::thread::sleep(rec_from.saturating_duration_since(Instant::now()));
        cpu_from = cpu_seconds(cpu_pid);
        handles
            .into_iter()
            .map(|h| h.join().expect("client thread"))
            .collect::<Vec<_>>()
    });
    // Requests that started in the window may end after it: rate over the real span.
    let cpu = cpu_seconds(cpu_pid) - cpu_from;
    let span = (Instant::now().max(rec_to) - rec_from).as_secs_f64();
    (tallies, span, cpu)
}

fn summarize(tallies: Vec<Tally>, span: f64, cpu: f64) -> Value {
    let errors: u64 = tallies.iter().map(|t| t.errors).sum();
    let bytes: u64 = tallies.iter().map(|t| t.bytes).sum();
    let first_error = tallies.iter().find_map(|t| t.first_error.clone());
    let ns: Vec<u64> = tallies.into_iter().flat_map(|t| t.ns).collect();
    let n = ns.len().max(1) as f64;
    let mut v = latency_json(ns, span);
    v["errors"] = json!(errors);
    v["bytes_each"] = json!((bytes as f64 / n).round());
    v["seconds"] = json!(span);
    v["cpu_ms_each"] = json!(cpu * 1e3 / n);
    if let Some(e) = first_error {
        v["first_error"] = json!(e);
    }
    v
}

fn common_run_opts(o: &Opts) -> Result<(usize, Duration, Duration), String> {
    Ok((
        o.num("--clients", 16.0)? as usize,
        Duration::from_secs_f64(o.num("--warmup", 1.0)?),
        Duration::from_secs_f64(o.num("--duration", 10.0)?),
    ))
}

/// `--server-pid PID`: whose CPU time an HTTP measurement reports (the server's).
fn server_pid(o: &Opts) -> Result<Option<u32>, String> {
    o.get("--server-pid")
        .map(|p| {
            p.parse()
                .map_err(|_| format!("--server-pid: not a pid: {p}"))
        })
        .transpose()
}

fn cmd_http(args: &[String]) -> Result<(), String> {
    let o = Opts::parse(args);
    let (addr, path) = (o.pos(0, "ADDR")?, o.pos(1, "PATH")?);
    let (clients, warmup, duration) = common_run_opts(&o)?;
    let close = o.has("--new-conn");
    let pid = server_pid(&o)?;
    let (tallies, span, cpu) = run_clients(clients, warmup, duration, pid, |_| {
        let mut c = Client::new(addr, close);
        move || match c.request("GET", path, b"", false) {
            Ok(r) if r.status == 200 => Ok(r.bytes),
            Ok(r) => Err(format!(
                "{}: {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            )),
            Err(e) => Err(e.to_string()),
        }
    });
    let mut v = summarize(tallies, span, cpu);
    v["kind"] = json!("http");
    v["clients"] = json!(clients);
    v["connection"] = json!(if close {
        "new per request"
    } else {
        "keep-alive"
    });
    print_line(o.tags(), v);
    Ok(())
}

fn cmd_get(args: &[String]) -> Result<(), String> {
    let o = Opts::parse(args);
    let (addr, path) = (o.pos(0, "ADDR")?, o.pos(1, "PATH")?);
    let pid = server_pid(&o)?;
    let mut c = Client::new(addr, true);
    c.count_lines = true;
    let cpu0 = cpu_seconds(pid);
    let t0 = Instant::now();
    let r = c
        .request("GET", path, b"", false)
        .map_err(|e| e.to_string())?;
    let secs = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds(pid) - cpu0;
    if r.status != 200 {
        return Err(format!(
            "{}: {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        ));
    }
    print_line(
        o.tags(),
        json!({
            "kind": "transfer",
            "seconds": secs,
            "first_byte_ms": r.first_byte.as_secs_f64() * 1e3,
            "bytes": r.bytes,
            "mb_per_s": r.bytes as f64 / 1e6 / secs,
            // CSV: a header line, then one line per row.
            "rows": r.lines.saturating_sub(1),
            "cpu_s": cpu,
        }),
    );
    Ok(())
}

fn cmd_request(args: &[String]) -> Result<(), String> {
    let o = Opts::parse(args);
    let (addr, method, path) = (o.pos(0, "ADDR")?, o.pos(1, "METHOD")?, o.pos(2, "PATH")?);
    let mut c = Client::new(addr, true);
    let r = c
        .request(method, path, b"", true)
        .map_err(|e| e.to_string())?;
    println!("{} {}", r.status, String::from_utf8_lossy(&r.body));
    if r.status == 200 {
        Ok(())
    } else {
        Err(format!("{method} {path}: status {}", r.status))
    }
}

// ---------------------------------------------------------------- SQLite baselines

fn open_ro(db: &str) -> Result<Connection, String> {
    // As the server opens its query connections (read-only, no mutex), without
    // its authorizer and progress handler.
    let c = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| format!("{db}: {e}"))?;
    c.busy_timeout(Duration::from_secs(5))
        .map_err(|e| e.to_string())?;
    Ok(c)
}

/// Prepares and steps `sql`, fetching every column of every row; `row` sees each.
fn run_sql(
    c: &Connection,
    sql: &str,
    row: &mut dyn FnMut(&rusqlite::Row<'_>, usize),
) -> Result<u64, String> {
    let mut stmt = c.prepare(sql).map_err(|e| e.to_string())?;
    let n = stmt.column_count();
    let mut rows = stmt.raw_query();
    let mut count = 0u64;
    while let Some(r) = rows.next().map_err(|e| e.to_string())? {
        row(r, n);
        count += 1;
    }
    Ok(count)
}

fn fetch_all(r: &rusqlite::Row<'_>, n: usize) -> u64 {
    let mut len = 0u64;
    for i in 0..n {
        len += match r.get_ref(i) {
            Ok(ValueRef::Text(t)) | Ok(ValueRef::Blob(t)) => t.len() as u64,
            Ok(ValueRef::Integer(v)) => v as u64 & 1,
            Ok(ValueRef::Real(f)) => f as u64 & 1,
            _ => 0,
        };
    }
    len
}

fn cmd_sql(args: &[String]) -> Result<(), String> {
    let o = Opts::parse(args);
    let (db, sql) = (o.pos(0, "DB")?, o.pos(1, "SQL")?);
    let (clients, warmup, duration) = common_run_opts(&o)?;
    let (tallies, span, cpu) = run_clients(clients, warmup, duration, None, |_| {
        let c = open_ro(db);
        move || {
            let c = c.as_ref().map_err(Clone::clone)?;
            let mut len = 0u64;
            let rows = run_sql(c, sql, &mut |r, n| len += fetch_all(r, n))?;
            std::hint::black_box(len);
            Ok(rows)
        }
    });
    let mut v = summarize(tallies, span, cpu);
    // For this kind, "bytes_each" is rows per query.
    if let Some(m) = v.as_object_mut() {
        let rows = m.remove("bytes_each").unwrap_or(Value::Null);
        m.insert("rows_each".into(), rows);
    }
    v["kind"] = json!("sql");
    v["clients"] = json!(clients);
    print_line(o.tags(), v);
    Ok(())
}

// CSV as an export writes it (the server's own writer): a header line, RFC 4180
// quoting, BLOBs as hex, NULL empty, CRLF; handed on in 64 KiB pieces (here:
// counted and dropped).

fn cmd_scan(args: &[String]) -> Result<(), String> {
    let o = Opts::parse(args);
    let (db, sql) = (o.pos(0, "DB")?, o.pos(1, "SQL")?);
    let csv = o.has("--csv");
    let c = open_ro(db)?;
    let cpu0 = cpu_seconds(None);
    let t0 = Instant::now();
    let mut bytes = 0u64;
    let mut buf = String::with_capacity(80 * 1024);
    if csv {
        let stmt = c.prepare(sql).map_err(|e| e.to_string())?;
        for (i, name) in stmt.column_names().iter().enumerate() {
            if i > 0 {
                buf.push(',');
            }
            values::write_csv_text(&mut buf, name);
        }
        buf.push_str("\r\n");
    }
    let rows = run_sql(&c, sql, &mut |r, n| {
        if !csv {
            bytes += fetch_all(r, n);
            return;
        }
        for i in 0..n {
            if i > 0 {
                buf.push(',');
            }
            values::write_csv_field(&mut buf, r.get_ref(i).unwrap_or(ValueRef::Null));
        }
        buf.push_str("\r\n");
        if buf.len() >= 64 * 1024 {
            bytes += buf.len() as u64;
            std::hint::black_box(std::mem::take(&mut buf).into_bytes());
            buf.reserve(80 * 1024);
        }
    })?;
    bytes += buf.len() as u64;
    let secs = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds(None) - cpu0;
    print_line(
        o.tags(),
        json!({
            "kind": "transfer",
            "seconds": secs,
            "rows": rows,
            "bytes": if csv { Value::from(bytes) } else { Value::Null },
            "mb_per_s": if csv { Value::from(bytes as f64 / 1e6 / secs) } else { Value::Null },
            "cpu_s": cpu,
        }),
    );
    Ok(())
}

/// The server's CPU time per second while no request is made: its live capture's
/// threads and the rest.
fn cmd_cpu(args: &[String]) -> Result<(), String> {
    let o = Opts::parse(args);
    let pid = server_pid(&o)?.ok_or("cpu needs --server-pid")?;
    let d = o.num("--duration", 5.0)?;
    let (c0, k0) = (cpu_seconds(Some(pid)), capture_cpu_seconds(pid));
    std::thread::sleep(Duration::from_secs_f64(d));
    let (c1, k1) = (cpu_seconds(Some(pid)), capture_cpu_seconds(pid));
    print_line(
        o.tags(),
        json!({"kind": "cpu", "seconds": d, "cpu_per_s": (c1 - c0) / d,
               "capture_cpu_per_s": (k1 - k0) / d}),
    );
    Ok(())
}

// ---------------------------------------------------------------- UDP sender

fn cmd_send(args: &[String]) -> Result<(), String> {
    let o = Opts::parse(args);
    let port: u16 = o
        .pos(0, "PORT")?
        .parse()
        .map_err(|_| "PORT: not a port".to_string())?;
    let rate = o.num("--rate", 2000.0)?;
    // The generator's encoder: a mix of the commonest messages, made once.
    let mut f = Factory::new(Network::Dev, 8);
    let msgs: Vec<Vec<u8>> = (0..4000)
        .map(|i| match i % 10 {
            0..=3 => f.confirm_ack(2, VoteStamp::Packed, false).bytes,
            4 | 5 => f.confirm_req(2).bytes,
            6 | 7 => f.publish(BlockType::State, false).bytes,
            8 => f.keepalive(0).bytes,
            _ => f.telemetry_req().bytes,
        })
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    ctrlc::set_handler(move || s2.store(true, Ordering::Relaxed)).map_err(|e| e.to_string())?;
    let sock = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let to = ("127.0.0.1", port);
    let t0 = Instant::now();
    let (mut sent, mut errors) = (0u64, 0u64);
    let tick = Duration::from_millis(5);
    let mut next = t0;
    while !stop.load(Ordering::Relaxed) {
        // Catch up to where the rate says we should be, then sleep a tick.
        let due = (t0.elapsed().as_secs_f64() * rate) as u64;
        while sent + errors < due {
            let m = &msgs[((sent + errors) % msgs.len() as u64) as usize];
            match sock.send_to(m, to) {
                Ok(_) => sent += 1,
                Err(_) => errors += 1,
            }
        }
        next += tick;
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({"sent": sent, "send_errors": errors, "seconds": secs, "per_s": sent as f64 / secs})
    );
    Ok(())
}

// ---------------------------------------------------------------- report

fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The measurements of one (phase, label), in file order.
struct Group {
    phase: String,
    label: String,
    runs: Vec<Value>,
}

impl Group {
    fn med(&self, key: &str) -> f64 {
        median(self.runs.iter().filter_map(|r| r[key].as_f64()).collect())
    }

    fn sum(&self, key: &str) -> u64 {
        self.runs.iter().filter_map(|r| r[key].as_u64()).sum()
    }
}

fn fmt(x: f64, digits: usize) -> String {
    if x.is_finite() {
        format!("{x:.digits$}")
    } else {
        String::new()
    }
}

fn ratio(a: f64, b: f64) -> String {
    if a.is_finite() && b.is_finite() && b > 0.0 {
        format!("{:.2}x", a / b)
    } else {
        String::new()
    }
}

fn cmd_report(args: &[String]) -> Result<(), String> {
    let o = Opts::parse(args);
    let file = o.pos(0, "FILE")?;
    let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    let mut groups: Vec<Group> = Vec::new();
    for line in text.lines().filter(|l| l.starts_with('{')) {
        let v: Value = serde_json::from_str(line).map_err(|e| format!("{line}: {e}"))?;
        let phase = v["phase"].as_str().unwrap_or("?").to_string();
        let label = v["label"].as_str().unwrap_or("?").to_string();
        match groups
            .iter_mut()
            .find(|g| g.phase == phase && g.label == label)
        {
            Some(g) => g.runs.push(v),
            None => groups.push(Group {
                phase,
                label,
                runs: vec![v],
            }),
        }
    }
    let find =
        |phase: &str, label: &str| groups.iter().find(|g| g.phase == phase && g.label == label);
    let mut phases: Vec<&str> = Vec::new();
    for g in &groups {
        if !phases.contains(&g.phase.as_str()) {
            phases.push(&g.phase);
        }
    }
    let baseline_of = |label: &str| -> Option<&'static str> {
        match label {
            "count/packet" => Some(SQL_COUNT),
            "capture/query, 5000 rows" => Some(SQL_5000),
            _ => None,
        }
    };
    let cpu_each = |g: &Group| g.med("cpu_ms_each");
    // CPU per row (µs) of a transfer.
    let cpu_row = |g: &Group| -> f64 {
        median(
            g.runs
                .iter()
                .filter_map(|r| Some(r["cpu_s"].as_f64()? * 1e6 / r["rows"].as_f64()?))
                .collect(),
        )
    };
    let live_vs_idle = |g: &Group, key: &str| -> String {
        if g.phase == "idle" {
            return String::new();
        }
        find("idle", &g.label).map_or(String::new(), |i| ratio(g.med(key), i.med(key)))
    };

    println!(
        "Requests: medians of {} runs; a run's percentiles are over every request of every client. \
         CPU/request: the server's CPU time (all threads but the live capture's, from /proc) \
         over the run ÷ requests; for the rusqlite rows, the load process's own (its client \
         threads).",
        groups.iter().map(|g| g.runs.len()).max().unwrap_or(0)
    );
    println!();
    println!(
        "| what | capture | requests/s | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | CPU/request (ms) | \
         reply | errors | req/s ÷ rusqlite same SQL | CPU/request ÷ rusqlite | req/s ÷ trivial endpoint | \
         req/s live ÷ idle |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for phase in &phases {
        let trivial = find(phase, TRIVIAL).map(|g| g.med("per_s"));
        for g in groups.iter().filter(|g| {
            g.phase == *phase && matches!(g.runs[0]["kind"].as_str(), Some("http" | "sql"))
        }) {
            let is_sql = g.runs[0]["kind"] == "sql";
            let per_s = g.med("per_s");
            let base = baseline_of(&g.label).and_then(|b| find(phase, b));
            let reply = if is_sql {
                format!("{} rows", fmt(g.med("rows_each"), 0))
            } else {
                format!("{} B", fmt(g.med("bytes_each"), 0))
            };
            println!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                g.label,
                g.phase,
                fmt(per_s, 0),
                fmt(g.med("p50_ms"), 2),
                fmt(g.med("p90_ms"), 2),
                fmt(g.med("p99_ms"), 2),
                fmt(g.med("max_ms"), 1),
                fmt(cpu_each(g), 3),
                reply,
                g.sum("errors"),
                base.map_or(String::new(), |b| ratio(per_s, b.med("per_s"))),
                base.map_or(String::new(), |b| ratio(cpu_each(g), cpu_each(b))),
                if is_sql || g.label == TRIVIAL {
                    String::new()
                } else {
                    trivial.map_or(String::new(), |t| ratio(per_s, t))
                },
                live_vs_idle(g, "per_s"),
            );
        }
    }
    for r in groups.iter().flat_map(|g| g.runs.iter()).take(1000) {
        if let Some(e) = r["first_error"].as_str() {
            println!("\nFirst error of {} ({}): {e}", r["label"], r["phase"]);
        }
    }
    println!();
    println!(
        "Transfers: medians of the runs. rows/s is what the ratios compare (a live capture adds \
         rows between runs). CPU/row: the server's CPU during the export (all threads but \
         the live capture's) ÷ rows; the load process's for rusqlite."
    );
    println!();
    println!(
        "| what | capture | runs | time to last byte (s) | first byte (ms) | rows | MB | MB/s | rows/s | \
         CPU/row (µs) | rows/s ÷ rusqlite scan | rows/s ÷ in-process CSV | CPU/row ÷ rusqlite scan | \
         CPU/row ÷ in-process CSV | rows/s live ÷ idle |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for phase in &phases {
        let rate = |g: &Group| -> f64 {
            median(
                g.runs
                    .iter()
                    .filter_map(|r| Some(r["rows"].as_f64()? / r["seconds"].as_f64()?))
                    .collect(),
            )
        };
        let scan = find(phase, SCAN).map(rate);
        let csv = find(phase, SCAN_CSV).map(rate);
        let scan_cpu = find(phase, SCAN).map(cpu_row);
        let csv_cpu = find(phase, SCAN_CSV).map(cpu_row);
        for g in groups
            .iter()
            .filter(|g| g.phase == *phase && g.runs[0]["kind"] == "transfer")
        {
            let rows_s = rate(g);
            let idle = if g.phase == "idle" {
                None
            } else {
                find("idle", &g.label).map(rate)
            };
            let cpu = cpu_row(g);
            println!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                g.label,
                g.phase,
                g.runs.len(),
                fmt(g.med("seconds"), 2),
                fmt(g.med("first_byte_ms"), 1),
                fmt(g.med("rows"), 0),
                fmt(g.med("bytes") / 1e6, 1),
                fmt(g.med("mb_per_s"), 1),
                fmt(rows_s, 0),
                fmt(cpu, 2),
                scan.map_or(String::new(), |s| ratio(rows_s, s)),
                csv.map_or(String::new(), |s| ratio(rows_s, s)),
                scan_cpu.map_or(String::new(), |s| ratio(cpu, s)),
                csv_cpu.map_or(String::new(), |s| ratio(cpu, s)),
                idle.map_or(String::new(), |i| ratio(rows_s, i)),
            );
        }
    }
    for g in groups.iter().filter(|g| g.runs[0]["kind"] == "cpu") {
        println!(
            "\n{}, {}: the server used {:.3} cores besides its capture threads, which used {:.3}.",
            g.label,
            g.phase,
            g.med("cpu_per_s"),
            g.med("capture_cpu_per_s")
        );
    }
    Ok(())
}

// The labels bench_serve.sh gives; the report pairs rows with their baselines by them.
const TRIVIAL: &str = "trivial endpoint";
const SQL_COUNT: &str = "rusqlite: SELECT count(*) FROM packet";
const SQL_5000: &str = "rusqlite: SELECT * FROM packet LIMIT 5000";
const SCAN: &str = "rusqlite: SELECT * FROM packet, every column fetched";
const SCAN_CSV: &str = "rusqlite: SELECT * FROM packet, CSV formatted in-process";
