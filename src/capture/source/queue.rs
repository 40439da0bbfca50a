//! A bounded queue of owned frames between a capture thread and the thread that
//! decodes them: the capture side never waits (a full queue drops the frame and
//! counts it), the decoding side is a `FrameSource` that says `Idle` when nothing
//! came for [`IDLE_AFTER`] and `End` once the capture side is gone and the queue is
//! empty. Memory is bounded by a number of frames and a number of bytes.

use super::{Frame, FrameSource, ReadOutcome, SourceAnomaly};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

/// How long the decoding side waits for a frame before answering `Idle`.
pub const IDLE_AFTER: Duration = Duration::from_millis(100);

/// How much the queue may hold.
#[derive(Debug, Clone, Copy)]
pub struct QueueLimits {
    pub frames: usize,
    pub bytes: u64,
}

impl Default for QueueLimits {
    /// 100,000 frames or 64 MiB of frame bytes, whichever is reached first.
    fn default() -> Self {
        QueueLimits {
            frames: 100_000,
            bytes: 64 * 1024 * 1024,
        }
    }
}

/// A frame copied out of the capture buffer.
#[derive(Debug, Clone)]
pub struct OwnedFrame {
    pub number: u64,
    pub time_usec: i64,
    pub link_type: u32,
    pub orig_len: u32,
    pub data: Vec<u8>,
}

enum Item {
    Frame(OwnedFrame),
    Anomaly(SourceAnomaly, bool),
}

/// Counters both sides update, readable from anywhere.
#[derive(Debug, Default)]
pub struct QueueCounters {
    /// Frames in the queue now.
    pub depth: AtomicU64,
    /// Frame bytes in the queue now.
    pub bytes: AtomicU64,
    /// Frames dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Frames accepted.
    pub queued: AtomicU64,
}

/// The capture side.
pub struct FrameSender {
    tx: SyncSender<Item>,
    counters: Arc<QueueCounters>,
    max_bytes: u64,
}

/// The decoding side.
pub struct QueueSource {
    rx: Receiver<Item>,
    counters: Arc<QueueCounters>,
    current: Option<OwnedFrame>,
    done: bool,
}

/// A new queue: its two ends.
pub fn frame_queue(limits: QueueLimits) -> (FrameSender, QueueSource) {
    let (tx, rx) = sync_channel(limits.frames.max(1));
    let counters = Arc::new(QueueCounters::default());
    (
        FrameSender {
            tx,
            counters: counters.clone(),
            max_bytes: limits.bytes,
        },
        QueueSource {
            rx,
            counters,
            current: None,
            done: false,
        },
    )
}

impl FrameSender {
    /// Copies the frame into the queue; `false` (and counted) when the queue is full
    /// or the decoding side is gone.
    pub fn offer(&self, frame: &Frame<'_>) -> bool {
        let len = frame.data.len() as u64;
        let c = &self.counters;
        if c.bytes.load(Ordering::Acquire) + len > self.max_bytes {
            c.dropped.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        let owned = OwnedFrame {
            number: frame.number,
            time_usec: frame.time_usec,
            link_type: frame.link_type,
            orig_len: frame.orig_len,
            data: frame.data.to_vec(),
        };
        // Counted before sending, so the receiver never sees the counts go below 0.
        c.bytes.fetch_add(len, Ordering::AcqRel);
        c.depth.fetch_add(1, Ordering::AcqRel);
        match self.tx.try_send(Item::Frame(owned)) {
            Ok(()) => {
                c.queued.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                c.bytes.fetch_sub(len, Ordering::AcqRel);
                c.depth.fetch_sub(1, Ordering::AcqRel);
                c.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// Passes a problem of the capture on (waits for room: anomalies are rare and
    /// must not be lost). `false` when the decoding side is gone.
    pub fn anomaly(&self, anomaly: SourceAnomaly, fatal: bool) -> bool {
        self.tx.send(Item::Anomaly(anomaly, fatal)).is_ok()
    }

    pub fn counters(&self) -> Arc<QueueCounters> {
        self.counters.clone()
    }
}

impl QueueSource {
    pub fn counters(&self) -> Arc<QueueCounters> {
        self.counters.clone()
    }
}

impl FrameSource for QueueSource {
    fn is_live(&self) -> bool {
        true
    }

    fn next(&mut self, visit: &mut dyn FnMut(&Frame<'_>)) -> ReadOutcome {
        if self.done {
            return ReadOutcome::End;
        }
        let item = match self.rx.recv_timeout(IDLE_AFTER) {
            Ok(item) => item,
            Err(RecvTimeoutError::Timeout) => return ReadOutcome::Idle,
            Err(RecvTimeoutError::Disconnected) => {
                self.done = true;
                return ReadOutcome::End;
            }
        };
        match item {
            Item::Frame(f) => {
                let c = &self.counters;
                c.bytes.fetch_sub(f.data.len() as u64, Ordering::AcqRel);
                c.depth.fetch_sub(1, Ordering::AcqRel);
                visit(&Frame {
                    number: f.number,
                    time_usec: f.time_usec,
                    link_type: f.link_type,
                    data: &f.data,
                    orig_len: f.orig_len,
                });
                // Kept until the next read, so its buffer is freed off the hot path.
                self.current = Some(f);
                ReadOutcome::Frame
            }
            Item::Anomaly(anomaly, fatal) => {
                if fatal {
                    self.done = true;
                }
                ReadOutcome::Anomaly { anomaly, fatal }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: u64, data: &[u8]) -> Frame<'_> {
        Frame {
            number: n,
            time_usec: n as i64,
            link_type: 1,
            data,
            orig_len: data.len() as u32,
        }
    }

    #[test]
    fn frames_pass_in_order_then_end() {
        let (tx, mut rx) = frame_queue(QueueLimits::default());
        assert!(tx.offer(&frame(1, b"ab")));
        assert!(tx.offer(&frame(2, b"cde")));
        drop(tx);
        let mut got = Vec::new();
        loop {
            match rx.next(&mut |f| got.push((f.number, f.data.to_vec()))) {
                ReadOutcome::Frame => {}
                ReadOutcome::End => break,
                o => panic!("{o:?}"),
            }
        }
        assert_eq!(got, vec![(1, b"ab".to_vec()), (2, b"cde".to_vec())]);
        assert_eq!(rx.counters().depth.load(Ordering::Relaxed), 0);
        assert_eq!(rx.counters().bytes.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_full_queue_drops_and_counts() {
        let (tx, mut rx) = frame_queue(QueueLimits {
            frames: 2,
            bytes: 1000,
        });
        assert!(tx.offer(&frame(1, b"a")));
        assert!(tx.offer(&frame(2, b"b")));
        assert!(!tx.offer(&frame(3, b"c")));
        let c = tx.counters();
        assert_eq!(c.dropped.load(Ordering::Relaxed), 1);
        assert_eq!(c.depth.load(Ordering::Relaxed), 2);
        // Bytes bound too.
        let (tx2, _rx2) = frame_queue(QueueLimits {
            frames: 10,
            bytes: 4,
        });
        assert!(tx2.offer(&frame(1, b"abc")));
        assert!(!tx2.offer(&frame(2, b"de")));
        assert_eq!(tx2.counters().dropped.load(Ordering::Relaxed), 1);
        // Idle while the sender lives and nothing comes.
        let mut n = 0;
        while let ReadOutcome::Frame = rx.next(&mut |_| n += 1) {}
        assert_eq!(n, 2);
        assert!(matches!(rx.next(&mut |_| {}), ReadOutcome::Idle));
    }
}
