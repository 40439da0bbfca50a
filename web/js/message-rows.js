// The rows that belong to one message, shown under a packet: what its id links to in
// every other table, found from the live schema (packet_id columns, and connection's
// message_id).

import { hasColumn, rowKey } from './schema.js';
import { ident, integer, literal } from './sql.js';

/**
 * Every row that belongs to one message: the rows of other tables whose packet_id is it,
 * and the connection events about it (message_id). Null when no table links to packets.
 */
export function messageRowsQuery(schema, id) {
    const n = integer(id);
    const parts = [];
    for (const table of schema) {
        if (table.table === 'packet') continue;
        for (const link of ['packet_id', 'message_id']) {
            if (!hasColumn(table, link)) continue;
            parts.push(`select ${literal(table.table)} as content_table, ${ident(rowKey(table))} as content_id, ` +
                `${literal(link)} as linked_by from ${ident(table.table)} where ${ident(link)} = ${n}`);
        }
    }
    return parts.length ? `${parts.join('\nunion all\n')}\norder by content_table, content_id` : null;
}
