// Client-side routes. The server answers every path that names no file with index.html,
// so each route is a real URL: bookmarkable, and a link opens in a new tab too.
//
//   /                      -> /packets/50 (as the original)
//   /query                 the editor;  /query?sql=SQL runs SQL
//   /query/<base64url>     runs the encoded query (the original's form)
//   /packets/<n>           the first n packets
//   /packet/<id>           one packet
//   /flow/<flowkey>        a connection trace
//   /mentions/<value>      every row that mentions a hash or an account
//   /schema, /dashboard
//   /<table>/<id>          any row of any table

const INTEGER = /^-?\d+$/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Decodes the original's /query/<b64> (standard or URL-safe base64 of UTF-8). */
export function decodeBase64(text) {
    const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
    return new TextDecoder().decode(bytes);
}

export function encodeBase64(text) {
    let binary = '';
    for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function queryUrl(sql) {
    return `/query?${new URLSearchParams({ sql })}`;
}

/** Turns a location into {name, ...params}. */
export function parseRoute(loc) {
    let parts;
    try {
        parts = loc.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
        return { name: 'notfound', reason: 'this address is not valid percent-encoding' };
    }
    const [first, second] = parts;
    if (parts.length === 0) return { name: 'home' };
    if (first === 'query' && parts.length === 1) {
        return { name: 'query', sql: new URLSearchParams(loc.search).get('sql') };
    }
    if (first === 'query' && parts.length === 2) {
        try {
            return { name: 'query', sql: decodeBase64(second) };
        } catch {
            return { name: 'notfound', reason: 'the query in this address is not valid base64' };
        }
    }
    if (parts.length === 1 && (first === 'schema' || first === 'dashboard')) return { name: first };
    if (parts.length === 2) {
        if (first === 'packets' && /^\d+$/.test(second)) return { name: 'packets', n: Number(second) };
        if (first === 'packet' && INTEGER.test(second)) return { name: 'row', table: 'packet', id: second };
        if (first === 'flow' && INTEGER.test(second)) return { name: 'flow', flowkey: second };
        if (first === 'mentions') return { name: 'mentions', value: second };
        if (NAME.test(first) && INTEGER.test(second)) return { name: 'row', table: first, id: second };
    }
    return { name: 'notfound', reason: `no page at ${loc.pathname}` };
}

const listeners = [];

export function onRoute(fn) {
    listeners.push(fn);
}

function dispatch() {
    const route = parseRoute(window.location);
    for (const fn of listeners) fn(route);
}

export function navigate(url, { replace = false } = {}) {
    if (replace) history.replaceState(null, '', url);
    else history.pushState(null, '', url);
    dispatch();
}

/** Same-origin links are followed without a page load; modified clicks keep their meaning. */
export function startRouter() {
    document.addEventListener('click', (e) => {
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        const a = e.target.closest('a[href]');
        if (!a || a.hasAttribute('target') || a.hasAttribute('download')) return;
        // SVG links (the plots' labels) keep their href in an attribute, not a URL property.
        const url = new URL(a.getAttribute('href'), window.location.href);
        if (url.origin !== window.location.origin) return;
        if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/vendor/')) return;
        // A link to an anchor of this page (the schema's table list) stays a plain jump.
        if (url.hash && url.pathname === window.location.pathname && url.search === window.location.search) return;
        e.preventDefault();
        navigate(url.pathname + url.search);
    });
    window.addEventListener('popstate', dispatch);
    dispatch();
}
