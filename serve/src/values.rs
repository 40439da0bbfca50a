//! SQLite values as the API sends them: JSON numbers for numbers, `null` for NULL,
//! strings for text, lowercase hex for BLOBs (JSON has no bytes); and the same as
//! CSV fields.

use rusqlite::types::ValueRef;
use serde_json::Value;
use std::fmt::Write as _;

pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

pub fn to_json(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        // JSON has no NaN or infinity: those become null.
        ValueRef::Real(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::String(hex(b)),
    }
}

/// The same JSON as [`to_json`], written straight into `out`: no value tree for a
/// reply of thousands of rows.
pub fn write_json(out: &mut Vec<u8>, v: ValueRef<'_>) {
    use std::io::Write as _;
    match v {
        ValueRef::Null => out.extend_from_slice(b"null"),
        ValueRef::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        ValueRef::Real(f) => match serde_json::Number::from_f64(f) {
            Some(n) => {
                let _ = write!(out, "{n}");
            }
            None => out.extend_from_slice(b"null"),
        },
        ValueRef::Text(t) => {
            let _ = serde_json::to_writer(&mut *out, &*String::from_utf8_lossy(t));
        }
        ValueRef::Blob(b) => {
            out.push(b'"');
            for byte in b {
                let _ = write!(out, "{byte:02x}");
            }
            out.push(b'"');
        }
    }
}

/// One CSV field (RFC 4180: quoted when it holds a comma, a quote or a line break).
pub fn write_csv_field(out: &mut String, v: ValueRef<'_>) {
    match v {
        ValueRef::Null => {}
        ValueRef::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        ValueRef::Real(f) => {
            let _ = write!(out, "{f}");
        }
        ValueRef::Text(t) => write_csv_text(out, &String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => out.push_str(&hex(b)),
    }
}

pub fn write_csv_text(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_types() {
        assert_eq!(to_json(ValueRef::Integer(-7)), serde_json::json!(-7));
        assert_eq!(to_json(ValueRef::Real(1.5)), serde_json::json!(1.5));
        assert_eq!(to_json(ValueRef::Real(f64::INFINITY)), Value::Null);
        assert_eq!(to_json(ValueRef::Null), Value::Null);
        assert_eq!(to_json(ValueRef::Text(b"a\"b")), serde_json::json!("a\"b"));
        assert_eq!(
            to_json(ValueRef::Blob(&[0, 0xab])),
            serde_json::json!("00ab")
        );
    }

    #[test]
    fn written_json_is_the_same_json() {
        for v in [
            ValueRef::Integer(-7),
            ValueRef::Real(1.5),
            ValueRef::Real(1e300),
            ValueRef::Real(f64::NAN),
            ValueRef::Null,
            ValueRef::Text(b"a\"b\n\x01"),
            ValueRef::Text(b"\xff not utf-8"),
            ValueRef::Blob(&[0, 0xab]),
        ] {
            let mut out = Vec::new();
            write_json(&mut out, v);
            let parsed: Value = serde_json::from_slice(&out).unwrap();
            assert_eq!(parsed, to_json(v), "{}", String::from_utf8_lossy(&out));
        }
    }

    #[test]
    fn csv_quotes_when_needed() {
        let mut s = String::new();
        write_csv_field(&mut s, ValueRef::Text(b"plain"));
        s.push(',');
        write_csv_field(&mut s, ValueRef::Text(b"a,\"b\"\nc"));
        s.push(',');
        write_csv_field(&mut s, ValueRef::Null);
        s.push(',');
        write_csv_field(&mut s, ValueRef::Blob(&[1, 2]));
        assert_eq!(s, "plain,\"a,\"\"b\"\"\nc\",,0102");
    }
}
