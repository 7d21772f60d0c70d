import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readyPids, run, startServer, until } from '../utils/server-process.js';

const ROOT = join(import.meta.dirname, '..', '..');
// npm's own CLI, run by this Node: under `npm test` or npx it names itself; else the one on PATH.
const NPM_CLI =
  process.env.npm_execpath ?? realpathSync(execFileSync('which', ['npm'], { encoding: 'utf8' }).trim());
// --silent: only what the server prints, not npm's banner and its own report of the exit code.
const START_PROD = [NPM_CLI, 'run', '--silent', 'start:prod'];
const SECRET = 'a-production-secret-of-at-least-32-bytes';

describe('npm run start:prod', () => {
  let data: string;
  let env: Record<string, string>;

  beforeEach(() => {
    data = mkdtempSync(join(tmpdir(), 'users-prod-'));
    // npm runs scripts in the project folder: the database goes elsewhere.
    env = { DATABASE_URL: `sqlite:${join(data, 'app.db')}` };
  });

  afterEach(() => {
    rmSync(data, { recursive: true, force: true });
  });

  it('runs the built server with NODE_ENV=production: no SESSION_SECRET, one line and exit code 1', async () => {
    const result = await run(ROOT, START_PROD, env);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe('Configuration error: SESSION_SECRET is required when NODE_ENV=production\n');
    expect(result.stdout).toBe('');
  });

  it('starts with a strong SESSION_SECRET and stops cleanly on SIGTERM sent to npm', async () => {
    const server = await startServer(ROOT, { ...env, SESSION_SECRET: SECRET }, { args: START_PROD });
    try {
      expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
    } finally {
      await server.stop();
    }
    expect(server.child.exitCode).toBe(0);
  });

  it("runs every process with package.json's config.nodeOptions, cluster workers included, as the systemd unit does", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      config: { nodeOptions: string };
    };
    const options = pkg.config.nodeOptions.split(' ');
    expect(options).toContain('--max-semi-space-size=16');
    const unit = readFileSync(join(ROOT, 'deploy', 'nest-users.service'), 'utf8');
    expect(/^ExecStart=\S+ (.*) \S+\/dist\/main\.js$/m.exec(unit)?.[1].split(' ')).toEqual(options);

    const server = await startServer(
      ROOT,
      { ...env, SESSION_SECRET: SECRET, WORKERS: '2' },
      { args: START_PROD },
    );
    try {
      await until(() => readyPids(server).length === 2, 'two workers');
      const commandLine = (pid: string) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      // The supervisor is the workers' parent (npm's child, through the script's `exec`).
      const parent = (pid: string) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1];
      const workers = readyPids(server);
      const supervisor = parent(workers[0]);
      expect(parent(workers[1])).toBe(supervisor);
      for (const pid of [supervisor, ...workers]) {
        expect(commandLine(pid)).toEqual(expect.arrayContaining(options));
      }
    } finally {
      await server.stop();
    }
  });
});
