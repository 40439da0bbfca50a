//! `nanocap.config` and the JSON options of the SQL functions: one set of structs.
//! The file is JSON with `//` and `/* */` comments. A broken file, an unknown key or
//! a wrongly typed value is an error that gives its line and column; nothing falls
//! back to defaults silently. A key that is left out takes its documented default,
//! and the defaults are the values of the shipped `nanocap.config`.

use serde::Deserialize;
use std::path::Path;

/// The shipped filter: the peering ports of the live, beta, test and dev networks,
/// TCP and UDP.
pub const DEFAULT_FILTER: &str = "port 7075 or port 54000 or port 17075 or port 44000";

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The capture database (SQLite file).
    pub database: String,
    pub capture: CaptureOptions,
    pub web: WebOptions,
}

/// The `capture` section, and the options object of `nano_import` and
/// `nano_capture_start`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CaptureOptions {
    /// nanocap-serve starts live capture at launch.
    pub enabled: bool,
    /// Interface to capture on: one of its addresses or its name; empty for the
    /// first interface that is up and not loopback.
    pub device_ip: String,
    /// BPF expression. Absent: live capture uses [`DEFAULT_FILTER`], an import
    /// through SQL filters nothing. `Some("")` filters nothing anywhere.
    #[serde(default)]
    pub filter: Option<String>,
    /// Stop cleanly when the database file reaches this size.
    pub max_capture_megabytes: u64,
    pub block_details: bool,
    pub bootstrap_details: bool,
    pub connection_details: bool,
    pub verify_signatures: bool,
    /// libpcap's kernel buffer for live capture.
    pub buffer_megabytes: u32,
    /// Live capture puts the interface in promiscuous mode: frames not addressed to
    /// this host (a mirror port, a hub) are captured too. Off: a node's own traffic
    /// needs no such mode.
    pub promiscuous: bool,
}

/// The `web` section (nanocap-serve).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebOptions {
    pub enabled: bool,
    pub bind: String,
    pub port: u16,
    pub max_query_result: u64,
    pub query_time_limit_ms: u64,
    /// Empty: no token required.
    pub token: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database: "capture.db".into(),
            capture: CaptureOptions::default(),
            web: WebOptions::default(),
        }
    }
}

impl Default for CaptureOptions {
    fn default() -> Self {
        CaptureOptions {
            enabled: true,
            device_ip: String::new(),
            filter: Some(DEFAULT_FILTER.into()),
            max_capture_megabytes: 8192,
            block_details: true,
            bootstrap_details: true,
            connection_details: true,
            verify_signatures: true,
            buffer_megabytes: 64,
            promiscuous: false,
        }
    }
}

impl Default for WebOptions {
    fn default() -> Self {
        WebOptions {
            enabled: true,
            bind: "127.0.0.1".into(),
            port: 8077,
            max_query_result: 5000,
            query_time_limit_ms: 10_000,
            token: String::new(),
        }
    }
}

impl CaptureOptions {
    /// The filter live capture applies.
    pub fn live_filter(&self) -> &str {
        self.filter.as_deref().unwrap_or(DEFAULT_FILTER)
    }

    /// The filter an import applies, if any.
    pub fn import_filter(&self) -> Option<&str> {
        self.filter.as_deref().filter(|f| !f.trim().is_empty())
    }

    /// Options given to a SQL function as a JSON object (comments allowed); keys left
    /// out keep their defaults, except `filter` (see the field).
    pub fn from_json(text: &str) -> Result<CaptureOptions, ConfigError> {
        parse::<CaptureOptions>(text, None)
    }
}

impl Config {
    /// Reads and parses a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            source: Some(path.display().to_string()),
            line: 0,
            column: 0,
            message: format!("cannot read the config file: {e}"),
        })?;
        parse::<Config>(&text, Some(path.display().to_string()))
    }

    /// Parses config text (`source` names it in errors).
    pub fn from_text(text: &str, source: Option<String>) -> Result<Config, ConfigError> {
        parse::<Config>(text, source)
    }
}

/// What is wrong with a config file or an options object, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, when there is one.
    pub source: Option<String>,
    /// 1-based; 0 when the error has no position (the file could not be read).
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(s) = &self.source {
            write!(f, "{s}: ")?;
        }
        if self.line > 0 {
            write!(f, "line {} column {}: ", self.line, self.column)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

fn parse<T: serde::de::DeserializeOwned>(
    text: &str,
    source: Option<String>,
) -> Result<T, ConfigError> {
    let json = blank_comments(text).map_err(|(line, column, message)| ConfigError {
        source: source.clone(),
        line,
        column,
        message,
    })?;
    if json.trim().is_empty() {
        return Err(ConfigError {
            source,
            line: 1,
            column: 1,
            message: "empty: expected a JSON object".into(),
        });
    }
    serde_json::from_str::<T>(&json).map_err(|e| {
        // serde_json ends its messages with " at line L column C"; the position is
        // given once, in front.
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
        ConfigError {
            source,
            line: e.line(),
            column: e.column(),
            message,
        }
    })
}

/// Replaces comments with spaces (newlines kept), so that JSON positions stay the
/// positions in the file. Comment markers inside strings are text.
fn blank_comments(text: &str) -> Result<String, (usize, usize, String)> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    let (mut line, mut column) = (1usize, 1usize);
    let mut in_string = false;
    let mut escaped = false;
    // Advances the position over one character of the input.
    let step = |c: char, line: &mut usize, column: &mut usize| {
        if c == '\n' {
            *line += 1;
            *column = 1;
        } else {
            *column += 1;
        }
    };
    while let Some((_, c)) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            step(c, &mut line, &mut column);
            continue;
        }
        match (c, chars.peek().map(|&(_, n)| n)) {
            ('"', _) => {
                in_string = true;
                out.push(c);
                step(c, &mut line, &mut column);
            }
            ('/', Some('/')) => {
                // To the end of the line; the newline itself stays.
                while let Some(&(_, n)) = chars.peek() {
                    if n == '\n' {
                        break;
                    }
                    out.push(' ');
                    step(n, &mut line, &mut column);
                    chars.next();
                }
                out.push(' ');
                step(c, &mut line, &mut column);
            }
            ('/', Some('*')) => {
                let (start_line, start_column) = (line, column);
                chars.next();
                out.push_str("  ");
                column += 2;
                let mut closed = false;
                while let Some((_, n)) = chars.next() {
                    if n == '*' && chars.peek().map(|&(_, m)| m) == Some('/') {
                        chars.next();
                        out.push_str("  ");
                        column += 2;
                        closed = true;
                        break;
                    }
                    out.push(if n == '\n' { '\n' } else { ' ' });
                    step(n, &mut line, &mut column);
                }
                if !closed {
                    return Err((
                        start_line,
                        start_column,
                        "a /* comment is never closed".into(),
                    ));
                }
            }
            _ => {
                out.push(c);
                step(c, &mut line, &mut column);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> String {
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/nanocap.config")).unwrap()
    }

    #[test]
    fn the_shipped_config_parses_and_equals_the_defaults() {
        let c = Config::from_text(&shipped(), Some("nanocap.config".into())).unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.capture.live_filter(), DEFAULT_FILTER);
    }

    #[test]
    fn the_shipped_filter_covers_every_network_and_udp() {
        for port in ["7075", "54000", "17075", "44000"] {
            assert!(DEFAULT_FILTER.contains(&format!("port {port}")), "{port}");
        }
        assert!(!DEFAULT_FILTER.contains("tcp"), "no transport restriction");
    }

    #[test]
    fn comments_keep_positions_and_markers_in_strings_are_text() {
        let text = "{ // a comment\n  \"database\": \"a//b/*c*/.db\", /* x\n y */ \"web\": { \"port\": \"x\" } }";
        let err = Config::from_text(text, None).unwrap_err();
        // The bad value is on line 3, after the block comment.
        assert_eq!(err.line, 3);
        assert!(err.message.contains("invalid type"), "{err}");
        assert!(err.message.contains("u16"), "{err}");
        let ok = Config::from_text("{ \"database\": \"a//b/*c*/.db\" // end\n}", None).unwrap();
        assert_eq!(ok.database, "a//b/*c*/.db");
    }

    #[test]
    fn a_string_with_escaped_quotes_is_not_left_early() {
        let c = Config::from_text(r#"{"database": "x\"//y"}"#, None).unwrap();
        assert_eq!(c.database, "x\"//y");
    }

    #[test]
    fn unknown_keys_are_errors_with_their_position() {
        let text = "{\n  \"capture\": {\n    \"block_detail\": false\n  }\n}";
        let err = Config::from_text(text, Some("nanocap.config".into())).unwrap_err();
        assert_eq!(
            (err.line, err.source.as_deref()),
            (3, Some("nanocap.config"))
        );
        assert!(
            err.message.contains("unknown field `block_detail`"),
            "{err}"
        );
        assert!(
            err.to_string().starts_with("nanocap.config: line 3 column"),
            "{err}"
        );
        let err = Config::from_text("{\"extra\": 1}", None).unwrap_err();
        assert!(err.message.contains("unknown field `extra`"), "{err}");
    }

    #[test]
    fn broken_files_are_errors_never_defaults() {
        for (text, line) in [
            ("{\n \"database\": \"x.db\",\n}", 3),
            ("{\n \"database\": ", 2),
            ("", 1),
            ("// only a comment\n", 1),
            ("{ /* never closed \n", 1),
            ("[1, 2]", 1),
            ("{\"web\": {\"port\": 70000}}", 1),
            ("{\"capture\": {\"max_capture_megabytes\": -1}}", 1),
            ("{\"capture\": {\"block_details\": \"yes\"}}", 1),
        ] {
            let err = Config::from_text(text, None).expect_err(text);
            assert_eq!(err.line, line, "{text:?}: {err}");
            assert!(err.column >= 1, "{text:?}: {err}");
        }
    }

    #[test]
    fn options_objects_take_defaults_for_missing_keys_but_not_the_filter() {
        let o = CaptureOptions::from_json("{\"block_details\": false}").unwrap();
        assert!(!o.block_details);
        assert!(o.bootstrap_details && o.connection_details && o.verify_signatures);
        assert_eq!(o.filter, None);
        assert_eq!(o.import_filter(), None);
        assert_eq!(o.live_filter(), DEFAULT_FILTER);
        let o = CaptureOptions::from_json("{\"filter\": \"udp\"}").unwrap();
        assert_eq!((o.import_filter(), o.live_filter()), (Some("udp"), "udp"));
        let o = CaptureOptions::from_json("{\"filter\": \"\"}").unwrap();
        assert_eq!((o.import_filter(), o.live_filter()), (None, ""));
        let err = CaptureOptions::from_json("{\"filtre\": \"udp\"}").unwrap_err();
        assert!(err.message.contains("unknown field `filtre`"), "{err}");
        let err = CaptureOptions::from_json("{\"filter\": 7}").unwrap_err();
        assert!(err.message.contains("invalid type"), "{err}");
    }

    #[test]
    fn the_readme_documents_every_key() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        let shipped = shipped();
        let json: serde_json::Value = serde_json::from_str(&blank_comments(&shipped).unwrap())
            .expect("shipped config is JSON once comments are blanked");
        let mut missing = Vec::new();
        let mut keys = Vec::new();
        for (k, v) in json.as_object().unwrap() {
            match v.as_object() {
                Some(section) => keys.extend(section.keys().map(|s| format!("{k}.{s}"))),
                None => keys.push(k.clone()),
            }
        }
        for key in keys {
            if !readme.contains(&format!("`{key}`")) {
                missing.push(key);
            }
        }
        assert!(missing.is_empty(), "README does not document {missing:?}");
    }
}
