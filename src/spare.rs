//! Spare buffers kept per thread, so that a scan that makes and drops buffers of the
//! same kind row after row (a message's lists, long text cells) reuses them instead of
//! allocating. Each kind has its own `Spares` thread-local; its owner decides which
//! buffers are worth keeping (small enough) and empties them before giving them back.

use std::cell::RefCell;
use std::thread::LocalKey;

/// One thread's spare buffers of one kind.
pub type Spares<B> = RefCell<Vec<B>>;

/// A spare buffer of this thread, or a new empty one.
pub fn take<B: Default>(spares: &'static LocalKey<Spares<B>>) -> B {
    spares
        .try_with(|s| s.borrow_mut().pop())
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Keeps `buf` for the next `take` on this thread, unless `limit` buffers are kept
/// already; then it is freed. During the thread's own teardown the spares are gone and
/// the buffer is just freed.
pub fn give_back<B>(spares: &'static LocalKey<Spares<B>>, buf: B, limit: usize) {
    let _ = spares.try_with(|s| {
        let mut s = s.borrow_mut();
        if s.len() < limit {
            s.push(buf);
        }
    });
}
