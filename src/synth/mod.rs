//! Deterministic synthetic capture generator: Nano messages of every type and form,
//! over UDP and shaped TCP, on every link type, in pcap or pcapng, with the exact
//! expected decode as ground truth. Used by tests, benchmarks and `examples/gen_capture.rs`.
//!
//! An independent encoder: it never calls `crate::protocol`'s decode/hash/verify code,
//! only its plain data types, so that the decoder can be tested against it.

pub mod conversations;
pub mod emit;
pub mod encode;
pub mod frames;
pub mod hostile;
pub mod keys;
pub mod messages;
pub mod presets;
pub mod rng;
pub mod tcp;
pub mod tcp_sim;
pub mod truth;
pub mod writer;

pub use frames::Link;
pub use messages::{Factory, Msg, Network};
pub use presets::Preset;
pub use tcp::{Close, TcpShaping};
pub use truth::GroundTruth;
pub use writer::{CaptureWriter, Format};

use std::io::{self, Write};
use std::net::SocketAddr;

use emit::{peer_ip, Emitter, Flow};
use rng::Rng;
use tcp::Conversation;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkChoice {
    One(Link),
    /// Every link type, in turn per flow (pcapng only).
    Mixed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportChoice {
    Udp,
    Tcp,
    Mixed,
}

/// Settings of a streamed capture of `messages` messages (the CLI without `--preset`).
#[derive(Debug, Clone)]
pub struct Config {
    pub seed: u64,
    pub messages: u64,
    pub format: Format,
    pub link: LinkChoice,
    pub transport: TransportChoice,
    /// 4, 6, or 0 for mixed.
    pub ipv: u8,
    pub network: Network,
    /// Fraction of messages replaced by malformed ones.
    pub malformed_rate: f64,
    pub truncate_last: bool,
    /// Node port; the network's default when `None`.
    pub port: Option<u16>,
    /// Distinct pre-signed, pre-worked messages cycled through.
    pub pool_size: usize,
    /// Keep per-message truth (off for huge captures: counts only).
    pub keep_messages: bool,
    /// Messages per TCP connection before a new one is opened.
    pub messages_per_connection: usize,
    pub shaping: TcpShaping,
}

impl Config {
    pub fn new(messages: u64) -> Config {
        Config {
            seed: 1,
            messages,
            format: Format::PcapNg,
            link: LinkChoice::One(Link::Ethernet),
            transport: TransportChoice::Mixed,
            ipv: 0,
            network: Network::Dev,
            malformed_rate: 0.0,
            truncate_last: false,
            port: None,
            pool_size: 4096,
            keep_messages: messages <= 200_000,
            messages_per_connection: 1000,
            shaping: TcpShaping {
                coalesce: true,
                ..TcpShaping::plain()
            },
        }
    }
}

/// Streams a capture of `cfg.messages` messages to `out` with bounded memory: a pool of
/// pre-built messages is cycled with varying peers, ports and times.
pub fn generate<W: Write>(cfg: &Config, out: W) -> io::Result<(W, GroundTruth)> {
    if matches!(cfg.format, Format::Pcap { .. }) && cfg.link == LinkChoice::Mixed {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a pcap file holds one link type: use pcapng for --link mixed",
        ));
    }
    let mut w = CaptureWriter::new(out, cfg.format)?;
    w.truncate_last = false;
    let truth = GroundTruth::new(cfg.seed, cfg.format.name(), cfg.keep_messages);
    let mut em = Emitter::new(w, truth, Rng::new(cfg.seed).fork(0x656d6974));
    let mut f = Factory::new(cfg.network, cfg.seed);
    let mut pick = Rng::new(cfg.seed).fork(0x7069636b);
    let port = cfg.port.unwrap_or(cfg.network.port());

    let pool_n = (cfg.messages as usize).clamp(1, cfg.pool_size.max(1));
    let pool: Vec<Msg> = (0..pool_n)
        .map(|_| conversations::realtime_msg(&mut f))
        .collect();
    // Malformed forms that still frame on TCP (the rest only go over UDP).
    let malformed: Vec<Msg> = (0..14).map(|k| f.malformed_msg(k)).collect();
    let tcp_safe = |m: &Msg| {
        matches!(
            m.truth.error.as_deref(),
            Some("bad_asc_pull_type" | "bad_extended" | "bad_length")
        )
    };

    let links: Vec<Link> = match cfg.link {
        LinkChoice::One(l) => vec![l],
        LinkChoice::Mixed => frames::ALL_LINKS.to_vec(),
    };
    let mut nflow = 0u32;
    let mut new_flow = |pick: &mut Rng, tcp: bool| -> Flow {
        let link = links[(nflow as usize) % links.len()];
        let mut ipv = match cfg.ipv {
            4 | 6 => cfg.ipv,
            _ => {
                if pick.chance(0.5) {
                    4
                } else {
                    6
                }
            }
        };
        if !link.carries(ipv) {
            ipv = if ipv == 4 { 6 } else { 4 };
        }
        nflow += 1;
        let a = pick.range(0, 5000) as u32;
        let b = 5000 + pick.range(0, 200) as u32;
        let aport = if tcp {
            pick.range(32768, 60999) as u16
        } else {
            port
        };
        Flow {
            link,
            a: SocketAddr::new(peer_ip(ipv, a), aport),
            b: SocketAddr::new(peer_ip(ipv, b), port),
        }
    };

    // Small captures get several small connections rather than one big one.
    let per_conn = cfg
        .messages_per_connection
        .min((cfg.messages / 8) as usize)
        .max(4);
    let mut written = 0u64;
    let mut k = 0usize;
    while written < cfg.messages {
        let tcp = match cfg.transport {
            TransportChoice::Udp => false,
            TransportChoice::Tcp => true,
            // One TCP step writes a whole connection: weigh it so that about half of
            // the messages go over each transport.
            TransportChoice::Mixed => pick.chance(1.0 / (1.0 + per_conn as f64)),
        };
        if tcp && cfg.messages - written >= 4 {
            // One realtime connection: a fresh handshake, then pool messages.
            let n = ((cfg.messages - written) as usize).min(per_conn);
            let v2 = pick.chance(0.8);
            let mut conv = Conversation::default();
            let c1 = f.new_cookie();
            let c2 = f.new_cookie();
            let (na, nb) = (pick.index(6), pick.index(6));
            conv.msg(true, f.handshake(Some(c1), None, na, v2));
            conv.msg(false, f.handshake(Some(c2), Some(c1), nb, v2));
            conv.msg(true, f.handshake(None, Some(c2), na, v2));
            for _ in 3..n {
                let m = if pick.chance(cfg.malformed_rate) {
                    let cands: Vec<&Msg> = malformed.iter().filter(|m| tcp_safe(m)).collect();
                    cands[pick.index(cands.len())].clone()
                } else {
                    k += 1;
                    pool[k % pool.len()].clone()
                };
                conv.msg(pick.chance(0.5), m);
            }
            let fl = new_flow(&mut pick, true);
            tcp::emit_connection(&mut em, &fl, &conv, &cfg.shaping)?;
            written += n as u64;
        } else {
            let fl = new_flow(&mut pick, false);
            let m = if pick.chance(cfg.malformed_rate) {
                &malformed[pick.index(malformed.len())]
            } else {
                k += 1;
                &pool[k % pool.len()]
            };
            em.udp_msg(&fl, pick.chance(0.5), m)?;
            written += 1;
        }
    }
    if cfg.truncate_last {
        let fl = new_flow(&mut pick, false);
        let m = f.keepalive(4);
        em.udp_cut(&fl, &m.bytes)?;
    }
    let truth = em.truth.clone();
    let out = em.w.finish()?;
    Ok((out, truth))
}

/// The benchmark capture: `n` messages, mixed UDP and TCP, Ethernet, pcapng, streamed.
pub fn bench<W: Write>(n: u64, seed: u64, out: W) -> io::Result<(W, GroundTruth)> {
    let mut cfg = Config::new(n);
    cfg.seed = seed;
    generate(&cfg, out)
}

#[cfg(test)]
mod tests;
