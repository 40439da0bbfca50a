// What a result cell shows: its value as text, or a link when the column is one of the
// database's links (packet_id, content_table/content_id, flow keys, bootstrap request ids)
// or holds a hash or an account (to every row that mentions it).

import { h } from './dom.js';
import { isMention, columnKinds, valueKind } from './mentions.js';

const REQUEST_LINKS = {
    frontier_request_id: 'frontier_request',
    bulk_pull_request_id: 'bulk_pull_request',
    bulk_pull_account_request_id: 'bulk_pull_account_request',
};

function isInteger(v) {
    return (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint';
}

export function mentionsUrl(value) {
    return `/mentions/${encodeURIComponent(value)}`;
}

/** The text a value shows as: JSON types kept apart (NULL is not the text "NULL"). */
function valueNode(value) {
    if (value === null) return h('span', { class: 'null' }, 'NULL');
    return document.createTextNode(String(value));
}

/**
 * The URL a cell links to, or null. `row` and `columns` give the other cells of its row
 * (content_id needs content_table).
 */
export function cellUrl(column, value, row, columns) {
    if (value === null || value === undefined) return null;
    const name = String(column).toLowerCase();
    if ((name === 'packet_id' || name === 'message_id') && isInteger(value)) return `/packet/${value}`;
    // request_id of a bootstrap stream block is the request message's id (an integer);
    // asc_pull's request_id is the message's own 64-bit id, as text, and links nowhere.
    if (name === 'request_id' && isInteger(value)) return `/packet/${value}`;
    if ((name === 'flowkey' || name === 'flow_key') && isInteger(value)) return `/flow/${value}`;
    if (REQUEST_LINKS[name] && isInteger(value)) return `/${REQUEST_LINKS[name]}/${value}`;
    if (name === 'content_id' || name === 'content_table') {
        const t = columns.findIndex((c) => c.toLowerCase() === 'content_table');
        const i = columns.findIndex((c) => c.toLowerCase() === 'content_id');
        if (t < 0 || i < 0) return null;
        const table = row[t];
        const id = row[i];
        if (typeof table === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(table) && isInteger(id)) {
            return `/${table}/${id}`;
        }
        return null;
    }
    if (isMention(column, value)) return mentionsUrl(value);
    return null;
}

/** The content of one result cell. */
export function cellContent(column, value, row, columns) {
    // vote.hashes: a comma-separated list, each hash its own link.
    if (columnKinds(column).includes('list') && typeof value === 'string' && value.includes(',')) {
        const items = value.split(',');
        if (items.every((x) => valueKind(x) === 'hash')) {
            const out = [];
            items.forEach((x, i) => {
                if (i > 0) out.push(',', h('wbr'));
                out.push(h('a', { href: mentionsUrl(x), class: 'mono' }, x));
            });
            return out;
        }
    }
    if (columnKinds(column).includes('list') && valueKind(value) === 'hash') {
        return h('a', { href: mentionsUrl(value), class: 'mono' }, value);
    }
    const url = cellUrl(column, value, row, columns);
    if (url) return h('a', { href: url }, String(value));
    return valueNode(value);
}
