// Messages per type (/api/v1/count/per-type), types with no message left out. Refreshed
// every 2 s while an import or a capture runs, once more when it ends.

import { api } from './api.js';
import { h, replace } from './dom.js';
import { int } from './fmt.js';
import { showError, clearError } from './errors.js';
import { onStatus } from './status.js';
import { queryUrl } from './router.js';

const PERIOD_MS = 2000;

export function mountCounts(el) {
    const list = h('tbody');
    const total = h('span', { class: 'stat-value' });
    let last = 0;
    let running = false;
    let inFlight = false;

    async function refresh() {
        if (inFlight) return;
        inFlight = true;
        last = Date.now();
        try {
            const counts = await api('count/per-type');
            clearError('counts');
            const nonZero = counts.filter((c) => c.count > 0);
            total.textContent = int(nonZero.reduce((sum, c) => sum + c.count, 0));
            replace(list, nonZero.length === 0
                ? h('tr', {}, h('td', { colspan: 2, class: 'empty' }, 'no messages yet'))
                : nonZero.map((c) => h('tr', {},
                    h('td', {}, h('a', {
                        href: queryUrl(`select * from packet where msg_type = ${c.type} limit 100`),
                        title: `message type ${c.type}`,
                    }, c.name || `type ${c.type}`)),
                    h('td', { class: 'num' }, int(c.count)))));
        } catch (e) {
            showError('counts', `Messages per type: ${e.message}`);
        } finally {
            inFlight = false;
        }
    }

    onStatus(({ status }) => {
        if (!status) return;
        const now = status.capturing || status.importing;
        if (now || running !== now) {
            if (!now || Date.now() - last >= PERIOD_MS) refresh();
        }
        running = now;
    });

    window.addEventListener('nanocap:data-changed', refresh);

    replace(el,
        h('h2', {}, 'Messages per type'),
        h('table', { class: 'counts', id: 'per-type' },
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'type'), h('th', { scope: 'col', class: 'num' }, 'count'))),
            list,
            h('tfoot', {}, h('tr', {}, h('th', { scope: 'row' }, 'total'), h('td', { class: 'num' }, total)))),
        h('button', { type: 'button', class: 'link-button', onclick: refresh }, 'Refresh'));
    refresh();
}
