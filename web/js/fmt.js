// Number formatting for the status bar and the plots.

const INT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const ONE = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

export function int(n) {
    return n === null || n === undefined ? '–' : INT.format(n);
}

export function rate(n) {
    return n === null || n === undefined ? '–' : (n >= 100 ? INT : ONE).format(n);
}

export function bytes(n) {
    if (n === null || n === undefined) return '–';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
        n /= 1024;
        i++;
    }
    return `${i === 0 ? n : ONE.format(n)} ${units[i]}`;
}

export function duration(ms) {
    if (ms === null || ms === undefined) return '–';
    const s = Math.round(ms / 1000);
    if (s < 60) return `${s} s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m} min ${s % 60} s`;
    return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A long hash or account shortened for a label; the full value goes in a title. */
export function shorten(text, keep = 10) {
    return text.length <= 2 * keep + 1 ? text : `${text.slice(0, keep)}…${text.slice(-keep)}`;
}
