//! The signatures the typed tables check, gathered per event, so that a scan can have
//! those of the rows it is about to return checked on every core before the columns
//! ask (`protocol::crypto::verify_ahead`). A signature left out here is still checked,
//! on the scan's own thread, when its column asks.

use super::tables::blocks::{block_at, block_count};
use crate::capture::Event;
use crate::protocol::crypto::SignatureCheck;
use crate::protocol::{Payload, TelemetryAck};

/// Appends the checks behind `signature_valid` of the rows `ev` yields in
/// `nano_blocks`, `nano_votes` and `nano_telemetry` (node-id handshakes are checked
/// against their peer's cookie, which the event does not carry: left out).
pub fn checks(ev: &Event, out: &mut Vec<SignatureCheck>) {
    for row in 0..block_count(ev) {
        if let Some(c) = block_at(ev, row).and_then(|b| b.block.signature_check()) {
            out.push(c);
        }
    }
    if let Event::Message(m) = ev {
        match &m.payload {
            Ok(Payload::ConfirmAck(a)) => out.push(a.vote.signature_check()),
            Ok(Payload::TelemetryAck(TelemetryAck { data: Some(d) })) => {
                out.push(d.signature_check())
            }
            _ => {}
        }
    }
}
