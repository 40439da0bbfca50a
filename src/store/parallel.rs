//! The threads of an import or a live capture: one decodes the capture (and,
//! without signature checks, formats the rows too), `workers` threads format
//! batches of events (signature checks are the costly part), and the calling
//! thread inserts the batches in capture order. For a live source a batch also
//! ends when the source has nothing for now or the batch is [`MAX_BATCH_AGE`]
//! old, so rows are never held back waiting for more. Channels are bounded, so
//! memory stays flat whatever the capture's size: at most `2 * workers + 2`
//! batches of [`BATCH_EVENTS`] events are in flight.
//! Decoding never waits on a signature check, only on the bound. A panic on any of
//! these threads is caught and ends the import with an error.

use super::batch::{Batch, Formatter};
use super::writer::EndReason;
use crate::capture::pipeline::Progress;
use crate::capture::source::FrameSource;
use crate::capture::{Event, Pipeline};
use crate::panic_text;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Events per batch: big enough that handing a batch over costs nothing next to
/// formatting it, small enough that a stop is noticed within milliseconds.
pub const BATCH_EVENTS: usize = 256;

/// A live capture's batch is handed over after this long even when not full: one
/// that trickles in (a message every few tens of milliseconds, never idle long
/// enough to say so) still reaches the database within its commit interval.
pub const MAX_BATCH_AGE: Duration = Duration::from_millis(100);

type Done = Result<Box<Batch>, String>;

/// A batch in capture order: formatted already, or by a worker.
enum Pending {
    Ready(Done),
    Later(Receiver<Done>),
}

struct Job {
    events: Vec<Event>,
    batch: Batch,
    reply: SyncSender<Done>,
}

fn internal(msg: &str) -> EndReason {
    EndReason::Error(format!(
        "nanocap internal error: {msg} (please report this with the capture)"
    ))
}

/// Runs `pipeline` to its end (or until `sink` returns a reason to stop), handing
/// every batch to `sink` in order on the calling thread. `bytes` is the capture's
/// byte counter, recorded with each batch. With `workers` = 0 the decoding thread
/// formats the rows itself. `snapshot` records in each batch what the pipeline and its
/// source had counted after its last event. `None`: the pipeline ended.
pub fn run<S: FrameSource + Send>(
    mut pipeline: Pipeline<S>,
    fmt: &Formatter,
    bytes: &AtomicU64,
    workers: usize,
    snapshot: impl Fn(&mut Pipeline<S>, &mut Batch) + Send,
    mut sink: impl FnMut(&Batch) -> Option<EndReason>,
) -> Option<EndReason> {
    let in_flight = 2 * workers + 2;
    let live = pipeline.source_mut().is_live();
    let stop = AtomicBool::new(false);
    let (order_tx, order_rx) = sync_channel::<Pending>(in_flight);
    let (spare_tx, spare_rx) = sync_channel::<Batch>(in_flight + 2);
    let (job_tx, job_rx) = sync_channel::<Job>(workers.max(1));
    let job_rx = Mutex::new(job_rx);
    std::thread::scope(|s| {
        for _ in 0..workers {
            let job_rx = &job_rx;
            s.spawn(move || loop {
                let job = match job_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok(Job {
                    events,
                    mut batch,
                    reply,
                }) = job
                else {
                    return;
                };
                let done = catch_unwind(AssertUnwindSafe(|| {
                    for ev in &events {
                        fmt.format(ev, &mut batch);
                    }
                    Box::new(batch)
                }))
                .map_err(|p| panic_text(&*p));
                let _ = reply.send(done);
            });
        }
        let stop = &stop;
        s.spawn(move || {
            let spare = || {
                let mut b = spare_rx.try_recv().unwrap_or_default();
                b.clear();
                b
            };
            let decoded = catch_unwind(AssertUnwindSafe(|| {
                let mut more = true;
                while more && !stop.load(Ordering::Relaxed) {
                    let mut batch = spare();
                    let mut events = Vec::new();
                    let mut n = 0;
                    // Only a live capture reads the clock per event: an import's
                    // rows are not waited for.
                    let opened = live.then(Instant::now);
                    while n < BATCH_EVENTS && opened.is_none_or(|t| t.elapsed() < MAX_BATCH_AGE) {
                        match pipeline.poll() {
                            Progress::Event => {}
                            Progress::End => {
                                more = false;
                                break;
                            }
                            // A live source has nothing for now: hand over what
                            // there is (maybe nothing), so the sink commits on
                            // time and sees a stop request.
                            Progress::Idle => break,
                        }
                        let Some(ev) = pipeline.current() else {
                            continue;
                        };
                        if workers == 0 {
                            fmt.format(ev, &mut batch);
                        } else {
                            events.push(ev.clone());
                        }
                        n += 1;
                    }
                    snapshot(&mut pipeline, &mut batch);
                    batch.bytes_read = bytes.load(Ordering::Relaxed);
                    let sent = if workers == 0 {
                        order_tx.send(Pending::Ready(Ok(Box::new(batch))))
                    } else {
                        let (reply, later) = sync_channel(1);
                        if job_tx
                            .send(Job {
                                events,
                                batch,
                                reply,
                            })
                            .is_err()
                        {
                            return;
                        }
                        order_tx.send(Pending::Later(later))
                    };
                    if sent.is_err() {
                        return;
                    }
                }
            }));
            if let Err(p) = decoded {
                let _ = order_tx.send(Pending::Ready(Err(panic_text(&*p))));
            }
            // Dropping job_tx and order_tx here ends the workers and the loop below.
        });
        let mut reason = None;
        for pending in order_rx.iter() {
            let done = match pending {
                Pending::Ready(d) => d,
                Pending::Later(rx) => rx
                    .recv()
                    .unwrap_or_else(|_| Err("a formatting thread stopped".into())),
            };
            match done {
                Ok(batch) => {
                    let r = sink(&batch);
                    let _ = spare_tx.try_send(*batch);
                    if r.is_some() {
                        reason = r;
                        break;
                    }
                }
                Err(e) => {
                    reason = Some(internal(&e));
                    break;
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
        // Unblocks the decoding thread if it waits to hand over a batch.
        drop(order_rx);
        reason
    })
}
