//! Legacy bootstrap streams (docs/protocol.md section 6): which headerless stream a request
//! calls for, and the state of one stream being read item by item.

use crate::capture::{ConnectionEventKind, PacketMeta, StreamItemEvent, StreamRequest};
use crate::protocol::{Malformed, Payload, StreamEntry, StreamKind};

/// A client request whose server stream has not been read yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// Message id of the request.
    pub id: u64,
    pub request: StreamRequest,
    /// Network id of the request's header, given to its stream items.
    pub network: u16,
    pub first: StreamKind,
    /// bulk_pull_account flags (0 for the other requests).
    pub pending_flags: u8,
}

/// What a client's message calls for in the headerless streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// No stream: not a bootstrap request, or one the server does not answer.
    Nothing,
    /// bulk_push: the client's own direction now carries a block stream.
    ClientStream,
    /// The server sends back a stream that starts with items of kind `first`.
    ServerStream {
        request: StreamRequest,
        first: StreamKind,
        pending_flags: u8,
    },
}

/// The stream a decoded client message calls for: frontier_req → frontiers, bulk_pull and
/// bulk_pull_blocks → blocks, bulk_pull_account → account frontier then pending entries,
/// bulk_push → the client's blocks. A bulk_pull_account with flags outside 0..2 gets nothing back (the
/// server does not answer it).
pub fn stream_for(payload: &Payload) -> Answer {
    let server = |request, first, pending_flags| Answer::ServerStream {
        request,
        first,
        pending_flags,
    };
    match payload {
        Payload::FrontierReq(_) => server(StreamRequest::FrontierReq, StreamKind::Frontiers, 0),
        Payload::BulkPull(_) => server(StreamRequest::BulkPull, StreamKind::Blocks, 0),
        // Both modes: a list-mode server sends blocks, the V15–V17 servers answer every
        // mode with the terminator alone (docs/protocol.md section 6.2.1).
        Payload::BulkPullBlocks(_) => server(StreamRequest::BulkPullBlocks, StreamKind::Blocks, 0),
        Payload::BulkPullAccount(r) if r.flags <= 2 => server(
            StreamRequest::BulkPullAccount,
            StreamKind::AccountFrontier,
            r.flags,
        ),
        Payload::BulkPush => Answer::ClientStream,
        _ => Answer::Nothing,
    }
}

/// One headerless stream being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveStream {
    pub request_id: u64,
    pub request_type: StreamRequest,
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
        request_type: StreamRequest,
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
            req.request,
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
    pub fn end_event(&self) -> ConnectionEventKind {
        ConnectionEventKind::EndOfStream(self.request_type)
    }

    /// "valid: N, invalid: M", plus why the stream ended early when it did.
    pub fn end_detail(&self, note: Option<&str>) -> String {
        match note {
            None => format!("valid: {}, invalid: {}", self.valid, self.invalid),
            Some(n) => format!("valid: {}, invalid: {}; {n}", self.valid, self.invalid),
        }
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
        let server = |request, first, pending_flags| Answer::ServerStream {
            request,
            first,
            pending_flags,
        };
        assert_eq!(
            stream_for(&fr),
            server(StreamRequest::FrontierReq, StreamKind::Frontiers, 0)
        );
        assert_eq!(stream_for(&Payload::BulkPush), Answer::ClientStream);
        assert_eq!(stream_for(&Payload::TelemetryReq), Answer::Nothing);
        let account = StreamRequest::BulkPullAccount;
        for (flags, expected) in [
            (0, server(account, StreamKind::AccountFrontier, 0)),
            (2, server(account, StreamKind::AccountFrontier, 2)),
            (3, Answer::Nothing),
        ] {
            let p = Payload::BulkPullAccount(BulkPullAccount {
                account: [1; 32],
                minimum_amount: 0,
                flags,
            });
            assert_eq!(stream_for(&p), expected);
        }
    }

    #[test]
    fn account_frontier_is_followed_by_pending_entries_of_the_flags() {
        let mut s = ActiveStream::new(
            5,
            StreamRequest::BulkPullAccount,
            crate::protocol::header::NET_DEV,
            StreamKind::AccountFrontier,
            1,
        );
        s.after_item();
        assert_eq!(s.kind, StreamKind::Pending { flags: 1 });
        s.after_item();
        assert_eq!(s.kind, StreamKind::Pending { flags: 1 });
        assert_eq!(s.end_event().as_str(), "end of bulk_pull_account");
        assert_eq!(s.end_detail(Some("reset")), "valid: 0, invalid: 0; reset");
    }
}
