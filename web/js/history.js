// Query history in localStorage: newest first, no duplicates, at most 100 (as the
// original). A browser that refuses storage (private mode, quota) just keeps no history.

const KEY = 'nanocap.query_history';
const MAX = 100;

export function loadHistory() {
    try {
        const list = JSON.parse(localStorage.getItem(KEY) || '[]');
        return Array.isArray(list) ? list.filter((q) => typeof q === 'string') : [];
    } catch {
        return [];
    }
}

export function addToHistory(sql) {
    const text = sql.trim();
    if (!text) return loadHistory();
    const list = [text, ...loadHistory().filter((q) => q !== text)].slice(0, MAX);
    try {
        localStorage.setItem(KEY, JSON.stringify(list));
    } catch {
        // Storage full or disabled: the query ran all the same.
    }
    return list;
}

export function clearHistory() {
    try {
        localStorage.removeItem(KEY);
    } catch {
        // nothing stored, nothing to clear
    }
}
