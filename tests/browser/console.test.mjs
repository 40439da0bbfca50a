// Browser tests of the console (web/) in headless Chromium, against a real nanocap-serve
// that imports tests/fixtures/sample.pcapng (issue 9, item 5). Every assertion is about
// what the page shows, compared with what the server's API answers for the same question.
//
//   NANOCAP_SERVE      the server binary (default serve/target/release/nanocap-serve)
//   NANOCAP_CHROMIUM   the browser (default /usr/bin/chromium)
//   NANOCAP_GEN_CAPTURE the synthetic capture generator, for the import-progress test
//                      (default target/generator/release/examples/gen_capture, then
//                      target/release/examples/gen_capture)
// Screenshots: target/browser-artifacts/*.png

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './server.mjs';
import { launch, openPage, unexpectedErrors, screenshot } from './browser.mjs';
import { EXAMPLES } from '../../web/js/examples.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SERVE = process.env.NANOCAP_SERVE || path.join(ROOT, 'serve/target/release/nanocap-serve');
const SAMPLE = path.join(ROOT, 'tests/fixtures/sample.pcapng');
const ARTIFACTS = path.join(ROOT, 'target/browser-artifacts');
const TIME_LIMIT_MS = 2000;

let browser;
let server; // the sample, imported before the tests start
const scratch = []; // directories to remove at the end

before(async () => {
    fs.rmSync(ARTIFACTS, { recursive: true, force: true });
    server = await startServer(SERVE, { name: 'sample', pcap: SAMPLE, web: { query_time_limit_ms: TIME_LIMIT_MS } });
    await server.waitImported();
    browser = await launch();
});

after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
    for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
});

/** A page on `srv`; after `body`, a screenshot, then no unexpected error and no request out. */
async function withPage(name, srv, body, { allow = [], colorScheme } = {}) {
    const p = await openPage(browser, { colorScheme });
    try {
        await body(p.page, p);
        await screenshot(p.page, ARTIFACTS, name);
        assert.deepEqual(p.blocked, [], 'the console tried to reach the Internet');
        assert.deepEqual(unexpectedErrors(p.errors, allow), [], 'errors in the browser console');
    } catch (e) {
        await screenshot(p.page, ARTIFACTS, `${name}-failed`).catch(() => {});
        // What the browser said, for the one reading the failure.
        if (p.errors.length) e.message += `\nbrowser console:\n  ${p.errors.join('\n  ')}`;
        const waiting = p.unanswered();
        if (waiting.length) e.message += `\nrequests the server has not answered:\n  ${waiting.join('\n  ')}`;
        throw e;
    } finally {
        await p.context.close();
    }
}

/** The text a cell shows for a JSON value. */
function shown(v) {
    return v === null ? 'NULL' : String(v);
}

/** Rows of the page's result grid, as text. */
function gridRows(page) {
    return page.$$eval('#result table.grid:not(.record) tbody tr', (trs) =>
        trs.map((tr) => [...tr.children].map((td) => td.textContent)));
}

/** A single-row result is shown as a record: column -> text. */
function recordView(page) {
    return page.$$eval('#result table.record tbody tr', (trs) =>
        Object.fromEntries(trs.map((tr) => [tr.querySelector('th').textContent, tr.querySelector('td').textContent])));
}

async function runInEditor(page, sql) {
    await page.fill('#sql', sql);
    await page.press('#sql', 'Control+Enter');
}

async function waitResult(page) {
    await page.waitForFunction(() => {
        const r = document.querySelector('#result');
        return r && r.getAttribute('aria-busy') === 'false' && r.querySelector('.result-summary, .failed, .empty');
    });
}

test('the console loads with the network blocked, with no console error', async () => {
    const perType = (await server.api('count/per-type')).filter((c) => c.count > 0);
    await withPage('home', server, async (page) => {
        await page.goto(`${server.url}/`);
        await page.waitForURL(/\/packets\/50$/);
        await page.waitForSelector('#result table.grid tbody tr');
        assert.equal((await gridRows(page)).length, 50, 'the first 50 packets');
        // The live status: the sample's import is over, no capture runs.
        await page.waitForSelector('#capturing');
        assert.equal(await page.textContent('#capturing'), 'not capturing');
        assert.match(await page.textContent('#db-size'), /\d+(\.\d)? (B|KiB|MiB)/);
        assert.match(await page.textContent('#import-percent'), /^100%$/);
        // Messages per type: the server's non-zero counts, in its order.
        await page.waitForSelector('#per-type tbody tr td.num');
        const rows = await page.$$eval('#per-type tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
        assert.deepEqual(rows, perType.map((c) => [c.name || `type ${c.type}`, c.count.toLocaleString('en-US')]));
    });
});

test('a query typed in the editor runs, shows its rows, sorts, and is bookmarkable', async () => {
    const sql = 'select msg_name, count(*) as n from packet group by msg_name order by n desc, msg_name';
    const expected = await server.query(sql);
    assert.ok(expected.rows.length > 3);
    await withPage('query', server, async (page) => {
        await page.goto(`${server.url}/query`);
        await runInEditor(page, sql);
        await page.waitForURL((u) => u.pathname === '/query' && u.searchParams.get('sql') === sql);
        await waitResult(page);
        assert.deepEqual(await gridRows(page), expected.rows.map((r) => r.map(shown)));
        assert.match(await page.textContent('.result-summary'), new RegExp(`^${expected.row_count} rows`));

        // Sorting by n, ascending then descending, in the browser.
        const counts = expected.rows.map((r) => r[1]);
        await page.click('th:has(button.sort:text-is("n")) button');
        assert.equal(await page.getAttribute('th:has(button.sort:text-is("n"))', 'aria-sort'), 'ascending');
        assert.equal((await gridRows(page))[0][1], String(Math.min(...counts)));
        await page.click('th:has(button.sort:text-is("n")) button');
        assert.equal(await page.getAttribute('th:has(button.sort:text-is("n"))', 'aria-sort'), 'descending');
        assert.equal((await gridRows(page))[0][1], String(Math.max(...counts)));

        // Export: every row as CSV, straight from the server.
        const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
        const csv = fs.readFileSync(await download.path(), 'utf8').trim().split(/\r?\n/);
        assert.equal(csv[0], 'msg_name,n');
        assert.equal(csv.length, expected.rows.length + 1);

        // History: newest first, no duplicate.
        await runInEditor(page, 'select count(*) from packet');
        await page.waitForURL((u) => u.searchParams.get('sql') === 'select count(*) from packet');
        await runInEditor(page, sql);
        await page.waitForURL((u) => u.searchParams.get('sql') === sql);
        await page.click('#history summary');
        await page.waitForSelector('#history[open] .menu-sql');
        const history = await page.$$eval('#history .menu-sql', (els) => els.map((e) => e.textContent));
        assert.deepEqual(history, [sql, 'select count(*) from packet']);

        // The address alone runs the query again (a bookmark), and so does the original's /query/<base64>.
        const bookmark = page.url();
        const other = await browser.newPage();
        await other.goto(bookmark);
        await other.waitForSelector('#result table.grid tbody tr');
        assert.deepEqual(await gridRows(other), expected.rows.map((r) => r.map(shown)));
        await other.goto(`${server.url}/query/${Buffer.from(sql).toString('base64url')}`);
        await other.waitForSelector('#result table.grid tbody tr');
        assert.equal(await other.inputValue('#sql'), sql);
        assert.deepEqual(await gridRows(other), expected.rows.map((r) => r.map(shown)));
        await other.close();
    });
});

test('an example query from the README is one click away', async () => {
    const example = EXAMPLES[0];
    const expected = await server.query(example.sql);
    await withPage('example', server, async (page) => {
        await page.goto(`${server.url}/query`);
        await page.click('#examples summary');
        await page.click(`#examples .menu-item:has-text(${JSON.stringify(example.title)})`);
        await page.waitForURL((u) => u.searchParams.get('sql') === example.sql);
        await waitResult(page);
        assert.deepEqual(await gridRows(page), expected.rows.map((r) => r.map(shown)));
    });
});

test('links: packet_id to the packet, content to its row, an account to every row that mentions it', async () => {
    await withPage('links', server, async (page) => {
        await page.goto(`${server.url}/query?sql=${encodeURIComponent('select * from vote order by id limit 20')}`);
        await page.waitForSelector('#result table.grid tbody tr');
        const columns = await page.$$eval('#result thead th', (ths) => ths.map((th) => th.textContent));
        const p = columns.indexOf('packet_id');
        const link = page.locator(`#result tbody tr:first-child td:nth-child(${p + 1}) a`);
        const packetId = await link.textContent();
        await link.click();
        await page.waitForURL(`${server.url}/packet/${packetId}`);
        await page.waitForSelector('#result table.record');
        let record = await recordView(page);
        assert.equal(record.id, packetId);
        assert.equal(record.msg_name, 'confirm_ack');
        assert.equal(record.content_table, 'vote');
        // Under it, the rows of other tables that belong to this message.
        await page.waitForSelector('#related-result table.grid tbody tr');
        const belonging = await page.$$eval('#related-result tbody tr', (trs) => trs.map((tr) => tr.cells[0].textContent));
        const hashes = await server.query(`select count(*) from vote_hash where packet_id = ${packetId}`);
        assert.equal(belonging.filter((t) => t === 'vote').length, 1);
        assert.equal(belonging.filter((t) => t === 'vote_hash').length, hashes.rows[0][0]);

        // packet.content_table/content_id -> the vote row (vote.id = packet id).
        await page.click('#result table.record tr:has(th:text-is("content_id")) a');
        await page.waitForURL(`${server.url}/vote/${record.content_id}`);
        await page.waitForFunction((id) => {
            const th = [...document.querySelectorAll('#result table.record th')].find((e) => e.textContent === 'id');
            return th && th.nextElementSibling.textContent === id;
        }, record.content_id);
        record = await recordView(page);
        const account = record.account;
        assert.match(account, /^nano_/);

        // The representative's account -> every row of the database that names it.
        await page.click('#result table.record tr:has(th:text-is("account")) a');
        await page.waitForURL(`${server.url}/mentions/${account}`);
        await page.waitForSelector('#result table.grid tbody tr');
        const mentions = await gridRows(page);
        const inVote = mentions.filter((r) => r[0] === 'vote').length;
        const inVoteHash = mentions.filter((r) => r[0] === 'vote_hash').length;
        const truth = await server.query(`select (select count(*) from vote where account = '${account}'),
            (select count(*) from vote_hash where account = '${account}')`);
        assert.deepEqual([inVote, inVoteHash], truth.rows[0]);
        assert.ok(inVote > 0);
    });
});

test('a flow key links to the connection trace, exactly (64-bit keys are not rounded)', async () => {
    const tcp = await server.query(`select id, cast(flow_key as text) from packet
        where transport = 'tcp' order by abs(flow_key) desc limit 1`);
    assert.equal(tcp.rows.length, 1, 'the sample has TCP messages');
    const [id, key] = tcp.rows[0];
    const trace = await server.query(`select count(*) from connection where flowkey = ${key}`);
    assert.ok(trace.rows[0][0] > 0);
    await withPage('flow', server, async (page) => {
        await page.goto(`${server.url}/packet/${id}`);
        await page.waitForSelector('#result table.record');
        await page.click('#result table.record tr:has(th:text-is("flow_key")) a');
        await page.waitForURL(`${server.url}/flow/${key}`);
        await page.waitForSelector('#result table.grid tbody tr');
        assert.equal((await gridRows(page)).length, trace.rows[0][0]);
        assert.equal(await page.inputValue('#sql'), `select * from connection where flowkey = ${key} order by id`);
    });
});

test('the schema page lists every table with its columns and indexes', async () => {
    const schema = await server.api('schema');
    await withPage('schema', server, async (page) => {
        await page.goto(`${server.url}/schema`);
        await page.waitForSelector('section.schema-table');
        const tables = await page.$$eval('section.schema-table h2 .mono', (els) => els.map((e) => e.textContent));
        assert.deepEqual(tables, schema.map((t) => t.table));
        const packet = schema.find((t) => t.table === 'packet');
        const columns = await page.$$eval('#table-packet .schema-columns tbody th', (els) => els.map((e) => e.textContent));
        assert.deepEqual(columns, packet.columns.map((c) => c.name));
        const indexes = await page.$$eval('#table-packet .schema-indexes tbody tr td:first-child', (els) => els.map((e) => e.textContent));
        assert.deepEqual(indexes, packet.indexes.map((i) => i.name));
        // The primary key and NOT NULL marks.
        const idRow = await page.$$eval('#table-packet .schema-columns tbody tr:first-child td', (els) => els.map((e) => e.textContent));
        assert.deepEqual(idRow.slice(1, 4), ['INTEGER', 'yes', packet.columns[0].notnull ? 'yes' : '']);
    });
});

test('SQL errors and refused writes are shown in the error banner', async () => {
    const before = await server.api('count/packet');
    await withPage('sql-error', server, async (page) => {
        await page.goto(`${server.url}/query`);
        await runInEditor(page, 'select * from no_such_table');
        await page.waitForSelector('.banner-item[data-key="query"]');
        assert.match(await page.textContent('.banner-item[data-key="query"]'), /no such table: no_such_table/);
        assert.match(await page.textContent('#result'), /the query failed/);
        await screenshot(page, ARTIFACTS, 'sql-error-banner');

        await runInEditor(page, 'delete from packet');
        await page.waitForFunction(() => /delete from packet/.test(location.search.replace(/\+/g, ' ')) &&
            document.querySelector('#result').getAttribute('aria-busy') === 'false');
        const banner = await page.textContent('.banner-item[data-key="query"]');
        assert.match(banner, /^Query failed: /);
        assert.doesNotMatch(banner, /no such table/, 'the banner shows the new error');

        // A query that works clears the error.
        await runInEditor(page, 'select 1 as one');
        await page.waitForSelector('#result table.record');
        assert.equal(await page.$('.banner-item[data-key="query"]'), null);
    }, { allow: [400, 403] });
    assert.deepEqual(await server.api('count/packet'), before, 'nothing was deleted');
});

test('values are shown as text, never as HTML', async () => {
    const html = '<img src=x onerror="document.title=1"><b>bold</b>';
    await withPage('text-only', server, async (page) => {
        await page.goto(`${server.url}/query?sql=${encodeURIComponent(`select '${html}' as v, 2 as w`)}`);
        await page.waitForSelector('#result table.record');
        assert.equal((await recordView(page)).v, html);
        assert.equal(await page.$('#result img, #result b'), null);
    });
});

test('a result cut by the row limit or the time limit says so', async () => {
    await withPage('flags', server, async (page) => {
        await page.goto(`${server.url}/query?sql=${encodeURIComponent('select a.id from packet a, packet b')}`);
        await page.waitForSelector('[data-flag="truncated"]');
        const expected = await server.query('select a.id from packet a, packet b');
        assert.equal(expected.truncated, true);
        assert.equal((await gridRows(page)).length, expected.row_limit);
        assert.equal(await page.$('[data-flag="timed_out"]'), null);

        // A row every few million steps: rows arrive, then the time limit stops the query.
        const slow = 'with recursive r(i) as (select 1 union all select i + 1 from r) select i from r where i % 200000 = 0';
        await page.goto(`${server.url}/query?sql=${encodeURIComponent(slow)}`);
        await page.waitForSelector('[data-flag="timed_out"]', { timeout: TIME_LIMIT_MS * 10 });
        assert.ok((await gridRows(page)).length > 0);
    });
});

test('the dashboard plots render', async () => {
    const reps = await server.query('select count(distinct account) from vote');
    const maxHashes = await server.query('select max(vote_count) from vote where vbh');
    await withPage('dashboard', server, async (page) => {
        await page.goto(`${server.url}/dashboard`);
        await page.waitForSelector('#plot-rate canvas');
        await page.waitForSelector('#plot-peers canvas');
        await page.waitForSelector('#plot-representatives svg rect.bar');
        await page.waitForSelector('#plot-hash-counts svg rect.bar');
        // The time series are drawn: pixels of the first series' colour (#4e79a7) on each canvas.
        for (const id of ['plot-rate', 'plot-peers']) {
            const painted = await page.$eval(`#${id} canvas`, (c) => {
                const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let n = 0;
                for (let i = 0; i < data.length; i += 4) {
                    if (Math.abs(data[i] - 0x4e) < 24 && Math.abs(data[i + 1] - 0x79) < 24 && Math.abs(data[i + 2] - 0xa7) < 24 && data[i + 3] > 128) n++;
                }
                return n;
            });
            assert.ok(painted > 50, `${id}: ${painted} pixels of the series`);
        }
        const bars = await page.$$eval('#plot-representatives rect.bar', (r) => r.length);
        assert.equal(bars, Math.min(20, reps.rows[0][0]));
        const heights = await page.$$eval('#plot-hash-counts rect.bar', (r) => r.map((x) => Number(x.getAttribute('height'))));
        assert.equal(heights.length, maxHashes.rows[0][0], 'one column per hash count from 1 to the largest');
        assert.ok(heights.some((x) => x > 10));
    });
    // The same page in the dark theme, for the screenshot.
    await withPage('dashboard-dark', server, async (page) => {
        await page.goto(`${server.url}/dashboard`);
        await page.waitForSelector('#plot-hash-counts svg rect.bar');
        await page.waitForSelector('#plot-rate canvas');
    }, { colorScheme: 'dark' });
});

/** The generated capture the import tests share (made once); null without the generator. */
let bigCapture;
function generatedCapture() {
    if (bigCapture !== undefined) return bigCapture;
    const generator = [
        process.env.NANOCAP_GEN_CAPTURE,
        path.join(ROOT, 'target/generator/release/examples/gen_capture'),
        path.join(ROOT, 'target/release/examples/gen_capture'),
    ].find((p) => p && fs.existsSync(p));
    if (!generator) {
        bigCapture = null;
        return null;
    }
    const dir = fs.mkdtempSync(path.join(ROOT, 'target', 'browser-import-'));
    scratch.push(dir); // removed after the last test (an after() here would belong to this test)
    bigCapture = path.join(dir, 'big.pcapng');
    execFileSync(generator, ['--messages', process.env.NANOCAP_BROWSER_IMPORT_MESSAGES || '200000', '--truth', '-', bigCapture]);
    return bigCapture;
}
const NO_GENERATOR = 'no gen_capture (cargo build --release --features synth --example gen_capture)';

test('the status shows an import progressing, and queries work during it', async (t) => {
    const pcap = generatedCapture();
    if (!pcap) {
        t.skip(NO_GENERATOR);
        return;
    }
    const big = await startServer(SERVE, { name: 'import', pcap });
    try {
        await withPage('import', big, async (page) => {
            // The import keeps both cores busy: give the first page load more time than
            // the default 30 s, and say how long it took.
            const loading = Date.now();
            await page.goto(`${big.url}/query`, { timeout: 120000 });
            t.diagnostic(`the console loaded in ${Date.now() - loading} ms during the import`);
            const seen = [];
            let counts = [];
            let shot = false;
            const end = Date.now() + 300000;
            while (Date.now() < end) {
                const importing = await page.$('.import[data-importing="true"]');
                const value = await page.$eval('#import-progress', (p) => p.value).catch(() => null);
                if (importing && value !== null) {
                    seen.push(value);
                    if (!shot && value > 10) {
                        await screenshot(page, ARTIFACTS, 'import-progress');
                        shot = true;
                    }
                    // The console keeps answering while the import writes.
                    await runInEditor(page, `select count(*) /* ${seen.length} */ from packet`);
                    await page.waitForSelector('#result table.record');
                    counts.push(Number((await recordView(page))['count(*)']));
                } else if (seen.length > 0) {
                    break;
                }
                await page.waitForTimeout(300);
            }
            const during = seen.filter((v) => v > 0 && v < 100);
            assert.ok(new Set(during).size >= 2, `progress seen during the import: ${seen.join(', ')}`);
            assert.deepEqual(seen, [...seen].sort((a, b) => a - b), 'progress never goes back');
            assert.deepEqual(counts, [...counts].sort((a, b) => a - b), 'rows only grow');
            await page.waitForSelector('.import[data-importing="false"]');
            assert.equal(await page.textContent('#import-percent'), '100%');
        });
    } finally {
        await big.stop();
    }
});

test('an import stopped by max_capture_megabytes shows "max database size reached"', async (t) => {
    const pcap = generatedCapture();
    if (!pcap) {
        t.skip(NO_GENERATOR);
        return;
    }
    const capped = await startServer(SERVE, { name: 'max-size', pcap, capture: { max_capture_megabytes: 2 } });
    try {
        const status = await capped.waitImported();
        assert.equal(status.max_db_size_reached, true, 'the server says the limit was reached');
        await withPage('max-size', capped, async (page) => {
            await page.goto(`${capped.url}/query`);
            await page.waitForSelector('#max-size');
            assert.equal(await page.textContent('#max-size'), 'max database size reached');
        });
    } finally {
        await capped.stop();
    }
});

test('with web.token set: login, the token prompt when the cookie is lost, and "remove data" asks first', async () => {
    const token = 'browser-test-token-4711';
    const guarded = await startServer(SERVE, { name: 'token', pcap: SAMPLE, token });
    try {
        await guarded.waitImported();
        const packets = (await guarded.api('count/packet')).count;
        assert.ok(packets > 0);
        await withPage('token', guarded, async (page, { context }) => {
            // Without the cookie the server sends its own login page instead of the console.
            await page.goto(`${guarded.url}/`);
            await page.waitForSelector('form#f input#t');
            await page.fill('#t', 'not-the-token');
            await page.click('form#f button');
            await page.waitForFunction(() => document.querySelector('#msg').textContent !== '');
            await page.fill('#t', token);
            await page.click('form#f button');
            await page.waitForSelector('#result table.grid tbody tr');
            const cookie = (await context.cookies()).find((c) => c.name === 'nanocap_token');
            assert.ok(cookie && cookie.httpOnly, 'the login set an HttpOnly cookie');

            // The cookie lost while the console is open: its API calls get 401, and the
            // console asks for the token itself, then carries on.
            await context.clearCookies();
            await page.waitForSelector('dialog.auth-dialog[open]');
            await screenshot(page, ARTIFACTS, 'token-prompt');
            await page.fill('#token-input', 'not-the-token');
            await page.click('dialog.auth-dialog button[type="submit"]');
            await page.waitForFunction(() => document.querySelector('.dialog-error').textContent !== '');
            await page.fill('#token-input', token);
            await page.click('dialog.auth-dialog button[type="submit"]');
            await page.waitForSelector('dialog.auth-dialog', { state: 'detached' });
            assert.ok((await context.cookies()).some((c) => c.name === 'nanocap_token'), 'logged in again');
            await page.click('nav.pages a[data-page="schema"]');
            await page.waitForSelector('section.schema-table');

            // Remove data: cancelled first (nothing happens), then confirmed.
            await page.waitForSelector('#destroy:not([disabled])');
            await page.click('#destroy');
            await page.waitForSelector('dialog.confirm-dialog[open]');
            await page.click('dialog.confirm-dialog button[value="cancel"]');
            await page.waitForSelector('dialog.confirm-dialog', { state: 'detached' });
            assert.equal((await guarded.api('count/packet')).count, packets, 'cancel deleted nothing');
            await page.click('#destroy');
            await page.waitForSelector('dialog.confirm-dialog[open]');
            await screenshot(page, ARTIFACTS, 'remove-data-confirm');
            await page.click('dialog.confirm-dialog button[value="confirm"]');
            await page.waitForFunction(() => /^Removed \d/.test(document.querySelector('#notice').textContent));
            assert.equal((await guarded.api('count/packet')).count, 0);
            assert.equal(await page.$('.banner-item'), null, 'no error');
            // The counts beside the editor follow.
            await page.click('nav.pages a[data-page="query"]');
            await page.waitForFunction(() => document.querySelector('#per-type tbody').textContent === 'no messages yet');
        }, { allow: [401] });
    } finally {
        await guarded.stop();
    }
});

test('capture start and stop from the header (live capture on lo)', async () => {
    const srv = await startServer(SERVE, {
        name: 'capture', capture: { device_ip: '127.0.0.1', filter: 'udp port 44000' },
    });
    try {
        await withPage('capture', srv, async (page) => {
            await page.goto(`${srv.url}/dashboard`);
            await page.waitForSelector('#capture-toggle:not([disabled])');
            assert.equal(await page.textContent('#capture-toggle'), 'Start capture');
            await page.click('#capture-toggle');
            await page.waitForFunction(() => document.querySelector('#capturing').textContent === 'capturing');
            assert.equal(await page.textContent('#capture-toggle'), 'Stop capture');
            assert.match(await page.textContent('#notice'), /^Capturing on /);
            assert.match(await page.textContent('#status'), /capturing on \S+/);
            assert.ok(await page.$('#packets-received'), 'packets received are shown');
            assert.ok(await page.$('#packets-dropped'), 'packets dropped are shown');
            // Datagrams to the filtered port: the live counter goes up on the page.
            const sock = dgram.createSocket('udp4');
            for (let i = 0; i < 20; i++) {
                await new Promise((r) => sock.send(Buffer.from(`not nano ${i}`), 44000, '127.0.0.1', r));
            }
            sock.close();
            await page.waitForFunction(() => /^[1-9]/.test(document.querySelector('#packets-received .stat-value').textContent));
            assert.equal((await srv.api('status')).capturing, true);
            await screenshot(page, ARTIFACTS, 'capturing');
            await page.click('#capture-toggle');
            await page.waitForFunction(() => document.querySelector('#capturing').textContent === 'not capturing');
            assert.match(await page.textContent('#notice'), /^Capture stopped/);
            assert.equal((await srv.api('status')).capturing, false);
            assert.equal(await page.$('.banner-item'), null, 'no error');
        });
    } finally {
        await srv.stop();
    }
});

test('when the server goes away the status says so and keeps retrying', async () => {
    const srv = await startServer(SERVE, { name: 'gone' });
    try {
        await withPage('server-gone', srv, async (page) => {
            await page.goto(`${srv.url}/schema`);
            await page.waitForSelector('#capturing');
            await srv.stop();
            await page.waitForSelector('#status-error');
            assert.equal(await page.textContent('#status-error'), 'server unreachable');
            assert.match(await page.textContent('#status'), /retrying in \d+ s/);
            assert.equal(await page.$('#capturing'), null, 'no stale status');
            assert.equal(await page.isDisabled('#capture-toggle'), true);
            assert.equal(await page.isDisabled('#destroy'), true);
            // It backs off: 1, 2, 4 s between tries.
            await page.waitForFunction(() => /retrying in 4 s/.test(document.querySelector('#status').textContent), null, { timeout: 15000 });
            await screenshot(page, ARTIFACTS, 'server-unreachable');
        }, { allow: [/ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|ERR_CONNECTION_RESET/] });
    } finally {
        await srv.stop();
    }
});

test("web/js/examples.js holds the README's example queries", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Persistent tables'));
    const block = section.match(/The original nanocap's example queries[\s\S]*?```sql\n([\s\S]*?)```/)[1];
    const pairs = [];
    const lines = block.trim().split('\n');
    for (let i = 0; i < lines.length; i += 2) {
        assert.match(lines[i], /^-- /);
        pairs.push({ title: lines[i].slice(3), sql: lines[i + 1] });
    }
    assert.deepEqual(EXAMPLES, pairs);
});
