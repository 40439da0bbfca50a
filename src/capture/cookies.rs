//! node_id_handshake cookie memory: the query cookie endpoint A sent to endpoint B,
//! kept (bounded, oldest forgotten first) so that B's response to A, which signs it,
//! can carry it as `peer_cookie`.

use super::{Event, MessageEvent};
use crate::protocol::{MessageType, Payload};
use foldhash::{HashMap, HashMapExt};
use std::collections::VecDeque;
use std::net::IpAddr;

type Endpoint = (IpAddr, u16);
/// (query sender, query receiver).
type Direction = (Endpoint, Endpoint);

#[derive(Debug)]
pub struct CookieMemory {
    capacity: usize,
    /// Cookie and the insertion number that put it there.
    cookies: HashMap<Direction, ([u8; 32], u64)>,
    /// Insertion order; stale entries (overwritten since) are skipped on eviction.
    order: VecDeque<(Direction, u64)>,
    inserted: u64,
}

impl CookieMemory {
    pub fn new(capacity: usize) -> Self {
        CookieMemory {
            capacity: capacity.max(1),
            cookies: HashMap::new(),
            order: VecDeque::new(),
            inserted: 0,
        }
    }

    /// Fills `peer_cookie` of a handshake response from the cookie its receiver sent
    /// earlier, then remembers the message's own query cookie. Other messages pass.
    pub fn on_message(&mut self, m: &mut MessageEvent) {
        if m.header.message_type() != Some(MessageType::NodeIdHandshake) {
            return;
        }
        let Ok(Payload::NodeIdHandshake(h)) = &m.payload else {
            return;
        };
        let me = (m.meta.src_ip, m.meta.src_port);
        let peer = (m.meta.dst_ip, m.meta.dst_port);
        // The response answers the query the peer sent to this sender.
        if h.response.is_some() && m.peer_cookie.is_none() {
            m.peer_cookie = self.cookies.get(&(peer, me)).map(|(c, _)| *c);
        }
        if let Some(cookie) = h.query {
            self.remember((me, peer), cookie);
        }
    }

    /// Applies `on_message` to every message event of `events`.
    pub fn on_events<'a>(&mut self, events: impl Iterator<Item = &'a mut Event>) {
        for e in events {
            if let Event::Message(m) = e {
                self.on_message(m);
            }
        }
    }

    fn remember(&mut self, dir: Direction, cookie: [u8; 32]) {
        self.inserted += 1;
        self.cookies.insert(dir, (cookie, self.inserted));
        self.order.push_back((dir, self.inserted));
        while self.cookies.len() > self.capacity {
            let Some((old, n)) = self.order.pop_front() else {
                break;
            };
            if self.cookies.get(&old).is_some_and(|(_, m)| *m == n) {
                self.cookies.remove(&old);
            }
        }
        // Overwrites leave stale order entries behind; drop them before they pile up.
        if self.order.len() > 2 * self.capacity {
            let cookies = &self.cookies;
            self.order
                .retain(|(d, n)| cookies.get(d).is_some_and(|(_, m)| m == n));
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.cookies.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{PacketMeta, Transport};
    use crate::protocol::{HandshakeResponse, Header, NodeIdHandshake};

    fn handshake(src: &str, dst: &str, query: Option<[u8; 32]>, response: bool) -> MessageEvent {
        let (s, d): (IpAddr, IpAddr) = (src.parse().unwrap(), dst.parse().unwrap());
        MessageEvent {
            id: 1,
            meta: PacketMeta {
                frame: 1,
                time_usec: 0,
                transport: Transport::Udp,
                ipv: 4,
                src_ip: s,
                src_port: 7075,
                dst_ip: d,
                dst_port: 7075,
                flow_key: 0,
            },
            header: Header {
                network: crate::protocol::header::NET_DEV,
                version_max: 0x15,
                version_using: 0x15,
                version_min: 0x14,
                msg_type: MessageType::NodeIdHandshake.code(),
                extensions: 0,
            },
            size: 0,
            payload: Ok(Payload::NodeIdHandshake(NodeIdHandshake {
                query,
                response: response.then_some(HandshakeResponse {
                    node_id: [0; 32],
                    v2: None,
                    signature: [0; 64],
                }),
                v2: false,
            })),
            peer_cookie: None,
        }
    }

    #[test]
    fn response_gets_the_cookie_its_receiver_sent() {
        let mut c = CookieMemory::new(16);
        let mut q = handshake("10.0.0.1", "10.0.0.2", Some([1; 32]), false);
        c.on_message(&mut q);
        assert_eq!(q.peer_cookie, None);
        // B answers A with its own query too.
        let mut r = handshake("10.0.0.2", "10.0.0.1", Some([2; 32]), true);
        c.on_message(&mut r);
        assert_eq!(r.peer_cookie, Some([1; 32]));
        // A's response to B signs B's cookie.
        let mut r2 = handshake("10.0.0.1", "10.0.0.2", None, true);
        c.on_message(&mut r2);
        assert_eq!(r2.peer_cookie, Some([2; 32]));
        // A third party's response finds nothing.
        let mut r3 = handshake("10.0.0.3", "10.0.0.1", None, true);
        c.on_message(&mut r3);
        assert_eq!(r3.peer_cookie, None);
    }

    #[test]
    fn bounded_oldest_first() {
        let mut c = CookieMemory::new(2);
        for (i, peer) in ["10.0.0.2", "10.0.0.3", "10.0.0.4"].iter().enumerate() {
            let mut q = handshake("10.0.0.1", peer, Some([i as u8; 32]), false);
            c.on_message(&mut q);
        }
        assert_eq!(c.len(), 2);
        let mut r = handshake("10.0.0.2", "10.0.0.1", None, true);
        c.on_message(&mut r);
        assert_eq!(r.peer_cookie, None, "oldest was forgotten");
        let mut r = handshake("10.0.0.4", "10.0.0.1", None, true);
        c.on_message(&mut r);
        assert_eq!(r.peer_cookie, Some([2; 32]));
        // Repeated overwrites of one direction keep the order queue bounded.
        for i in 0..100u8 {
            let mut q = handshake("10.0.0.1", "10.0.0.9", Some([i; 32]), false);
            c.on_message(&mut q);
        }
        assert!(c.order.len() <= 4);
        let mut r = handshake("10.0.0.9", "10.0.0.1", None, true);
        c.on_message(&mut r);
        assert_eq!(r.peer_cookie, Some([99; 32]));
    }
}
