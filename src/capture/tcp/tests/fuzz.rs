//! Deterministic fuzzing of the TCP tracker with hostile segment sequences: random and
//! mutated messages, sequence and acknowledgement numbers anywhere on the 32-bit circle,
//! every flag combination, time going backwards. Run in debug builds, so arithmetic
//! overflow panics; checks that buffers stay within their limits after every segment.
//! `NANOCAP_FUZZ_ROUNDS=2000 cargo test --lib tcp_fuzz` runs it longer.

use super::*;

/// Pieces a hostile stream is made of: real messages, bootstrap requests and stream
/// entries, plausible headers announcing long payloads, runs of 'R', noise.
pub(super) fn corpus() -> Vec<Vec<u8>> {
    let mut asc = header(LIVE, 0x0e, 0xffff); // 9 + 65535 bytes announced
    asc.extend_from_slice(&[1; 20]);
    vec![
        keepalive(),
        confirm_req(),
        telemetry_req(),
        handshake_query(),
        handshake_response(),
        frontier_req(),
        bulk_pull(Some(5)),
        bulk_pull(None),
        bulk_push(),
        bulk_pull_account(0),
        bulk_pull_account(1),
        bulk_pull_account(2),
        bulk_pull_account(9),
        state_block_item(),
        frontier_entry(4),
        frontier_entry(0),
        vec![0x01],
        vec![0u8; 48],
        vec![0u8; 80],
        asc,
        header(DEV, 0x0d, 0x03ff),
        header(DEV, 0x05, 0xf001),
        vec![0x52; 40],
        vec![0x52, 0x41],
    ]
}

pub(super) fn rand_payload(rng: &mut Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut payload = Vec::new();
    match rng.next() % 10 {
        0 => {}
        1 => (0..rng.next() % 300).for_each(|_| payload.push(rng.next() as u8)),
        2 => {
            // A large segment of whole messages (coalesced traffic).
            while payload.len() < 1400 {
                payload.extend_from_slice(&corpus[(rng.next() % 7) as usize]);
            }
        }
        _ => {
            for _ in 0..1 + rng.next() % 4 {
                let p = &corpus[(rng.next() % corpus.len() as u64) as usize];
                let a = (rng.next() % (p.len() as u64 + 1)) as usize;
                let b = a + (rng.next() % ((p.len() - a) as u64 + 1)) as usize;
                payload.extend_from_slice(if rng.next() % 3 == 0 { &p[a..b] } else { p });
            }
        }
    }
    if rng.next() % 4 == 0 {
        for byte in payload.iter_mut() {
            if rng.next() % 40 == 0 {
                *byte = rng.next() as u8;
            }
        }
    }
    payload
}

/// A sequence number near where side `d` is, or anywhere.
fn rand_seq(rng: &mut Rng, next: u32) -> u32 {
    match rng.next() % 12 {
        0 => rng.next() as u32,
        1 => next.wrapping_add(1 << 31),
        2 => next.wrapping_add((1 << 31) - 1 - (rng.next() % 3) as u32),
        3 | 4 => next.wrapping_sub((rng.next() % 2000) as u32),
        5 | 6 => next.wrapping_add((rng.next() % 3000) as u32),
        _ => next,
    }
}

fn rand_time(rng: &mut Rng, now: &mut i64) -> i64 {
    match rng.next() % 50 {
        0 => i64::MAX - (rng.next() % 10) as i64,
        1 => i64::MIN + (rng.next() % 10) as i64,
        2 => *now - (rng.next() % 1_000_000) as i64,
        3 => {
            *now = now.saturating_add((rng.next() % 1_000_000_000) as i64);
            *now
        }
        _ => {
            *now = now.saturating_add((rng.next() % 2000) as i64);
            *now
        }
    }
}

fn rounds(default: u64) -> u64 {
    std::env::var("NANOCAP_FUZZ_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

#[test]
fn tcp_fuzz_hostile_segments_never_panic_and_stay_bounded() {
    let corpus = corpus();
    let seed = std::env::var("NANOCAP_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9e37_79b9_7f4a_7c15u64);
    let mut rng = Rng(seed);
    for round in 0..rounds(60) {
        let limits = if rng.next() % 4 == 0 {
            TcpLimits::default()
        } else {
            TcpLimits {
                max_buffered_per_direction: 1 + (rng.next() % 5000) as usize,
                max_connections: 1 + (rng.next() % 6) as usize,
                idle_timeout_usec: (rng.next() % 100_000) as i64 - 10,
                max_buffered_total: (rng.next() % 20_000) as usize,
                reorder_window_segments: rng.next() % 8,
                report: Reporting {
                    per_message_events: rng.next() % 2 == 0,
                    node_ids: rng.next() % 2 == 0,
                    ..Reporting::default()
                },
            }
        };
        let max_total = limits.max_buffered_total;
        let max_held = limits.max_buffered_per_direction;
        let max_conns = limits.max_connections.max(1);
        let mut h = Harness::with_limits(limits);
        let mut now = 1_700_000_000_000_000i64;
        let ports = [51000u16, 51001, 7075, 54000, 30000];
        let mut acks = [0u32; 2];
        for step in 0..400 {
            let d = (rng.next() % 2) as usize;
            h.ends[0].1 = ports[(rng.next() % ports.len() as u64) as usize];
            if rng.next() % 8 == 0 {
                h.ends[1].1 = ports[(rng.next() % ports.len() as u64) as usize];
            }
            let payload = rand_payload(&mut rng, &corpus);
            let seq = rand_seq(&mut rng, h.seq[d]);
            acks[d] = match rng.next() % 6 {
                0 => rng.next() as u32,
                1 => h.seq[1 - d].wrapping_add((rng.next() % 5000) as u32),
                _ => h.seq[1 - d],
            };
            let bits = rng.next();
            let seg = TcpSegment {
                frame: h.frame + 1,
                time_usec: rand_time(&mut rng, &mut now),
                ipv: 4,
                src_ip: h.ends[d].0,
                src_port: h.ends[d].1,
                dst_ip: h.ends[1 - d].0,
                dst_port: h.ends[1 - d].1,
                seq,
                ack: acks[d],
                syn: bits % 7 == 0,
                ack_flag: bits % 5 != 0,
                fin: bits % 11 == 0,
                rst: bits % 23 == 0,
                payload: &payload,
            };
            h.frame += 1;
            h.tracker.on_segment(&seg, &mut h.next_id, &mut h.out);
            if rng.next() % 3 != 0 {
                h.seq[d] = seq.wrapping_add(payload.len() as u32);
            }
            let m = h.tracker.memory();
            let ctx = format!("seed {seed:#x} round {round} step {step}: {m:?}");
            assert!(m.connections <= max_conns, "{ctx}");
            assert!(m.max_held_cost <= max_held, "{ctx}");
            assert!(m.max_framer_bytes <= max_held.max(MAX_UNIT), "{ctx}");
            assert!(m.max_requests <= 64, "{ctx}");
            assert!(m.max_gate_events <= 8, "{ctx}");
            assert!(m.total_buffered <= max_total, "{ctx}");
            assert_eq!(m.total_buffered, m.tracked_total, "{ctx}");
            // The consumer drains events as they come; check ids on the way.
            check_ids(&mut h);
        }
        h.finish();
        check_ids(&mut h);
    }
}

fn check_ids(h: &mut Harness) {
    let ev = h.events();
    if std::env::var("NANOCAP_FUZZ_STATS").is_ok() {
        for e in &ev {
            let k = match e {
                Event::Message(m) => format!(
                    "msg {:?}",
                    m.payload.as_ref().map(|_| ()).map_err(|e| e.code)
                ),
                Event::StreamItem(_) => "item".to_string(),
                Event::Anomaly(a) => format!("anomaly {}", a.kind),
                Event::Connection(c) => format!("conn {}", c.event),
            };
            eprintln!("STAT {k}");
        }
    }
    let ids: Vec<u64> = messages(&ev).iter().map(|m| m.id).collect();
    assert!(ids.windows(2).all(|w| w[1] > w[0]));
}

use super::super::framer::MAX_UNIT;
