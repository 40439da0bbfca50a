//! Text cell values without an allocation for the short ones.
//!
//! Most text a table shows is short and formatted: a hash in hex (64 characters), an
//! account (65), a time (26), an address (at most 45). Those are written into a buffer
//! inside the value itself, so producing a column allocates nothing; only long text
//! (signatures, the `details` JSON, hash lists) is a `String`. The buffer is no larger
//! than that because every value is moved a few times on its way to a sink.
//!
//! Those `String`s are recycled: a sink done with a value gives its text back
//! (`recycle`), and the next long text formatted on that thread is written into the
//! same buffer (`string_with_capacity`). The table functions' cursor does, so a scan
//! formats long text without allocating once its buffers have grown; a sink that just
//! drops its values (the store writer keeps them in a batch) frees them as before.

use crate::spare::{self, Spares};
use std::fmt;
use std::ops::Deref;

/// Spare buffers one thread keeps for long text, and the largest it keeps (bytes).
const SPARE_STRINGS: usize = 8;
const MAX_SPARE_BYTES: usize = 64 * 1024;

thread_local! {
    static SPARE: Spares<String> = const { Spares::new(Vec::new()) };
}

/// An empty `String` with room for `n` bytes: a recycled buffer when this thread has
/// one.
pub fn string_with_capacity(n: usize) -> String {
    let mut s = spare::take(&SPARE);
    s.reserve(n);
    s
}

/// Gives an owned text's buffer back for the next long text of this thread; other
/// texts are just dropped. Bounded: `SPARE_STRINGS` buffers of at most
/// `MAX_SPARE_BYTES` each.
pub fn recycle(text: Text<'_>) {
    let Text::Owned(mut s) = text else {
        return;
    };
    if s.capacity() == 0 || s.capacity() > MAX_SPARE_BYTES {
        return;
    }
    s.clear();
    spare::give_back(&SPARE, s, SPARE_STRINGS);
}

/// Bytes an `Inline` holds, with one to spare for a sink that wants a terminator
/// (`sql::result` hands text to SQLite NUL-terminated).
pub const INLINE_CAPACITY: usize = 79;

/// Text written in place: at most `INLINE_CAPACITY - 1` bytes of UTF-8.
#[derive(Clone)]
pub struct Inline {
    len: u8,
    buf: [u8; INLINE_CAPACITY],
}

impl Inline {
    pub const MAX_LEN: usize = INLINE_CAPACITY - 1;

    pub const fn new() -> Inline {
        Inline {
            len: 0,
            buf: [0; INLINE_CAPACITY],
        }
    }

    /// Free room, in bytes.
    pub fn room(&self) -> usize {
        Self::MAX_LEN - usize::from(self.len)
    }

    /// Appends `s`; false (and nothing appended) when it does not fit.
    pub fn push_str(&mut self, s: &str) -> bool {
        self.push_valid(s.as_bytes())
    }

    /// Appends ASCII bytes (hex digits, base32, decimal digits); false, and nothing
    /// appended, when they do not fit or are not ASCII.
    pub fn push_ascii(&mut self, bytes: &[u8]) -> bool {
        bytes.is_ascii() && self.push_valid(bytes)
    }

    /// `bytes` is valid UTF-8 (a `&str`'s, or ASCII).
    fn push_valid(&mut self, bytes: &[u8]) -> bool {
        let at = usize::from(self.len);
        if bytes.len() > self.room() {
            return false;
        }
        self.buf[at..at + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len() as u8;
        true
    }

    pub fn as_str(&self) -> &str {
        let bytes = &self.buf[..usize::from(self.len)];
        // SAFETY: `buf[..len]` only ever receives a `&str`'s bytes or bytes checked to
        // be ASCII (`push_str`, `push_ascii`), appended whole, so it is valid UTF-8.
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }

    /// The text followed by a NUL, for a sink that wants it terminated. The text
    /// itself holds no NUL when it came from nanocap's formatters, but a `push_str`
    /// may have put one in: callers check.
    pub fn terminated(&mut self) -> &[u8] {
        let n = usize::from(self.len);
        self.buf[n] = 0;
        &self.buf[..=n]
    }
}

impl Default for Inline {
    fn default() -> Self {
        Inline::new()
    }
}

impl fmt::Write for Inline {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.push_str(s) {
            Ok(())
        } else {
            Err(fmt::Error)
        }
    }
}

/// A text cell: borrowed (from the event, or a static name), written in place, or
/// owned when long.
#[derive(Clone)]
pub enum Text<'a> {
    Borrowed(&'a str),
    Inline(Inline),
    Owned(String),
}

impl<'a> Text<'a> {
    /// `write` formats into an `Inline`; when that overflows, into a `String`.
    pub fn format(write: impl Fn(&mut dyn fmt::Write) -> fmt::Result) -> Text<'static> {
        let mut inline = Inline::new();
        if write(&mut inline).is_ok() {
            return Text::Inline(inline);
        }
        let mut s = string_with_capacity(2 * Inline::MAX_LEN);
        // Writing into a String cannot fail.
        let _ = write(&mut s);
        Text::Owned(s)
    }

    pub fn into_owned(self) -> Text<'static> {
        match self {
            Text::Borrowed(s) => Text::Owned(s.to_owned()),
            Text::Inline(i) => Text::Inline(i),
            Text::Owned(s) => Text::Owned(s),
        }
    }
}

impl Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Text::Borrowed(s) => s,
            Text::Inline(i) => i.as_str(),
            Text::Owned(s) => s,
        }
    }
}

impl AsRef<str> for Text<'_> {
    fn as_ref(&self) -> &str {
        self
    }
}

impl PartialEq for Text<'_> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<'a> From<&'a str> for Text<'a> {
    fn from(s: &'a str) -> Self {
        Text::Borrowed(s)
    }
}

impl From<String> for Text<'_> {
    fn from(s: String) -> Self {
        Text::Owned(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_text_takes_what_fits_and_refuses_the_rest_whole() {
        let mut i = Inline::new();
        assert!(i.push_str("nano_"));
        assert!(i.push_ascii(b"1abc"));
        assert_eq!(i.as_str(), "nano_1abc");
        assert!(!i.push_ascii("é".as_bytes()), "not ASCII");
        assert!(!i.push_str(&"x".repeat(Inline::MAX_LEN)), "too long");
        assert_eq!(
            i.as_str(),
            "nano_1abc",
            "a refused push leaves it as it was"
        );
        assert!(i.push_str(&"y".repeat(Inline::MAX_LEN - 9)));
        assert_eq!(i.room(), 0);
        assert_eq!(i.terminated().last(), Some(&0));
        assert_eq!(i.terminated().len(), Inline::MAX_LEN + 1);
    }

    #[test]
    fn formatted_text_is_inline_when_short_and_owned_when_long() {
        let short = Text::format(|w| write!(w, "{}", 12345));
        assert!(matches!(short, Text::Inline(_)));
        assert_eq!(&*short, "12345");
        let long = Text::format(|w| write!(w, "{}", "z".repeat(500)));
        assert!(matches!(long, Text::Owned(_)));
        assert_eq!(long.len(), 500);
        assert_eq!(short, Text::Borrowed("12345"), "equal by content");
    }

    #[test]
    fn recycled_text_buffers_are_reused_emptied_and_bounded() {
        let mut first = string_with_capacity(300);
        first.push_str("a long text");
        let buffer = first.as_ptr();
        recycle(Text::Owned(first));
        let second = string_with_capacity(10);
        assert_eq!(second.as_ptr(), buffer, "the same buffer, reused");
        assert!(second.is_empty() && second.capacity() >= 300);
        // Borrowed and inline texts give nothing back; a huge buffer is not kept.
        recycle(Text::Borrowed("x"));
        recycle(Text::Owned(String::with_capacity(MAX_SPARE_BYTES + 1)));
        assert_eq!(SPARE.with(|s| s.borrow().len()), 0);
        for _ in 0..3 * SPARE_STRINGS {
            recycle(Text::Owned(String::with_capacity(16)));
        }
        assert_eq!(SPARE.with(|s| s.borrow().len()), SPARE_STRINGS);
    }
}
