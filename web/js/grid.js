// The result grid: a query result (docs/api.md) as a table whose columns sort on a click,
// in the browser (the rows are all here already), in SQLite's order: NULL, then numbers,
// then text. A single row is shown as a record, one line per column.

import { h, replace } from './dom.js';
import { cellContent } from './links.js';
import { valueKind } from './mentions.js';
import { int } from './fmt.js';

// Numbers include BigInt (integers past 2^53, see api.js); < compares the two kinds exactly.
function isNumber(v) {
    return typeof v === 'number' || typeof v === 'bigint';
}

function rank(v) {
    return v === null ? 0 : isNumber(v) ? 1 : 2;
}

export function compareValues(a, b) {
    const ra = rank(a);
    const rb = rank(b);
    if (ra !== rb) return ra - rb;
    if (ra === 0) return 0;
    return a < b ? -1 : b < a ? 1 : 0;
}

function cellClass(value) {
    if (isNumber(value)) return 'num';
    if (typeof value === 'string' && (valueKind(value) || /^[0-9A-Fa-f]{16,}$/.test(value))) return 'mono';
    return null;
}

function cell(result, row, i) {
    const value = row[i];
    // A long value is cut with an ellipsis in the grid: the whole of it on hover.
    const title = typeof value === 'string' && value.length > 64 ? value : null;
    return h('td', { class: cellClass(value), title }, cellContent(result.columns[i], value, row, result.columns));
}

/** What the server said about the result: counts, and whether it was cut. */
function summary(result) {
    const notes = [h('span', {}, `${int(result.row_count)} ${result.row_count === 1 ? 'row' : 'rows'}`)];
    if (typeof result.elapsed_ms === 'number') notes.push(h('span', {}, ` in ${int(result.elapsed_ms)} ms`));
    const flags = [];
    if (result.truncated) {
        flags.push(h('span', { class: 'flag warn', dataset: { flag: 'truncated' } },
            `truncated: only the first ${int(result.row_limit)} rows are shown (export for all of them)`));
    }
    if (result.timed_out) {
        flags.push(h('span', { class: 'flag warn', dataset: { flag: 'timed_out' } },
            'timed out: the query was stopped at the time limit; these are the rows read until then'));
    }
    return h('div', { class: 'result-summary' }, notes, flags);
}

function recordView(result) {
    const row = result.rows[0];
    return h('table', { class: 'grid record' },
        h('caption', { class: 'visually-hidden' }, 'One row, a line per column'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'column'), h('th', { scope: 'col' }, 'value'))),
        h('tbody', {}, result.columns.map((name, i) =>
            h('tr', {}, h('th', { scope: 'row' }, name), cell(result, row, i)))),
    );
}

function tableView(result) {
    let order = result.rows.map((_, i) => i);
    let sorted = { column: -1, dir: 1 };
    const tbody = h('tbody');
    const headers = result.columns.map((name, i) => {
        const type = result.types && result.types[i];
        return h('th', { scope: 'col', 'aria-sort': 'none', title: type ? `${name} (${type})` : name },
            h('button', { type: 'button', class: 'sort', onclick: () => sortBy(i) }, name));
    });

    function renderBody() {
        replace(tbody, order.map((r) => {
            const row = result.rows[r];
            return h('tr', {}, row.map((_, i) => cell(result, row, i)));
        }));
    }

    function sortBy(i) {
        sorted = { column: i, dir: sorted.column === i ? -sorted.dir : 1 };
        order = result.rows.map((_, r) => r);
        // Array.prototype.sort is stable: equal values keep the server's order.
        order.sort((a, b) => sorted.dir * compareValues(result.rows[a][i], result.rows[b][i]));
        headers.forEach((th, j) => th.setAttribute('aria-sort',
            j !== i ? 'none' : sorted.dir > 0 ? 'ascending' : 'descending'));
        renderBody();
    }

    renderBody();
    return h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, headers)), tbody);
}

/** Shows `result` in `container`. */
export function renderResult(container, result, { extra, asTable = false } = {}) {
    const view = result.rows.length === 1 && !asTable ? recordView(result) : tableView(result);
    const empty = result.rows.length === 0
        ? h('p', { class: 'empty' }, `No rows. Columns: ${result.columns.join(', ') || '(none)'}`)
        : null;
    replace(container, summary(result), extra || null, empty, result.rows.length ? h('div', { class: 'grid-wrap' }, view) : null);
}
