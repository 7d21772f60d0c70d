import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ServerProcess, startServer } from '../utils/server-process.js';

const PASSWORD = 'crash test password';
const WRITES = 120;
const CONCURRENCY = 8;

async function post(url: string, body: unknown, cookie?: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
}

const readyPids = (server: ServerProcess) =>
  [...server.output().matchAll(/worker (\d+) ready/g)].map((m) => m[1]);

describe('A worker killed in the middle of a burst of writes (e2e)', () => {
  let cwd: string;
  let server: ServerProcess;

  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'users-crash-'));
    server = await startServer(cwd, { WORKERS: '2', RATE_LIMIT_LOGIN: 'off', RATE_LIMIT_SIGNUP: 'off' });
    const deadline = Date.now() + 15_000;
    while (readyPids(server).length < 2 && Date.now() < deadline) await sleep(50);
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('keeps every write that got a 2xx, and none half-applied', async () => {
    expect((await post(`${server.url}/api/users`, { name: 'admin', password: PASSWORD })).status).toBe(201);
    const login = await post(`${server.url}/api/auth/login`, { name: 'admin', password: PASSWORD });
    const cookie = login.headers.get('set-cookie')!.split(';')[0];

    const acknowledged: string[] = [];
    const unknown: string[] = [];
    let next = 0;
    let killed = false;
    const victim = readyPids(server)[0];
    const writer = async () => {
      while (next < WRITES) {
        const name = `burst-${next++}`;
        if (!killed && next > WRITES / 3) {
          killed = true;
          process.kill(Number(victim), 'SIGKILL');
        }
        try {
          const res = await post(`${server.url}/api/users`, { name, password: PASSWORD }, cookie);
          expect(res.status).toBeLessThan(500);
          if (res.status === 201) acknowledged.push(name);
          else unknown.push(name);
        } catch {
          // The connection died with the worker: this write may or may not have happened.
          unknown.push(name);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, writer));
    expect(killed).toBe(true);
    expect(acknowledged.length).toBeGreaterThan(WRITES / 2);

    const db = new Database(join(cwd, 'data', 'app.db'), { readonly: true, timeout: 5000 });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const rows = db
        .prepare("select name, name_key, password_hash, role from users where name like 'burst-%'")
        .all() as { name: string; name_key: string; password_hash: string; role: string }[];
      const stored = new Set(rows.map((row) => row.name));
      for (const name of acknowledged) expect(stored.has(name)).toBe(true);
      for (const row of rows) {
        expect([...acknowledged, ...unknown]).toContain(row.name);
        expect(row).toMatchObject({ name_key: row.name, role: 'user' });
        expect(row.password_hash).toMatch(/^\$scrypt\$ln=15,r=8,p=3\$[\w+/]+=*\$[\w+/]+=*$/);
      }
    } finally {
      db.close();
    }
    // A sample of the acknowledged users can log in: their rows are whole, hashes included.
    for (const name of acknowledged.slice(-3)) {
      expect((await post(`${server.url}/api/auth/login`, { name, password: PASSWORD })).status).toBe(200);
    }
  }, 60_000);
});
