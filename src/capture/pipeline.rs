//! The one pipeline: capture file -> frames -> link/IP -> UDP/TCP -> Nano events.
//! STUB: the capture work fills this in.

use super::Event;
use std::path::{Path, PathBuf};

/// Why a capture could not be opened at all. Everything after opening is an anomaly
/// event, never an error.
#[derive(Debug)]
pub enum OpenError {
    NotFound(PathBuf),
    /// Neither pcap nor pcapng.
    NotACapture(PathBuf, String),
    Io(PathBuf, std::io::Error),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::NotFound(p) => write!(f, "capture file not found: {}", p.display()),
            OpenError::NotACapture(p, why) => {
                write!(
                    f,
                    "not a pcap or pcapng capture file: {} ({why})",
                    p.display()
                )
            }
            OpenError::Io(p, e) => write!(f, "cannot read {}: {e}", p.display()),
        }
    }
}

impl std::error::Error for OpenError {}

/// Counters a user may want after a scan (frames skipped are not errors).
#[derive(Debug, Default, Clone)]
pub struct PipelineStats {
    pub frames: u64,
    pub non_ip_frames: u64,
    pub unknown_link_frames: u64,
    pub non_nano_datagrams: u64,
    pub messages: u64,
    pub anomalies: u64,
}

pub struct Pipeline {
    _stats: PipelineStats,
}

impl Pipeline {
    pub fn open(_path: &Path) -> Result<Pipeline, OpenError> {
        todo!()
    }

    /// The next event in capture order; `None` at the end of the capture.
    pub fn next_event(&mut self) -> Option<Event> {
        todo!()
    }

    pub fn stats(&self) -> &PipelineStats {
        &self._stats
    }
}
