//! The import's progress bar, drawn on a terminal only (a log file gets the final
//! line alone). It follows the library's status: bytes of the file read so far.

use indicatif::{ProgressBar, ProgressStyle};
use nanocap::store::status;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

pub struct Bar {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Bar {
    pub fn start(file: &Path, total: u64) -> Bar {
        let done = Arc::new(AtomicBool::new(false));
        if !std::io::stderr().is_terminal() || total == 0 {
            return Bar { done, thread: None };
        }
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message(format!("importing {}", file.display()));
        // Drawn once now, however short the import turns out to be.
        bar.tick();
        let flag = done.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                let s = status::snapshot();
                bar.set_position(s.bytes_read.min(total));
                bar.set_message(format!("{} messages", s.messages));
                std::thread::sleep(Duration::from_millis(100));
            }
            bar.finish_and_clear();
        });
        Bar {
            done,
            thread: Some(thread),
        }
    }

    pub fn finish(mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
