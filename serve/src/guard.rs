//! Who may talk to the server: the optional token (`web.token`), browsers on other
//! sites (refused by what the browser itself says about the request), and, when
//! the server listens on loopback only, requests whose Host is not a loopback name
//! (a web page that rebinds its own name to 127.0.0.1 reaches the port, but keeps
//! its name in Host).

use tiny_http::Request;

pub const TOKEN_COOKIE: &str = "nanocap_token";

pub fn header<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    req.headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// Compares in time that does not depend on where the strings differ.
pub fn token_matches(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn cookie<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    header(req, "Cookie")?.split(';').find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// Whether the request carries the token (always true when none is set).
pub fn has_token(req: &Request, token: &str) -> bool {
    if token.is_empty() {
        return true;
    }
    let bearer = header(req, "Authorization")
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    bearer.is_some_and(|b| token_matches(b, token))
        || cookie(req, TOKEN_COOKIE).is_some_and(|c| token_matches(c, token))
}

/// Why a request is refused as coming from another site, if it is.
pub fn cross_site(req: &Request) -> Option<String> {
    if let Some(site) = header(req, "Sec-Fetch-Site") {
        if !matches!(site, "same-origin" | "none") {
            return Some(format!(
                "refused: the browser says this request comes from another site \
                 (Sec-Fetch-Site: {site})"
            ));
        }
    }
    if let Some(origin) = header(req, "Origin") {
        let host = header(req, "Host").unwrap_or("");
        let origin_host = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            .unwrap_or("");
        if origin_host.is_empty() || !origin_host.eq_ignore_ascii_case(host) {
            return Some(format!(
                "refused: the request comes from another origin ({origin}, this server is {host})"
            ));
        }
    }
    None
}

/// The host part of a Host header (`[::1]:8077` -> `::1`, `localhost:80` -> `localhost`).
fn host_name(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

/// With a loopback listen address: why the Host header is refused, if it is.
pub fn foreign_host(req: &Request, bind_is_loopback: bool) -> Option<String> {
    if !bind_is_loopback {
        return None;
    }
    let host = header(req, "Host")?;
    let name = host_name(host).to_ascii_lowercase();
    let loopback = name == "localhost"
        || name.ends_with(".localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    (!loopback)
        .then(|| format!("refused: this server listens on loopback only and is not '{host}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare() {
        assert!(token_matches("abc", "abc"));
        assert!(!token_matches("abc", "abd"));
        assert!(!token_matches("abc", "abcd"));
    }

    #[test]
    fn host_names() {
        assert_eq!(host_name("[::1]:8077"), "::1");
        assert_eq!(host_name("localhost:80"), "localhost");
        assert_eq!(host_name("127.0.0.1"), "127.0.0.1");
    }
}
