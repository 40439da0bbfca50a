//! Filters pushed into the table functions and joins served from a decoded file give
//! exactly the rows SQLite gets without them. Each query runs twice: as written, and
//! with the constraint defeated (`+column`, which SQLite cannot hand to a virtual
//! table), over every committed fixture and the real capture when it is there.

use nanocap_tests::*;
use rusqlite::types::Value;
use rusqlite::Connection;

fn int(conn: &Connection, sql: &str) -> i64 {
    match scalar(conn, sql) {
        Value::Integer(i) => i,
        Value::Null => 0,
        v => panic!("{sql}: not an integer: {v:?}"),
    }
}

/// `cond` with its column defeated: `+msg_type = 5` cannot be pushed.
fn defeated(cond: &str) -> String {
    cond.split(" AND ")
        .map(|c| format!("+{}", c.trim()))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// Runs `SELECT * FROM table(f) WHERE cond` pushed and defeated; asserts the rows
/// (in scan order) are the same and that the pushed plan took the constraint.
/// Returns the number of rows.
fn same_rows(conn: &Connection, table: &str, f: &str, cond: &str) -> usize {
    let pushed = format!("SELECT * FROM {table}({f}) WHERE {cond}");
    let plain = format!("SELECT * FROM {table}({f}) WHERE {}", defeated(cond));
    let shown = query_plan(conn, &pushed);
    let first = cond
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .next();
    assert!(
        shown.contains(&format!(":{}", first.unwrap())),
        "{pushed}: the constraint is not in the plan: {shown}"
    );
    // `INDEX 1:` (the path), or `5:` when signatures are checked ahead: no terms.
    let plain_plan = query_plan(conn, &plain);
    assert!(
        plain_plan.ends_with("INDEX 1:") || plain_plan.ends_with("INDEX 5:"),
        "{plain}: still pushed: {plain_plan}"
    );
    let a = query(conn, &pushed).unwrap();
    let b = query(conn, &plain).unwrap();
    assert_eq!(a, b, "{pushed}");
    a.len()
}

#[test]
fn message_filters_pushed_or_not_give_the_same_rows() {
    let conn = connect();
    let mut matched = 0;
    for f in every_capture() {
        let n = int(&conn, &format!("SELECT max(id) FROM nano_packets({f})"));
        let frames = int(&conn, &format!("SELECT max(frame) FROM nano_packets({f})"));
        let mid_time = int(
            &conn,
            &format!(
                "SELECT coalesce((SELECT time_usec FROM nano_packets({f}) WHERE +id = {}), 0)",
                n / 2 + 1
            ),
        );
        let mut conds = vec![
            format!("id > {}", n / 2),
            format!("id <= {}", n / 3),
            format!("id >= {} AND id < {}", n / 4, n / 2),
            format!("id = {}", n / 2 + 1),
            "id < 0".to_string(),
            format!("frame >= {}", frames / 2),
            format!("frame < {}", frames / 3),
            format!("time_usec >= {mid_time}"),
            format!("time_usec < {mid_time}"),
            "transport = 'udp'".into(),
            "transport = 'tcp'".into(),
            "transport = 'UDP'".into(),
            "msg_type = 99".into(),
            "msg_name = 'no_such_message'".into(),
            format!("msg_type = 5 AND id > {}", n / 3),
            "msg_type = 3 AND msg_name = 'publish'".into(),
            "msg_type = 3 AND msg_name = 'confirm_ack'".into(),
        ];
        for t in 0..16 {
            conds.push(format!("msg_type = {t}"));
        }
        for name in [
            "keepalive",
            "publish",
            "confirm_req",
            "confirm_ack",
            "node_id_handshake",
            "telemetry_ack",
            "asc_pull_ack",
            "bulk_pull",
            "frontier_req",
        ] {
            conds.push(format!("msg_name = '{name}'"));
        }
        for cond in &conds {
            matched += same_rows(&conn, "nano_packets", &f, cond);
        }
        for table in [
            "nano_blocks",
            "nano_votes",
            "nano_vote_hashes",
            "nano_handshakes",
            "nano_telemetry",
            "nano_keepalive_peers",
            "nano_confirm_req_pairs",
            "nano_asc_pull_frontiers",
            "nano_frontier_requests",
        ] {
            for cond in [
                format!("packet_id > {}", n / 2),
                format!("packet_id <= {}", n / 3),
                format!("packet_id = {}", n / 2 + 1),
                format!("frame >= {}", frames / 2),
                format!("time_usec < {mid_time}"),
                format!("packet_id > {} AND frame <= {}", n / 4, frames * 3 / 4),
            ] {
                matched += same_rows(&conn, table, &f, &cond);
            }
        }
    }
    // The filters selected something: the comparison was not of empty results only.
    assert!(matched > 10_000, "only {matched} rows compared");
}

#[test]
fn message_ids_only_grow_in_scan_order_and_frames_never_decrease() {
    // What the early end of an `id <=` or `frame <=` scan relies on: ids number the
    // messages in the order they could be read, and a message's frame is the one
    // that let it be read.
    let conn = connect();
    for f in every_capture() {
        let sql = format!(
            "SELECT count(*) FROM (SELECT id, lag(id) OVER () AS before FROM nano_packets({f})) \
             WHERE id <= before"
        );
        assert_eq!(int(&conn, &sql), 0, "{f}");
        let sql = format!(
            "SELECT count(*) FROM (SELECT frame, lag(frame) OVER () AS before \
             FROM nano_packets({f})) WHERE frame < before"
        );
        assert_eq!(int(&conn, &sql), 0, "{f}");
        for table in ["nano_votes", "nano_vote_hashes", "nano_keepalive_peers"] {
            let sql = format!(
                "SELECT count(*) FROM (SELECT packet_id AS id, lag(packet_id) OVER () AS before \
                 FROM {table}({f})) WHERE id < before"
            );
            assert_eq!(int(&conn, &sql), 0, "{table} {f}");
        }
    }
}

/// The connection's cache counters (`nano_join_cache()`).
fn cache(conn: &Connection) -> serde_json::Value {
    let text = value_text(&scalar(conn, "SELECT nano_join_cache()"));
    serde_json::from_str(&text).unwrap()
}

fn sorted(conn: &Connection, sql: &str) -> Vec<String> {
    let mut lines: Vec<String> = query_text(conn, sql).lines().map(String::from).collect();
    lines.sort();
    lines
}

/// Joins over one file, each with a key equality the inner side can be looked up by:
/// `(select list, first table, second table, ON and the rest)`.
fn joins(f: &str) -> Vec<[String; 4]> {
    let j = |sel: &str, a: &str, b: &str, on: &str| {
        [
            sel.to_string(),
            format!("{a}({f})"),
            format!("{b}({f})"),
            on.to_string(),
        ]
    };
    vec![
        j(
            "v.packet_id, v.account, v.hash, b.type_name, b.context, b.packet_id",
            "nano_vote_hashes",
            "nano_blocks",
            "b.hash = v.hash",
        ),
        j(
            "p.id, p.msg_name, p.frame, v.account, v.signature_valid",
            "nano_votes",
            "nano_packets",
            "p.id = v.packet_id",
        ),
        j(
            "b.hash, b.account, v.account, v.hash_index",
            "nano_blocks",
            "nano_vote_hashes",
            "v.account = b.account",
        ),
        j(
            "c.id, c.event, count(p.id), sum(p.size)",
            "nano_connections",
            "nano_packets",
            "p.flow_key = c.flow_key GROUP BY c.id",
        ),
        j(
            "a.id, a.kind, p.id, p.msg_name",
            "nano_packets",
            "nano_anomalies",
            "a.packet_id = p.id",
        ),
        j(
            "r.packet_id, b.hash, b.item_index",
            "nano_bulk_pull_requests",
            "nano_blocks",
            "b.request_id = r.packet_id",
        ),
    ]
}

/// The join as written, and with its second table materialised first (each side
/// decoded once, no lookups).
fn join_sql([sel, a, b, on]: &[String; 4]) -> (String, String) {
    let (alias_a, alias_b) = (alias(a), alias(b));
    let plain = format!("SELECT {sel} FROM {a} {alias_a} JOIN {b} {alias_b} ON {on}");
    let materialized = format!(
        "WITH m AS MATERIALIZED (SELECT * FROM {b}) \
         SELECT {sel} FROM {a} {alias_a} JOIN m {alias_b} ON {on}"
    );
    (plain, materialized)
}

/// The alias each table has in `joins`.
fn alias(table: &str) -> &'static str {
    match table.split('(').next().unwrap() {
        "nano_vote_hashes" | "nano_votes" => "v",
        "nano_blocks" => "b",
        "nano_packets" => "p",
        "nano_connections" => "c",
        "nano_anomalies" => "a",
        _ => "r",
    }
}

#[test]
fn joins_served_from_the_decoded_file_equal_joins_that_rescan() {
    let cached = connect();
    let rescanning = connect();
    assert_eq!(cache(&rescanning)["decoded_files"], 0);
    scalar(&rescanning, "SELECT nano_join_cache(0)");
    let real = shared_capture("rsnano_dev_live_small.pcap").map(|p| lit(&p));
    let mut rows = 0;
    for f in every_capture() {
        for join in joins(&f) {
            let (sql, materialized) = join_sql(&join);
            let shown = query_plan(&cached, &sql);
            assert!(shown.contains(":key:"), "{sql}: no lookup planned: {shown}");
            let got = sorted(&cached, &sql);
            assert_eq!(got, sorted(&cached, &materialized), "{sql}");
            // Rescanning the real capture per outer row takes minutes for some.
            if real.as_deref() != Some(f.as_str()) {
                assert_eq!(got, sorted(&rescanning, &sql), "{sql}");
            }
            rows += got.len();
        }
    }
    assert!(rows > 10_000, "only {rows} joined rows compared");
    // Joins with more than one outer row were served by lookups in one connection and
    // by rescans in the other.
    assert!(cache(&cached)["decoded_files"].as_u64().unwrap() > 0);
    assert_eq!(cache(&rescanning)["decoded_files"], 0);
    assert!(cache(&rescanning)["fallbacks"].as_u64().unwrap() > 0);
}

#[test]
fn lookups_compare_values_the_way_sqlite_does() {
    // Keys of other types than the column's: the lookup must find what SQLite's own
    // comparison (with the column's affinity) finds, never less.
    let conn = connect();
    let f = lit(&fixture("sample.pcapng"));
    let hash = value_text(&scalar(
        &conn,
        &format!("SELECT hash FROM nano_blocks({f}) LIMIT 1 OFFSET 3"),
    ));
    let keys = format!(
        "(VALUES (5), ('5'), (5.0), ('5.0'), (' 5'), (NULL), (x'05'), ('{hash}'), \
         (lower('{hash}')), (7), (7), (-1), (9223372036854775807))"
    );
    for (table, col) in [
        ("nano_packets", "id"),
        ("nano_votes", "packet_id"),
        ("nano_blocks", "hash"),
        ("nano_anomalies", "id"),
        ("nano_connections", "id"),
        ("nano_packets", "flow_key"),
    ] {
        let pushed = format!(
            "SELECT k.column1, t.* FROM {keys} k JOIN {table}({f}) t ON t.{col} = k.column1"
        );
        // Inside a function the comparison keeps its affinity rules but cannot be
        // handed to the table (`+t.{col}` would compare without affinity).
        let plain = format!(
            "SELECT k.column1, t.* FROM {keys} k JOIN {table}({f}) t \
             ON coalesce(t.{col} = k.column1, 0)"
        );
        assert!(query_plan(&conn, &pushed).contains(&format!("key:{col}")));
        assert!(!query_plan(&conn, &plain).contains("key:"));
        assert_eq!(sorted(&conn, &pushed), sorted(&conn, &plain), "{pushed}");
    }
}

#[test]
fn a_join_decodes_the_file_a_bounded_number_of_times() {
    let Some(p) = shared_capture("rsnano_dev_live_small.pcap") else {
        return skip("rsnano_dev_live_small.pcap is not in the captures directory");
    };
    let f = lit(&p);
    let join = format!(
        "SELECT v.account, v.hash, b.type_name FROM nano_vote_hashes({f}) v \
         JOIN nano_blocks({f}) b ON b.hash = v.hash"
    );
    let materialized = format!(
        "WITH b AS MATERIALIZED (SELECT hash, type_name FROM nano_blocks({f})) \
         SELECT v.account, v.hash, b.type_name FROM nano_vote_hashes({f}) v \
         JOIN b ON b.hash = v.hash"
    );
    let conn = connect();
    let scans = |conn: &Connection| cache(conn)["scans"].as_u64().unwrap();
    let fallbacks = |conn: &Connection| cache(conn)["fallbacks"].as_u64().unwrap();
    let before = scans(&conn);
    let got = sorted(&conn, &join);
    // The outer scan, the inner one's first (plain) filter, and the decoded file.
    assert_eq!(scans(&conn) - before, 3);
    assert_eq!(cache(&conn)["decoded_files"], 1);
    assert_eq!(cache(&conn)["held_bytes"], 0, "freed with the statement");
    assert_eq!(got.len(), 18_611);
    assert_eq!(got, sorted(&conn, &materialized));

    // What the decoded file and its index take, seen while the join runs.
    let during = value_text(&scalar(
        &conn,
        &format!(
            "SELECT nano_join_cache() FROM nano_vote_hashes({f}) v \
             JOIN nano_blocks({f}) b ON b.hash = v.hash LIMIT 1 OFFSET 1000"
        ),
    ));
    let during: serde_json::Value = serde_json::from_str(&during).unwrap();
    let held = during["held_bytes"].as_u64().unwrap();
    assert!(held > 1_000_000, "{during}");
    // Room for the decoded file but not for its index: the same rows, by rescanning.
    scalar(&conn, &format!("SELECT nano_join_cache({})", held - 1));
    let before = fallbacks(&conn);
    assert_eq!(sorted(&conn, &join), got);
    assert!(fallbacks(&conn) - before > 100);

    // Over the limit: the documented fallback, one scan per outer row.
    scalar(&conn, "SELECT nano_join_cache(1000)");
    let (scans_before, fallbacks_before) = (scans(&conn), fallbacks(&conn));
    assert_eq!(sorted(&conn, &join), got);
    let fell_back = fallbacks(&conn) - fallbacks_before;
    // The outer scan, the inner one's first filter, the decoding given up, then a
    // scan for every later outer row.
    assert_eq!(scans(&conn) - scans_before, 3 + fell_back);
    let outer_rows = |t: &str| int(&conn, &format!("SELECT count(*) FROM {t}({f})")) as u64;
    assert!(
        [outer_rows("nano_vote_hashes"), outer_rows("nano_blocks")].contains(&(fell_back + 1)),
        "{fell_back} fallbacks"
    );
}

#[test]
fn the_cache_limit_is_checked() {
    let conn = connect();
    let status = cache(&conn);
    assert_eq!(status["limit_bytes"], 256 << 20);
    let set = value_text(&scalar(&conn, "SELECT nano_join_cache(4096)"));
    assert!(set.contains("\"limit_bytes\":4096"), "{set}");
    for bad in ["-1", "'big'", "1.5", "NULL"] {
        let e = query(&conn, &format!("SELECT nano_join_cache({bad})")).unwrap_err();
        assert!(
            e.to_string()
                .contains("nano_join_cache: the limit must be a number of bytes"),
            "{bad}: {e}"
        );
    }
}

#[test]
fn tables_that_decode_only_their_messages_miss_no_row() {
    // A scan decodes only the payloads its table reads; lookups serve rows from the
    // file decoded whole. Looked up flow by flow, every table has the rows it scans.
    let conn = connect();
    let mut rows = 0;
    for f in every_capture() {
        for table in [
            "nano_blocks",
            "nano_votes",
            "nano_vote_hashes",
            "nano_keepalive_peers",
            "nano_handshakes",
            "nano_telemetry",
            "nano_confirm_req_pairs",
            "nano_asc_pull",
            "nano_asc_pull_frontiers",
            "nano_frontier_requests",
            "nano_bulk_pull_requests",
            "nano_bulk_pull_account_requests",
            "nano_frontier_responses",
            "nano_bulk_pull_account_responses",
            "nano_connections",
        ] {
            for args in [f.clone(), format!("{f}, 'details'")] {
                if args.ends_with("'details'") && table != "nano_connections" {
                    continue;
                }
                let scanned = format!("SELECT * FROM {table}({args})");
                // Keys from a table that decodes every message, and from this one.
                let looked_up = format!(
                    "SELECT t.* FROM (SELECT flow_key FROM nano_packets({f}) \
                     UNION SELECT flow_key FROM {table}({args})) k \
                     JOIN {table}({args}) t ON t.flow_key = k.flow_key"
                );
                assert!(query_plan(&conn, &looked_up).contains("key:flow_key"));
                let got = sorted(&conn, &scanned);
                assert_eq!(got, sorted(&conn, &looked_up), "{scanned}");
                rows += got.len();
            }
        }
    }
    assert!(rows > 10_000, "only {rows} rows compared");
}
