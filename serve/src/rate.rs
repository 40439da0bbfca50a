//! Messages per second of the running import or capture, for the status: the
//! process's message counter sampled twice a second, the rate over the last few
//! seconds.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(3);
pub const SAMPLE_EVERY: Duration = Duration::from_millis(500);

#[derive(Default)]
pub struct Rate {
    samples: Mutex<VecDeque<(Instant, u64)>>,
}

impl Rate {
    /// Records the counter; `running` false clears the history.
    pub fn sample(&self, running: bool, messages: u64) {
        let mut s = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        if !running {
            s.clear();
            return;
        }
        let now = Instant::now();
        // A new run restarts the counter: start the history again.
        if s.back().is_some_and(|&(_, m)| m > messages) {
            s.clear();
        }
        s.push_back((now, messages));
        while s.len() > 2 && now.duration_since(s[0].0) > WINDOW {
            s.pop_front();
        }
    }

    pub fn per_second(&self) -> f64 {
        let s = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        match (s.front(), s.back()) {
            (Some(&(t0, m0)), Some(&(t1, m1))) if t1 > t0 => {
                (m1 - m0) as f64 / t1.duration_since(t0).as_secs_f64()
            }
            _ => 0.0,
        }
    }
}
