// Live status: /api/v1/status polled about every second. While the server cannot be
// reached the poll backs off (1, 2, 4 … 16 s) and says so; it never stops. Other modules
// subscribe to the latest status (the capture buttons, the counts, the dashboard).

import { api } from './api.js';
import { h, replace } from './dom.js';
import { int, bytes, rate, duration } from './fmt.js';

const PERIOD_MS = 1000;
const MAX_BACKOFF_MS = 16000;

const subscribers = [];
let latest = null;

export function onStatus(fn) {
    subscribers.push(fn);
    if (latest) fn(latest);
}

export function latestStatus() {
    return latest;
}

function publish(state) {
    latest = state;
    for (const fn of subscribers) fn(state);
}

/** Polls for ever; `poll()` at once after an action, so the bar does not lag behind it. */
let wake = null;
export function pollNow() {
    if (wake) wake();
}

export async function startPolling() {
    let backoff = PERIOD_MS;
    for (;;) {
        let wait = PERIOD_MS;
        try {
            const status = await api('status');
            publish({ status, error: null });
            backoff = PERIOD_MS;
        } catch (e) {
            wait = backoff;
            publish({ status: latest && latest.status, error: e, retryIn: wait });
            backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        }
        await new Promise((resolve) => {
            const timer = setTimeout(resolve, wait);
            wake = () => { clearTimeout(timer); resolve(); };
        });
        wake = null;
    }
}

function badge(text, kind, attrs = {}) {
    return h('span', { class: `badge ${kind}`, ...attrs }, text);
}

function item(label, value, attrs = {}) {
    return h('span', { class: 'stat', ...attrs }, h('span', { class: 'stat-label' }, label), ' ', h('span', { class: 'stat-value' }, value));
}

function importView(imp, importing) {
    const total = imp.bytes_total || 0;
    const fraction = total > 0 ? Math.min(1, imp.bytes_read / total) : 0;
    const percent = Math.round(fraction * 100);
    return h('span', { class: 'import', dataset: { importing: String(importing) } },
        importing ? badge('importing', 'busy') : badge('imported', 'idle'),
        ' ',
        // The file's name; its whole path (as the server was given it) on hover.
        h('span', { class: 'mono file', title: imp.file }, imp.file.split('/').pop()),
        ' ',
        h('progress', {
            id: 'import-progress', max: 100, value: percent,
            'aria-label': `import of ${imp.file}: ${percent}%`,
        }),
        ' ',
        h('span', { class: 'stat-value', id: 'import-percent' }, `${percent}%`),
        ' ',
        h('span', { class: 'stat-label' }, `${bytes(imp.bytes_read)} of ${bytes(total)} · ${int(imp.messages)} messages · ${duration(imp.elapsed_ms)}`),
    );
}

function captureView(cap, capturing) {
    const dropped = (cap.packets_dropped || 0) + (cap.packets_if_dropped || 0) + (cap.queue_dropped || 0);
    return h('span', { class: 'capture' },
        item(capturing ? `capturing on ${cap.device}` : `last capture on ${cap.device}`, ''),
        item('received', int(cap.packets_received), { id: 'packets-received' }),
        item('dropped', int(dropped), {
            id: 'packets-dropped',
            class: `stat ${dropped > 0 ? 'bad' : ''}`,
            title: `kernel ${int(cap.packets_dropped)}, interface ${int(cap.packets_if_dropped)}, nanocap queue ${int(cap.queue_dropped)}`,
        }),
    );
}

/** Renders the status bar into `el` on every poll. */
export function mountStatus(el) {
    onStatus(({ status, error, retryIn }) => {
        const parts = [];
        if (error) {
            parts.push(badge(error.status === 0 ? 'server unreachable' : 'status failed', 'bad', { id: 'status-error' }),
                h('span', { class: 'stat-label' }, ` ${error.message}; retrying in ${Math.round(retryIn / 1000)} s`));
        }
        // While the server cannot be reached its last status would be stale: not shown.
        if (status && !error) {
            parts.push(status.capturing ? badge('capturing', 'live', { id: 'capturing' }) : badge('not capturing', 'idle', { id: 'capturing' }));
            if (status.import && (status.importing || !status.capturing)) parts.push(importView(status.import, status.importing));
            if (status.capture) parts.push(captureView(status.capture, status.capturing));
            parts.push(item('msg/s', rate(status.messages_per_second), { id: 'rate' }));
            parts.push(item('database', bytes(status.database_bytes), { id: 'db-size', title: status.database }));
            if (status.max_db_size_reached) parts.push(badge('max database size reached', 'bad', { id: 'max-size' }));
            if (status.packet_queue_size) parts.push(item('awaiting processing', int(status.packet_queue_size), { id: 'queue' }));
            if (status.packet_parse_error_count) parts.push(item('parse errors', int(status.packet_parse_error_count)));
            // "nanocap 0.1.0 (Nano protocol up to …)": the first words, all of it on hover.
            const version = String(status.version);
            parts.push(h('span', { class: 'version', title: version }, version.replace(/ \(.*\)$/, '')));
        }
        replace(el, parts);
    });
}
