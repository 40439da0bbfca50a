// Headless Chromium (Debian's) through playwright-core, with the network cut off: every
// request that does not go to 127.0.0.1 is aborted and recorded, so a test can assert the
// console never tried to reach the Internet.

import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.NANOCAP_CHROMIUM || '/usr/bin/chromium';

export function launch() {
    return chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
}

/**
 * A new context and page. `errors` collects console errors and uncaught exceptions;
 * `blocked` every request that was refused for leaving the machine; `unanswered()` lists
 * the requests still waiting for the server.
 */
export async function openPage(browser, { colorScheme = 'light' } = {}) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, colorScheme });
    const errors = [];
    const blocked = [];
    await context.route('**/*', (route) => {
        const url = new URL(route.request().url());
        if (url.hostname === '127.0.0.1') return route.continue();
        blocked.push(url.href);
        return route.abort('blockedbyclient');
    });
    const page = await context.newPage();
    page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`exception: ${e.message}`));
    // Requests the server has not answered yet: a test that times out lists them.
    const pending = new Map();
    page.on('request', (r) => pending.set(r, Date.now()));
    page.on('requestfinished', (r) => pending.delete(r));
    page.on('requestfailed', (r) => pending.delete(r));
    const unanswered = () => [...pending].map(([r, t]) =>
        `${r.method()} ${new URL(r.url()).pathname} (sent ${Date.now() - t} ms ago)`);
    if (process.env.NANOCAP_BROWSER_DEBUG) {
        page.on('response', (r) => console.error(`${r.status()} ${r.request().method()} ${r.url()}`));
        page.on('requestfailed', (r) => console.error(`failed ${r.url()} ${r.failure() && r.failure().errorText}`));
    }
    return { context, page, errors, blocked, unanswered };
}

/**
 * Console errors other than those a test provoked on purpose: the browser's own "Failed
 * to load resource" line for an API answer such as 400 for bad SQL or 401 before the
 * login (`allow`: statuses, or patterns for other lines).
 */
export function unexpectedErrors(errors, allow = []) {
    return errors.filter((e) => !allow.some((a) => (a instanceof RegExp ? a.test(e) : e.includes(`status of ${a}`))));
}

export async function screenshot(page, dir, name) {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${name}.png`);
    await page.screenshot({ path: file });
    return file;
}
