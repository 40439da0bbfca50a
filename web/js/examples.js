// The example queries of README.md ("Persistent tables"), in the same order and words:
// tests/browser checks that this list and the README's still agree.
export const EXAMPLES = [
    { title: 'messages per type', sql: 'select count(*), msg_type from packet group by msg_type' },
    {
        title: 'how many hashes votes carry (votes by hash; vbh = 0 is a legacy vote-by-block)',
        sql: 'select vote_count, count(*) from vote where vbh group by vote_count order by vote_count',
    },
    {
        title: 'node_id_handshake messages with a response (extensions bit 1)',
        sql: 'select * from packet where msg_type = 0x0a and extensions & 2',
    },
    { title: 'votes for a hash containing 8EB7', sql: "select count(*) from vote where hashes like '%8EB7%'" },
    {
        title: "the message that carried an open block (a bootstrap stream block: the stream's request)",
        sql: "select P.* from block_open O inner join packet P on P.id = O.packet_id where O.hash = '09A2…E281'",
    },
    {
        title: "telemetry node ids and the address that sent each (the message's own sender)",
        sql: "select telemetry.nodeid, packet.srcip from telemetry, packet where telemetry.packet_id = packet.id and srcip not like '192.168.%' limit 200",
    },
    {
        title: 'connections closed (FIN or RST) at or after a capture time (UTC text, compared as text)',
        sql: "select * from connection where closed and time >= '2020-08-22 21:30:00'",
    },
    {
        title: 'frontier entries per frontier_req',
        sql: 'select req.id, count(*) from frontier_request req, frontier_response res where res.frontier_request_id = req.id group by req.id',
    },
    {
        title: 'the end of every bootstrap stream, with its entry count in detail',
        sql: "select * from connection where event like 'end of %'",
    },
    { title: 'one conversation: its open, messages, stream ends and close', sql: 'select * from connection where flowkey = 4117868068' },
];
