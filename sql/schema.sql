-- nanocap capture database, schema version 1.
--
-- Applied by the first nano_import() or nano_capture_start() into a database; the version
-- is kept in PRAGMA user_version, so a later nanocap migrates an older database and refuses
-- one written by a newer schema. Table and column names follow the original C++ nanocap,
-- so its example queries run as they are; the values are in the formats of the table
-- functions (uppercase hex, nano_ accounts, node_ ids, decimal raw amounts, UTC time text
-- plus microseconds, work and difficulty as 16 lowercase hex digits, u64 values that do not
-- fit SQLite's integers as decimal text).
--
-- Ids: packet.id is the run's packet_id_base plus the message's number in its capture (the
-- nano_packets id), so it is unique across runs and, for the first run, equal to
-- nano_packets.id. A table with at most one row per message uses the packet's id as its own
-- (vote.id, telemetry.id, frontier_request.id, ...); the other tables number their rows
-- themselves. Links: packet_id everywhere, packet.content_table/content_id to the row that
-- holds the message's content, and <request>_id from a bootstrap answer to its request.

-- One row per import or live capture.
CREATE TABLE IF NOT EXISTS runs (
    id_multiplier INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    kind TEXT NOT NULL,                 -- 'import' or 'capture'
    source TEXT NOT NULL,               -- the file, or the device
    filter TEXT,
    options TEXT,                       -- the options in force, as JSON
    nanocap_version TEXT NOT NULL,
    packet_id_base INTEGER NOT NULL,    -- packet.id = packet_id_base + message number
    ended TEXT,                         -- wall-clock end, NULL while running
    end_reason TEXT,                    -- complete, truncated, max_size, interrupted, stopped, error: ...; NULL while running
    frames INTEGER NOT NULL DEFAULT 0,
    bytes_read INTEGER NOT NULL DEFAULT 0,
    messages INTEGER NOT NULL DEFAULT 0,
    anomalies INTEGER NOT NULL DEFAULT 0,
    max_size_reached INTEGER NOT NULL DEFAULT 0
);

-- nano_packets: one row per Nano message.
CREATE TABLE IF NOT EXISTS packet (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL,
    frame INTEGER NOT NULL,
    time TEXT NOT NULL,
    time_usec INTEGER NOT NULL,
    transport TEXT NOT NULL,
    ipv INTEGER NOT NULL,
    srcip TEXT NOT NULL,
    srcport INTEGER NOT NULL,
    dstip TEXT NOT NULL,
    dstport INTEGER NOT NULL,
    flow_key INTEGER NOT NULL,
    network TEXT NOT NULL,
    version_max INTEGER NOT NULL,
    version_using INTEGER NOT NULL,
    version_min INTEGER NOT NULL,
    msg_type INTEGER NOT NULL,
    msg_name TEXT,
    extensions INTEGER NOT NULL,
    block_type INTEGER,
    item_count INTEGER,
    size INTEGER NOT NULL,
    error TEXT,
    content_table TEXT,
    content_id INTEGER
);
CREATE INDEX IF NOT EXISTS idx_msg_type ON packet (msg_type);
CREATE INDEX IF NOT EXISTS packet_flow_key ON packet (flow_key);
CREATE INDEX IF NOT EXISTS packet_time_usec ON packet (time_usec);

-- nano_connections: connection events. flowkey is the original's name for flow_key.
CREATE TABLE IF NOT EXISTS connection (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL,
    frame INTEGER NOT NULL,
    time TEXT NOT NULL,
    time_usec INTEGER NOT NULL,
    ipv INTEGER NOT NULL,
    srcip TEXT NOT NULL,
    srcport INTEGER NOT NULL,
    dstip TEXT NOT NULL,
    dstport INTEGER NOT NULL,
    flowkey INTEGER NOT NULL,
    flow_key INTEGER GENERATED ALWAYS AS (flowkey) VIRTUAL,
    event TEXT NOT NULL,
    closed INTEGER NOT NULL,
    detail TEXT,
    message_id INTEGER,                 -- packet.id of the message the event is about
    src_node_id TEXT,
    dst_node_id TEXT
);
CREATE INDEX IF NOT EXISTS connection_flowkey ON connection (flowkey);
-- Partial indexes for the two common questions about connections: which closed after a
-- time, and where the bootstrap streams ended (the table has a row per TCP message).
CREATE INDEX IF NOT EXISTS connection_closed_time ON connection (time) WHERE closed;
CREATE INDEX IF NOT EXISTS connection_stream_end ON connection (event) WHERE event LIKE 'end of %';

-- nano_keepalive_peers: all 8 slots of every keepalive.
CREATE TABLE IF NOT EXISTS keepalive_host (
    id INTEGER PRIMARY KEY,
    packet_id INTEGER NOT NULL,
    slot INTEGER NOT NULL,
    address TEXT NOT NULL,
    ip TEXT NOT NULL,
    port INTEGER NOT NULL,
    empty INTEGER NOT NULL,
    time TEXT NOT NULL                  -- capture time of the keepalive
);
CREATE INDEX IF NOT EXISTS keepalive_host_packet ON keepalive_host (packet_id);

-- nano_votes: one row per confirm_ack. id = packet.id.
CREATE TABLE IF NOT EXISTS vote (
    id INTEGER PRIMARY KEY,
    packet_id INTEGER NOT NULL,
    content_table TEXT,                 -- legacy vote-by-block: the block's table and row
    content_id INTEGER,
    vote_count INTEGER,
    vbh INTEGER NOT NULL,
    account TEXT NOT NULL,
    signature TEXT NOT NULL,
    signature_valid INTEGER,
    vote_hash TEXT NOT NULL,
    timestamp_raw TEXT NOT NULL,
    final INTEGER NOT NULL,
    timestamp_ms INTEGER,
    timestamp TEXT,
    duration_ms INTEGER,
    sequence INTEGER,                   -- V21 and older only (the original mixed all of these)
    hashes TEXT,
    block_hash TEXT,
    rebroadcasted INTEGER,
    version_using INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS vote_account ON vote (account);

-- nano_vote_hashes: one row per hash voted for.
CREATE TABLE IF NOT EXISTS vote_hash (
    id INTEGER PRIMARY KEY,
    packet_id INTEGER NOT NULL,         -- = vote.id
    account TEXT NOT NULL,
    hash_index INTEGER NOT NULL,
    hash TEXT NOT NULL,
    final INTEGER NOT NULL,
    timestamp_ms INTEGER,
    rebroadcasted INTEGER,
    timestamp TEXT
);
CREATE INDEX IF NOT EXISTS vote_hash_hash ON vote_hash (hash);

-- nano_confirm_req_pairs: the hash/root pairs of confirm_req by hash.
CREATE TABLE IF NOT EXISTS confirm_req_pair (
    id INTEGER PRIMARY KEY,
    packet_id INTEGER NOT NULL,
    pair_index INTEGER NOT NULL,
    hash TEXT NOT NULL,
    root TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS confirm_req_pair_hash ON confirm_req_pair (hash);
CREATE INDEX IF NOT EXISTS confirm_req_pair_packet ON confirm_req_pair (packet_id);

-- nano_blocks, one table per block type. Every block table has the columns every block
-- has; the type's own fields follow. Bootstrap stream blocks carry the place and time of
-- their own bytes (the server's), realtime blocks the message's.
CREATE TABLE IF NOT EXISTS block_state (
    id INTEGER PRIMARY KEY,
    packet_id INTEGER NOT NULL,
    frame INTEGER NOT NULL, time TEXT NOT NULL, time_usec INTEGER NOT NULL,
    srcip TEXT NOT NULL, srcport INTEGER NOT NULL, dstip TEXT NOT NULL, dstport INTEGER NOT NULL,
    flow_key INTEGER NOT NULL,
    context TEXT NOT NULL,
    request_id INTEGER,
    item_index INTEGER,
    hash TEXT NOT NULL,
    account TEXT,
    previous TEXT,
    representative TEXT,
    balance TEXT,
    link TEXT,
    link_as_account TEXT,
    signature TEXT NOT NULL,
    signature_valid INTEGER,
    work TEXT NOT NULL,
    work_valid INTEGER NOT NULL,
    originator INTEGER
);
CREATE TABLE IF NOT EXISTS block_send (
    id INTEGER PRIMARY KEY,
    packet_id INTEGER NOT NULL,
    frame INTEGER NOT NULL, time TEXT NOT NULL, time_usec INTEGER NOT NULL,
    srcip TEXT NOT NULL, srcport INTEGER NOT NULL, dstip TEXT NOT NULL, dstport INTEGER NOT NULL,
    flow_key INTEGER NOT NULL,
    context TEXT NOT NULL,
    request_id INTEGER,
    item_index INTEGER,
    hash TEXT NOT NULL,
    previous TEXT,
    destination TEXT,
    balance TEXT,
    signature TEXT NOT NULL,
    signature_valid INTEGER,
    work TEXT NOT NULL,
    work_valid INTEGER NOT NULL,
    originator INTEGER
);
CREATE TABLE IF NOT EXISTS block_receive (
    id INTEGER PRIMARY KEY,
    packet_id INTEGER NOT NULL,
    frame INTEGER NOT NULL, time TEXT NOT NULL, time_usec INTEGER NOT NULL,
    srcip TEXT NOT NULL, srcport INTEGER NOT NULL, dstip TEXT NOT NULL, dstport INTEGER NOT NULL,
    flow_key INTEGER NOT NULL,
    context TEXT NOT NULL,
    request_id INTEGER,
    item_index INTEGER,
    hash TEXT NOT NULL,
    previous TEXT,
    source TEXT,
    signature TEXT NOT NULL,
    signature_valid INTEGER,
    work TEXT NOT NULL,
    work_valid INTEGER NOT NULL,
    originator INTEGER
);
CREATE TABLE IF NOT EXISTS block_open (
    id INTEGER PRIMARY KEY,
    packet_id INTEGER NOT NULL,
    frame INTEGER NOT NULL, time TEXT NOT NULL, time_usec INTEGER NOT NULL,
    srcip TEXT NOT NULL, srcport INTEGER NOT NULL, dstip TEXT NOT NULL, dstport INTEGER NOT NULL,
    flow_key INTEGER NOT NULL,
    context TEXT NOT NULL,
    request_id INTEGER,
    item_index INTEGER,
    hash TEXT NOT NULL,
    source TEXT,
    representative TEXT,
    account TEXT,
    signature TEXT NOT NULL,
    signature_valid INTEGER,
    work TEXT NOT NULL,
    work_valid INTEGER NOT NULL,
    originator INTEGER
);
CREATE TABLE IF NOT EXISTS block_change (
    id INTEGER PRIMARY KEY,
    packet_id INTEGER NOT NULL,
    frame INTEGER NOT NULL, time TEXT NOT NULL, time_usec INTEGER NOT NULL,
    srcip TEXT NOT NULL, srcport INTEGER NOT NULL, dstip TEXT NOT NULL, dstport INTEGER NOT NULL,
    flow_key INTEGER NOT NULL,
    context TEXT NOT NULL,
    request_id INTEGER,
    item_index INTEGER,
    hash TEXT NOT NULL,
    previous TEXT,
    representative TEXT,
    signature TEXT NOT NULL,
    signature_valid INTEGER,
    work TEXT NOT NULL,
    work_valid INTEGER NOT NULL,
    originator INTEGER
);
CREATE INDEX IF NOT EXISTS block_state_hash ON block_state (hash);
CREATE INDEX IF NOT EXISTS block_state_account ON block_state (account);
CREATE INDEX IF NOT EXISTS block_send_hash ON block_send (hash);
CREATE INDEX IF NOT EXISTS block_receive_hash ON block_receive (hash);
CREATE INDEX IF NOT EXISTS block_open_hash ON block_open (hash);
CREATE INDEX IF NOT EXISTS block_change_hash ON block_change (hash);

-- nano_handshakes, split as the original did: the query part and the response part of
-- each node_id_handshake (either or both). id = packet.id.
CREATE TABLE IF NOT EXISTS nodeid_query (
    id INTEGER PRIMARY KEY,
    packet_id INTEGER NOT NULL,
    cookie TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS nodeid_response (
    id INTEGER PRIMARY KEY,
    packet_id INTEGER NOT NULL,
    nodeid TEXT NOT NULL,               -- hex
    nodeid_as_account TEXT NOT NULL,    -- node_ address
    signature TEXT NOT NULL,
    v2 INTEGER NOT NULL,
    salt TEXT,
    genesis TEXT,
    peer_cookie TEXT,
    signature_valid INTEGER
);
CREATE INDEX IF NOT EXISTS nodeid_response_nodeid ON nodeid_response (nodeid);

-- nano_telemetry: telemetry_ack, fields in wire order. id = packet.id.
CREATE TABLE IF NOT EXISTS telemetry (
    id INTEGER PRIMARY KEY,
    packet_id INTEGER NOT NULL,
    empty INTEGER NOT NULL,
    signature TEXT,
    signature_valid INTEGER,
    nodeid TEXT,
    nodeid_as_account TEXT,
    blockcount INTEGER,
    cementedcount INTEGER,
    uncheckedcount INTEGER,
    accountcount INTEGER,
    bandwidthcap INTEGER,
    peercount INTEGER,
    protocolversion INTEGER,
    uptime INTEGER,
    genesisblock TEXT,
    majorversion INTEGER,
    minorversion INTEGER,
    patchversion INTEGER,
    prereleaseversion INTEGER,
    maker INTEGER,
    timestamp INTEGER,                  -- milliseconds since 1970, as the original
    timestamp_utc TEXT,                 -- the same as UTC text
    activedifficulty TEXT,
    unknown_data TEXT
);

-- Legacy bootstrap requests; id = packet.id, so <request>_id links answers to them.
CREATE TABLE IF NOT EXISTS frontier_request (
    id INTEGER PRIMARY KEY,
    packet_id INTEGER NOT NULL,
    start TEXT NOT NULL,
    age INTEGER NOT NULL,
    count INTEGER NOT NULL,
    only_confirmed INTEGER
);
CREATE TABLE IF NOT EXISTS bulk_pull_request (
    id INTEGER PRIMARY KEY,
    packet_id INTEGER NOT NULL,
    start TEXT NOT NULL,
    start_as_account TEXT NOT NULL,
    end TEXT NOT NULL,
    extended_count INTEGER,             -- nano_bulk_pull_requests.count
    ascending INTEGER
);
CREATE TABLE IF NOT EXISTS bulk_pull_account_request (
    id INTEGER PRIMARY KEY,
    packet_id INTEGER NOT NULL,
    account TEXT NOT NULL,
    minimum_amount TEXT NOT NULL,
    flags INTEGER NOT NULL
);

-- Their headerless answers, with the place and time of their own bytes.
CREATE TABLE IF NOT EXISTS frontier_response (
    id INTEGER PRIMARY KEY,
    frontier_request_id INTEGER NOT NULL,
    frame INTEGER NOT NULL, time TEXT NOT NULL, time_usec INTEGER NOT NULL,
    srcip TEXT NOT NULL, srcport INTEGER NOT NULL, dstip TEXT NOT NULL, dstport INTEGER NOT NULL,
    flow_key INTEGER NOT NULL,
    entry_index INTEGER NOT NULL,
    account TEXT NOT NULL,
    frontier_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS frontier_response_request ON frontier_response (frontier_request_id);
CREATE TABLE IF NOT EXISTS bulk_pull_response (
    id INTEGER PRIMARY KEY,
    bulk_pull_request_id INTEGER NOT NULL,
    item_index INTEGER NOT NULL,
    content_table TEXT NOT NULL,
    content_id INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS bulk_pull_response_request ON bulk_pull_response (bulk_pull_request_id);
CREATE TABLE IF NOT EXISTS bulk_push_entry (
    id INTEGER PRIMARY KEY,
    packet_id INTEGER NOT NULL,         -- the bulk_push message
    item_index INTEGER NOT NULL,
    content_table TEXT NOT NULL,
    content_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS bulk_pull_account_response (
    id INTEGER PRIMARY KEY,
    bulk_pull_account_request_id INTEGER NOT NULL,
    frame INTEGER NOT NULL, time TEXT NOT NULL, time_usec INTEGER NOT NULL,
    srcip TEXT NOT NULL, srcport INTEGER NOT NULL, dstip TEXT NOT NULL, dstport INTEGER NOT NULL,
    flow_key INTEGER NOT NULL,
    frontier_hash TEXT NOT NULL,
    balance TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS bulk_pull_account_response_entry (
    id INTEGER PRIMARY KEY,
    bulk_pull_account_request_id INTEGER NOT NULL,
    frame INTEGER NOT NULL, time TEXT NOT NULL, time_usec INTEGER NOT NULL,
    srcip TEXT NOT NULL, srcport INTEGER NOT NULL, dstip TEXT NOT NULL, dstport INTEGER NOT NULL,
    flow_key INTEGER NOT NULL,
    entry_index INTEGER NOT NULL,
    hash TEXT,
    amount TEXT,
    source TEXT
);
CREATE INDEX IF NOT EXISTS bulk_pull_account_response_entry_request
    ON bulk_pull_account_response_entry (bulk_pull_account_request_id);

-- nano_asc_pull: asc_pull_req and asc_pull_ack. id = packet.id.
CREATE TABLE IF NOT EXISTS asc_pull (
    id INTEGER PRIMARY KEY,
    packet_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    request_id TEXT NOT NULL,           -- the message's own 64-bit id, decimal text
    pull_type INTEGER,
    pull_type_name TEXT,
    start TEXT,
    start_type INTEGER,
    count INTEGER,
    target TEXT,
    target_type INTEGER,
    blocks INTEGER,
    entries INTEGER,
    account TEXT,
    open_block TEXT,
    head_block TEXT,
    account_block_count INTEGER,
    conf_frontier TEXT,
    conf_height INTEGER
);
CREATE INDEX IF NOT EXISTS asc_pull_request_id ON asc_pull (request_id);
CREATE TABLE IF NOT EXISTS asc_pull_frontier (
    id INTEGER PRIMARY KEY,
    packet_id INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    entry_index INTEGER NOT NULL,
    account TEXT NOT NULL,
    hash TEXT NOT NULL
);

-- nano_anomalies: what could not be read as it should.
CREATE TABLE IF NOT EXISTS anomaly (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL,
    frame INTEGER NOT NULL,
    time TEXT NOT NULL,
    time_usec INTEGER NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT,
    packet_id INTEGER,
    srcip TEXT,
    srcport INTEGER,
    dstip TEXT,
    dstport INTEGER,
    flow_key INTEGER
);
CREATE INDEX IF NOT EXISTS anomaly_kind ON anomaly (kind);

-- nano_stats, plus live capture's loss counters: one row at the end of an import, one
-- every few seconds during a live capture (counters are totals since the run began).
CREATE TABLE IF NOT EXISTS capture_stats (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL,
    time TEXT NOT NULL,
    frames INTEGER NOT NULL,
    non_ip_frames INTEGER NOT NULL,
    unknown_link_frames INTEGER NOT NULL,
    bad_link_frames INTEGER NOT NULL,
    bad_ip_frames INTEGER NOT NULL,
    other_ip_packets INTEGER NOT NULL,
    ip_fragments INTEGER NOT NULL,
    reassembled_datagrams INTEGER NOT NULL,
    udp_datagrams INTEGER NOT NULL,
    tcp_segments INTEGER NOT NULL,
    bad_transport INTEGER NOT NULL,
    non_nano_datagrams INTEGER NOT NULL,
    messages INTEGER NOT NULL,
    anomalies INTEGER NOT NULL,
    filtered_frames INTEGER,            -- frames the filter left out
    pcap_received INTEGER,              -- live capture: libpcap's own counters
    pcap_dropped INTEGER,
    pcap_if_dropped INTEGER,
    queue_dropped INTEGER               -- frames nanocap dropped (queue full), never silently
);
