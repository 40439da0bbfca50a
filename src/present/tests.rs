//! Value formats and table rows, checked without SQLite.

use super::tables::{messages::KeepalivePeers, packets::Packets};
use super::values::*;
use super::{row_values, PerMessage, ScanState, TableDef, Text, Value};
use crate::capture::{Event, MessageEvent, PacketMeta, Transport};
use crate::protocol::decode_datagram;
use std::net::{IpAddr, Ipv4Addr};

#[test]
fn u64_above_i64_max_is_decimal_text() {
    assert_eq!(u64_value(i64::MAX as u64), Value::Integer(i64::MAX));
    assert_eq!(u64_value(u64::MAX), text("18446744073709551615"));
    assert_eq!(u64_value(1 << 63).as_str(), Some("9223372036854775808"));
}

#[test]
fn times_are_utc_text_with_microseconds() {
    assert_eq!(time_text(0), text("1970-01-01 00:00:00.000000"));
    assert_eq!(time_text(-1), text("1969-12-31 23:59:59.999999"));
    assert_eq!(
        time_ms_text(1_600_000_000_123),
        text("2020-09-13 12:26:40.123000")
    );
    // Past year 9999 (or not even representable in microseconds): no time at all.
    assert_eq!(time_ms_text(253_402_300_800_000), Value::Null);
    assert_eq!(time_ms_text(u64::MAX), Value::Null);
}

#[test]
fn keys_hashes_and_amounts() {
    assert_eq!(
        account(&[0; 32]),
        text("nano_1111111111111111111111111111111111111111111111111111hifc8npp")
    );
    assert!(node_id(&[0; 32]).as_str().unwrap().starts_with("node_"));
    assert_eq!(hex(&[0xab, 0x01, 0xff]), text("AB01FF"));
    assert_eq!(opt_hex(None), Value::Null);
    assert_eq!(hex_u64(0xff), text("00000000000000ff"));
    assert_eq!(amount(u128::MAX), text(u128::MAX.to_string()));
    assert_eq!(opt_bool(Some(true)), Value::Integer(1));
    assert_eq!(opt_bool(None), Value::Null);
}

#[test]
fn static_and_borrowed_text_is_not_copied() {
    assert!(matches!(text("publish"), Value::Text(Text::Borrowed(_))));
    let owned = String::from("detail");
    assert!(matches!(
        text(owned.as_str()),
        Value::Text(Text::Borrowed(_))
    ));
    let kept: Value<'static> = text(owned.as_str()).into_owned();
    assert_eq!(kept, text("detail"));
}

#[test]
fn a_value_stays_small_enough_to_move_cheaply() {
    // Every column value is moved a few times on its way to a sink; the in-place
    // text buffer sets its size.
    assert!(
        std::mem::size_of::<Value>() <= 96,
        "{}",
        std::mem::size_of::<Value>()
    );
}

#[test]
fn short_formatted_text_is_written_in_place() {
    let key = [7u8; 32];
    let sig = [0xabu8; 64];
    let in_place = |v: &Value| matches!(v, Value::Text(Text::Inline(_)));
    assert!(in_place(&hex(&key)), "a hash's 64 digits fit");
    assert_eq!(hex(&key), text("07".repeat(32)));
    assert!(!in_place(&hex(&sig)), "a signature's 128 digits do not");
    assert_eq!(hex(&sig), text("AB".repeat(64)));
    assert!(in_place(&account(&key)));
    assert_eq!(account(&key), text(crate::protocol::encode_account(&key)));
    assert!(in_place(&node_id(&key)));
    assert_eq!(node_id(&key), text(crate::protocol::encode_node_id(&key)));
    assert!(in_place(&time_text(1_598_131_800_000_000)));
    assert!(in_place(&amount(u128::MAX)));
    assert!(in_place(&u64_value(u64::MAX)));
    assert_eq!(u64_value(u64::MAX), text(u64::MAX.to_string()));
    // A year of five digits still formats, the slow way.
    assert_eq!(
        time_text(253_402_300_800_000_000),
        text("10000-01-01 00:00:00.000000")
    );
}

/// A live-network keepalive from 10.0.0.1:7075 whose first peer is 1.2.3.4:7075.
fn keepalive_event() -> Event {
    let mut datagram = vec![b'R', b'C', 21, 21, 18, 0x02, 0, 0];
    let mut peers = [0u8; 144];
    peers[10..16].copy_from_slice(&[0xff, 0xff, 1, 2, 3, 4]);
    peers[16..18].copy_from_slice(&7075u16.to_le_bytes());
    datagram.extend_from_slice(&peers);
    let (header, payload) = decode_datagram(&datagram).expect("a keepalive");
    Event::Message(MessageEvent {
        id: 1,
        meta: PacketMeta {
            frame: 3,
            time_usec: 1_600_000_000_000_001,
            transport: Transport::Udp,
            ipv: 4,
            src_ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            src_port: 7075,
            dst_ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            dst_port: 7075,
            flow_key: 42,
        },
        header,
        size: 144,
        payload,
        peer_cookie: None,
    })
}

fn column_index<T: TableDef>(name: &str) -> usize {
    T::columns()
        .iter()
        .position(|c| c.name == name)
        .unwrap_or_else(|| panic!("{} has no column {name}", T::NAME))
}

#[test]
fn a_table_row_without_sqlite() {
    let ev = keepalive_event();
    let scan = ScanState::default();
    assert_eq!(Packets::rows(&ev, &scan), 1);
    let row: Vec<Value<'_>> = row_values::<Packets>(&ev, 0, &scan).collect();
    assert_eq!(row.len(), Packets::columns().len());
    let get = |name| &row[column_index::<Packets>(name)];
    assert_eq!(get("id"), &Value::Integer(1));
    assert_eq!(get("time"), &text("2020-09-13 12:26:40.000001"));
    assert_eq!(get("transport"), &text("udp"));
    assert_eq!(get("network"), &text("live"));
    assert_eq!(get("msg_name"), &text("keepalive"));
    assert_eq!(get("item_count"), &Value::Null);
    assert_eq!(get("error"), &Value::Null);
    let details: serde_json::Value =
        serde_json::from_str(get("details").as_str().unwrap()).expect("details is JSON");
    assert_eq!(details["peers"][0]["port"], 7075);
    assert_eq!(details["peers"].as_array().map(Vec::len), Some(8));
}

#[test]
fn a_per_item_table_without_sqlite() {
    type Peers = PerMessage<KeepalivePeers>;
    let ev = keepalive_event();
    let scan = ScanState::default();
    assert_eq!(Peers::rows(&ev, &scan), 8);
    let ip = column_index::<Peers>("ip");
    let port = column_index::<Peers>("port");
    assert_eq!(Peers::column(&ev, 0, ip, &scan), text("1.2.3.4"));
    assert_eq!(Peers::column(&ev, 0, port, &scan), Value::Integer(7075));
    assert_eq!(
        Peers::column(&ev, 7, column_index::<Peers>("empty"), &scan),
        Value::Integer(1)
    );
    // The meta columns come first, for every per-item table.
    assert_eq!(Peers::columns()[0].name, "packet_id");
    assert_eq!(Peers::column(&ev, 5, 0, &scan), Value::Integer(1));
    // Not a table's kind of message: no rows.
    assert_eq!(
        PerMessage::<super::tables::votes::Votes>::rows(&ev, &scan),
        0
    );
}
