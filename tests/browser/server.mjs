// Starts a real nanocap-serve for the browser tests: its own temporary directory, config
// and database, a free port on 127.0.0.1, capture off. Nothing here imitates the server.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export function freePort() {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on('error', reject);
        srv.listen(0, '127.0.0.1', () => {
            const { port } = srv.address();
            srv.close(() => resolve(port));
        });
    });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function startServer(binary, { name, pcap, token, web = {}, capture = {} }) {
    if (!fs.existsSync(binary)) throw new Error(`no server binary at ${binary} (set NANOCAP_SERVE)`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `nanocap-browser-${name}-`));
    const port = await freePort();
    const config = {
        database: path.join(dir, 'capture.db'),
        capture: { enabled: false, ...capture },
        web: { enabled: true, bind: '127.0.0.1', port, ...web, ...(token ? { token } : {}) },
    };
    const configPath = path.join(dir, 'nanocap.config');
    fs.writeFileSync(configPath, JSON.stringify(config, null, 2));
    const args = ['--config', configPath, '--db', path.join(dir, 'capture.db')];
    if (pcap) args.push('--pcap', pcap);
    const logPath = path.join(dir, 'server.log');
    const log = fs.openSync(logPath, 'a');
    const child = spawn(binary, args, { cwd: dir, stdio: ['ignore', log, log] });
    let exited = null;
    let stopped = false;
    child.on('exit', (code, signal) => { exited = { code, signal }; });
    const url = `http://127.0.0.1:${port}`;
    const headers = token ? { Authorization: `Bearer ${token}` } : {};

    const server = {
        name, url, dir, token, logPath,
        log: () => fs.readFileSync(logPath, 'utf8'),
        /** GET (or POST with a body) an API path; the parsed JSON, or throws with the status. */
        async api(p, body) {
            const init = body === undefined ? { headers } : {
                method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
            };
            const r = await fetch(`${url}/api/v1/${p}`, init);
            const text = await r.text();
            if (!r.ok) throw new Error(`${p}: HTTP ${r.status}: ${text}`);
            return JSON.parse(text);
        },
        query(sql) {
            return server.api('capture/query', { query: sql });
        },
        async waitImported(timeoutMs = 180000) {
            const end = Date.now() + timeoutMs;
            for (;;) {
                const s = await server.api('status');
                if (!s.importing && s.import) return s;
                if (exited) throw new Error(`${name}: nanocap-serve exited (${JSON.stringify(exited)}):\n${server.log()}`);
                if (Date.now() > end) throw new Error(`${name}: the import did not end in ${timeoutMs} ms`);
                await sleep(200);
            }
        },
        async stop() {
            if (stopped) return;
            stopped = true;
            if (!exited) {
                child.kill('SIGTERM');
                for (let i = 0; i < 50 && !exited; i++) await sleep(100);
                if (!exited) child.kill('SIGKILL');
            }
            fs.closeSync(log);
        },
    };

    // Up when it answers anything over HTTP (401 included).
    const end = Date.now() + 30000;
    for (;;) {
        if (exited) throw new Error(`${name}: nanocap-serve exited (${JSON.stringify(exited)}):\n${server.log()}`);
        try {
            await fetch(`${url}/api/v1/status`);
            return server;
        } catch {
            if (Date.now() > end) {
                await server.stop();
                throw new Error(`${name}: nanocap-serve did not answer on ${url} in 30 s:\n${server.log()}`);
            }
            await sleep(100);
        }
    }
}
