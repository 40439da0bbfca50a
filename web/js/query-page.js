// The query page: the SQL editor, its examples and history, the result grid and the
// per-type counts beside them. Every query route (/query, /packets/n, /packet/id,
// /flow/key, /<table>/<id>, /mentions/value) is this page with a query built for it; the
// address is the source of truth, so a query that runs is always bookmarkable.

import { query, exportUrl } from './api.js';
import { h, replace } from './dom.js';
import { showError, clearError } from './errors.js';
import { renderResult } from './grid.js';
import { EXAMPLES } from './examples.js';
import { loadHistory, addToHistory, clearHistory } from './history.js';
import { navigate, queryUrl } from './router.js';
import { getSchema, findTable, rowKey } from './schema.js';
import { mentionsQuery, valueKind } from './mentions.js';
import { mountCounts } from './counts.js';
import { ident, integer } from './sql.js';
import { messageRowsQuery } from './message-rows.js';

/** The query (and a heading) a route stands for. Throws when the route names nothing. */
async function routeQuery(route) {
    switch (route.name) {
    case 'query':
        return { sql: route.sql, title: null };
    case 'packets':
        return { sql: `select * from packet limit ${route.n}`, title: `The first ${route.n} packets` };
    case 'flow':
        return {
            sql: `select * from connection where flowkey = ${integer(route.flowkey)} order by id`,
            title: `Connection trace of flow ${route.flowkey}`,
        };
    case 'row': {
        const schema = await getSchema();
        const table = findTable(schema, route.table);
        if (!table) throw new Error(`There is no table named ${route.table} in this database.`);
        return {
            sql: `select * from ${ident(table.table)} where ${rowKey(table)} = ${integer(route.id)}`,
            title: `${table.table} ${route.id}`,
        };
    }
    case 'mentions': {
        const kind = valueKind(route.value);
        if (!kind) throw new Error(`${route.value} is neither a block hash nor an account or node id.`);
        const sql = mentionsQuery(await getSchema(), route.value);
        if (!sql) throw new Error(`No table of this database has a column that can hold ${route.value}.`);
        return { sql, title: `Every row that mentions ${route.value}` };
    }
    default:
        throw new Error(`not a query route: ${route.name}`);
    }
}

export function createQueryPage() {
    const textarea = h('textarea', {
        id: 'sql', name: 'sql', rows: 7, spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off',
        'aria-describedby': 'sql-hint', placeholder: 'select * from packet limit 50',
    });
    const runButton = h('button', { type: 'submit', class: 'primary', id: 'run' }, 'Run');
    const csv = h('a', { class: 'export', download: 'query.csv', id: 'export-csv' }, 'CSV');
    const ndjson = h('a', { class: 'export', download: 'query.ndjson', id: 'export-ndjson' }, 'NDJSON');
    const exports = h('span', { class: 'exports', hidden: true }, 'Export every row: ', csv, ' · ', ndjson);
    const historyList = h('ul', { class: 'menu-list' });
    const historyMenu = h('details', { class: 'menu', id: 'history' },
        h('summary', {}, 'History'), historyList);
    const examplesMenu = h('details', { class: 'menu', id: 'examples' },
        h('summary', {}, 'Examples'),
        h('ul', { class: 'menu-list' }, EXAMPLES.map((ex) => h('li', {},
            h('button', { type: 'button', class: 'menu-item', onclick: () => submit(ex.sql) },
                h('span', { class: 'menu-title' }, ex.title),
                h('code', { class: 'menu-sql' }, ex.sql))))));
    const form = h('form', { class: 'editor', 'aria-label': 'SQL query' },
        h('label', { for: 'sql', class: 'editor-label' }, 'SQL'),
        textarea,
        h('div', { class: 'editor-bar' },
            runButton,
            h('span', { id: 'sql-hint', class: 'hint' }, 'Ctrl+Enter (⌘+Enter) runs the query'),
            examplesMenu, historyMenu, exports),
    );
    const heading = h('h1', { class: 'page-title', id: 'query-title' });
    const result = h('section', { id: 'result', class: 'result', 'aria-labelledby': 'query-title', 'aria-busy': 'false' });
    // Under a packet: the rows of the other tables that belong to it.
    const relatedTitle = h('h2', { id: 'related-title' }, 'Rows that belong to this message');
    const relatedBody = h('div', { id: 'related-result' });
    const related = h('section', { class: 'related', 'aria-labelledby': 'related-title', hidden: true }, relatedTitle, relatedBody);
    const counts = h('aside', { id: 'counts', class: 'side', 'aria-label': 'Messages per type' });
    const root = h('div', { class: 'query-page' }, h('div', { class: 'query-main' }, heading, form, result, related), counts);
    mountCounts(counts);

    let controller = null;

    function renderHistory() {
        const items = loadHistory();
        replace(historyList, items.length === 0
            ? h('li', { class: 'empty' }, 'No query run yet.')
            : [
                ...items.map((sql) => h('li', {},
                    h('button', { type: 'button', class: 'menu-item', onclick: () => submit(sql) },
                        h('code', { class: 'menu-sql' }, sql)))),
                h('li', {}, h('button', {
                    type: 'button', class: 'link-button',
                    onclick: () => { clearHistory(); renderHistory(); },
                }, 'Clear history')),
            ]);
    }
    historyMenu.addEventListener('toggle', () => { if (historyMenu.open) renderHistory(); });

    /** The editor's own runs: recorded in the history, then run through the address. */
    function submit(sql) {
        const text = sql.trim();
        if (!text) return;
        examplesMenu.open = false;
        historyMenu.open = false;
        textarea.value = text;
        addToHistory(text);
        const url = queryUrl(text);
        navigate(url, { replace: window.location.pathname + window.location.search === url });
    }

    form.addEventListener('submit', (e) => {
        e.preventDefault();
        submit(textarea.value);
    });
    textarea.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            submit(textarea.value);
        }
    });

    async function run(sql) {
        if (controller) controller.abort();
        controller = new AbortController();
        const mine = controller;
        csv.href = exportUrl(sql, 'csv');
        ndjson.href = exportUrl(sql, 'ndjson');
        exports.hidden = false;
        result.setAttribute('aria-busy', 'true');
        replace(result, h('p', { class: 'running' }, 'Running…'));
        try {
            const reply = await query(sql, mine.signal);
            clearError('query');
            renderResult(result, reply);
        } catch (e) {
            if (e.name === 'AbortError') return;
            showError('query', `Query failed: ${e.message}`);
            replace(result, h('p', { class: 'failed' }, 'No result: the query failed (the message is above).'));
        } finally {
            if (controller === mine) {
                result.setAttribute('aria-busy', 'false');
                controller = null;
            }
        }
    }

    let shown = 0; // which show() is current: a late answer for an older page is dropped

    async function showMessageRows(id, mine) {
        const sql = messageRowsQuery(await getSchema(), id);
        if (!sql) return;
        try {
            const reply = await query(sql);
            if (mine !== shown) return;
            clearError('related');
            renderResult(relatedBody, reply, { asTable: true });
            related.hidden = false;
        } catch (e) {
            showError('related', `Rows of message ${id}: ${e.message}`);
        }
    }

    async function show(route) {
        const mine = ++shown;
        try {
            const { sql, title } = await routeQuery(route);
            heading.textContent = title || 'Query';
            document.title = `${title || 'Query'} · nanocap`;
            clearError('route');
            if (sql === null || sql === undefined || sql.trim() === '') {
                replace(result, h('p', { class: 'empty' }, 'Write a query, or pick one of the examples.'));
                exports.hidden = true;
                textarea.focus();
                return;
            }
            textarea.value = sql;
            related.hidden = true;
            await run(sql);
            if (route.name === 'row' && route.table === 'packet') await showMessageRows(route.id, mine);
        } catch (e) {
            showError('route', e.message);
            replace(result);
        }
    }

    return { root, show };
}
