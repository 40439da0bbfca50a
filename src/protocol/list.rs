//! The variable-length lists of a message (a vote's hashes, a confirm_req's pairs, an
//! asc_pull_ack's blocks or frontiers), in buffers recycled per thread.
//!
//! Every other field of a decoded message is inline, so these lists were the one
//! allocation (and free) per message left in decoding. A `List` gives its buffer back to
//! a small pool of the thread that drops it, and decoding takes buffers from the pool
//! of its own thread: a scan that decodes and drops its events on one thread (every
//! table function) allocates only until the pool holds as many buffers as the scan
//! keeps alive at once. An import decodes on its reader thread and drops events on its
//! writer thread, so there the pools bound what is kept and allocation goes on as
//! before.
//!
//! Bounded: a thread keeps at most `POOL_BUFFERS` buffers per element type, none larger
//! than `MAX_KEPT_BYTES`, so at most about 3 MB across the three pools.

use crate::spare::{self, Spares};
use std::cell::RefCell;
use std::fmt;
use std::ops::Deref;
use std::thread::LocalKey;

/// Buffers one thread keeps per element type.
const POOL_BUFFERS: usize = 32;
/// A buffer with more room than this (bytes) is freed rather than kept.
const MAX_KEPT_BYTES: usize = 32 * 1024;

type Pool<T> = Spares<Vec<T>>;

/// Element types with a pool of their own.
pub trait Pooled: Sized + 'static {
    fn pool() -> &'static LocalKey<Pool<Self>>;
}

macro_rules! pooled {
    ($($t:ty => $pool:ident),* $(,)?) => {$(
        thread_local! {
            static $pool: Pool<$t> = const { RefCell::new(Vec::new()) };
        }
        impl Pooled for $t {
            fn pool() -> &'static LocalKey<Pool<Self>> {
                &$pool
            }
        }
    )*};
}

pooled! {
    [u8; 32] => HASHES,
    ([u8; 32], [u8; 32]) => PAIRS,
    super::Block => BLOCKS,
}

/// A list read from a message. Reads as a slice; built with `with_capacity` and `push`
/// while decoding, or from a `Vec` (tests, the generator).
pub struct List<T: Pooled>(Vec<T>);

impl<T: Pooled> List<T> {
    /// An empty list with room for `n` items, in a recycled buffer when this thread has
    /// one.
    pub fn with_capacity(n: usize) -> List<T> {
        let mut buf = spare::take(T::pool());
        buf.reserve(n);
        List(buf)
    }

    /// An empty list that holds no buffer (allocates nothing).
    pub const fn new() -> List<T> {
        List(Vec::new())
    }

    pub fn push(&mut self, item: T) {
        self.0.push(item);
    }
}

impl<T: Pooled> Drop for List<T> {
    fn drop(&mut self) {
        let mut buf = std::mem::take(&mut self.0);
        if buf.capacity() == 0 || buf.capacity() * std::mem::size_of::<T>() > MAX_KEPT_BYTES {
            return;
        }
        buf.clear();
        spare::give_back(T::pool(), buf, POOL_BUFFERS);
    }
}

impl<T: Pooled> Deref for List<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T: Pooled> Default for List<T> {
    fn default() -> Self {
        List::new()
    }
}

impl<T: Pooled> From<Vec<T>> for List<T> {
    fn from(v: Vec<T>) -> Self {
        List(v)
    }
}

impl<T: Pooled> FromIterator<T> for List<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        List(items.into_iter().collect())
    }
}

impl<T: Pooled + Clone> Clone for List<T> {
    fn clone(&self) -> Self {
        let mut copy = List::with_capacity(self.len());
        copy.0.extend_from_slice(self);
        copy
    }
}

impl<T: Pooled + PartialEq> PartialEq for List<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: Pooled + Eq> Eq for List<T> {}

impl<T: Pooled + PartialEq> PartialEq<Vec<T>> for List<T> {
    fn eq(&self, other: &Vec<T>) -> bool {
        **self == **other
    }
}

impl<T: Pooled + fmt::Debug> fmt::Debug for List<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<'a, T: Pooled> IntoIterator for &'a List<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pooled_hash_buffers() -> usize {
        <[u8; 32]>::pool().with(|p| p.borrow().len())
    }

    #[test]
    fn a_dropped_list_gives_its_buffer_to_the_next_one() {
        let mut first = List::<[u8; 32]>::with_capacity(4);
        first.push([1; 32]);
        let buffer = first.as_ptr();
        let before = pooled_hash_buffers();
        drop(first);
        assert_eq!(pooled_hash_buffers(), before + 1);
        let second = List::<[u8; 32]>::with_capacity(2);
        assert_eq!(second.as_ptr(), buffer, "the same buffer, reused");
        assert!(second.is_empty(), "and emptied");
        assert_eq!(pooled_hash_buffers(), before);
    }

    #[test]
    fn the_pool_keeps_a_bounded_number_of_small_buffers() {
        // Far more lists alive at once than the pool keeps: the rest are freed.
        let lists: Vec<List<[u8; 32]>> = (0..3 * POOL_BUFFERS)
            .map(|_| {
                let mut l = List::with_capacity(1);
                l.push([7; 32]);
                l
            })
            .collect();
        drop(lists);
        assert_eq!(pooled_hash_buffers(), POOL_BUFFERS);
        // A buffer grown past the bound is not kept, whatever room the pool has: the
        // large list takes one buffer from the pool and gives none back.
        let large = List::<[u8; 32]>::with_capacity(MAX_KEPT_BYTES / 32 + 1);
        assert_eq!(pooled_hash_buffers(), POOL_BUFFERS - 1);
        drop(large);
        assert_eq!(pooled_hash_buffers(), POOL_BUFFERS - 1);
    }

    #[test]
    fn lists_compare_clone_and_print_as_their_items() {
        let a = List::from(vec![([1u8; 32], [2u8; 32])]);
        let b = a.clone();
        assert_eq!(a, b);
        assert_ne!(a, List::new());
        assert_eq!(format!("{:?}", List::<[u8; 32]>::new()), "[]");
        assert_eq!((&a).into_iter().count(), 1);
    }
}
