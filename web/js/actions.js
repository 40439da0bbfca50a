// Capture start/stop and "remove data", in the header. State changes are POSTs (the
// server refuses them cross-site); removing data asks first, in a dialog.

import { api } from './api.js';
import { h, replace } from './dom.js';
import { showError, clearError, showNotice } from './errors.js';
import { onStatus, pollNow } from './status.js';
import { int, bytes } from './fmt.js';

function confirmDialog(title, text, confirmLabel) {
    return new Promise((resolve) => {
        const dialog = h('dialog', { class: 'confirm-dialog', 'aria-labelledby': 'confirm-title' },
            h('form', { method: 'dialog' },
                h('h2', { id: 'confirm-title' }, title),
                h('p', {}, text),
                h('div', { class: 'dialog-buttons' },
                    h('button', { type: 'submit', value: 'cancel', autofocus: true }, 'Cancel'),
                    h('button', { type: 'submit', value: 'confirm', class: 'danger' }, confirmLabel),
                ),
            ));
        dialog.addEventListener('close', () => {
            resolve(dialog.returnValue === 'confirm');
            dialog.remove();
        });
        document.body.appendChild(dialog);
        dialog.showModal();
    });
}

export function mountActions(el) {
    let busy = false;
    let status = null;
    const toggle = h('button', { type: 'button', id: 'capture-toggle' }, 'Start capture');
    const destroy = h('button', { type: 'button', id: 'destroy', class: 'danger' }, 'Remove data…');

    function render() {
        const capturing = Boolean(status && status.capturing);
        const importing = Boolean(status && status.importing);
        toggle.textContent = capturing ? 'Stop capture' : 'Start capture';
        toggle.disabled = busy || !status || importing;
        destroy.disabled = busy || !status || importing;
        const why = importing ? 'not while an import runs' : '';
        toggle.title = why;
        destroy.title = why || 'Delete every captured row from the database';
    }

    async function run(label, fn) {
        busy = true;
        render();
        try {
            const reply = await fn();
            clearError('capture');
            return reply;
        } catch (e) {
            showError('capture', `${label} failed: ${e.message}`);
            return null;
        } finally {
            busy = false;
            render();
            pollNow();
            // The rows changed (or may have): views that show counts refresh themselves.
            window.dispatchEvent(new CustomEvent('nanocap:data-changed'));
        }
    }

    toggle.addEventListener('click', async () => {
        if (status && status.capturing) {
            const r = await run('Stopping the capture', () => api('capture/stop', { method: 'POST' }));
            if (r) showNotice(`Capture stopped: ${int(r.messages)} messages stored.`);
        } else {
            const r = await run('Starting the capture', () => api('capture/start', { method: 'POST' }));
            if (r) showNotice(`Capturing on ${r.device}${r.filter ? ` (filter: ${r.filter})` : ''}.`);
        }
    });

    destroy.addEventListener('click', async () => {
        const ok = await confirmDialog(
            'Remove every captured row?',
            'This deletes all rows of every table of this capture database, runs included. It cannot be undone.',
            'Remove all data',
        );
        if (!ok) return;
        const r = await run('Removing the data', () => api('capture/destroy', { method: 'POST' }));
        if (r) {
            showNotice(`Removed ${int(r.deleted_rows)} rows; the database is now ${bytes(r.database_bytes)}.`);
        }
    });

    onStatus((state) => {
        // No action while the server cannot be reached (its last status may be stale).
        status = state.error ? null : state.status;
        render();
    });
    replace(el, toggle, destroy);
    render();
}
