// The two kinds of plot the dashboard draws: time series with uPlot (canvas), and bar
// charts as SVG, whose labels are links and text a screen reader can read.

import uPlot from '/vendor/uplot-1.6.32/uPlot.esm.js';
import { h, s, replace } from './dom.js';
import { int } from './fmt.js';

// Distinct in dark and light themes alike (Tableau 10 plus a few more).
const PALETTE = [
    '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7',
    '#9c755f', '#bab0ac', '#17becf', '#bcbd22', '#8c564b', '#e377c2', '#7f7f7f', '#1f77b4',
];

export function color(i) {
    return PALETTE[i % PALETTE.length];
}

function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** UTC text of a time in seconds, as the capture's own `time` columns write it. */
function utc(seconds, part) {
    const iso = new Date(seconds * 1000).toISOString(); // 2023-11-14T22:13:20.050Z
    if (part === 'ms') return iso.slice(11, 23);
    if (part === 's') return iso.slice(11, 19);
    if (part === 'min') return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
    return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** How much of a time the x axis needs to show, from the span it covers. */
function precision(xs) {
    const span = xs.length ? xs[xs.length - 1] - xs[0] : 0;
    return span < 20 ? 'ms' : span < 2 * 86400 ? 's' : 'min';
}

/**
 * A time series plot. `xs`: bucket starts in seconds since 1970; `series`: [{label,
 * values}], one value per x. Times are shown in UTC, as the capture's `time` columns.
 */
export function timeChart(container, { xs, series, yLabel }) {
    const fg = cssVar('--fg-muted') || '#888';
    const grid = cssVar('--grid') || 'rgba(128,128,128,0.2)';
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const width = () => Math.max(300, container.clientWidth - 2);
    const opts = {
        width: width(),
        height: 260,
        scales: { x: { time: true } },
        series: [
            { label: 'time (UTC)', value: (_, v) => (v === null ? '–' : utc(v, 'full')) },
            ...series.map((sr, i) => ({
                label: sr.label, stroke: color(i), width: 1.5, points: { show: xs.length < 3 },
                value: (_, v) => (v === null ? '–' : v.toFixed(v < 10 ? 2 : 0)),
            })),
        ],
        axes: [
            // Room for the labels: "22:13:20.050" is wider than uPlot's default spacing.
            { ...axis, space: { ms: 110, s: 80, min: 100 }[precision(xs)], values: (_, splits) => splits.map((v) => utc(v, precision(xs))) },
            { ...axis, label: yLabel, labelSize: 20, size: 60 },
        ],
        legend: { live: true },
    };
    replace(container);
    const plot = new uPlot(opts, [xs, ...series.map((sr) => sr.values)], container);
    // Follow the page's width; the observer goes away with the plot's element.
    const observer = new ResizeObserver(() => plot.setSize({ width: width(), height: 260 }));
    observer.observe(container);
    return {
        destroy() {
            observer.disconnect();
            plot.destroy();
        },
    };
}

/**
 * A bar chart in SVG. bars: [{label, value, href?, title?}]. `horizontal` puts one bar per
 * line with its label on the left (long labels: accounts); else columns (a histogram).
 */
export function barChart(container, { bars, horizontal, xLabel, yLabel }) {
    const max = Math.max(1, ...bars.map((b) => b.value));
    let svg;
    if (horizontal) {
        const line = 22;
        const labelW = 230;
        const barW = 330;
        const height = bars.length * line + 8;
        svg = s('svg', {
            viewBox: `0 0 ${labelW + barW + 60} ${height}`, class: 'bars horizontal', role: 'img',
            'aria-label': `${yLabel} per ${xLabel}`, preserveAspectRatio: 'xMinYMin meet',
        }, bars.map((b, i) => {
            const y = 4 + i * line;
            const w = Math.max(1, (b.value / max) * barW);
            const label = s('text', { x: labelW - 8, y: y + line / 2 + 4, 'text-anchor': 'end', class: 'bar-label mono' }, b.label);
            return s('g', {},
                s('title', {}, `${b.title || b.label}: ${int(b.value)}`),
                b.href ? s('a', { href: b.href }, label) : label,
                s('rect', { x: labelW, y: y + 3, width: w, height: line - 6, fill: color(0), class: 'bar' }),
                s('text', { x: labelW + w + 6, y: y + line / 2 + 4, class: 'bar-value' }, int(b.value)));
        }));
    } else {
        const width = 620;
        const height = 240;
        const left = 60;
        const bottom = 36;
        const plotW = width - left - 10;
        const plotH = height - bottom - 10;
        const step = plotW / Math.max(1, bars.length);
        const every = Math.ceil(bars.length / 15); // at most ~15 x labels, or they overlap
        const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(f * max));
        svg = s('svg', {
            viewBox: `0 0 ${width} ${height}`, class: 'bars vertical', role: 'img',
            'aria-label': `${yLabel} by ${xLabel}`,
        },
        [...new Set(ticks)].map((t) => {
            const y = 10 + plotH - (t / max) * plotH;
            return s('g', {},
                s('line', { x1: left, x2: width - 10, y1: y, y2: y, class: 'gridline' }),
                s('text', { x: left - 6, y: y + 4, 'text-anchor': 'end', class: 'axis-label' }, int(t)));
        }),
        bars.map((b, i) => {
            const hgt = Math.max(1, (b.value / max) * plotH);
            const x = left + i * step;
            return s('g', {},
                s('title', {}, `${xLabel} ${b.label}: ${int(b.value)} ${yLabel}`),
                s('rect', { x: x + step * 0.1, y: 10 + plotH - hgt, width: Math.max(1, step * 0.8), height: hgt, fill: color(1), class: 'bar' }),
                i % every === 0
                    ? s('text', { x: x + step / 2, y: height - bottom + 16, 'text-anchor': 'middle', class: 'axis-label' }, b.label)
                    : null);
        }),
        s('text', { x: left + plotW / 2, y: height - 4, 'text-anchor': 'middle', class: 'axis-title' }, xLabel),
        s('text', { x: 14, y: 10 + plotH / 2, 'text-anchor': 'middle', class: 'axis-title', transform: `rotate(-90 14 ${10 + plotH / 2})` }, yLabel));
    }
    replace(container, svg);
    return { destroy() {} };
}

export function noData(container, text) {
    replace(container, h('p', { class: 'empty' }, text));
    return { destroy() {} };
}
