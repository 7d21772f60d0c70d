// Where the product's time goes on scenario 2 (or another GET): npm run bench:profile
//   [-- --no-build] [--seconds=10] [--connections=50] [--path=/api/users?limit=20] [--node='<node options>']
//   [--server=product|limit|typical] [--env=NAME=value ...]
// Seeds a database as the bench does, runs one worker under `node --cpu-prof` (pinned to core 0
// when taskset is there, the load generator on the last core), loads it with autocannon, then
// prints where the CPU time of the loaded window went. The .cpuprofile is kept in
// bench/.profiles/ for Chrome DevTools (Performance, "Load profile") or speedscope.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { findExecutable, runLoadChild } from './lib/load.mts';
import { type CpuProfile, renderSummary, summariseProfile } from './lib/profile.mts';
import { seed } from './lib/seed.mts';
import {
  benchEnvironment,
  buildProduct,
  type RunningServer,
  type ServerKind,
  startServer,
} from './lib/servers.mts';

const ROOT = resolve(import.meta.dirname, '..');
const option = (name: string, fallback: string) =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const seconds = Number(option('seconds', '10'));
const connections = Number(option('connections', '50'));
const path = option('path', '/api/users?limit=20');
/** More options for the server's Node, e.g. --node='--max-semi-space-size=8', to try V8 settings. */
const nodeOptions = option('node', '').split(/\s+/).filter(Boolean);
/** The reference servers can be profiled too, to compare where their time goes (bench/.build, from `npm run bench`). */
const kind = option('server', 'product') as ServerKind;
if (!['product', 'limit', 'typical'].includes(kind)) {
  console.error('--server is product, limit or typical');
  process.exit(2);
}
/** --env=NAME=value, as often as needed: set for the server, e.g. --env=MALLOC_ARENA_MAX=2. */
const extraEnv = Object.fromEntries(
  process.argv
    .filter((arg) => arg.startsWith('--env='))
    .map((arg) => {
      const [name, ...value] = arg.slice('--env='.length).split('=');
      return [name, value.join('=')];
    }),
);

async function main(): Promise<void> {
  if (!process.argv.includes('--no-build')) buildProduct(ROOT);
  const pin = findExecutable('taskset') !== undefined && availableParallelism() >= 2;
  const env = benchEnvironment(ROOT, 'profile');
  const { workDir } = env;
  // Stopped whatever happens, so a failed run leaves no server behind.
  const running: RunningServer[] = [];
  try {
    const seeder = await startServer({ kind: 'product' }, env, 'seed');
    running.push(seeder);
    const { cookie } = await seed(seeder.url, 100, 2);
    await seeder.stop();
    const profiles = join(workDir, 'profiles');
    const server = await startServer(
      {
        kind,
        cpus: pin ? '0' : undefined,
        nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profiles}`, ...nodeOptions],
        env: extraEnv,
      },
      env,
      'profiled',
    );
    running.push(server);
    const readyRss = `${server.memory()[0].rssMiB.toFixed(0)} MiB when ready`;
    const job = {
      url: server.url,
      path,
      connections,
      headers: { cookie: `sid=${cookie}` },
      kind: 'get' as const,
    };
    const clientCpus = pin ? String(availableParallelism() - 1) : undefined;
    const none = { started: () => undefined, ended: () => undefined };
    await runLoadChild({ ...job, duration: 2 }, clientCpus, none);
    // V8 stamps samples with the machine's monotonic clock, which hrtime reads too.
    const window: { fromUs?: number; toUs?: number } = {};
    const now = () => Number(process.hrtime.bigint() / 1000n);
    const result = await runLoadChild({ ...job, duration: seconds }, clientCpus, {
      started: () => (window.fromUs = now()),
      ended: () => (window.toUs = now()),
    });
    if (result.failed === result.total) throw new Error(`every request failed: ${result.failures}`);
    const rss = (at: string) => `${at} ${server.memory()[0].rssMiB.toFixed(0)} MiB`;
    const memory = `RSS ${readyRss}, ${rss('after the load')}`;
    await server.stop();
    const [file] = readdirSync(profiles).filter((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error('the server wrote no profile');
    const profile = JSON.parse(readFileSync(join(profiles, file), 'utf8')) as CpuProfile;
    const kept = join(ROOT, 'bench', '.profiles');
    mkdirSync(kept, { recursive: true });
    const target = join(kept, `${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
    copyFileSync(join(profiles, file), target);
    console.log(
      `${kind}: GET ${path}, ${connections} connections, ${seconds} s: ${result.rps.toFixed(0)} req/s, ` +
        `p50 ${result.p50} ms, p99 ${result.p99} ms, ${result.failed} failed` +
        `${pin ? ' (server on core 0, load on the last core)' : ''}; ${memory}; ` +
        `profile: ${relative(process.cwd(), target)}\n`,
    );
    const inWindow = summariseProfile(profile, ROOT, window);
    const summary = inWindow.windowMs > 0 ? inWindow : summariseProfile(profile, ROOT);
    if (summary !== inWindow)
      console.log('(the load window did not match the profile clock: whole run shown)');
    console.log(renderSummary(summary));
    const perRequest = (summary.busyMs * 1000) / Math.max(1, result.total);
    console.log(`\nBusy CPU per request: ${perRequest.toFixed(0)} µs`);
  } finally {
    await Promise.all(running.map((server) => server.stop()));
    rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
