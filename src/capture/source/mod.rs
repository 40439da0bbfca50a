//! Frame source over a capture file: pcap (µs/ns, either byte order) or pcapng (several
//! interfaces and link types, per-interface timestamp resolution and offset, Enhanced,
//! Simple and obsolete Packet blocks), read in a bounded buffer by pcap-file.

use super::pipeline::OpenError;
use super::AnomalyKind;
use crate::protocol::endian::{u16_at, u32_at, u64_at};
use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::PcapNgReader;
use pcap_file::{PcapError, TsResolution};
use std::borrow::Cow;
use std::io::{self, Cursor, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// pcap-file's readers buffer this much (their fixed 8 MB); a record claiming more can
/// never be read and ends the capture with an anomaly instead of an allocation.
pub const READ_BUFFER_BYTES: usize = 8_000_000;

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const PACKET_BLOCK: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;

/// One captured frame, borrowed from the reader's buffer.
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

/// A problem with the file itself, reported as an anomaly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceAnomaly {
    /// The record concerned (for a cut-off file: the number the cut record would have).
    pub frame: u64,
    /// Time of the last good record.
    pub time_usec: i64,
    /// TruncatedRecord, RecordTooLarge, BadRecord or ReadError.
    pub kind: AnomalyKind,
    pub detail: String,
}

/// What `FrameSource::next` did.
#[derive(Debug)]
pub enum ReadOutcome {
    /// A frame was handed to the visitor.
    Frame,
    /// A record could not be used; when `fatal`, nothing more will be read.
    Anomaly { anomaly: SourceAnomaly, fatal: bool },
    /// End of the capture.
    End,
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    link_type: u32,
    snaplen: u32,
    /// if_tsresol: bit 7 clear = 10^-n s, set = 2^-n s.
    tsresol: u8,
    /// if_tsoffset in seconds.
    tsoffset: i64,
}

enum Format {
    Pcap {
        reader: PcapReader<EofReader>,
        link_type: u32,
        nanos: bool,
    },
    PcapNg {
        reader: PcapNgReader<EofReader>,
        big_endian: bool,
        interfaces: Vec<Interface>,
    },
}

/// Frames of one capture file, in file order.
pub struct FrameSource {
    format: Format,
    eof: Arc<AtomicBool>,
    frames: u64,
    last_time: i64,
    done: bool,
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

impl FrameSource {
    /// Opens a capture file, telling pcap from pcapng by its magic bytes.
    pub fn open(path: &Path) -> Result<FrameSource, OpenError> {
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
    pub fn from_reader(mut inner: Box<dyn Read + Send>) -> Result<FrameSource, FromReaderError> {
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
                let reader = PcapReader::new(reader).map_err(|e| {
                    FromReaderError::NotACapture(format!("bad pcap file header: {}", describe(&e)))
                })?;
                let header = reader.header();
                Format::Pcap {
                    link_type: u32::from(header.datalink),
                    nanos: header.ts_resolution == TsResolution::NanoSecond,
                    reader,
                }
            }
            [0x0a, 0x0d, 0x0d, 0x0a] => {
                let reader = PcapNgReader::new(reader).map_err(|e| {
                    FromReaderError::NotACapture(format!(
                        "bad pcapng section header: {}",
                        describe(&e)
                    ))
                })?;
                let big_endian = reader.section().endianness == pcap_file::Endianness::Big;
                Format::PcapNg {
                    reader,
                    big_endian,
                    interfaces: Vec::new(),
                }
            }
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
        Ok(FrameSource {
            format,
            eof,
            frames: 0,
            last_time: 0,
            done: false,
        })
    }

    /// Records read so far (packet records, including unusable ones).
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Reads the next frame and hands it to `visit` (borrowed: no copy). Blocks that are
    /// not packets (interface descriptions, statistics...) are consumed on the way.
    pub fn next(&mut self, visit: impl FnOnce(Frame<'_>)) -> ReadOutcome {
        if self.done {
            return ReadOutcome::End;
        }
        let result = match &mut self.format {
            Format::Pcap {
                reader,
                link_type,
                nanos,
            } => match reader.next_raw_packet() {
                None => Ok(None),
                Some(Err(e)) => Err(e),
                Some(Ok(raw)) => {
                    self.frames += 1;
                    let frac = i64::from(raw.ts_frac);
                    let sub = if *nanos { frac / 1000 } else { frac };
                    let time_usec = i64::from(raw.ts_sec) * 1_000_000 + sub;
                    self.last_time = time_usec;
                    match raw.data {
                        Cow::Borrowed(data) => {
                            visit(Frame {
                                number: self.frames,
                                time_usec,
                                link_type: *link_type,
                                data,
                                orig_len: raw.orig_len,
                            });
                            Ok(Some(None))
                        }
                        // pcap-file's reader always lends its buffer; an owned copy cannot occur.
                        Cow::Owned(_) => Ok(Some(Some((
                            AnomalyKind::BadRecord,
                            "record data not borrowed from the read buffer".into(),
                        )))),
                    }
                }
            },
            Format::PcapNg {
                reader,
                big_endian,
                interfaces,
            } => loop {
                let block = match reader.next_raw_block() {
                    None => break Ok(None),
                    Some(Err(e)) => break Err(e),
                    Some(Ok(b)) => b,
                };
                let body: &[u8] = match &block.body {
                    Cow::Borrowed(b) => b,
                    Cow::Owned(b) => b,
                };
                match block.type_ {
                    SHB => {
                        // A new section: its own byte order, its own interfaces.
                        *big_endian = body.get(..4) == Some(&[0x1a, 0x2b, 0x3c, 0x4d][..]);
                        interfaces.clear();
                    }
                    IDB => interfaces.push(parse_idb(body, *big_endian)),
                    EPB | PACKET_BLOCK | SPB => {
                        self.frames += 1;
                        let packet = match block.type_ {
                            EPB => parse_epb(body, *big_endian, interfaces),
                            PACKET_BLOCK => parse_pb(body, *big_endian, interfaces),
                            _ => parse_spb(body, *big_endian, interfaces, self.last_time),
                        };
                        match packet {
                            Ok((link_type, time_usec, data, orig_len)) => {
                                self.last_time = time_usec;
                                let data = body.get(data).unwrap_or(&[]);
                                visit(Frame {
                                    number: self.frames,
                                    time_usec,
                                    link_type,
                                    data,
                                    orig_len,
                                });
                                break Ok(Some(None));
                            }
                            Err(why) => break Ok(Some(Some((AnomalyKind::BadRecord, why)))),
                        }
                    }
                    // Statistics, name resolution, journal, custom blocks: nothing to read.
                    _ => {}
                }
            },
        };
        match result {
            Ok(None) => {
                self.done = true;
                ReadOutcome::End
            }
            Ok(Some(None)) => ReadOutcome::Frame,
            Ok(Some(Some((kind, detail)))) => ReadOutcome::Anomaly {
                anomaly: SourceAnomaly {
                    frame: self.frames,
                    time_usec: self.last_time,
                    kind,
                    detail,
                },
                fatal: false,
            },
            Err(e) => {
                self.done = true;
                let record = self.frames + 1;
                let (kind, detail) = match &e {
                    PcapError::IoError(io) if io.kind() == io::ErrorKind::UnexpectedEof => {
                        if self.eof.load(Ordering::Relaxed) {
                            (
                                AnomalyKind::TruncatedRecord,
                                format!(
                                    "the file ends inside the record after frame {}",
                                    self.frames
                                ),
                            )
                        } else {
                            (
                                AnomalyKind::RecordTooLarge,
                                format!(
                                    "the record after frame {} claims more than {} bytes (corrupt length?); reading stops",
                                    self.frames, READ_BUFFER_BYTES
                                ),
                            )
                        }
                    }
                    PcapError::IoError(_) => (AnomalyKind::ReadError, describe(&e)),
                    _ => (
                        AnomalyKind::BadRecord,
                        format!("{}; reading stops", describe(&e)),
                    ),
                };
                ReadOutcome::Anomaly {
                    anomaly: SourceAnomaly {
                        frame: record,
                        time_usec: self.last_time,
                        kind,
                        detail,
                    },
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

/// Interface Description Block body: link type(2) reserved(2) snaplen(4) options.
/// pcap-file has already validated the block; the options read here are if_tsresol (9)
/// and if_tsoffset (14), which pcap-file parses but does not apply to timestamps.
fn parse_idb(body: &[u8], big: bool) -> Interface {
    let mut iface = Interface {
        link_type: u32::from(u16_at(body, 0, big).unwrap_or(0)),
        snaplen: u32_at(body, 4, big).unwrap_or(0),
        tsresol: 6,
        tsoffset: 0,
    };
    let mut at = 8;
    while let (Some(code), Some(len)) = (u16_at(body, at, big), u16_at(body, at + 2, big)) {
        let len = usize::from(len);
        let value = body.get(at + 4..at + 4 + len).unwrap_or(&[]);
        match (code, value.len()) {
            (0, _) => break,
            (9, 1) => iface.tsresol = value[0],
            (14, 8) => iface.tsoffset = u64_at(value, 0, big).unwrap_or(0) as i64,
            _ => {}
        }
        at += 4 + len.div_ceil(4) * 4;
    }
    iface
}

/// (link type, time, data range within the body, original length) of a packet block.
type Packet = (u32, i64, std::ops::Range<usize>, u32);

/// Enhanced Packet Block body: interface(4) ts high(4) ts low(4) caplen(4) origlen(4) data.
fn parse_epb(body: &[u8], big: bool, ifaces: &[Interface]) -> Result<Packet, String> {
    let fields = (
        u32_at(body, 0, big),
        u32_at(body, 4, big),
        u32_at(body, 8, big),
        u32_at(body, 12, big),
        u32_at(body, 16, big),
    );
    let (Some(iface), Some(hi), Some(lo), Some(caplen), Some(orig)) = fields else {
        return Err("enhanced packet block shorter than its fixed fields".into());
    };
    packet(body, 20, iface, hi, lo, caplen, orig, ifaces)
}

/// Obsolete Packet Block body: interface(2) drops(2) ts high(4) ts low(4) caplen(4)
/// origlen(4) data.
fn parse_pb(body: &[u8], big: bool, ifaces: &[Interface]) -> Result<Packet, String> {
    let fields = (
        u16_at(body, 0, big),
        u32_at(body, 4, big),
        u32_at(body, 8, big),
        u32_at(body, 12, big),
        u32_at(body, 16, big),
    );
    let (Some(iface), Some(hi), Some(lo), Some(caplen), Some(orig)) = fields else {
        return Err("packet block shorter than its fixed fields".into());
    };
    packet(body, 20, u32::from(iface), hi, lo, caplen, orig, ifaces)
}

#[allow(clippy::too_many_arguments)]
fn packet(
    body: &[u8],
    data_at: usize,
    iface: u32,
    hi: u32,
    lo: u32,
    caplen: u32,
    orig: u32,
    ifaces: &[Interface],
) -> Result<Packet, String> {
    let Some(i) = ifaces.get(iface as usize) else {
        return Err(format!(
            "packet on interface {iface}, which no block describes"
        ));
    };
    let end = data_at.saturating_add(caplen as usize);
    if end > body.len() {
        return Err(format!(
            "captured length {caplen} runs past the end of its block"
        ));
    }
    let units = (u64::from(hi) << 32) | u64::from(lo);
    let time = units_to_usec(units, i.tsresol).saturating_add(i.tsoffset.saturating_mul(1_000_000));
    Ok((i.link_type, time, data_at..end, orig))
}

/// Simple Packet Block body: origlen(4) data. Always interface 0; the captured length
/// is the original length cut to the snaplen. It has no timestamp, so it takes the
/// previous frame's time (keeps capture time monotonic for timeouts).
fn parse_spb(
    body: &[u8],
    big: bool,
    ifaces: &[Interface],
    last_time: i64,
) -> Result<Packet, String> {
    let Some(orig) = u32_at(body, 0, big) else {
        return Err("simple packet block shorter than its fixed field".into());
    };
    let Some(i) = ifaces.first() else {
        return Err("simple packet block before any interface description".into());
    };
    let mut len = (orig as usize).min(body.len() - 4);
    if i.snaplen != 0 {
        len = len.min(i.snaplen as usize);
    }
    Ok((i.link_type, last_time, 4..4 + len, orig))
}

/// Timestamp units to microseconds for an if_tsresol value (bit 7 clear: 10^-n s,
/// set: 2^-n s; the default 6 is microseconds). Saturates instead of overflowing.
pub fn units_to_usec(units: u64, tsresol: u8) -> i64 {
    let exp = u32::from(tsresol & 0x7f);
    let usec: u128 = if tsresol & 0x80 == 0 {
        if exp <= 6 {
            u128::from(units) * 10u128.pow(6 - exp)
        } else if exp - 6 <= 38 {
            u128::from(units) / 10u128.pow(exp - 6)
        } else {
            0
        }
    } else {
        (u128::from(units) * 1_000_000) >> exp
    };
    i64::try_from(usec).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsresol_conversion() {
        assert_eq!(units_to_usec(1_500_000, 6), 1_500_000);
        assert_eq!(units_to_usec(1_500_000_123, 9), 1_500_000);
        assert_eq!(units_to_usec(15, 1), 1_500_000);
        assert_eq!(units_to_usec(3, 0), 3_000_000);
        // 2^-10 s units: 1024 units = 1 s; 512 units = 0.5 s.
        assert_eq!(units_to_usec(1024, 0x80 | 10), 1_000_000);
        assert_eq!(units_to_usec(512, 0x80 | 10), 500_000);
        // 2^-20: 1 unit = 0.95 µs, floored.
        assert_eq!(units_to_usec(1, 0x80 | 20), 0);
        assert_eq!(units_to_usec(u64::MAX, 127), 0);
        assert_eq!(units_to_usec(u64::MAX, 0), i64::MAX);
        assert_eq!(units_to_usec(u64::MAX, 0x80 | 127), 0);
    }

    #[test]
    fn idb_options() {
        // Little-endian: link type 113, snaplen 262144, if_name "lo" (padded), if_tsresol 9,
        // if_tsoffset 100, end of options.
        let mut b = vec![113, 0, 0, 0, 0, 0, 4, 0];
        b.extend_from_slice(&[2, 0, 2, 0, b'l', b'o', 0, 0]);
        b.extend_from_slice(&[9, 0, 1, 0, 9, 0, 0, 0]);
        b.extend_from_slice(&[14, 0, 8, 0, 100, 0, 0, 0, 0, 0, 0, 0]);
        b.extend_from_slice(&[0, 0, 0, 0]);
        let i = parse_idb(&b, false);
        assert_eq!(i.link_type, 113);
        assert_eq!(i.snaplen, 262_144);
        assert_eq!(i.tsresol, 9);
        assert_eq!(i.tsoffset, 100);
        // Garbage options do not panic.
        let i = parse_idb(&[1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0xff, 0xff, 1], false);
        assert_eq!(i.tsresol, 6);
    }
}
