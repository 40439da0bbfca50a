// Starts the console: the header (status, capture actions), the error banner, the token
// prompt, and the router that puts one page at a time into <main>.

import { setUnauthorizedHandler } from './api.js';
import { requestToken } from './auth.js';
import { h, replace } from './dom.js';
import { mountBanner, mountNotice, clearError } from './errors.js';
import { mountStatus, startPolling } from './status.js';
import { mountActions } from './actions.js';
import { onRoute, startRouter, navigate } from './router.js';
import { createQueryPage } from './query-page.js';
import { createSchemaPage } from './schema-page.js';
import { createDashboardPage } from './dashboard.js';

const QUERY_ROUTES = new Set(['query', 'packets', 'row', 'flow', 'mentions']);

setUnauthorizedHandler(requestToken);
mountBanner(document.getElementById('banner'));
mountNotice(document.getElementById('notice'));
mountStatus(document.getElementById('status'));
mountActions(document.getElementById('actions'));

const main = document.getElementById('page');
// Pages are made once and kept: the editor keeps its text and the plots their state
// when the user goes to another page and back.
const pages = {};
let current = null;

function page(name, create) {
    if (!pages[name]) pages[name] = create();
    return pages[name];
}

function markNav(name) {
    for (const a of document.querySelectorAll('nav.pages a')) {
        if (a.dataset.page === name) a.setAttribute('aria-current', 'page');
        else a.removeAttribute('aria-current');
    }
}

onRoute((route) => {
    if (route.name === 'home') {
        navigate('/packets/50', { replace: true });
        return;
    }
    clearError('route');
    let next;
    let nav;
    if (QUERY_ROUTES.has(route.name)) {
        next = page('query', createQueryPage);
        nav = 'query';
    } else if (route.name === 'schema') {
        next = page('schema', createSchemaPage);
        nav = 'schema';
    } else if (route.name === 'dashboard') {
        next = page('dashboard', createDashboardPage);
        nav = 'dashboard';
    } else {
        next = {
            root: h('div', {}, h('h1', { class: 'page-title' }, 'Not found'),
                h('p', {}, route.reason, '. '), h('p', {}, h('a', { href: '/query' }, 'Go to the query page'))),
            show() { document.title = 'Not found · nanocap'; },
        };
        nav = null;
    }
    if (current !== next) {
        if (current && current.hide) current.hide();
        replace(main, next.root);
        current = next;
        window.scrollTo(0, 0);
    }
    markNav(nav);
    next.show(route);
});

startRouter();
startPolling();
