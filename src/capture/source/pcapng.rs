//! pcapng files: sections with their own byte order, several interfaces each with its
//! link type, snaplen, timestamp resolution and offset; Enhanced, Simple and obsolete
//! Packet blocks. pcap-file splits the blocks; the packet blocks are decoded here, because
//! pcap-file does not apply if_tsresol and if_tsoffset to timestamps.

use super::{describe, EofReader, Frame, Position, Record};
use crate::protocol::endian::{u16_at, u32_at, u64_at};
use pcap_file::pcapng::PcapNgReader;
use pcap_file::PcapError;
use std::borrow::Cow;

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const PACKET_BLOCK: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;

#[derive(Debug, Clone, Copy)]
struct Interface {
    link_type: u32,
    snaplen: u32,
    /// if_tsresol: bit 7 clear = 10^-n s, set = 2^-n s.
    tsresol: u8,
    /// if_tsoffset in seconds.
    tsoffset: i64,
}

pub(super) struct PcapNgFile {
    reader: PcapNgReader<EofReader>,
    /// Byte order of the current section.
    big_endian: bool,
    /// The current section's interfaces, by index.
    interfaces: Vec<Interface>,
}

impl PcapNgFile {
    /// Reads the first section header; the error says why this is no pcapng file.
    pub(super) fn new(reader: EofReader) -> Result<Self, String> {
        let reader = PcapNgReader::new(reader)
            .map_err(|e| format!("bad pcapng section header: {}", describe(&e)))?;
        let big_endian = reader.section().endianness == pcap_file::Endianness::Big;
        Ok(PcapNgFile {
            reader,
            big_endian,
            interfaces: Vec::new(),
        })
    }

    /// Reads blocks up to the next packet block.
    pub(super) fn next(
        &mut self,
        at: &mut Position,
        visit: &mut dyn FnMut(&Frame<'_>),
    ) -> Result<Record, PcapError> {
        loop {
            let block = match self.reader.next_raw_block() {
                None => return Ok(Record::End),
                Some(block) => block?,
            };
            let body: &[u8] = match &block.body {
                Cow::Borrowed(b) => b,
                Cow::Owned(b) => b,
            };
            let big = self.big_endian;
            match block.type_ {
                SHB => {
                    // A new section: its own byte order, its own interfaces.
                    self.big_endian = body.get(..4) == Some(&[0x1a, 0x2b, 0x3c, 0x4d][..]);
                    self.interfaces.clear();
                }
                IDB => self.interfaces.push(parse_idb(body, big)),
                EPB | PACKET_BLOCK | SPB => {
                    at.frames += 1;
                    let packet = match block.type_ {
                        EPB => parse_epb(body, big, &self.interfaces),
                        PACKET_BLOCK => parse_pb(body, big, &self.interfaces),
                        _ => parse_spb(body, big, &self.interfaces, at.last_time),
                    };
                    return match packet {
                        Ok((link_type, time_usec, data, orig_len)) => {
                            at.last_time = time_usec;
                            visit(&Frame {
                                number: at.frames,
                                time_usec,
                                link_type,
                                data: body.get(data).unwrap_or(&[]),
                                orig_len,
                            });
                            Ok(Record::Frame)
                        }
                        Err(why) => Ok(Record::Unusable(why)),
                    };
                }
                // Statistics, name resolution, journal, custom blocks: nothing to read.
                _ => {}
            }
        }
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
