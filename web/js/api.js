// The REST API client (docs/api.md). Every failure becomes an ApiError carrying the
// server's own message, so callers can show it; nothing here swallows an error.

export class ApiError extends Error {
    constructor(message, status, path) {
        super(message);
        this.name = 'ApiError';
        this.status = status; // 0: the server could not be reached
        this.path = path;
    }
}

// Called on a 401; resolves once the user has logged in (auth.js sets it). Kept as a hook
// so that this module does not depend on the dialog.
let onUnauthorized = null;

export function setUnauthorizedHandler(fn) {
    onUnauthorized = fn;
}

// SQLite integers are 64-bit (flow keys use all of them) but a JSON number read by
// JSON.parse is a double: past 2^53 it would come back rounded, and a link built from it
// would name another row. The reviver sees the number's own text (JSON.parse source text
// access) and keeps such integers exact as BigInt.
function exactIntegers(key, value, context) {
    if (typeof value === 'number' && !Number.isSafeInteger(value) && context && /^-?\d+$/.test(context.source)) {
        return BigInt(context.source);
    }
    return value;
}

export function parseJson(text) {
    return JSON.parse(text, exactIntegers);
}

async function once(path, { method = 'GET', body, signal } = {}) {
    const init = { method, signal, credentials: 'same-origin', headers: {} };
    if (body !== undefined) {
        init.headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
    }
    let response;
    try {
        response = await fetch(`/api/v1/${path}`, init);
    } catch (e) {
        if (e.name === 'AbortError') throw e;
        throw new ApiError(`the server cannot be reached (${e.message})`, 0, path);
    }
    const text = await response.text();
    let json;
    try {
        json = text === '' ? null : parseJson(text);
    } catch {
        // The API always answers JSON; anything else is a server bug worth showing as is.
        throw new ApiError(
            `${method} /api/v1/${path}: HTTP ${response.status}, not JSON: ${text.slice(0, 200)}`,
            response.status,
            path,
        );
    }
    if (!response.ok) {
        const message = json && typeof json.error === 'string' ? json.error : `HTTP ${response.status}`;
        throw new ApiError(message, response.status, path);
    }
    return json;
}

/** Calls /api/v1/<path>; on 401 asks for the token (once for all callers) and retries. */
export async function api(path, options) {
    for (;;) {
        try {
            return await once(path, options);
        } catch (e) {
            if (!(e instanceof ApiError) || e.status !== 401 || !onUnauthorized) throw e;
            await onUnauthorized(e.message);
        }
    }
}

/** Runs one read-only query. POST, so a long query is not limited by URL lengths. */
export function query(sql, signal) {
    return api('capture/query', { method: 'POST', body: { query: sql }, signal });
}

/** A link that downloads the whole result (no row limit) in an export format. */
export function exportUrl(sql, format) {
    return `/api/v1/capture/query?${new URLSearchParams({ query: sql, format })}`;
}
