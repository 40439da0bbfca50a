//! Cross-check against Wireshark's own Nano dissector (tshark), when installed.
//! It understands UDP messages (and, for issue 3, legacy bootstrap streams), so per-type
//! UDP message counts must agree on every generated capture.

use nanocap_tests::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn tshark_available() -> bool {
    Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// UDP ports the capture's datagrams use, so tshark can be told they are Nano (it only
/// registers 7075 by itself).
fn udp_ports(conn: &rusqlite::Connection, f: &str) -> Vec<String> {
    query_text(
        conn,
        &format!("SELECT DISTINCT dstport FROM nano_packets({f}) WHERE transport = 'udp'"),
    )
    .lines()
    .map(str::to_string)
    .collect()
}

/// tshark's count of UDP Nano messages per type. Datagrams are forced through the
/// dissector by port, so those that do not start with a Nano magic ('R' + network
/// letter) are not Nano for tshark either and are left out.
fn tshark_udp_counts(path: &Path, ports: &[String]) -> BTreeMap<u8, u64> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-n").arg("-r").arg(path).args([
        "-Y",
        "udp && nano",
        "-T",
        "fields",
        "-e",
        "nano.magic_number",
        "-e",
        "nano.packet_type",
    ]);
    for p in ports {
        cmd.args(["-d", &format!("udp.port=={p},nano")]);
    }
    let out = cmd.output().expect("run tshark");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut counts = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut cols = line.split('\t');
        let (Some(magic), Some(ty)) = (cols.next(), cols.next()) else {
            continue;
        };
        if !matches!(magic, "RA" | "RB" | "RC" | "RX") {
            continue;
        }
        *counts.entry(ty.parse::<u8>().expect("type")).or_insert(0) += 1;
    }
    counts
}

#[test]
fn udp_counts_per_type_agree_with_tshark() {
    if !tshark_available() {
        skip("tshark is not installed (CI installs it)");
        return;
    }
    let conn = connect();
    let mut checked = 0;
    for name in [
        "udp_all_types.pcapng",
        "mixed_live.pcapng",
        "sample.pcapng",
        "link_qinq.pcap",
        "link_ipv6.pcap",
        "link_null_be.pcap",
        "link_sll2_ns_be.pcap",
        "link_sll_loopback_ns.pcap",
    ] {
        let path = fixture(name);
        let f = lit(&path);
        let ours: BTreeMap<u8, u64> = query(&conn, &format!("SELECT msg_type, count(*) FROM nano_packets({f}) WHERE transport = 'udp' GROUP BY 1"))
            .unwrap()
            .into_iter()
            .map(|r| (value_text(&r[0]).parse().unwrap(), value_text(&r[1]).parse().unwrap()))
            .collect();
        let theirs = tshark_udp_counts(&path, &udp_ports(&conn, &f));
        assert_eq!(
            ours, theirs,
            "{name}: per-type UDP counts (nanocap left, tshark right)"
        );
        checked += ours.values().sum::<u64>();
    }
    assert!(checked > 200, "too few messages compared: {checked}");
}

/// One tshark row: frame, direction, and the legacy bootstrap items it dissected.
struct TsharkFrame {
    frame: u64,
    src: (String, u16),
    dst: (String, u16),
    frontier_entries: u64,
    bulk_pull_blocks: u64,
    bulk_push_blocks: u64,
}

fn tshark_bootstrap_frames(path: &Path, ports: &[u16]) -> Vec<TsharkFrame> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-n")
        .arg("-r")
        .arg(path)
        .args(["-o", "tcp.reassemble_out_of_order:TRUE"]);
    for p in ports {
        cmd.args(["-d", &format!("tcp.port=={p},nano")]);
    }
    cmd.args([
        "-Y",
        "nano.frontier.account || nano.bulk_pull.block_type || nano.bulk_push.block_type",
    ]);
    cmd.args(["-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,"]);
    for field in [
        "frame.number",
        "ip.src",
        "ipv6.src",
        "tcp.srcport",
        "ip.dst",
        "ipv6.dst",
        "tcp.dstport",
        "nano.frontier.account",
        "nano.bulk_pull.block_type",
        "nano.bulk_push.block_type",
    ] {
        cmd.args(["-e", field]);
    }
    let out = cmd.output().expect("run tshark");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Terminators are not items: the all-zero frontier entry, the not_a_block byte.
    let items = |s: &str, is_end: &dyn Fn(&str) -> bool| {
        s.split(',').filter(|v| !v.is_empty() && !is_end(v)).count() as u64
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let c: Vec<&str> = line.split('\t').collect();
            let ip = |v4: &str, v6: &str| {
                if v4.is_empty() {
                    v6.to_string()
                } else {
                    v4.to_string()
                }
            };
            TsharkFrame {
                frame: c[0].parse().unwrap(),
                src: (ip(c[1], c[2]), c[3].parse().unwrap()),
                dst: (ip(c[4], c[5]), c[6].parse().unwrap()),
                frontier_entries: items(c[7], &|v| {
                    v.trim_start_matches("0x").chars().all(|ch| ch == '0')
                }),
                bulk_pull_blocks: items(c[8], &|v| v == "0x01"),
                bulk_push_blocks: items(c[9], &|v| v == "0x01"),
            }
        })
        .collect()
}

/// Per legacy bootstrap request, the stream items tshark dissected in the frames from
/// the request to the end of its stream, in the direction that carries the stream, must
/// equal nanocap's count. Requests with a bulk_pull extended count are left out:
/// tshark reads bulk_pull as 72 bytes always and so misses the 8 extended bytes
/// (docs/protocol.md section 9); nanocap's ground-truth tests cover those.
fn bootstrap_counts_agree(path: &Path, ports: &[u16]) -> usize {
    let conn = connect();
    let f = lit(path);
    let frames = tshark_bootstrap_frames(path, ports);
    let requests = query(
        &conn,
        &format!(
            "SELECT p.id, p.msg_name, p.frame, e.frame, p.srcip, p.srcport, p.dstip, p.dstport, \
               CAST(substr(e.detail, 8, instr(e.detail, ',') - 8) AS INTEGER) \
             FROM nano_packets({f}) p JOIN nano_connections({f}) e ON e.message_id = p.id AND e.event LIKE 'end of %' \
             WHERE p.msg_name IN ('frontier_req', 'bulk_pull', 'bulk_push') \
               AND p.id NOT IN (SELECT packet_id FROM nano_bulk_pull_requests({f}) WHERE count IS NOT NULL)"
        ),
    )
    .unwrap();
    for r in &requests {
        let t: Vec<String> = r.iter().map(value_text).collect();
        let (name, from, to) = (
            t[1].as_str(),
            t[2].parse::<u64>().unwrap(),
            t[3].parse::<u64>().unwrap(),
        );
        let client = (t[4].clone(), t[5].parse::<u16>().unwrap());
        let server = (t[6].clone(), t[7].parse::<u16>().unwrap());
        let ours: u64 = t[8].parse().unwrap();
        // bulk_push blocks flow from the client; the other streams answer it.
        let (src, dst) = if name == "bulk_push" {
            (&client, &server)
        } else {
            (&server, &client)
        };
        let theirs: u64 = frames
            .iter()
            .filter(|x| x.frame >= from && x.frame <= to && &x.src == src && &x.dst == dst)
            .map(|x| match name {
                "frontier_req" => x.frontier_entries,
                "bulk_pull" => x.bulk_pull_blocks,
                _ => x.bulk_push_blocks,
            })
            .sum();
        assert_eq!(
            ours,
            theirs,
            "{}: {name} message {} (frames {from}..={to}): nanocap vs tshark",
            path.display(),
            t[0]
        );
    }
    requests.len()
}

#[test]
fn legacy_bootstrap_counts_agree_with_tshark() {
    if !tshark_available() {
        skip("tshark is not installed (CI installs it)");
        return;
    }
    let mut checked = bootstrap_counts_agree(&fixture("tcp_realistic.pcapng"), &[44000]);
    checked += bootstrap_counts_agree(&fixture("sample.pcapng"), &[44000]);
    assert!(
        checked >= 8,
        "too few bootstrap requests compared: {checked}"
    );
}

#[test]
fn legacy_bootstrap_counts_of_the_real_capture_agree_with_tshark() {
    if !tshark_available() {
        skip("tshark is not installed (CI installs it)");
        return;
    }
    let Some(p) = shared_capture("rsnano_dev_live_small.pcap") else {
        skip("rsnano_dev_live_small.pcap is not in the captures directory (optional test input)");
        return;
    };
    let checked = bootstrap_counts_agree(&p, &[17075, 17076]);
    assert!(
        checked >= 8,
        "too few bootstrap requests compared: {checked}"
    );
}
