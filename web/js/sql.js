// Building SQL text from values the console itself holds (route parameters, cell values).
// Values are quoted as literals and names as identifiers, so no value can change the
// shape of the query; the server's authorizer is the real guard anyway.

export function literal(value) {
    if (value === null || value === undefined) return 'NULL';
    if (typeof value === 'number' || typeof value === 'bigint') return String(value);
    return `'${String(value).replace(/'/g, "''")}'`;
}

export function ident(name) {
    return `"${String(name).replace(/"/g, '""')}"`;
}

/** Route ids are validated as integers already; this keeps them as written. */
export function integer(text) {
    if (!/^-?\d+$/.test(String(text))) throw new Error(`not an integer: ${text}`);
    return String(text);
}
