//! The console: every file under the repository's `web/`, compiled into the binary.
//! Nothing is read from the disk at run time, so no request path can reach a file
//! outside the console.

use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../web/"]
struct Web;

pub struct Asset {
    pub bytes: std::borrow::Cow<'static, [u8]>,
    pub content_type: &'static str,
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The file at a request path. `/` and paths without a file extension get
/// `index.html` (they are the console's own routes); a missing file with an
/// extension is `None`.
pub fn lookup(path: &str) -> Option<Asset> {
    let name = path.trim_start_matches('/');
    let last = name.rsplit('/').next().unwrap_or("");
    let name = if name.is_empty() || !last.contains('.') {
        "index.html"
    } else {
        name
    };
    Web::get(name).map(|f| Asset {
        bytes: f.data,
        content_type: content_type(name),
    })
}
