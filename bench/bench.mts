// Issue #10's benchmark harness: npm run bench [-- --quick] [--no-build] [--only=2,7] [--render=<json>].
// Builds once, seeds one SQLite database through the product's API, then for each scenario starts
// the servers, warms them up and runs rounds of load, rotating the servers' order between rounds.
// Writes bench/results/<date>[-quick].{json,md,svg} and prints the Markdown table.
import swc from '@swc/core';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { request } from './lib/http.mts';
import {
  findExecutable,
  type H2Job,
  type LoadHooks,
  type LoadJob,
  type LoadResult,
  runH2load,
  runLoadChild,
} from './lib/load.mts';
import { treeCpuSeconds } from './lib/proc.mts';
import {
  type Bar,
  type BenchResult,
  evaluateTargets,
  type FixedRateResult,
  formatMs,
  formatNumber,
  MEASURES,
  ratio,
  renderMarkdown,
  renderSvg,
  type Run,
  type ScenarioResult,
  type Settings,
} from './lib/report.mts';
import { PASSWORD, seed } from './lib/seed.mts';
import {
  benchEnvironment,
  buildProduct,
  type BenchEnvironment,
  productNodeOptions,
  type RunningServer,
  type ServerSpec,
  startServer,
} from './lib/servers.mts';
import { spread, summarise } from './lib/stats.mts';

const ROOT = resolve(import.meta.dirname, '..');
const began = performance.now();
const elapsed = () => `${((performance.now() - began) / 1000).toFixed(0)} s`;
const quick = process.argv.includes('--quick');
const build = !process.argv.includes('--no-build');
/** `--only=2,7`: just those scenarios (for working on one; the targets then cover only what ran). */
const only = process.argv
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',')
  .map(Number);
if (only?.some((id) => !Number.isInteger(id) || id < 1 || id > 7)) {
  console.error('--only takes scenario numbers from 1 to 7, e.g. --only=2,7');
  process.exit(2);
}
const settings: Settings = quick
  ? { rounds: 1, warmupS: 1, durationS: 3, users: 100 }
  : { rounds: 3, warmupS: 5, durationS: 10, users: 100 };

type LoadPlan =
  | { tool: 'autocannon'; job: Omit<LoadJob, 'url' | 'duration'> }
  | { tool: 'h2load'; path: string; job: Omit<H2Job, 'url' | 'duration'> };

interface ContenderDef {
  name: string;
  server: string;
  load: LoadPlan;
}

interface ScenarioDef {
  id: number;
  key: string;
  title: string;
  baseline?: string;
  notes: string[];
  servers: Record<string, ServerSpec>;
  contenders: ContenderDef[];
  /** Where the load generator runs (`taskset -c`), undefined for anywhere. */
  clientCpus: string | undefined;
  /** Contenders whose responses must be identical before anything is measured. */
  sameBody?: boolean;
  skipped?: string;
}

/** Where servers and load generator run: `cpus` lists for `taskset -c`, per number of server cores needed. */
function placement(cores: number, taskset: string | undefined) {
  const pinnable = (workers: number) => taskset !== undefined && cores >= 2 && workers <= cores - 1;
  const last = String(cores - 1);
  const server = (workers: number) =>
    pinnable(workers) ? (workers === 1 ? '0' : `0-${workers - 1}`) : undefined;
  const client = (workers: number) => (pinnable(workers) ? last : undefined);
  let description: string;
  if (taskset === undefined) description = 'No pinning: taskset is not installed (util-linux).';
  else if (cores < 2) description = 'No pinning: one core.';
  else {
    description =
      `Pinned with taskset: servers on core 0, the load generator (autocannon, h2load) on core ${last}. ` +
      (cores - 1 >= 2
        ? `Scenario 7: 2 workers on cores 0-1, the load generator on core ${last}.`
        : 'Scenario 7 needs both cores for 2 workers, so it runs unpinned for 1 and 2 workers alike: ' +
          'servers and load generator share the two cores, which understates what 2 workers do against a separate client.');
  }
  return { server, client, description };
}

/**
 * The reference servers as plain JavaScript in bench/.build: the typical one uses decorators, which
 * Node's type stripping does not run (compiled with the tests' swc settings); the limit one is
 * compiled too, so that its memory and start-up are plain Node's, without the type stripper loaded.
 */
async function compileReferences(): Promise<void> {
  const servers = join(ROOT, 'bench', 'servers');
  const output = join(ROOT, 'bench', '.build');
  rmSync(output, { recursive: true, force: true });
  mkdirSync(join(output, 'typical'), { recursive: true });
  for (const file of readdirSync(join(servers, 'typical')).filter((name) => name.endsWith('.ts'))) {
    const { code } = await swc.transformFile(join(servers, 'typical', file), {
      swcrc: false,
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2023',
        keepClassNames: true,
      },
      // ES modules, like the project (package.json's "type": "module" covers bench/.build too).
      module: { type: 'es6' },
    });
    writeFileSync(join(output, 'typical', file.replace(/\.ts$/, '.js')), code);
  }
  for (const file of ['limit.mts', 'session-cookie.mts']) {
    const { code } = await swc.transformFile(join(servers, file), {
      swcrc: false,
      jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
      module: { type: 'es6' },
    });
    writeFileSync(
      join(output, file.replace(/\.mts$/, '.mjs')),
      code.replace(/(["'])(\.\/[\w-]+)\.mts\1/g, '$1$2.mjs$1'),
    );
  }
}

function runLoad(
  plan: LoadPlan,
  server: RunningServer,
  durationS: number,
  clientCpus: string | undefined,
  hooks: LoadHooks,
  h2load: string | undefined,
  rate?: number,
): Promise<LoadResult> {
  if (plan.tool === 'h2load') {
    return runH2load(
      h2load!,
      { ...plan.job, url: `${server.url}${plan.path}`, duration: durationS },
      clientCpus,
      hooks,
    );
  }
  return runLoadChild({ ...plan.job, url: server.url, duration: durationS, rate }, clientCpus, hooks);
}

/** One measured run: the load generator's numbers with the server's CPU over the run and its memory after. */
async function measure(
  plan: LoadPlan,
  server: RunningServer,
  round: number,
  clientCpus: string | undefined,
  h2load: string | undefined,
): Promise<Run> {
  const pids = server.pids();
  let cpuStart = 0;
  let cpuEnd = 0;
  let wallStart = 0;
  let wallEnd = 0;
  const load = await runLoad(
    plan,
    server,
    settings.durationS,
    clientCpus,
    {
      started: () => {
        cpuStart = treeCpuSeconds(pids);
        wallStart = performance.now();
      },
      ended: () => {
        cpuEnd = treeCpuSeconds(pids);
        wallEnd = performance.now();
      },
    },
    h2load,
  );
  const memory = server.memory();
  const workers = memory.length > 1 ? memory.slice(1) : memory;
  const cpuSeconds = cpuEnd - cpuStart;
  return {
    round,
    rps: load.rps,
    p50: load.p50,
    p99: load.p99,
    cpuPct: (cpuSeconds / ((wallEnd - wallStart) / 1000)) * 100,
    reqPerCpuS: load.total / cpuSeconds,
    rssMiB: memory.reduce((sum, m) => sum + m.rssMiB, 0),
    workerRssMiB: Math.max(...workers.map((m) => m.rssMiB)),
    peakMiB: memory.reduce((sum, m) => sum + m.peakMiB, 0),
    clientCpuPct: load.clientCpuPct,
    total: load.total,
    failed: load.failed,
    failures: load.failures,
  };
}

/** The order of the contenders in round `round`: rotated by one each round. */
function rotate<T>(items: readonly T[], round: number): T[] {
  const shift = round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

async function main(): Promise<void> {
  const cores = availableParallelism();
  const taskset = findExecutable('taskset');
  const h2load = findExecutable('h2load');
  const place = placement(cores, taskset);
  console.log(
    `${quick ? 'Quick' : 'Full'} benchmark on ${cpus()[0]?.model ?? 'unknown CPU'}, ${cores} cores, Node ${process.version}`,
  );
  console.log(place.description);

  if (build) buildProduct(ROOT);
  else console.log('--no-build: using the dist/ already there');
  await compileReferences();

  const env = benchEnvironment(ROOT, 'bench');
  const { workDir } = env;
  const running = new Set<RunningServer>();
  const stopAll = async () => {
    await Promise.all([...running].map((server) => server.stop()));
    running.clear();
  };
  process.once('SIGINT', () => {
    void stopAll().finally(() => {
      rmSync(workDir, { recursive: true, force: true });
      process.exit(130);
    });
  });
  try {
    execFileSync('bash', [join(ROOT, 'scripts', 'cert.sh'), join(workDir, 'certs')], { stdio: 'ignore' });
    console.log(
      `Seeding ${settings.users} users through the product's API into ${env.databaseFile} [${elapsed()}]`,
    );
    const seeder = await startServer({ kind: 'product' }, env, 'seed');
    running.add(seeder);
    const seeded = await seed(seeder.url, settings.users, cores);
    await seeder.stop();
    running.delete(seeder);

    const result = await runScenarios(env, seeded.cookie, seeded.names, place, h2load, running);
    const targets = evaluateTargets(result);
    const full: BenchResult = { ...result, targets };
    writeResults(full);
    console.log(`\nDone in ${elapsed()}.`);
  } finally {
    await stopAll();
    rmSync(workDir, { recursive: true, force: true });
  }
}

async function runScenarios(
  env: BenchEnvironment,
  cookie: string,
  names: string[],
  place: ReturnType<typeof placement>,
  h2load: string | undefined,
  running: Set<RunningServer>,
): Promise<Omit<BenchResult, 'targets'>> {
  const logged = { cookie: `sid=${cookie}` };
  const api = '/api/users?limit=20';
  const get = (path: string, connections: number, headers: Record<string, string> = {}): LoadPlan => ({
    tool: 'autocannon',
    job: { kind: 'get', path, connections, headers },
  });
  const one = place.server(1);
  const three = {
    product: { kind: 'product', cpus: one },
    limit: { kind: 'limit', cpus: one },
    typical: { kind: 'typical', cpus: one },
  } satisfies Record<string, ServerSpec>;
  const loginNames = names.slice(1, 17);
  const scenarios: ScenarioDef[] = [
    {
      id: 1,
      key: 'floor',
      title: 'GET /health/live',
      baseline: 'limit',
      notes: [],
      servers: three,
      clientCpus: place.client(1),
      contenders: ['product', 'limit', 'typical'].map((name) => ({
        name,
        server: name,
        load: get('/health/live', 50),
      })),
    },
    {
      id: 2,
      key: 'hot-path',
      title: `GET ${api}, logged in`,
      baseline: 'limit',
      notes: [],
      servers: three,
      clientCpus: place.client(1),
      sameBody: true,
      contenders: ['product', 'limit', 'typical'].map((name) => ({
        name,
        server: name,
        load: get(api, 50, logged),
      })),
    },
    {
      id: 3,
      key: 'writes',
      title: 'POST + DELETE /api/users (admin)',
      notes: [
        'Each request counts once (a create or a delete). Every create hashes a password (scrypt, 32 MiB), which dominates.',
      ],
      servers: { product: three.product },
      clientCpus: place.client(1),
      contenders: [
        {
          name: 'product',
          server: 'product',
          load: {
            tool: 'autocannon',
            job: { kind: 'writes', path: '/api/users', connections: 4, headers: logged, password: PASSWORD },
          },
        },
      ],
    },
    {
      id: 4,
      key: 'login',
      title: 'POST /api/auth/login',
      notes: [
        `Logins on one core (RATE_LIMIT_LOGIN=off): req/s is logins/s per core; peak RSS is the memory the hashes cost. ` +
          `Round-robin over ${loginNames.length} users with the right password, 4 connections: the password throttle ` +
          '(a lock after 4 failed attempts in a row per name) never engages.',
      ],
      servers: { product: three.product },
      clientCpus: place.client(1),
      contenders: [
        {
          name: 'product',
          server: 'product',
          load: {
            tool: 'autocannon',
            job: {
              kind: 'login',
              path: '/api/auth/login',
              connections: 4,
              headers: {},
              names: loginNames,
              password: PASSWORD,
            },
          },
        },
      ],
    },
    {
      id: 5,
      key: 'static',
      title: 'GET /assets/app.css',
      notes: [],
      servers: { product: three.product },
      clientCpus: place.client(1),
      contenders: [{ name: 'product', server: 'product', load: get('/assets/app.css', 50) }],
    },
    {
      id: 6,
      key: 'http2',
      title: `GET ${api} over TLS (PROTOCOL=http2)`,
      baseline: 'HTTP/1.1, 100 connections',
      notes: ['HTTP/2: h2load -c1 -m100; HTTP/1.1: autocannon -c100 on the same server (ALPN fallback).'],
      servers: { product: { kind: 'product', protocol: 'http2', cpus: one } },
      clientCpus: place.client(1),
      skipped: h2load ? undefined : 'h2load not found (apt-get install nghttp2-client)',
      contenders: [
        {
          name: 'HTTP/2, 100 streams on 1 connection',
          server: 'product',
          load: {
            tool: 'h2load',
            path: api,
            job: { clients: 1, streams: 100, headers: { cookie: `__Host-sid=${cookie}` } },
          },
        },
        {
          name: 'HTTP/1.1, 100 connections',
          server: 'product',
          load: get(api, 100, { cookie: `__Host-sid=${cookie}` }),
        },
      ],
    },
    {
      id: 7,
      key: 'cluster',
      title: `GET ${api}, cluster`,
      baseline: '1 worker',
      notes: [],
      servers: {
        one: { kind: 'product', workers: 1, cpus: place.server(2) },
        two: { kind: 'product', workers: 2, cpus: place.server(2) },
      },
      clientCpus: place.client(2),
      contenders: [
        { name: '1 worker', server: 'one', load: get(api, 50, logged) },
        { name: '2 workers', server: 'two', load: get(api, 50, logged) },
      ],
    },
  ];

  const results: ScenarioResult[] = [];
  const startups: number[] = [];
  const notes: string[] = build ? [] : ['--no-build: run on the dist/ already there, not rebuilt.'];
  notes.push(
    `The product runs as \`npm run start:prod\` starts it: \`node ${productNodeOptions(ROOT).join(' ')} dist/main.js\`, ` +
      'NODE_ENV=production (JSON log lines, to a file here).',
  );
  let fixedRate: FixedRateResult | undefined;
  for (const scenario of scenarios.filter((s) => !only || only.includes(s.id))) {
    console.log(`\n${scenario.id}. ${scenario.title} [${elapsed()}]`);
    if (scenario.skipped) {
      console.log(`   skipped: ${scenario.skipped}`);
      results.push({
        id: scenario.id,
        key: scenario.key,
        title: scenario.title,
        notes: scenario.notes,
        contenders: [],
        skipped: scenario.skipped,
      });
      continue;
    }
    const servers = new Map<string, RunningServer>();
    const readyRss = new Map<string, number>();
    try {
      // One at a time, so each start is timed alone.
      for (const [key, spec] of Object.entries(scenario.servers)) {
        const server = await startServer(spec, env, `${scenario.key}-${key}`);
        running.add(server);
        servers.set(key, server);
        readyRss.set(
          key,
          server.memory().reduce((sum, m) => sum + m.rssMiB, 0),
        );
        const what =
          spec.kind === 'product'
            ? `product, WORKERS=${spec.workers ?? 1}${spec.protocol === 'http2' ? ', http2' : ''}`
            : spec.kind;
        console.log(
          `   started ${what} (pid ${server.pid}, cpus ${spec.cpus ?? 'any'}) in ${server.readyMs.toFixed(0)} ms, ` +
            `RSS ${readyRss.get(key)!.toFixed(0)} MiB`,
        );
        if (spec.kind === 'product' && (spec.workers ?? 1) === 1 && spec.protocol !== 'http2')
          startups.push(server.readyMs);
      }
      await checkResponses(scenario, servers);
      for (const contender of scenario.contenders) {
        await runLoad(
          contender.load,
          servers.get(contender.server)!,
          settings.warmupS,
          scenario.clientCpus,
          { started: () => undefined, ended: () => undefined },
          h2load,
        );
      }
      const runs = new Map<string, Run[]>(scenario.contenders.map((c) => [c.name, []]));
      for (let round = 0; round < settings.rounds; round++) {
        for (const contender of rotate(scenario.contenders, round)) {
          const run = await measure(
            contender.load,
            servers.get(contender.server)!,
            round + 1,
            scenario.clientCpus,
            h2load,
          );
          runs.get(contender.name)!.push(run);
          console.log(
            `   round ${round + 1} ${contender.name}: ${formatNumber(run.rps)} req/s, p50 ${formatMs(run.p50)} ms, ` +
              `p99 ${formatMs(run.p99)} ms, server CPU ${run.cpuPct.toFixed(0)}%, RSS ${run.rssMiB.toFixed(0)} MiB ` +
              `(peak ${run.peakMiB.toFixed(0)}), load generator CPU ${run.clientCpuPct.toFixed(0)}%` +
              `${run.failed > 0 ? `, ${run.failed} failed: ${run.failures}` : ''}`,
          );
        }
      }
      const contenders = scenario.contenders.map((c) => ({
        name: c.name,
        readyRssMiB: readyRss.get(c.server)!,
        runs: runs.get(c.name)!,
        summary: summarise(runs.get(c.name)!, MEASURES),
      }));
      for (const c of contenders) {
        const failed = c.runs.reduce((sum, run) => sum + run.failed, 0);
        const total = c.runs.reduce((sum, run) => sum + run.total, 0);
        if (failed > 0)
          scenario.notes.push(`${c.name}: ${failed} of ${total} requests failed (non-2xx or errors).`);
        const busiest = Math.max(...c.runs.map((run) => run.clientCpuPct));
        if (busiest >= 90) {
          scenario.notes.push(
            `${c.name}: the load generator used up to ${busiest.toFixed(0)}% of its core, so this req/s is a lower bound.`,
          );
        }
      }
      if (scenario.key === 'hot-path')
        fixedRate = await halfRate(contenders[0].summary.rps.median, scenario, servers);
      results.push({
        id: scenario.id,
        key: scenario.key,
        title: scenario.title,
        baseline: scenario.baseline,
        notes: scenario.notes,
        contenders,
      });
    } finally {
      for (const server of servers.values()) {
        await server.stop();
        running.delete(server);
      }
    }
  }
  return {
    date: new Date().toISOString().slice(0, 10),
    mode: quick ? 'quick' : 'full',
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: availableParallelism(),
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      kernel: release(),
      pinning: place.description,
    },
    settings,
    scenarios: results,
    fixedRate,
    startupMs: spread(startups),
    notes,
  };
}

/** Every contender answers 200 before being measured; the three servers of scenario 2 with the same body. */
async function checkResponses(scenario: ScenarioDef, servers: Map<string, RunningServer>): Promise<void> {
  const bodies: { name: string; body: unknown }[] = [];
  for (const contender of scenario.contenders) {
    const { load } = contender;
    if (load.tool === 'autocannon' && load.job.kind !== 'get') continue;
    const path = load.tool === 'h2load' ? load.path : load.job.path;
    const response = await request(`${servers.get(contender.server)!.url}${path}`, {
      headers: load.job.headers,
    });
    if (response.status !== 200)
      throw new Error(
        `${contender.name}: GET ${path} gave ${response.status}: ${response.body.slice(0, 500)}`,
      );
    if (scenario.sameBody) bodies.push({ name: contender.name, body: JSON.parse(response.body) as unknown });
  }
  if (!scenario.sameBody) return;
  for (const other of bodies.slice(1)) {
    if (!isDeepStrictEqual(other.body, bodies[0].body)) {
      throw new Error(
        `${other.name} and ${bodies[0].name} answer differently:\n${JSON.stringify(other.body)}\n${JSON.stringify(bodies[0].body)}`,
      );
    }
  }
  console.log(`   same JSON from ${bodies.map((b) => b.name).join(', ')}`);
}

/**
 * Scenario 2's product again at half the maximum it reached, the latency of a loaded but not
 * saturated server: paced (one request every 1/rate s, what the target means), then with
 * `autocannon -R`, which sends each connection's share of every second back to back.
 */
async function halfRate(
  maxRps: number,
  scenario: ScenarioDef,
  servers: Map<string, RunningServer>,
): Promise<FixedRateResult> {
  const rate = Math.max(1, Math.round(maxRps / 2));
  const product = servers.get('product')!;
  const plan = scenario.contenders.find((c) => c.name === 'product')!.load;
  if (plan.tool !== 'autocannon') throw new Error('the fixed-rate pass needs an autocannon GET');
  const ignore = { started: () => undefined, ended: () => undefined };
  const runs: FixedRateResult = { rate, connections: plan.job.connections } as FixedRateResult;
  for (const kind of ['paced', 'autocannon'] as const) {
    const job = { ...plan.job, kind: kind === 'paced' ? ('paced' as const) : plan.job.kind };
    const load = await runLoad(
      { tool: 'autocannon', job },
      product,
      settings.durationS,
      scenario.clientCpus,
      ignore,
      undefined,
      rate,
    );
    runs[kind] = { rps: load.rps, p50: load.p50, p99: load.p99, failed: load.failed };
    console.log(
      `   product at a fixed ${rate} req/s (${kind === 'paced' ? 'paced' : 'autocannon -R'}): ${formatNumber(load.rps)} req/s, ` +
        `p50 ${formatMs(load.p50)} ms, p99 ${formatMs(load.p99)} ms${load.failed > 0 ? `, ${load.failures}` : ''}`,
    );
  }
  return runs;
}

function writeResults(result: BenchResult): void {
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  // A run of some scenarios (--only) never takes the place of a whole run's results.
  const part = only ? `-only-${only.join('-')}` : '';
  const base = join(dir, `${result.date}${result.mode === 'quick' ? '-quick' : ''}${part}`);
  const bars: Bar[] = [
    { label: '2: product ÷ limit', value: ratio(result, 'hot-path', 'product', 'limit'), target: 0.5 },
    { label: '2: product ÷ typical', value: ratio(result, 'hot-path', 'product', 'typical'), target: 2 },
    { label: '2: typical ÷ limit', value: ratio(result, 'hot-path', 'typical', 'limit') },
    { label: '1: product ÷ limit (/health/live)', value: ratio(result, 'floor', 'product', 'limit') },
    { label: '1: typical ÷ limit (/health/live)', value: ratio(result, 'floor', 'typical', 'limit') },
    {
      label: '7: 2 workers ÷ 1 worker',
      value: ratio(result, 'cluster', '2 workers', '1 worker'),
      target: 1.7,
    },
    {
      label: '6: HTTP/2 ÷ HTTP/1.1 (TLS)',
      value: ratio(result, 'http2', 'HTTP/2, 100 streams on 1 connection', 'HTTP/1.1, 100 connections'),
    },
  ];
  const { machine } = result;
  const subtitle = `${result.mode} run, ${result.date}: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; medians of req/s`;
  const markdown = renderMarkdown(result);
  writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(`${base}.md`, markdown);
  writeFileSync(`${base}.svg`, renderSvg('Throughput ratios (issue #10)', subtitle, bars));
  console.log(`\n${markdown}`);
  console.log(`Wrote ${relative(ROOT, base)}.json, .md and .svg`);
  const count = (pass: boolean | undefined) => result.targets.filter((t) => t.pass === pass).length;
  console.log(`Targets: ${count(true)} met, ${count(false)} missed, ${count(undefined)} not measured.`);
}

/** `--render=bench/results/<file>.json`: the Markdown and the chart again from a run's JSON, no load. */
const render = process.argv.find((arg) => arg.startsWith('--render='))?.slice('--render='.length);
function rerender(file: string): Promise<void> {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as BenchResult;
  writeResults({ ...saved, targets: evaluateTargets(saved) });
  return Promise.resolve();
}

(render ? rerender(render) : main()).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
