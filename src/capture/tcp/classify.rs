//! Telling a connection's client from its server, and realtime from bootstrap
//! (docs/protocol.md section 6.5 steps 1 and 2).

use crate::protocol::MessageType;
use foldhash::HashSet;

/// Default peering ports of live, beta, test and dev (docs/protocol.md section 1).
pub const NODE_PORTS: [u16; 4] = [7075, 54000, 17075, 44000];

/// What a connection carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// No client message framed yet.
    Undecided,
    /// Plain header + payload both ways, for the life of the connection.
    Realtime,
    /// Legacy bootstrap: client requests, headerless server streams.
    Bootstrap,
}

/// The mode the node itself enters on the client's first message: a handshake or any
/// other realtime type means realtime, a legacy bootstrap request means bootstrap.
pub fn mode_for_first_message(msg_type: u8) -> Mode {
    if MessageType::from_u8(msg_type).is_some_and(MessageType::is_bootstrap_request) {
        Mode::Bootstrap
    } else {
        Mode::Realtime
    }
}

/// Ports known to be listening ports: the defaults, the servers of SYNs seen, and the
/// ports that keepalives advertise. Bounded so that a hostile capture cannot grow it.
#[derive(Debug, Default)]
pub struct ListeningPorts {
    learned: HashSet<u16>,
    /// Ports known to carry Nano: advertised by keepalives, or the server port of a
    /// connection that carried Nano traffic (a SYN alone says nothing of the protocol).
    nano: HashSet<u16>,
}

const MAX_LEARNED_PORTS: usize = 4096;

impl ListeningPorts {
    pub fn contains(&self, port: u16) -> bool {
        NODE_PORTS.contains(&port) || self.learned.contains(&port)
    }

    pub fn learn(&mut self, port: u16) {
        if port != 0 && self.learned.len() < MAX_LEARNED_PORTS {
            self.learned.insert(port);
        }
    }

    /// A default peering port, or one learned with `learn_nano`.
    pub fn is_nano(&self, port: u16) -> bool {
        NODE_PORTS.contains(&port) || self.nano.contains(&port)
    }

    pub fn learn_nano(&mut self, port: u16) {
        self.learn(port);
        if port != 0 && self.nano.len() < MAX_LEARNED_PORTS {
            self.nano.insert(port);
        }
    }
}

/// Which side (0 or 1) is the client, judging by ports only: the side whose port is
/// not a node port, when exactly one side has a node port.
pub fn client_by_ports(ports: [u16; 2], listening: &ListeningPorts) -> Option<usize> {
    match (listening.contains(ports[0]), listening.contains(ports[1])) {
        (false, true) => Some(0),
        (true, false) => Some(1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_message_decides_the_mode() {
        use MessageType as T;
        assert_eq!(
            mode_for_first_message(T::NodeIdHandshake.code()),
            Mode::Realtime
        );
        for t in [T::BulkPull, T::BulkPush, T::FrontierReq, T::BulkPullAccount] {
            assert_eq!(mode_for_first_message(t.code()), Mode::Bootstrap);
        }
        // A connection caught midway.
        for t in [T::Keepalive, T::ConfirmAck, T::TelemetryReq, T::AscPullReq] {
            assert_eq!(mode_for_first_message(t.code()), Mode::Realtime);
        }
    }

    #[test]
    fn client_is_the_side_without_a_node_port() {
        let mut l = ListeningPorts::default();
        assert_eq!(client_by_ports([51000, 7075], &l), Some(0));
        assert_eq!(client_by_ports([17075, 40000], &l), Some(1));
        assert_eq!(client_by_ports([44000, 54000], &l), None);
        assert_eq!(client_by_ports([30000, 30001], &l), None);
        l.learn(30001);
        assert_eq!(client_by_ports([30000, 30001], &l), Some(0));
    }
}
