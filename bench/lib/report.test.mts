import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseH2load } from './load.mts';
import {
  type BenchResult,
  evaluateTargets,
  formatSpread,
  MEASURES,
  type Measure,
  renderMarkdown,
  renderSvg,
  type Run,
} from './report.mts';
import { summarise } from './stats.mts';

function run(values: Partial<Record<Measure, number>>): Run {
  const base = Object.fromEntries(MEASURES.map((m) => [m, 1])) as Record<Measure, number>;
  return { ...base, ...values, round: 1, total: 100, failed: 0, failures: '' };
}

function contender(name: string, runs: Run[]) {
  return { name, readyRssMiB: 50, runs, summary: summarise(runs, MEASURES) };
}

function result(rps: { product: number; limit: number; typical: number; one: number; two: number }) {
  return {
    date: '2025-01-01',
    mode: 'quick',
    machine: { cpu: 'Test CPU', cores: 2, memoryGiB: 4, node: 'v24.0.0', kernel: '6.1', pinning: 'Pinned.' },
    settings: { rounds: 1, warmupS: 1, durationS: 3, users: 100 },
    scenarios: [
      {
        id: 2,
        key: 'hot-path',
        title: 'GET /api/users?limit=20, logged in',
        baseline: 'limit',
        notes: ['a note'],
        contenders: [
          contender('product', [run({ rps: rps.product, workerRssMiB: 90 })]),
          contender('limit', [run({ rps: rps.limit })]),
          contender('typical', [run({ rps: rps.typical })]),
        ],
      },
      { id: 6, key: 'http2', title: 'HTTP/2', notes: [], contenders: [], skipped: 'h2load not found' },
      {
        id: 7,
        key: 'cluster',
        title: 'cluster',
        baseline: '1 worker',
        notes: [],
        contenders: [
          contender('1 worker', [run({ rps: rps.one, workerRssMiB: 100 })]),
          contender('2 workers', [run({ rps: rps.two, workerRssMiB: 130 })]),
        ],
      },
    ],
    fixedRate: {
      rate: 500,
      connections: 50,
      paced: { rps: 499, p50: 2, p99: 25, failed: 0 },
      autocannon: { rps: 500, p50: 20, p99: 70, failed: 0 },
    },
    startupMs: { median: 800, min: 700, max: 900 },
    notes: [],
  } satisfies Omit<BenchResult, 'targets'>;
}

describe('evaluateTargets', () => {
  it('meets the ratios that are reached and says by how much the others are missed', () => {
    const targets = evaluateTargets(result({ product: 400, limit: 1000, typical: 100, one: 400, two: 720 }));
    const [limit, typical, cluster, p99, rss, start] = targets;
    assert.deepEqual(limit, {
      target: '1 worker ≥ 0.50× limit (scenario 2)',
      measured: '0.40×',
      pass: false,
      miss: 'short by 0.10×: needs 1.25× its throughput',
    });
    assert.equal(typical.pass, true);
    assert.equal(cluster.measured, '1.80×');
    assert.equal(cluster.pass, true);
    assert.equal(p99.miss, 'over by 5.0 ms (25%)');
    assert.equal(rss.measured, '130 MiB');
    assert.equal(rss.pass, false);
    assert.equal(start.pass, true);
  });

  it('marks a target it could not measure', () => {
    const partial = result({ product: 1, limit: 1, typical: 1, one: 1, two: 1 });
    partial.scenarios = [];
    assert.equal(evaluateTargets(partial)[0].pass, undefined);
  });
});

describe('formatSpread', () => {
  it('shows min–max only when the rounds differ', () => {
    assert.equal(formatSpread({ median: 1234.4, min: 1200, max: 1300.2 }), '1,234 (1,200–1,300)');
    assert.equal(formatSpread({ median: 2.345, min: 2.345, max: 2.345 }), '2.35');
    assert.equal(formatSpread({ median: Number.NaN, min: Number.NaN, max: Number.NaN }), '–');
  });
});

describe('renderMarkdown', () => {
  it('has a row per server with its ratio to the baseline, skipped scenarios, targets and notes', () => {
    const input = result({ product: 400, limit: 1000, typical: 100, one: 400, two: 720 });
    const markdown = renderMarkdown({ ...input, targets: evaluateTargets(input) });
    assert.match(
      markdown,
      /\| 2 \| GET \/api\/users\?limit=20, logged in \| product \| 400 \|.*\| 0\.40× \|/,
    );
    assert.match(markdown, /\| 6 \| HTTP\/2 \| skipped: h2load not found \|/);
    assert.match(markdown, /\| 1 worker ≥ 0\.50× limit \(scenario 2\) \| 0\.40× \| missed: short by 0\.10×/);
    assert.match(markdown, /^- 2\. a note$/m);
  });
});

describe('renderSvg', () => {
  it('draws one bar per finite ratio, coloured by its target, with the labels escaped', () => {
    const svg = renderSvg('Ratios', 'a & b', [
      { label: 'met <1>', value: 0.6, target: 0.5 },
      { label: 'missed', value: 1.2, target: 1.7 },
      { label: 'none', value: Number.NaN },
    ]);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /a &#38; b/);
    assert.match(svg, /met &#60;1&#62; \(target ≥ 0\.5×\)/);
    assert.equal(svg.match(/<rect x="340"/g)?.length, 2);
    assert.match(svg, /fill="#2e8b57"/);
    assert.match(svg, /fill="#d2691e"/);
    assert.doesNotMatch(svg, />none</);
  });
});

describe('parseH2load', () => {
  it('reads the rate, counts and the per-request log', () => {
    const stdout = [
      'finished in 3.00s, 4000.50 req/s, 3.21MB/s',
      'requests: 12000 total, 12100 started, 12000 done, 11990 succeeded, 10 failed, 0 errored, 0 timeout',
      'status codes: 11990 2xx, 0 3xx, 10 4xx, 0 5xx',
    ].join('\n');
    const log = Array.from({ length: 100 }, (_, i) => `1700000000000000\t200\t${(i + 1) * 1000}`).join('\n');
    assert.deepEqual(parseH2load(stdout, `${log}\n`), {
      rps: 4000.5,
      p50: 50,
      p99: 99,
      total: 12000,
      failed: 10,
      failures: '10 not 2xx',
      durationS: 3,
    });
  });
});
