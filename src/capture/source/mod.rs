//! Frame sources: the one interface the pipeline reads frames through (`FrameSource`),
//! and the capture-file source that tells pcap from pcapng by magic bytes.
//!
//! The live libpcap reader (`live`) implements the same trait: it lends each frame
//! from libpcap's buffer, numbers frames itself, and answers `Idle` on a timeout.
//! `queue` carries owned frames from a capture thread to a decoding thread.

pub mod live;
mod pcap;
mod pcapng;
pub mod queue;

use super::pipeline::OpenError;
use super::AnomalyKind;
use pcap_file::PcapError;
use std::io::{self, Cursor, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// pcap-file's readers buffer this much (their fixed 8 MB); a record claiming more can
/// never be read and ends the capture with an anomaly instead of an allocation.
pub const READ_BUFFER_BYTES: usize = 8_000_000;

/// One captured frame, borrowed from the source's buffer.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// 1-based record number (pcapng: packet blocks only).
    pub number: u64,
    /// Microseconds since the Unix epoch.
    pub time_usec: i64,
    /// LINKTYPE of the frame's interface.
    pub link_type: u32,
    pub data: &'a [u8],
    /// Length on the wire (may exceed `data.len()` when the capture was cut short).
    pub orig_len: u32,
}

/// A problem with the input itself, reported as an anomaly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceAnomaly {
    /// The record concerned (for a cut-off file: the number the cut record would have).
    pub frame: u64,
    /// Time of the last good record.
    pub time_usec: i64,
    /// For files: TruncatedRecord, RecordTooLarge, BadRecord or ReadError;
    /// FilterNotApplicable from a `filter::FilteredSource`.
    pub kind: AnomalyKind,
    pub detail: String,
}

/// What `FrameSource::next` did.
#[derive(Debug)]
pub enum ReadOutcome {
    /// Frames were handed to the visitor (a file source: exactly one).
    Frame,
    /// A record could not be used; when `fatal`, nothing more will be read.
    Anomaly { anomaly: SourceAnomaly, fatal: bool },
    /// No frame for now, more may come (a live capture's read timeout); ask again.
    /// A file never says this.
    Idle,
    /// No frame will ever come again.
    End,
}

/// Where the pipeline's frames come from. Frames are lent, not returned: a reader
/// reuses its buffer for the next record, so a frame lives only for the `visit` call
/// (and no frame bytes are copied on the way to the pipeline).
pub trait FrameSource {
    /// Reads on until a frame has been handed to `visit`, or something else happens.
    /// After `End` or a fatal anomaly every call answers `End`.
    fn next(&mut self, visit: &mut dyn FnMut(&Frame<'_>)) -> ReadOutcome;

    /// Frames arrive while the capture runs (a live device): whoever batches the
    /// events must not hold them back waiting for more. A file is read whole.
    fn is_live(&self) -> bool {
        false
    }
}

/// So that a pipeline can also be built over a source chosen at run time.
impl<S: FrameSource + ?Sized> FrameSource for Box<S> {
    fn next(&mut self, visit: &mut dyn FnMut(&Frame<'_>)) -> ReadOutcome {
        (**self).next(visit)
    }

    fn is_live(&self) -> bool {
        (**self).is_live()
    }
}

/// Frames of one capture file, in file order.
pub struct FileSource {
    format: Format,
    eof: Arc<AtomicBool>,
    at: Position,
    done: bool,
}

enum Format {
    Pcap(pcap::PcapFile),
    PcapNg(pcapng::PcapNgFile),
}

/// How far a file has been read, kept for anomalies and pcapng's timeless blocks.
#[derive(Debug, Default)]
struct Position {
    /// Packet records read, including unusable ones.
    frames: u64,
    /// Time of the last frame read (0 before the first).
    last_time: i64,
}

/// What a format reader made of the next record.
enum Record {
    /// Handed to the visitor.
    Frame,
    /// A packet record that cannot be used: why (the reading goes on).
    Unusable(String),
    End,
}

/// A reader that remembers whether it reached the end of its input, so that a record
/// cut by the end of the file can be told from one longer than the read buffer.
struct EofReader {
    inner: Box<dyn Read + Send>,
    eof: Arc<AtomicBool>,
}

impl Read for EofReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.eof.store(true, Ordering::Relaxed);
        }
        Ok(n)
    }
}

impl FileSource {
    /// Opens a capture file, telling pcap from pcapng by its magic bytes.
    pub fn open(path: &Path) -> Result<FileSource, OpenError> {
        let file = std::fs::File::open(path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => OpenError::NotFound(path.to_path_buf()),
            _ => OpenError::Io(path.to_path_buf(), e),
        })?;
        Self::from_reader(Box::new(file)).map_err(|e| match e {
            FromReaderError::Io(e) => OpenError::Io(path.to_path_buf(), e),
            FromReaderError::NotACapture(why) => OpenError::NotACapture(path.to_path_buf(), why),
        })
    }

    /// Same as `open` over any byte stream (no seeking needed).
    pub fn from_reader(mut inner: Box<dyn Read + Send>) -> Result<FileSource, FromReaderError> {
        let mut magic = [0u8; 4];
        let mut got = 0;
        while got < 4 {
            match inner.read(&mut magic[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(FromReaderError::Io(e)),
            }
        }
        if got == 0 {
            return Err(FromReaderError::NotACapture("the file is empty".into()));
        }
        if got < 4 {
            return Err(FromReaderError::NotACapture(format!(
                "the file has only {got} bytes"
            )));
        }
        let eof = Arc::new(AtomicBool::new(false));
        let reader = EofReader {
            inner: Box::new(Cursor::new(magic).chain(inner)),
            eof: eof.clone(),
        };
        let format = match magic {
            [0xa1, 0xb2, 0xc3, 0xd4]
            | [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d]
            | [0x4d, 0x3c, 0xb2, 0xa1] => {
                Format::Pcap(pcap::PcapFile::new(reader).map_err(FromReaderError::NotACapture)?)
            }
            [0x0a, 0x0d, 0x0d, 0x0a] => Format::PcapNg(
                pcapng::PcapNgFile::new(reader).map_err(FromReaderError::NotACapture)?,
            ),
            [0xa1, 0xb2, 0xcd, 0x34] | [0x34, 0xcd, 0xb2, 0xa1] => {
                return Err(FromReaderError::NotACapture(
                    "modified (Kuznetzov) pcap format is not supported".into(),
                ))
            }
            [0x1f, 0x8b, _, _] => {
                return Err(FromReaderError::NotACapture(
                    "gzip-compressed; decompress it first".into(),
                ))
            }
            m => {
                return Err(FromReaderError::NotACapture(format!(
                    "unknown magic bytes {:02x} {:02x} {:02x} {:02x}",
                    m[0], m[1], m[2], m[3]
                )))
            }
        };
        Ok(FileSource {
            format,
            eof,
            at: Position::default(),
            done: false,
        })
    }

    /// The link type of every frame, when the format gives it before the first one
    /// (pcap); `None` for pcapng, whose interfaces come with its blocks.
    pub fn link_type(&self) -> Option<u32> {
        match &self.format {
            Format::Pcap(f) => Some(f.link_type()),
            Format::PcapNg(_) => None,
        }
    }

    /// Records read so far (packet records, including unusable ones).
    pub fn frames(&self) -> u64 {
        self.at.frames
    }

    /// The anomaly that ends reading after a format reader's error.
    fn fatal(&self, e: &PcapError) -> SourceAnomaly {
        let frames = self.at.frames;
        let (kind, detail) = match e {
            PcapError::IoError(io) if io.kind() == io::ErrorKind::UnexpectedEof => {
                if self.eof.load(Ordering::Relaxed) {
                    (
                        AnomalyKind::TruncatedRecord,
                        format!("the file ends inside the record after frame {frames}"),
                    )
                } else {
                    (
                        AnomalyKind::RecordTooLarge,
                        format!(
                            "the record after frame {frames} claims more than {READ_BUFFER_BYTES} bytes (corrupt length?); reading stops"
                        ),
                    )
                }
            }
            PcapError::IoError(_) => (AnomalyKind::ReadError, describe(e)),
            _ => (
                AnomalyKind::BadRecord,
                format!("{}; reading stops", describe(e)),
            ),
        };
        SourceAnomaly {
            frame: frames + 1,
            time_usec: self.at.last_time,
            kind,
            detail,
        }
    }
}

impl FrameSource for FileSource {
    /// Reads the next packet record; blocks that are not packets (interface
    /// descriptions, statistics...) are consumed on the way.
    fn next(&mut self, visit: &mut dyn FnMut(&Frame<'_>)) -> ReadOutcome {
        if self.done {
            return ReadOutcome::End;
        }
        let record = match &mut self.format {
            Format::Pcap(f) => f.next(&mut self.at, visit),
            Format::PcapNg(f) => f.next(&mut self.at, visit),
        };
        match record {
            Ok(Record::Frame) => ReadOutcome::Frame,
            Ok(Record::Unusable(detail)) => ReadOutcome::Anomaly {
                anomaly: SourceAnomaly {
                    frame: self.at.frames,
                    time_usec: self.at.last_time,
                    kind: AnomalyKind::BadRecord,
                    detail,
                },
                fatal: false,
            },
            Ok(Record::End) => {
                self.done = true;
                ReadOutcome::End
            }
            Err(e) => {
                self.done = true;
                ReadOutcome::Anomaly {
                    anomaly: self.fatal(&e),
                    fatal: true,
                }
            }
        }
    }
}

/// Why `from_reader` failed.
#[derive(Debug)]
pub enum FromReaderError {
    Io(io::Error),
    NotACapture(String),
}

fn describe(e: &PcapError) -> String {
    match e {
        PcapError::IoError(io) if io.kind() == io::ErrorKind::UnexpectedEof => {
            "the file ends too early".into()
        }
        PcapError::IoError(io) => io.to_string(),
        other => other.to_string(),
    }
}
