//! The HTTP side: a pool of worker threads, each with its own read-only
//! connection, taking requests from tiny_http; routing, guards, replies.

use crate::error::ApiError;
use crate::query::{self, Format};
use crate::readonly::{self, QueryConn};
use crate::{api, assets, guard, App};
use serde_json::Value;
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;
use tiny_http::{Header, Method, Request, Response, Server, StatusCode};

/// Worker threads: requests served at once (exports stream on threads of their own).
pub const WORKERS: usize = 8;
/// Largest query text or request body taken.
pub const MAX_QUERY_BYTES: usize = 256 * 1024;

fn header(name: &str, value: &str) -> Header {
    // Only called with ASCII names and values built here.
    Header::from_bytes(name.as_bytes(), value.as_bytes())
        .unwrap_or_else(|_| Header::from_bytes("X-Invalid", "1").expect("ascii header"))
}

/// Headers every reply carries: no sniffing, no framing, nothing from elsewhere.
fn common_headers(api: bool) -> Vec<Header> {
    let mut h = vec![
        header("X-Content-Type-Options", "nosniff"),
        header("X-Frame-Options", "DENY"),
        header("Referrer-Policy", "no-referrer"),
        header(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; \
             connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    ];
    if api {
        h.push(header("Cache-Control", "no-store"));
    }
    h
}

fn respond_bytes(req: Request, status: u16, content_type: &str, body: Vec<u8>, extra: Vec<Header>) {
    let mut r = Response::from_data(body).with_status_code(StatusCode(status));
    for h in common_headers(true).into_iter().chain(extra) {
        r.add_header(h);
    }
    r.add_header(header("Content-Type", content_type));
    // The client may have gone away; nothing to do about it.
    let _ = req.respond(r);
}

fn respond_json(req: Request, status: u16, v: &Value, extra: Vec<Header>) {
    respond_bytes(
        req,
        status,
        "application/json; charset=utf-8",
        v.to_string().into_bytes(),
        extra,
    );
}

fn respond_error(req: Request, e: &ApiError) {
    let extra = if e.status == 405 {
        vec![header("Allow", "GET, POST")]
    } else {
        Vec::new()
    };
    respond_bytes(
        req,
        e.status,
        "application/json; charset=utf-8",
        e.body().into_bytes(),
        extra,
    );
}

/// Query-string or form parameters.
fn params(text: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(text.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param<'p>(p: &'p [(String, String)], name: &str) -> Option<&'p str> {
    p.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn too_large(what: &str) -> ApiError {
    ApiError::new(
        413,
        format!("{what} is larger than {} KiB", MAX_QUERY_BYTES / 1024),
    )
}

/// The request body, at most [`MAX_QUERY_BYTES`]; the query strings and bodies
/// a query can come from are bounded, so the query is too.
fn body(req: &mut Request) -> Result<String, ApiError> {
    let mut buf = Vec::new();
    req.as_reader()
        .take(MAX_QUERY_BYTES as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| ApiError::bad_request(format!("cannot read the request body: {e}")))?;
    if buf.len() > MAX_QUERY_BYTES {
        return Err(too_large("the request body"));
    }
    String::from_utf8(buf).map_err(|_| ApiError::bad_request("the request body is not UTF-8"))
}

/// Parameters of a POST: a JSON object or a form.
fn body_params(req: &mut Request) -> Result<Vec<(String, String)>, ApiError> {
    let is_json = guard::header(req, "Content-Type")
        .is_some_and(|t| t.to_ascii_lowercase().starts_with("application/json"));
    let text = body(req)?;
    if !is_json {
        return Ok(params(&text));
    }
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => Ok(m
            .into_iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k, s)),
                Value::Null => None,
                other => Some((k, other.to_string())),
            })
            .collect()),
        Ok(_) => Err(ApiError::bad_request("the JSON body must be an object")),
        Err(e) => Err(ApiError::bad_request(format!(
            "the JSON body is malformed: {e}"
        ))),
    }
}

/// One worker's state: its read-only connection, opened on first use and opened
/// again after it failed.
struct Worker {
    app: Arc<App>,
    conn: Option<QueryConn>,
    counts: api::CountCache,
}

impl Worker {
    fn conn(&mut self) -> Result<&QueryConn, ApiError> {
        if self.conn.is_none() {
            self.conn = Some(readonly::open(&self.app.db).map_err(ApiError::internal)?);
        }
        Ok(self.conn.as_ref().expect("opened above"))
    }

    fn handle(&mut self, mut req: Request) {
        let url = req.url().to_string();
        let (path, query_text) = url.split_once('?').unwrap_or((&url, ""));
        let path = path.to_string();
        let is_api = path.starts_with("/api/");
        let app = self.app.clone();
        if let Some(why) = guard::foreign_host(&req, app.bind_is_loopback) {
            return respond_error(req, &ApiError::forbidden(why));
        }
        if is_api {
            if let Some(why) = guard::cross_site(&req) {
                return respond_error(req, &ApiError::forbidden(why));
            }
        }
        if path == "/api/v1/login" {
            return self.login(req);
        }
        if path == "/api/v1/login.js" {
            return respond_bytes(
                req,
                200,
                "text/javascript; charset=utf-8",
                crate::login::SCRIPT.as_bytes().to_vec(),
                Vec::new(),
            );
        }
        if !guard::has_token(&req, &app.config.web.token) {
            if is_api {
                return respond_error(
                    req,
                    &ApiError::new(401, "this server needs its token (web.token)"),
                );
            }
            return respond_bytes(
                req,
                401,
                "text/html; charset=utf-8",
                crate::login::PAGE.as_bytes().to_vec(),
                Vec::new(),
            );
        }
        if !is_api {
            return static_file(req, &path);
        }
        if query_text.len() > MAX_QUERY_BYTES {
            return respond_error(req, &too_large("the query string"));
        }
        let mut p = params(query_text);
        let method = req.method().clone();
        let is_post = method == Method::Post;
        if !matches!(method, Method::Get | Method::Post | Method::Head) {
            return respond_error(req, &ApiError::new(405, format!("{method} is not served")));
        }
        if is_post {
            match body_params(&mut req) {
                Ok(b) => p.extend(b),
                Err(e) => return respond_error(req, &e),
            }
        }
        let result = match path.as_str() {
            "/api/v1/status" => self.conn().map(|q| api::status(&app, q)),
            "/api/v1/schema" => self.conn().and_then(api::schema),
            "/api/v1/count/packet" => self.counted("packet", api::count_packets),
            "/api/v1/count/per-type" => self.counted("per-type", api::count_per_type),
            "/api/v1/capture/query" => return self.query(req, &p),
            "/api/v1/capture/start" => api::capture_start(&app),
            "/api/v1/capture/stop" => api::capture_stop(),
            "/api/v1/capture/toggle" => api::capture_toggle(&app),
            "/api/v1/capture/destroy" => api::capture_destroy(&app),
            _ => Err(ApiError::new(404, format!("no such endpoint: {path}"))),
        };
        match result {
            Ok(v) => respond_json(req, 200, &v, Vec::new()),
            Err(e) => {
                // A connection that failed may be broken; the next request opens anew.
                if e.status == 500 {
                    self.conn = None;
                }
                respond_error(req, &e)
            }
        }
    }

    /// A count, recounted only when the database changed since the last one.
    fn counted(
        &mut self,
        key: &'static str,
        count: fn(&QueryConn) -> Result<Value, ApiError>,
    ) -> Result<Value, ApiError> {
        self.conn()?;
        let (conn, cache) = (self.conn.as_ref().expect("opened above"), &mut self.counts);
        cache.get(conn, key, count)
    }

    fn query(&mut self, req: Request, p: &[(String, String)]) {
        let Some(sql) = param(p, "query").map(str::to_string) else {
            return respond_error(
                req,
                &ApiError::bad_request("missing query: pass the SQL as ?query=…"),
            );
        };
        let format = match Format::parse(param(p, "format")) {
            Ok(f) => f,
            Err(e) => return respond_error(req, &e),
        };
        let web = &self.app.config.web;
        let limit = Duration::from_millis(web.query_time_limit_ms);
        let (max_rows, db) = (web.max_query_result, self.app.db.clone());
        let q = match self.conn() {
            Ok(q) => q,
            Err(e) => return respond_error(req, &e),
        };
        match format {
            Format::Json => match query::run_json(q, &sql, max_rows, limit) {
                Ok(body) => respond_bytes(req, 200, format.content_type(), body, Vec::new()),
                Err(e) => respond_error(req, &e),
            },
            _ => match query::start_export(q, db, sql, format, limit) {
                Ok(reader) => {
                    let mut headers = common_headers(true);
                    headers.push(header("Content-Type", format.content_type()));
                    let ext = if format == Format::Csv {
                        "csv"
                    } else {
                        "ndjson"
                    };
                    if param(p, "download").is_some() {
                        headers.push(header(
                            "Content-Disposition",
                            &format!("attachment; filename=\"nanocap-query.{ext}\""),
                        ));
                    }
                    // No length: tiny_http sends the body chunked as it is read.
                    let r = Response::new(StatusCode(200), headers, reader, None, None);
                    let _ = req.respond(r);
                }
                Err(e) => respond_error(req, &e),
            },
        }
    }

    fn login(&mut self, mut req: Request) {
        if *req.method() != Method::Post {
            return respond_error(req, &ApiError::new(405, "log in with POST"));
        }
        let p = match body_params(&mut req) {
            Ok(p) => p,
            Err(e) => return respond_error(req, &e),
        };
        let token = &self.app.config.web.token;
        let given = param(&p, "token").unwrap_or("");
        if token.is_empty() {
            return respond_json(req, 200, &serde_json::json!({"ok": true}), Vec::new());
        }
        if !guard::token_matches(given, token) {
            return respond_error(req, &ApiError::new(401, "wrong token"));
        }
        let cookie = format!(
            "{}={}; HttpOnly; SameSite=Strict; Path=/",
            guard::TOKEN_COOKIE,
            token
        );
        respond_json(
            req,
            200,
            &serde_json::json!({"ok": true}),
            vec![header("Set-Cookie", &cookie)],
        );
    }
}

fn static_file(req: Request, path: &str) {
    if !matches!(req.method(), Method::Get | Method::Head) {
        return respond_error(req, &ApiError::new(405, "the console is read with GET"));
    }
    match assets::lookup(path) {
        Some(a) => {
            let mut r = Response::from_data(a.bytes.into_owned());
            for h in common_headers(false) {
                r.add_header(h);
            }
            r.add_header(header("Content-Type", a.content_type));
            r.add_header(header("Cache-Control", "no-cache"));
            let _ = req.respond(r);
        }
        None => respond_error(req, &ApiError::new(404, format!("no such file: {path}"))),
    }
}

/// Serves for the life of the process. tiny_http's accept loop ends for good at
/// its first accept error (EMFILE, when clients hold every file descriptor): the
/// workers then end, and after a pause the server listens again on the same
/// address, so a flood of connections costs service while it lasts, not forever.
pub fn run(first: Server, app: Arc<App>) {
    let addr = first.server_addr().to_ip();
    let mut server = Arc::new(first);
    loop {
        let why = Arc::new(std::sync::Mutex::new(None::<String>));
        for w in spawn_workers(server.clone(), app.clone(), why.clone()) {
            let _ = w.join();
        }
        drop(server);
        let why = why.lock().unwrap_or_else(|e| e.into_inner()).take();
        eprintln!(
            "nanocap-serve: stopped accepting connections ({}); listening again",
            why.unwrap_or_default()
        );
        server = loop {
            std::thread::sleep(Duration::from_secs(1));
            let again = match addr {
                Some(a) => Server::http(a),
                None => break None,
            };
            match again {
                Ok(s) => break Some(Arc::new(s)),
                Err(e) => eprintln!("nanocap-serve: cannot listen again yet: {e}"),
            }
        }
        .unwrap_or_else(|| {
            eprintln!("nanocap-serve: no address to listen on again");
            std::process::exit(1)
        });
    }
}

/// Whether the server still accepts connections. tiny_http's accept thread can
/// also end by panicking (it unwraps a failed descriptor copy), which nobody
/// reports: its listening socket is closed then, and connecting is refused.
fn still_listening(server: &Server) -> bool {
    let Some(mut addr) = server.server_addr().to_ip() else {
        return true;
    };
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    match std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
        Err(e) => e.kind() != std::io::ErrorKind::ConnectionRefused,
        Ok(_) => true,
    }
}

/// The workers of one listening server; they end when its accept loop has ended
/// (the first to see it records why and tells the others).
fn spawn_workers(
    server: Arc<Server>,
    app: Arc<App>,
    why: Arc<std::sync::Mutex<Option<String>>>,
) -> Vec<std::thread::JoinHandle<()>> {
    let dead = Arc::new(std::sync::atomic::AtomicBool::new(false));
    (0..WORKERS)
        .map(|i| {
            let (server, app, why, dead) = (server.clone(), app.clone(), why.clone(), dead.clone());
            std::thread::Builder::new()
                .name(format!("nanocap-http-{i}"))
                .spawn(move || {
                    let mut w = Worker {
                        app,
                        conn: None,
                        counts: api::CountCache::default(),
                    };
                    let mut idle = 0u32;
                    while !dead.load(std::sync::atomic::Ordering::Relaxed) {
                        let req = match server.recv_timeout(Duration::from_millis(500)) {
                            Ok(Some(req)) => req,
                            Ok(None) => {
                                // Worker 0 looks every 5 s of idleness.
                                idle = idle.wrapping_add(1);
                                if i == 0 && idle % 10 == 0 && !still_listening(&server) {
                                    why.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(
                                        "its accept loop ended, out of file descriptors?".into(),
                                    );
                                    dead.store(true, std::sync::atomic::Ordering::Relaxed);
                                }
                                continue;
                            }
                            Err(e) => {
                                why.lock()
                                    .unwrap_or_else(|e| e.into_inner())
                                    .get_or_insert(e.to_string());
                                dead.store(true, std::sync::atomic::Ordering::Relaxed);
                                break;
                            }
                        };
                        // A bug in one request must not take the worker (or the
                        // process) down; the client sees the connection close.
                        if catch_unwind(AssertUnwindSafe(|| w.handle(req))).is_err() {
                            w.conn = None;
                        }
                    }
                })
                .expect("spawn an HTTP worker")
        })
        .collect()
}
