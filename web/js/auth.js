// The token prompt: shown when the server answers 401 (web.token is set). The login
// endpoint sets an HttpOnly cookie, so the token itself is never kept by the page.

import { h } from './dom.js';

let pending = null; // one dialog for every request that got a 401 meanwhile

function askOnce(reason) {
    return new Promise((resolve) => {
        const input = h('input', {
            type: 'password', id: 'token-input', name: 'token', required: true,
            autocomplete: 'current-password',
        });
        const problem = h('p', { class: 'dialog-error', role: 'alert' });
        const form = h('form', { method: 'dialog' },
            h('h2', { id: 'token-title' }, 'This console needs a token'),
            h('p', {}, 'The server asks for the token set as ', h('code', {}, 'web.token'),
                ' in its nanocap.config, and this browser is not logged in (any more).'),
            h('p', { class: 'hint' }, `The server said: ${reason}`),
            h('label', { for: 'token-input' }, 'Token'),
            input,
            problem,
            h('div', { class: 'dialog-buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Log in')),
        );
        const dialog = h('dialog', { class: 'auth-dialog', 'aria-labelledby': 'token-title' }, form);
        // Escape would close the dialog with every request still waiting for it.
        dialog.addEventListener('cancel', (e) => e.preventDefault());
        form.addEventListener('submit', async (e) => {
            e.preventDefault();
            problem.textContent = '';
            try {
                const r = await fetch('/api/v1/login', {
                    method: 'POST', credentials: 'same-origin',
                    headers: { 'Content-Type': 'application/json' },
                    body: JSON.stringify({ token: input.value }),
                });
                if (r.ok) {
                    dialog.close();
                    dialog.remove();
                    resolve();
                    return;
                }
                const body = await r.json().catch(() => null);
                problem.textContent = (body && body.error) || `login failed: HTTP ${r.status}`;
            } catch (err) {
                problem.textContent = `login failed: ${err.message}`;
            }
            input.select();
        });
        document.body.appendChild(dialog);
        dialog.showModal();
        input.focus();
    });
}

export function requestToken(reason) {
    if (!pending) pending = askOnce(reason).finally(() => { pending = null; });
    return pending;
}
