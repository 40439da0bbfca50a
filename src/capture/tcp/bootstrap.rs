//! Legacy bootstrap streams (docs/protocol.md section 6): which headerless stream a request
//! calls for, and the state of one stream being read item by item.

use crate::capture::{PacketMeta, StreamItemEvent};
use crate::protocol::{Malformed, MessageType, Payload, StreamEntry, StreamKind};

/// A client request whose server stream has not been read yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// Message id of the request.
    pub id: u64,
    pub msg_type: u8,
    /// Network id of the request's header, given to its stream items.
    pub network: u16,
    pub first: StreamKind,
    /// bulk_pull_account flags (0 for the other requests).
    pub pending_flags: u8,
}

/// The stream the server sends back for a decoded request, if any: frontier_req →
/// frontiers, bulk_pull → blocks, bulk_pull_account → account frontier then pending
/// entries. bulk_push gets nothing back, and neither does a bulk_pull_account with
/// flags outside 0..2 (the server does not answer it).
pub fn server_stream_for(payload: &Payload) -> Option<(StreamKind, u8)> {
    match payload {
        Payload::FrontierReq(_) => Some((StreamKind::Frontiers, 0)),
        Payload::BulkPull(_) => Some((StreamKind::Blocks, 0)),
        Payload::BulkPullAccount(r) if r.flags <= 2 => Some((StreamKind::AccountFrontier, r.flags)),
        _ => None,
    }
}

/// One headerless stream being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveStream {
    pub request_id: u64,
    pub request_type: u8,
    /// Network id of the request's header.
    pub network: u16,
    pub kind: StreamKind,
    /// bulk_pull_account flags, for the entries after the account frontier.
    pub pending_flags: u8,
    /// Items read so far (valid and invalid).
    pub index: u64,
    pub valid: u64,
    pub invalid: u64,
}

impl ActiveStream {
    pub fn new(
        request_id: u64,
        request_type: u8,
        network: u16,
        kind: StreamKind,
        pending_flags: u8,
    ) -> Self {
        ActiveStream {
            request_id,
            request_type,
            network,
            kind,
            pending_flags,
            index: 0,
            valid: 0,
            invalid: 0,
        }
    }

    pub fn for_request(req: &Request) -> Self {
        ActiveStream::new(
            req.id,
            req.msg_type,
            req.network,
            req.first,
            req.pending_flags,
        )
    }

    /// After the first item of a bulk_pull_account answer, the pending entries follow.
    pub fn after_item(&mut self) {
        if self.kind == StreamKind::AccountFrontier {
            self.kind = StreamKind::Pending {
                flags: self.pending_flags,
            };
        }
    }

    /// The stream item event for the current `index`.
    pub fn item(&self, meta: PacketMeta, entry: Result<StreamEntry, Malformed>) -> StreamItemEvent {
        StreamItemEvent {
            meta,
            request_id: self.request_id,
            request_type: self.request_type,
            network: self.network,
            index: self.index,
            entry,
        }
    }

    /// "end of frontier_req" and so on, as in the original tool.
    pub fn end_event(&self) -> &'static str {
        end_event_name(self.request_type)
    }

    /// "valid: N, invalid: M", plus why the stream ended early when it did.
    pub fn end_detail(&self, note: Option<&str>) -> String {
        match note {
            None => format!("valid: {}, invalid: {}", self.valid, self.invalid),
            Some(n) => format!("valid: {}, invalid: {}; {n}", self.valid, self.invalid),
        }
    }
}

pub fn end_event_name(request_type: u8) -> &'static str {
    match MessageType::from_u8(request_type) {
        Some(MessageType::FrontierReq) => "end of frontier_req",
        Some(MessageType::BulkPull) => "end of bulk_pull",
        Some(MessageType::BulkPush) => "end of bulk_push",
        Some(MessageType::BulkPullAccount) => "end of bulk_pull_account",
        _ => "end of stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{BulkPullAccount, FrontierReq};

    #[test]
    fn streams_requested() {
        let fr = Payload::FrontierReq(FrontierReq {
            start: [0; 32],
            age: u32::MAX,
            count: u32::MAX,
            only_confirmed: false,
        });
        assert_eq!(server_stream_for(&fr), Some((StreamKind::Frontiers, 0)));
        assert_eq!(server_stream_for(&Payload::BulkPush), None);
        for (flags, expected) in [
            (0, Some((StreamKind::AccountFrontier, 0))),
            (2, Some((StreamKind::AccountFrontier, 2))),
            (3, None),
        ] {
            let p = Payload::BulkPullAccount(BulkPullAccount {
                account: [1; 32],
                minimum_amount: 0,
                flags,
            });
            assert_eq!(server_stream_for(&p), expected);
        }
    }

    #[test]
    fn account_frontier_is_followed_by_pending_entries_of_the_flags() {
        let mut s = ActiveStream::new(
            5,
            MessageType::BulkPullAccount.code(),
            crate::protocol::header::NET_DEV,
            StreamKind::AccountFrontier,
            1,
        );
        s.after_item();
        assert_eq!(s.kind, StreamKind::Pending { flags: 1 });
        s.after_item();
        assert_eq!(s.kind, StreamKind::Pending { flags: 1 });
        assert_eq!(s.end_event(), "end of bulk_pull_account");
        assert_eq!(s.end_detail(Some("reset")), "valid: 0, invalid: 0; reset");
    }
}
