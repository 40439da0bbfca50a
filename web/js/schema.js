// The database schema from /api/v1/schema, fetched once and shared: the mentions query,
// the row routes and the schema page all read it. A page that must be current (the
// schema browser) asks for a fresh copy.

import { api } from './api.js';

let cached = null;

export function getSchema({ fresh = false } = {}) {
    if (fresh || !cached) {
        cached = api('schema').catch((e) => {
            cached = null; // a failure is not remembered: the next caller tries again
            throw e;
        });
    }
    return cached;
}

export function findTable(schema, name) {
    return schema.find((t) => t.table === name) || null;
}

export function hasColumn(table, name) {
    return table.columns.some((c) => c.name === name);
}

/** The column a row is addressed by: the table's id, else its integer primary key, else rowid. */
export function rowKey(table) {
    if (hasColumn(table, 'id')) return 'id';
    const pk = table.columns.filter((c) => c.pk > 0);
    if (pk.length === 1 && /^INTEGER$/i.test(pk[0].type || '')) return pk[0].name;
    return 'rowid';
}
