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
        eprintln!("SKIP: tshark is not installed (CI installs it)");
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
