//! pcap (µs and ns magic, both byte orders) and pcapng (one interface per link type,
//! nanosecond if_tsresol on every second interface) writers, streaming to any `Write`.

use std::io::{self, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pcap { nanos: bool, big_endian: bool },
    PcapNg,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Pcap { .. } => "pcap",
            Format::PcapNg => "pcapng",
        }
    }

    pub fn big_endian(self) -> bool {
        matches!(
            self,
            Format::Pcap {
                big_endian: true,
                ..
            }
        )
    }
}

/// Writes records as they come; only the last record is held back, so that it can be
/// cut off to make a truncated file.
pub struct CaptureWriter<W: Write> {
    out: W,
    format: Format,
    /// pcapng: (dlt, nanosecond resolution) per interface id.
    interfaces: Vec<(u16, bool)>,
    /// pcap: the single link type, fixed by the first record.
    pcap_dlt: Option<u16>,
    pending: Option<Vec<u8>>,
    pub truncate_last: bool,
    records: u64,
}

const SNAPLEN: u32 = 262_144;

impl<W: Write> CaptureWriter<W> {
    pub fn new(mut out: W, format: Format) -> io::Result<Self> {
        if format == Format::PcapNg {
            // Section header block, little-endian, section length unknown (-1).
            let mut b = Vec::with_capacity(28);
            b.extend_from_slice(&0x0A0D_0D0Au32.to_le_bytes());
            b.extend_from_slice(&28u32.to_le_bytes());
            b.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
            b.extend_from_slice(&1u16.to_le_bytes());
            b.extend_from_slice(&0u16.to_le_bytes());
            b.extend_from_slice(&(-1i64).to_le_bytes());
            b.extend_from_slice(&28u32.to_le_bytes());
            out.write_all(&b)?;
        }
        Ok(CaptureWriter {
            out,
            format,
            interfaces: Vec::new(),
            pcap_dlt: None,
            pending: None,
            truncate_last: false,
            records: 0,
        })
    }

    pub fn format(&self) -> Format {
        self.format
    }

    pub fn records(&self) -> u64 {
        self.records
    }

    fn u32b(&self, v: u32) -> [u8; 4] {
        if self.format.big_endian() {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    fn pcap_header(&mut self, dlt: u16) -> io::Result<()> {
        let Format::Pcap { nanos, .. } = self.format else {
            return Ok(());
        };
        let magic = if nanos { 0xA1B2_3C4D } else { 0xA1B2_C3D4 };
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&self.u32b(magic));
        let (maj, min) = if self.format.big_endian() {
            (2u16.to_be_bytes(), 4u16.to_be_bytes())
        } else {
            (2u16.to_le_bytes(), 4u16.to_le_bytes())
        };
        h.extend_from_slice(&maj);
        h.extend_from_slice(&min);
        h.extend_from_slice(&[0; 8]);
        h.extend_from_slice(&self.u32b(SNAPLEN));
        h.extend_from_slice(&self.u32b(dlt as u32));
        self.out.write_all(&h)
    }

    fn interface_for(&mut self, dlt: u16) -> io::Result<u32> {
        if let Some(i) = self.interfaces.iter().position(|(d, _)| *d == dlt) {
            return Ok(i as u32);
        }
        let nanos = self.interfaces.len() % 2 == 1;
        let mut b = Vec::with_capacity(32);
        let len: u32 = if nanos { 32 } else { 20 };
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(&dlt.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&SNAPLEN.to_le_bytes());
        if nanos {
            // if_tsresol = 10^-9, then opt_endofopt.
            b.extend_from_slice(&9u16.to_le_bytes());
            b.extend_from_slice(&1u16.to_le_bytes());
            b.extend_from_slice(&[9, 0, 0, 0]);
            b.extend_from_slice(&[0, 0, 0, 0]);
        }
        b.extend_from_slice(&len.to_le_bytes());
        self.flush_pending()?;
        self.out.write_all(&b)?;
        self.interfaces.push((dlt, nanos));
        Ok((self.interfaces.len() - 1) as u32)
    }

    fn flush_pending(&mut self) -> io::Result<()> {
        if let Some(p) = self.pending.take() {
            self.out.write_all(&p)?;
        }
        Ok(())
    }

    /// Writes one record; returns its 1-based record number.
    pub fn write(&mut self, dlt: u16, time_ns: u64, frame: &[u8]) -> io::Result<u64> {
        let sec = (time_ns / 1_000_000_000) as u32;
        let rec = match self.format {
            Format::Pcap { nanos, .. } => {
                match self.pcap_dlt {
                    None => {
                        self.pcap_header(dlt)?;
                        self.pcap_dlt = Some(dlt);
                    }
                    Some(d) if d != dlt => {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidInput,
                            format!("pcap holds one link type ({d}); use pcapng for link {dlt}"),
                        ))
                    }
                    Some(_) => {}
                }
                let frac = if nanos {
                    (time_ns % 1_000_000_000) as u32
                } else {
                    ((time_ns % 1_000_000_000) / 1000) as u32
                };
                let mut r = Vec::with_capacity(16 + frame.len());
                r.extend_from_slice(&self.u32b(sec));
                r.extend_from_slice(&self.u32b(frac));
                r.extend_from_slice(&self.u32b(frame.len() as u32));
                r.extend_from_slice(&self.u32b(frame.len() as u32));
                r.extend_from_slice(frame);
                r
            }
            Format::PcapNg => {
                let ifid = self.interface_for(dlt)?;
                let ts = if self.interfaces[ifid as usize].1 {
                    time_ns
                } else {
                    time_ns / 1000
                };
                let padded = frame.len().div_ceil(4) * 4;
                let len = (32 + padded) as u32;
                let mut r = Vec::with_capacity(len as usize);
                r.extend_from_slice(&6u32.to_le_bytes());
                r.extend_from_slice(&len.to_le_bytes());
                r.extend_from_slice(&ifid.to_le_bytes());
                r.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
                r.extend_from_slice(&(ts as u32).to_le_bytes());
                r.extend_from_slice(&(frame.len() as u32).to_le_bytes());
                r.extend_from_slice(&(frame.len() as u32).to_le_bytes());
                r.extend_from_slice(frame);
                r.resize(28 + padded, 0);
                r.extend_from_slice(&len.to_le_bytes());
                r
            }
        };
        self.flush_pending()?;
        self.pending = Some(rec);
        self.records += 1;
        Ok(self.records)
    }

    /// Writes the held-back record (cut in the middle if `truncate_last`) and returns
    /// the output.
    pub fn finish(mut self) -> io::Result<W> {
        if self.pcap_dlt.is_none() && matches!(self.format, Format::Pcap { .. }) {
            self.pcap_header(1)?;
        }
        if let Some(p) = self.pending.take() {
            let cut = if self.truncate_last {
                p.len() / 2
            } else {
                p.len()
            };
            self.out.write_all(&p[..cut])?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}
