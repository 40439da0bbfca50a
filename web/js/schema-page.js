// The schema browser: every table of the capture database with its columns (type, primary
// key, NOT NULL, default) and its indexes, from /api/v1/schema.

import { h, replace } from './dom.js';
import { getSchema } from './schema.js';
import { showError, clearError } from './errors.js';
import { queryUrl } from './router.js';
import { ident } from './sql.js';

function yes(flag) {
    return flag ? 'yes' : '';
}

function tableSection(t) {
    const id = `table-${t.table}`;
    return h('section', { class: 'schema-table', id, 'aria-labelledby': `${id}-h` },
        h('h2', { id: `${id}-h` }, h('span', { class: 'mono' }, t.table), ' ',
            h('a', { class: 'browse', href: queryUrl(`select * from ${ident(t.table)} limit 100`) }, 'browse rows')),
        h('table', { class: 'grid schema-columns' },
            h('thead', {}, h('tr', {}, ['#', 'column', 'type', 'primary key', 'not null', 'default']
                .map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', {}, t.columns.map((c) => h('tr', {},
                h('td', { class: 'num' }, c.cid),
                h('th', { scope: 'row', class: 'mono' }, c.name),
                h('td', {}, c.type || ''),
                h('td', {}, c.pk ? (c.pk > 1 || t.columns.filter((x) => x.pk).length > 1 ? `yes (${c.pk})` : 'yes') : ''),
                h('td', {}, yes(c.notnull)),
                h('td', { class: 'mono' }, c.dflt_value === null ? '' : String(c.dflt_value)))))),
        (t.indexes && t.indexes.length)
            ? h('table', { class: 'grid schema-indexes' },
                h('caption', {}, 'Indexes'),
                h('thead', {}, h('tr', {}, ['index', 'columns', 'unique'].map((c) => h('th', { scope: 'col' }, c)))),
                h('tbody', {}, t.indexes.map((i) => h('tr', {},
                    h('td', { class: 'mono' }, i.name),
                    h('td', { class: 'mono' }, i.columns.join(', ')),
                    h('td', {}, yes(i.unique))))))
            : h('p', { class: 'empty' }, 'No index.'),
    );
}

export function createSchemaPage() {
    const body = h('div', { class: 'schema-body' }, h('p', { class: 'running' }, 'Loading the schema…'));
    const root = h('div', { class: 'schema-page' }, h('h1', { class: 'page-title' }, 'Schema'), body);

    async function show() {
        document.title = 'Schema · nanocap';
        try {
            const schema = await getSchema({ fresh: true });
            clearError('schema');
            replace(body,
                h('nav', { class: 'toc', 'aria-label': 'Tables' },
                    h('ul', {}, schema.map((t) => h('li', {}, h('a', { href: `#table-${t.table}`, class: 'mono' }, t.table))))),
                schema.map(tableSection));
        } catch (e) {
            showError('schema', `Schema: ${e.message}`);
            replace(body, h('p', { class: 'failed' }, 'The schema could not be read.'));
        }
    }

    return { root, show };
}
