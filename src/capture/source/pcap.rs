//! Classic pcap files: one link type for the whole file, µs or ns timestamps, either
//! byte order (pcap-file reads the records, lending each from its buffer).

use super::{describe, EofReader, Frame, Position, Record};
use pcap_file::pcap::PcapReader;
use pcap_file::{PcapError, TsResolution};
use std::borrow::Cow;

pub(super) struct PcapFile {
    reader: PcapReader<EofReader>,
    link_type: u32,
    nanos: bool,
}

impl PcapFile {
    /// Reads the file header; the error says why this is no pcap file.
    pub(super) fn new(reader: EofReader) -> Result<Self, String> {
        let reader = PcapReader::new(reader)
            .map_err(|e| format!("bad pcap file header: {}", describe(&e)))?;
        let header = reader.header();
        Ok(PcapFile {
            link_type: u32::from(header.datalink),
            nanos: header.ts_resolution == TsResolution::NanoSecond,
            reader,
        })
    }

    pub(super) fn link_type(&self) -> u32 {
        self.link_type
    }

    pub(super) fn next(
        &mut self,
        at: &mut Position,
        visit: &mut dyn FnMut(&Frame<'_>),
    ) -> Result<Record, PcapError> {
        let raw = match self.reader.next_raw_packet() {
            None => return Ok(Record::End),
            Some(raw) => raw?,
        };
        at.frames += 1;
        let frac = i64::from(raw.ts_frac);
        let sub = if self.nanos { frac / 1000 } else { frac };
        let time_usec = i64::from(raw.ts_sec) * 1_000_000 + sub;
        at.last_time = time_usec;
        match raw.data {
            Cow::Borrowed(data) => {
                visit(&Frame {
                    number: at.frames,
                    time_usec,
                    link_type: self.link_type,
                    data,
                    orig_len: raw.orig_len,
                });
                Ok(Record::Frame)
            }
            // pcap-file's reader always lends its buffer; an owned copy cannot occur.
            Cow::Owned(_) => Ok(Record::Unusable(
                "record data not borrowed from the read buffer".into(),
            )),
        }
    }
}
