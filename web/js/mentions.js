// Hashes and accounts: which columns hold them, and the query that finds every row of this
// database mentioning one value. The columns are taken from the live schema, so a table
// added later is searched without a change here.

import { literal, ident } from './sql.js';
import { rowKey, hasColumn } from './schema.js';

const HASH = /^[0-9A-Fa-f]{64}$/;
const ADDRESS = /^(nano|xrb)_[13][13456789abcdefghijkmnopqrstuwxyz]{59}$/;
const NODE = /^node_[13][13456789abcdefghijkmnopqrstuwxyz]{59}$/;

// Column name -> the kinds of value it can hold (sql/schema.sql). `link`, `start` and
// `source` hold a block hash or an account's key depending on the block or request.
const HEX_COLUMNS = new Set([
    'previous', 'link', 'root', 'source', 'start', 'end', 'genesis', 'genesisblock',
    'open_block', 'head_block', 'conf_frontier', 'target', 'nodeid',
]);
const ACCOUNT_COLUMNS = new Set([
    'account', 'representative', 'destination', 'link_as_account', 'start_as_account', 'source', 'start',
]);
const NODE_COLUMNS = new Set(['nodeid_as_account', 'src_node_id', 'dst_node_id']);
// vote.hashes: every hash of the vote, comma-separated.
const LIST_COLUMNS = new Set(['hashes']);

/** 'hash' | 'account' | 'node' | null: what kind of value this is. */
export function valueKind(value) {
    if (typeof value !== 'string') return null;
    if (HASH.test(value)) return 'hash';
    if (ADDRESS.test(value)) return 'account';
    if (NODE.test(value)) return 'node';
    return null;
}

/** The kinds a column of this name holds (empty when it holds none of them). */
export function columnKinds(name) {
    const n = String(name).toLowerCase();
    const kinds = [];
    if (LIST_COLUMNS.has(n)) return ['list'];
    if (n.includes('hash') || HEX_COLUMNS.has(n)) kinds.push('hash');
    if (ACCOUNT_COLUMNS.has(n)) kinds.push('account');
    if (NODE_COLUMNS.has(n)) kinds.push('node');
    return kinds;
}

/** Whether a cell of this column with this value links to its mentions. */
export function isMention(column, value) {
    const kind = valueKind(value);
    return kind !== null && columnKinds(column).includes(kind);
}

function isText(column) {
    return column.type === null || column.type === '' || /CHAR|CLOB|TEXT/i.test(column.type);
}

/**
 * One SELECT over every table with a column of the value's kind: which table and row,
 * the message it belongs to, when, and which column matched. Null when no column can hold
 * the value.
 */
export function mentionsQuery(schema, value) {
    const kind = valueKind(value);
    if (!kind) return null;
    const v = literal(value);
    const parts = [];
    for (const table of schema) {
        // runs.source is the capture's file or device, not an account.
        if (table.table === 'runs') continue;
        const tests = [];
        for (const column of table.columns) {
            if (!isText(column)) continue;
            const kinds = columnKinds(column.name);
            if (kinds.includes(kind)) tests.push([column.name, `${ident(column.name)} = ${v}`]);
            else if (kinds.includes('list') && kind === 'hash') {
                tests.push([column.name, `instr(${ident(column.name)}, ${v}) > 0`]);
            }
        }
        if (tests.length === 0) continue;
        const key = rowKey(table);
        const packetId = hasColumn(table, 'packet_id') ? 'packet_id' : table.table === 'packet' ? 'id' : 'NULL';
        const time = hasColumn(table, 'time') ? 'time' : 'NULL';
        const which = tests.length === 1
            ? literal(tests[0][0])
            : `CASE ${tests.map(([name, test]) => `WHEN ${test} THEN ${literal(name)}`).join(' ')} END`;
        parts.push(
            `SELECT ${literal(table.table)} AS content_table, ${ident(key)} AS content_id, ` +
            `${which} AS matched_column, ${packetId} AS packet_id, ${time} AS time\n` +
            `FROM ${ident(table.table)} WHERE ${tests.map(([, test]) => test).join(' OR ')}`,
        );
    }
    if (parts.length === 0) return null;
    return `${parts.join('\nUNION ALL\n')}\nORDER BY packet_id, content_table, content_id`;
}
