// The error banner. Errors are keyed by where they came from ("query", "capture", …): a
// new error from the same place replaces the old one, a success there clears it.

import { h, replace } from './dom.js';

const current = new Map(); // key -> message
let banner = null;

function render() {
    if (!banner) return;
    replace(banner, [...current].map(([key, message]) =>
        h('div', { class: 'banner-item', dataset: { key } },
            h('span', { class: 'banner-text' }, message),
            h('button', {
                type: 'button', class: 'banner-close', 'aria-label': 'Dismiss this error',
                onclick: () => clearError(key),
            }, '×'),
        )));
    banner.hidden = current.size === 0;
}

export function mountBanner(el) {
    banner = el;
    render();
    // Anything thrown and not caught elsewhere still reaches the user.
    window.addEventListener('error', (e) => showError('page', `Unexpected error: ${e.message}`));
    window.addEventListener('unhandledrejection', (e) => {
        const reason = e.reason;
        if (reason && reason.name === 'AbortError') return;
        showError('page', `Unexpected error: ${reason && reason.message ? reason.message : reason}`);
    });
}

export function showError(key, message) {
    current.set(key, message);
    render();
}

export function clearError(key) {
    if (current.delete(key)) render();
}

// Short confirmations ("capture started"), announced politely and gone after a while.
let notice = null;
let noticeTimer = 0;

export function mountNotice(el) {
    notice = el;
}

export function showNotice(message) {
    if (!notice) return;
    notice.textContent = message;
    notice.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { notice.hidden = true; }, 6000);
}
