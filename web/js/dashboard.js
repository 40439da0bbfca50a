// The dashboard: four plots, each from one read-only query over the capture database.
// While an import or a capture runs they refresh every few seconds; a refresh never
// overlaps the previous one, and a plot that fails says why (and the banner does too).

import { query } from './api.js';
import { h, replace } from './dom.js';
import { showError, clearError } from './errors.js';
import { onStatus } from './status.js';
import { timeChart, barChart, noData } from './plots.js';
import { mentionsUrl } from './links.js';
import { queryUrl } from './router.js';
import { shorten } from './fmt.js';

const REFRESH_MS = 5000;
const TOP_REPRESENTATIVES = 20;
const MAX_BUCKETS = 240;
// Bucket widths in microseconds: from 1 ms (a short test capture) to a day.
const NICE_USEC = [
    1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5,
    1e6, 2e6, 5e6, 1e7, 15e6, 3e7, 6e7, 12e7, 3e8, 6e8, 9e8, 18e8, 36e8, 72e8, 108e8, 216e8, 432e8, 864e8,
];

/** Bucket width (µs) that cuts the capture's time span into at most MAX_BUCKETS. */
export function bucketUsec(spanUsec) {
    const raw = Math.max(1e3, spanUsec / MAX_BUCKETS);
    return NICE_USEC.find((n) => n >= raw) || Math.ceil(raw / 864e8) * 864e8;
}

function widthLabel(usec) {
    if (usec < 1e6) return `${usec / 1e3} ms`;
    if (usec < 6e7) return `${usec / 1e6} s`;
    if (usec < 36e8) return `${usec / 6e7} min`;
    return `${usec / 36e8} h`;
}

/** Every bucket from the first to the last, so a quiet one plots as 0, not a gap. */
function buckets(first, last, width) {
    const xs = [];
    for (let t = first; t <= last; t += width) xs.push(t);
    return xs;
}

async function range() {
    const r = await query('select min(time_usec), max(time_usec), count(*) from packet');
    const [min, max, n] = r.rows[0].map(Number);
    if (!n) return null;
    const width = bucketUsec(max - min);
    return { first: Math.floor(min / width) * width, last: Math.floor(max / width) * width, width };
}

function bucketSql(width) {
    return `(time_usec / ${width}) * ${width}`;
}

/**
 * Rows (bucket start in µs first) as one line per label, zero in buckets without a row;
 * x in seconds, as uPlot wants it.
 */
function series(ctx, rows, { label, value }) {
    const { first, last, width } = ctx.range;
    const xs = buckets(first, last, width);
    const index = new Map(xs.map((x, i) => [x, i]));
    const lines = new Map();
    for (const row of rows) {
        const name = label(row);
        if (!lines.has(name)) lines.set(name, new Array(xs.length).fill(0));
        const i = index.get(Number(row[0]));
        if (i !== undefined) lines.get(name)[i] = value(row);
    }
    return { xs: xs.map((x) => x / 1e6), lines: [...lines].map(([name, values]) => ({ label: name, values })) };
}

const PLOTS = [
    {
        id: 'plot-rate',
        title: 'Messages per second, by type',
        async sql(ctx) {
            if (!ctx.range) return null;
            return `select ${bucketSql(ctx.range.width)} as t, coalesce(msg_name, 'type ' || msg_type) as type, count(*) as n\n` +
                'from packet group by 1, 2 order by 1, 2';
        },
        draw(el, result, ctx) {
            if (!ctx.range || result.rows.length === 0) return noData(el, 'No messages yet.');
            const seconds = ctx.range.width / 1e6;
            const { xs, lines } = series(ctx, result.rows, { label: (r) => r[1], value: (r) => Number(r[2]) / seconds });
            return timeChart(el, { xs, series: lines, yLabel: `messages / s (${widthLabel(ctx.range.width)} buckets)` });
        },
    },
    {
        id: 'plot-peers',
        title: 'Peers over time (distinct sending addresses per bucket)',
        async sql(ctx) {
            if (!ctx.range) return null;
            return `select ${bucketSql(ctx.range.width)} as t, count(distinct srcip) as peers from packet group by 1 order by 1`;
        },
        draw(el, result, ctx) {
            if (!ctx.range || result.rows.length === 0) return noData(el, 'No messages yet.');
            const { xs, lines } = series(ctx, result.rows, { label: () => 'peers', value: (r) => Number(r[1]) });
            return timeChart(el, { xs, series: lines, yLabel: `peers per ${widthLabel(ctx.range.width)}` });
        },
    },
    {
        id: 'plot-representatives',
        title: `Votes per representative (top ${TOP_REPRESENTATIVES})`,
        async sql() {
            return `select account, count(*) as votes from vote group by account order by votes desc, account limit ${TOP_REPRESENTATIVES}`;
        },
        draw(el, result) {
            if (result.rows.length === 0) return noData(el, 'No votes yet.');
            const bars = result.rows.map(([account, votes]) => ({
                label: shorten(account, 12), title: account, value: votes, href: mentionsUrl(account),
            }));
            return barChart(el, { bars, horizontal: true, xLabel: 'representative', yLabel: 'votes' });
        },
    },
    {
        id: 'plot-hash-counts',
        title: 'Hashes per vote (votes by hash)',
        async sql() {
            return 'select vote_count, count(*) as votes from vote where vbh group by vote_count order by vote_count';
        },
        draw(el, result) {
            if (result.rows.length === 0) return noData(el, 'No votes by hash yet.');
            const counts = new Map(result.rows.map(([c, n]) => [c, n]));
            const maxCount = Math.max(...counts.keys());
            const bars = [];
            for (let c = 1; c <= maxCount; c++) bars.push({ label: String(c), value: counts.get(c) || 0 });
            return barChart(el, { bars, xLabel: 'hashes in the vote', yLabel: 'votes' });
        },
    },
];

export function createDashboardPage() {
    const auto = h('input', { type: 'checkbox', id: 'auto-refresh', checked: true });
    const refreshButton = h('button', { type: 'button', id: 'refresh-plots' }, 'Refresh');
    const updated = h('span', { class: 'hint', id: 'plots-updated' });
    const panels = PLOTS.map((p) => {
        const body = h('div', { class: 'plot-body', id: p.id });
        const note = h('div', { class: 'plot-note' });
        const link = h('a', { class: 'plot-sql', hidden: true }, 'the query');
        return {
            plot: p, body, note, link, handle: null,
            el: h('section', { class: 'panel plot', 'aria-labelledby': `${p.id}-h` },
                h('h2', { id: `${p.id}-h` }, p.title, ' ', link), body, note),
        };
    });
    const root = h('div', { class: 'dashboard-page' },
        h('div', { class: 'page-head' },
            h('h1', { class: 'page-title' }, 'Dashboard'),
            h('div', { class: 'toolbar' }, refreshButton,
                h('label', { for: 'auto-refresh' }, auto, ' refresh every 5 s while capturing or importing'),
                updated)),
        h('div', { class: 'plots' }, panels.map((p) => p.el)));

    let visible = false;
    let refreshing = false;
    let lastRefresh = 0;

    async function drawPanel(panel, ctx) {
        try {
            const sql = await panel.plot.sql(ctx);
            const result = sql ? await query(sql) : { columns: [], rows: [] };
            if (sql) {
                panel.link.href = queryUrl(sql);
                panel.link.hidden = false;
            }
            if (panel.handle) panel.handle.destroy();
            panel.handle = panel.plot.draw(panel.body, result, ctx);
            const flags = [];
            if (result.truncated) flags.push(`only the first ${result.row_limit} rows of the query were plotted`);
            if (result.timed_out) flags.push('the query hit the time limit: the plot shows part of the data');
            replace(panel.note, flags.map((f) => h('span', { class: 'flag warn' }, f)));
            clearError(panel.plot.id);
        } catch (e) {
            showError(panel.plot.id, `${panel.plot.title}: ${e.message}`);
            if (panel.handle) panel.handle.destroy();
            panel.handle = noData(panel.body, 'This plot failed (the message is above).');
        }
    }

    async function refresh() {
        if (refreshing) return;
        refreshing = true;
        lastRefresh = Date.now();
        refreshButton.disabled = true;
        try {
            let ctx;
            try {
                ctx = { range: await range() };
                clearError('plot-range');
            } catch (e) {
                showError('plot-range', `Dashboard: ${e.message}`);
                ctx = { range: null };
            }
            await Promise.all(panels.map((p) => drawPanel(p, ctx)));
            updated.textContent = `updated ${new Date().toISOString().slice(11, 19)} UTC`;
        } finally {
            refreshing = false;
            refreshButton.disabled = false;
        }
    }

    refreshButton.addEventListener('click', refresh);
    window.addEventListener('nanocap:data-changed', () => { if (visible) refresh(); });
    onStatus(({ status }) => {
        if (!visible || !auto.checked || !status || !(status.capturing || status.importing)) return;
        if (Date.now() - lastRefresh >= REFRESH_MS) refresh();
    });

    return {
        root,
        show() {
            document.title = 'Dashboard · nanocap';
            visible = true;
            refresh();
        },
        hide() {
            visible = false;
        },
    };
}
