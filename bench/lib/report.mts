import type { Spread } from './stats.mts';

export const MEASURES = [
  'rps',
  'p50',
  'p99',
  'cpuPct',
  'reqPerCpuS',
  'rssMiB',
  'workerRssMiB',
  'peakMiB',
  'clientCpuPct',
] as const;
export type Measure = (typeof MEASURES)[number];

/**
 * One measured run. `cpuPct`: the server's processes' CPU over the run, percent of one core;
 * `rssMiB`: all its processes after the run; `workerRssMiB`: the largest process serving requests
 * (the only one, or the largest cluster worker); `peakMiB`: each process's high-water mark
 * (VmHWM) so far, summed: an upper bound of the tree's peak, exact for one process.
 */
export type Run = Record<Measure, number> & {
  round: number;
  total: number;
  failed: number;
  failures: string;
};

export interface ContenderResult {
  name: string;
  /** All its processes' RSS once ready, before any load. */
  readyRssMiB: number;
  runs: Run[];
  summary: Record<Measure, Spread>;
}

export interface ScenarioResult {
  id: number;
  key: string;
  title: string;
  /** The contender the others are divided by in the ratio column. */
  baseline?: string;
  notes: string[];
  contenders: ContenderResult[];
  /** Why the scenario did not run, when it did not. */
  skipped?: string;
}

export interface RateRun {
  rps: number;
  p50: number;
  p99: number;
  failed: number;
}

/**
 * Scenario 2's product at a fixed rate of half its measured maximum, twice: `paced` sends one
 * request every 1/rate s (what the target means); `autocannon` is `autocannon -R`, which sends
 * each connection's share of a second back to back at the start of every second.
 */
export interface FixedRateResult {
  rate: number;
  connections: number;
  paced: RateRun;
  autocannon: RateRun;
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  kernel: string;
  pinning: string;
}

export interface Settings {
  rounds: number;
  warmupS: number;
  durationS: number;
  users: number;
}

export interface TargetResult {
  target: string;
  measured: string;
  /** Undefined when it could not be measured in this run. */
  pass: boolean | undefined;
  /** For a miss: by how much. */
  miss?: string;
}

export interface BenchResult {
  date: string;
  mode: 'quick' | 'full';
  machine: Machine;
  settings: Settings;
  scenarios: ScenarioResult[];
  fixedRate?: FixedRateResult;
  /** Product, one worker: spawn to the first 200 from /health/live, over every start in the run. */
  startupMs: Spread;
  notes: string[];
  targets: TargetResult[];
}

function contender(result: Omit<BenchResult, 'targets'>, scenario: string, name: string) {
  return result.scenarios.find((s) => s.key === scenario)?.contenders.find((c) => c.name === name);
}

/** Median throughput of `name` over that of `over` in one scenario; NaN when either is missing. */
export function ratio(
  result: Omit<BenchResult, 'targets'>,
  scenario: string,
  name: string,
  over: string,
): number {
  const a = contender(result, scenario, name)?.summary.rps.median;
  const b = contender(result, scenario, over)?.summary.rps.median;
  return a !== undefined && b !== undefined && b > 0 ? a / b : Number.NaN;
}

function atLeast(target: string, value: number, threshold: number, unit = '×'): TargetResult {
  if (!Number.isFinite(value)) return { target, measured: 'not measured', pass: undefined };
  const measured = `${value.toFixed(2)}${unit}`;
  if (value >= threshold) return { target, measured, pass: true };
  const factor = threshold / value;
  return {
    target,
    measured,
    pass: false,
    miss: `short by ${(threshold - value).toFixed(2)}${unit}: needs ${factor.toFixed(2)}× its throughput`,
  };
}

function atMost(target: string, value: number, threshold: number, unit: string): TargetResult {
  if (!Number.isFinite(value)) return { target, measured: 'not measured', pass: undefined };
  const digits = value < 100 ? 1 : 0;
  const measured = `${value.toFixed(digits)} ${unit}`;
  if (value <= threshold) return { target, measured, pass: true };
  return {
    target,
    measured,
    pass: false,
    miss: `over by ${(value - threshold).toFixed(digits)} ${unit} (${((value / threshold - 1) * 100).toFixed(0)}%)`,
  };
}

/** Issue #10's targets, all on scenario 2 (the cluster one on scenario 7). */
export function evaluateTargets(result: Omit<BenchResult, 'targets'>): TargetResult[] {
  const workerRss = [
    contender(result, 'hot-path', 'product'),
    contender(result, 'cluster', '1 worker'),
    contender(result, 'cluster', '2 workers'),
  ].flatMap((c) => c?.runs.map((run) => run.workerRssMiB) ?? []);
  return [
    atLeast('1 worker ≥ 0.50× limit (scenario 2)', ratio(result, 'hot-path', 'product', 'limit'), 0.5),
    atLeast('1 worker ≥ 2× typical (scenario 2)', ratio(result, 'hot-path', 'product', 'typical'), 2),
    atLeast('2 workers ≥ 1.7× 1 worker (scenario 7)', ratio(result, 'cluster', '2 workers', '1 worker'), 1.7),
    atMost(
      'p99 ≤ 20 ms at half the maximum rate (scenario 2)',
      result.fixedRate?.paced.p99 ?? Number.NaN,
      20,
      'ms',
    ),
    atMost(
      'RSS per worker ≤ 120 MiB after the run (largest, scenarios 2 and 7)',
      workerRss.length > 0 ? Math.max(...workerRss) : Number.NaN,
      120,
      'MiB',
    ),
    atMost('single-worker start to ready ≤ 1 s (median)', result.startupMs.median, 1000, 'ms'),
  ];
}

/** A number for a table: whole for large values, one or two decimals for small ones. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Milliseconds: whole ones stay whole (autocannon's resolution), finer ones get one decimal. */
export function formatMs(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return Number.isInteger(value) || Math.abs(value) >= 100
    ? formatNumber(Math.round(value)).split('.')[0]
    : value.toFixed(1);
}

/** `median (min–max)`, or the value alone when every round gave the same (one round). */
export function formatSpread({ median, min, max }: Spread, format = formatNumber): string {
  if (!Number.isFinite(median)) return '–';
  return min === max ? format(median) : `${format(median)} (${format(min)}–${format(max)})`;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

export function renderMarkdown(result: BenchResult): string {
  const { machine, settings } = result;
  const lines = [
    `### Benchmark: ${result.mode} run of ${result.date}`,
    '',
    `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB; Node ${machine.node}; Linux ${machine.kernel}.`,
    `${machine.pinning}`,
    `${settings.rounds} round${settings.rounds === 1 ? '' : 's'} of ${settings.durationS} s per server after ` +
      `${settings.warmupS} s of warm-up, the servers' order rotated between rounds; ${settings.users} users seeded. ` +
      'Cells: median (min–max) over the rounds. CPU: the server processes (workers and supervisor), % of one core. ' +
      'Latency: autocannon reports whole milliseconds; h2load and the paced pass finer.',
    '',
    row([
      '#',
      'scenario',
      'server',
      'req/s',
      'p50 ms',
      'p99 ms',
      'server CPU %',
      'req per CPU-s',
      'RSS MiB',
      'peak RSS MiB',
      'ratio',
    ]),
    row(['--:', '---', '---', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:']),
  ];
  for (const scenario of result.scenarios) {
    if (scenario.skipped) {
      const blanks = Array<string>(8).fill('');
      lines.push(row([String(scenario.id), scenario.title, `skipped: ${scenario.skipped}`, ...blanks]));
      continue;
    }
    const base = scenario.contenders.find((c) => c.name === scenario.baseline)?.summary.rps.median;
    for (const c of scenario.contenders) {
      const s = c.summary;
      const ratioCell = base && scenario.contenders.length > 1 ? `${(s.rps.median / base).toFixed(2)}×` : '';
      lines.push(
        row([
          String(scenario.id),
          scenario.title,
          c.name,
          formatSpread(s.rps),
          formatSpread(s.p50, formatMs),
          formatSpread(s.p99, formatMs),
          formatSpread(s.cpuPct),
          formatNumber(s.reqPerCpuS.median),
          formatSpread(s.rssMiB),
          formatSpread(s.peakMiB),
          ratioCell,
        ]),
      );
    }
  }
  if (result.fixedRate) {
    const { rate, connections, paced, autocannon } = result.fixedRate;
    const show = (r: RateRun) =>
      `${formatNumber(r.rps)} req/s served, p50 ${formatMs(r.p50)} ms, p99 ${formatMs(r.p99)} ms${r.failed > 0 ? `, ${r.failed} failed` : ''}`;
    lines.push(
      '',
      `Scenario 2, product at a fixed ${formatNumber(rate)} req/s (half its maximum), up to ${connections} connections: ` +
        `one request every 1/${formatNumber(rate)} s, latency counted from when each was due: ${show(paced)}. ` +
        `With \`autocannon -R\` (each connection sends its share of the second back to back, so the server is ` +
        `saturated in bursts): ${show(autocannon)}.`,
    );
  }
  const ready = result.scenarios
    .filter((sc) => !sc.skipped)
    .map(
      (sc) => `${sc.id}: ${sc.contenders.map((c) => `${c.name} ${formatNumber(c.readyRssMiB)}`).join(', ')}`,
    );
  lines.push('', `RSS once ready, before any load (MiB): ${ready.join('; ')}.`);
  const s = result.startupMs;
  lines.push(
    '',
    `Start to ready (product, one worker, spawn to the first 200 from /health/live): median ${formatNumber(s.median)} ms (${formatNumber(s.min)}–${formatNumber(s.max)}).`,
    '',
    '#### Targets (issue #10)',
    '',
    row(['target', 'measured', 'result']),
    row(['---', '--:', '---']),
    ...result.targets.map((t) =>
      row([
        t.target,
        t.measured,
        t.pass === undefined ? 'not measured' : t.pass ? 'met' : `missed: ${t.miss}`,
      ]),
    ),
  );
  const notes = [...result.notes, ...result.scenarios.flatMap((sc) => sc.notes.map((n) => `${sc.id}. ${n}`))];
  if (notes.length > 0) lines.push('', ...notes.map((note) => `- ${note}`));
  return `${lines.join('\n')}\n`;
}

export interface Bar {
  label: string;
  value: number;
  /** The least value that meets the issue's target, when there is one. */
  target?: number;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A horizontal bar chart of ratios, with 1× and each bar's target marked. Plain SVG, no library. */
export function renderSvg(title: string, subtitle: string, bars: readonly Bar[]): string {
  const shown = bars.filter((bar) => Number.isFinite(bar.value));
  const width = 760;
  const left = 340;
  const right = 90;
  const rowHeight = 34;
  const top = 64;
  const height = top + shown.length * rowHeight + 40;
  const largest = Math.max(1, ...shown.map((bar) => Math.max(bar.value, bar.target ?? 0))) * 1.1;
  const x = (value: number) => left + (value / largest) * (width - left - right);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="16" y="44" fill="#555">${escapeXml(subtitle)}</text>`,
  ];
  shown.forEach((bar, i) => {
    const y = top + i * rowHeight;
    const colour = bar.target === undefined ? '#7f8c99' : bar.value >= bar.target ? '#2e8b57' : '#d2691e';
    parts.push(
      `<text x="${left - 8}" y="${y + 17}" text-anchor="end">${escapeXml(bar.target === undefined ? bar.label : `${bar.label} (target ≥ ${bar.target}×)`)}</text>`,
      `<rect x="${left}" y="${y + 4}" width="${(x(bar.value) - left).toFixed(1)}" height="${rowHeight - 12}" fill="${colour}"/>`,
      `<text x="${(x(Math.max(bar.value, bar.target ?? 0)) + 6).toFixed(1)}" y="${y + 17}">${bar.value.toFixed(2)}×</text>`,
    );
    if (bar.target !== undefined) {
      const tx = x(bar.target).toFixed(1);
      parts.push(
        `<line x1="${tx}" x2="${tx}" y1="${y + 1}" y2="${y + rowHeight - 5}" stroke="#b22222" stroke-width="2"/>`,
      );
    }
  });
  const one = x(1).toFixed(1);
  const bottom = top + shown.length * rowHeight;
  parts.push(
    `<line x1="${one}" x2="${one}" y1="${top - 4}" y2="${bottom}" stroke="#333" stroke-dasharray="4 3"/>`,
    `<text x="${one}" y="${bottom + 16}" text-anchor="middle" fill="#333">1×</text>`,
    `<text x="16" y="${bottom + 32}" fill="#555">Green: target met; orange: missed; red tick: the target; grey: no target.</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
