//! nanocap-serve: imports a capture file or captures live into a capture database,
//! and serves the web console and the REST API over it. The decoding, the pipeline
//! and the writer are the nanocap library's, the same code as the SQLite
//! extension's `nano_import()` and `nano_capture_start()`.

mod api;
mod assets;
mod error;
mod guard;
mod login;
mod progress;
mod query;
mod rate;
mod readonly;
mod server;
mod values;

use clap::Parser;
use nanocap::config::Config;
use nanocap::store::{self, capture, status};
use rate::Rate;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "nanocap-serve",
    version = version_line(),
    about = "Captures Nano node traffic into a SQLite database and serves a web console and a REST API over it.",
    after_help = "The config is ./nanocap.config unless --config names another; without either, \
the defaults (those of the shipped nanocap.config) apply. The console is at \
http://<web.bind>:<web.port>/ (http://127.0.0.1:8077/ by default)."
)]
struct Args {
    /// Config file (JSON with comments) [default: ./nanocap.config]
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Capture database, instead of the config's `database`
    #[arg(long, value_name = "FILE")]
    db: Option<PathBuf>,
    /// Import this pcap/pcapng file (capture.filter applies), then keep serving;
    /// live capture is not started
    #[arg(long, value_name = "FILE")]
    pcap: Option<PathBuf>,
    /// List the capture interfaces with their addresses, then exit
    #[arg(long = "if")]
    interfaces: bool,
    /// Listen address, instead of the config's web.bind
    #[arg(long, value_name = "ADDR")]
    bind: Option<String>,
    /// Listen port, instead of the config's web.port (0: any free port)
    #[arg(long, value_name = "PORT")]
    port: Option<u16>,
}

fn version_line() -> String {
    nanocap::sql::scalar::version_text()
}

/// What the request handlers share.
pub struct App {
    pub db: PathBuf,
    pub config: Config,
    pub rate: Rate,
    /// Requests must name a loopback host (see `guard::foreign_host`).
    pub bind_is_loopback: bool,
    /// How the `--pcap` import ended (`end_reason`, or `error` when it failed,
    /// before or after it started), for the status.
    pub import_end: std::sync::Mutex<Option<(String, &'static str, String)>>,
}

static STOP: AtomicBool = AtomicBool::new(false);

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("nanocap-serve: {msg}");
    ExitCode::from(1)
}

fn load_config(path: Option<&Path>) -> Result<Config, String> {
    match path {
        Some(p) => Config::load(p).map_err(|e| e.to_string()),
        None => {
            let here = Path::new("nanocap.config");
            if here.exists() {
                Config::load(here).map_err(|e| e.to_string())
            } else {
                eprintln!("nanocap-serve: no ./nanocap.config; using the defaults");
                Ok(Config::default())
            }
        }
    }
}

fn list_interfaces() -> ExitCode {
    use nanocap::capture::source::live;
    let list = match live::interfaces() {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let default = live::resolve_device(None).ok().map(|(d, _)| d);
    for i in &list {
        let mut flags = Vec::new();
        for (on, name) in [
            (i.up, "up"),
            (i.running, "running"),
            (i.loopback, "loopback"),
            (i.wireless, "wireless"),
        ] {
            if on {
                flags.push(name);
            }
        }
        if default.as_deref() == Some(i.name.as_str()) {
            flags.push("default");
        }
        let addresses = if i.addresses.is_empty() {
            "-".to_string()
        } else {
            i.address_text().replace(',', ", ")
        };
        println!("{:<16} {:<40} {}", i.name, addresses, flags.join(","));
    }
    ExitCode::SUCCESS
}

/// Creates the database (WAL, the schema) so the console can read it from the
/// start, and refuses one that is not a nanocap database of a known version.
fn prepare_database(db: &Path) -> Result<(), String> {
    let conn =
        rusqlite::Connection::open(db).map_err(|e| format!("cannot open {}: {e}", db.display()))?;
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
        .map_err(|e| format!("cannot switch {} to WAL: {e}", db.display()))?;
    store::schema::apply(&conn).map_err(|e| format!("{}: {e}", db.display()))
}

fn import(app: &App, file: &Path) -> bool {
    let total = std::fs::metadata(file).map_or(0, |m| m.len());
    let bar = progress::Bar::start(file, total);
    // The config's filter (the shipped one when the key is left out) applies to
    // --pcap as to live capture, as in the original.
    let mut options = app.config.capture.clone();
    options.filter = Some(options.live_filter().to_string());
    let result = store::import::import(&app.db, file, &options, &mut || {
        STOP.load(Ordering::Relaxed)
    });
    bar.finish();
    match result {
        Ok(r) => {
            record_import_end(app, file, "end_reason", r.end_reason.text());
            let s = status::snapshot();
            eprintln!(
                "nanocap-serve: imported {} messages from {} into {} (run {}, {}, {} anomalies)",
                r.messages,
                file.display(),
                app.db.display(),
                r.run_id,
                r.end_reason.text(),
                s.anomalies
            );
            true
        }
        Err(e) => {
            record_import_end(app, file, "error", e.clone());
            eprintln!("nanocap-serve: import of {} failed: {e}", file.display());
            false
        }
    }
}

fn record_import_end(app: &App, file: &Path, key: &'static str, value: String) {
    let mut end = app.import_end.lock().unwrap_or_else(|e| e.into_inner());
    *end = Some((file.display().to_string(), key, value));
}

fn start_capture(app: &App) -> bool {
    match api::capture_start(app) {
        Ok(v) => {
            eprintln!(
                "nanocap-serve: capturing on {} (filter: {})",
                v["device"].as_str().unwrap_or("?"),
                v["filter"].as_str().unwrap_or("")
            );
            true
        }
        Err(e) => {
            eprintln!("nanocap-serve: live capture not started: {}", e.message);
            false
        }
    }
}

fn sample_rate(app: Arc<App>) {
    std::thread::Builder::new()
        .name("nanocap-rate".into())
        .spawn(move || loop {
            let s = status::snapshot();
            let running = s.importing || s.capture.as_ref().is_some_and(|c| c.capturing);
            app.rate.sample(running, s.messages);
            std::thread::sleep(rate::SAMPLE_EVERY);
        })
        .expect("spawn the rate sampler");
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.interfaces {
        return list_interfaces();
    }
    let mut config = match load_config(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    if let Some(b) = args.bind {
        config.web.bind = b;
    }
    if let Some(p) = args.port {
        config.web.port = p;
    }
    let db = args.db.unwrap_or_else(|| PathBuf::from(&config.database));
    if db.as_os_str().is_empty() {
        return fail("no database: set \"database\" in the config or pass --db FILE");
    }
    if let Err(e) = prepare_database(&db) {
        return fail(e);
    }
    let bind_is_loopback = config
        .web
        .bind
        .parse::<std::net::IpAddr>()
        .map_or(config.web.bind == "localhost", |ip| ip.is_loopback());
    let app = Arc::new(App {
        db,
        config,
        rate: Rate::default(),
        bind_is_loopback,
        import_end: std::sync::Mutex::new(None),
    });
    if let Err(e) = ctrlc::set_handler(|| STOP.store(true, Ordering::Relaxed)) {
        eprintln!(
            "nanocap-serve: cannot handle Ctrl-C ({e}); stop with SIGKILL loses nothing committed"
        );
    }

    let web = &app.config.web;
    if web.enabled {
        let addr = format!("{}:{}", web.bind, web.port);
        let server = match tiny_http::Server::http(&addr) {
            Ok(s) => s,
            Err(e) => return fail(format!("cannot listen on {addr}: {e}")),
        };
        let shown = server
            .server_addr()
            .to_ip()
            .map_or(addr.clone(), |a| a.to_string());
        eprintln!(
            "nanocap-serve: console at http://{shown}/ (database {})",
            app.db.display()
        );
        if !app.bind_is_loopback {
            eprintln!(
                "nanocap-serve: listening beyond this machine: anyone who reaches the port can \
                 read the capture{}",
                if web.token.is_empty() {
                    " (no web.token is set)"
                } else {
                    ""
                }
            );
        }
        sample_rate(app.clone());
        let app = app.clone();
        std::thread::Builder::new()
            .name("nanocap-http".into())
            .spawn(move || server::run(server, app))
            .expect("spawn the HTTP server");
    }

    let mut ok = true;
    if let Some(file) = &args.pcap {
        ok = import(&app, file);
    } else if app.config.capture.enabled {
        ok = start_capture(&app);
    }
    if !web.enabled {
        // Nothing to serve: wait for a capture to end (Ctrl-C or its size limit).
        while capture::is_running()
            && !STOP.load(Ordering::Relaxed)
            && status::snapshot().capture.is_some_and(|c| c.capturing)
        {
            std::thread::sleep(Duration::from_millis(200));
        }
    } else {
        while !STOP.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    if capture::is_running() {
        match capture::stop() {
            Ok(summary) => eprintln!("nanocap-serve: capture stopped: {summary}"),
            Err(e) => {
                eprintln!("nanocap-serve: {e}");
                ok = false;
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
