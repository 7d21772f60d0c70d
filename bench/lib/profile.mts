// Reading a V8 .cpuprofile (what `node --cpu-prof` writes): where the samples of a time window went,
// by package and by function, self and total.

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  /** Microseconds, on the machine's monotonic clock. */
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Share {
  name: string;
  ms: number;
  /** Of the window's busy time (everything but idle). */
  pct: number;
}

export interface ProfileSummary {
  /** Milliseconds the window covered, and how many of them the thread was busy. */
  windowMs: number;
  busyMs: number;
  byPackage: Share[];
  selfByFunction: Share[];
  totalByFunction: Share[];
}

/**
 * Where a frame's code lives: `(garbage collector)` and the other V8 pseudo-frames as they are,
 * `node:*` for Node's own modules, the npm package for node_modules, else the path under the root.
 */
export function packageOf(frame: CallFrame, root: string): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node';
  const path = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [first, second] = path.slice(modules + '/node_modules/'.length).split('/');
    return first.startsWith('@') ? `${first}/${second}` : first;
  }
  return path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
}

function label(frame: CallFrame, root: string): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  const where = packageOf(frame, root);
  const file = frame.url.slice(frame.url.lastIndexOf('/') + 1);
  // The app's files by their path (which packageOf gives), a package's by package and file name.
  const place = where.endsWith(file) ? where : `${where} ${file}`;
  return `${name} ${place}:${frame.lineNumber + 1}`;
}

/** Sums the samples taken between `fromUs` and `toUs` (the profile's clock); all of them when omitted. */
export function summariseProfile(
  profile: CpuProfile,
  root: string,
  window: { fromUs?: number; toUs?: number } = {},
  top = 25,
): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<number, number>();
  let at = profile.startTime;
  let windowUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i];
    // A sample stands for the time until the next one.
    const lasts = profile.timeDeltas[i + 1] ?? 0;
    if (
      (window.fromUs !== undefined && at < window.fromUs) ||
      (window.toUs !== undefined && at > window.toUs)
    )
      continue;
    windowUs += lasts;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + lasts);
  }
  const packages = new Map<string, number>();
  const selfFunctions = new Map<string, number>();
  const totalFunctions = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of self) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    add(packages, packageOf(frame, root), us);
    add(selfFunctions, label(frame, root), us);
    // Each function once per stack, however often it recurs in it.
    const seen = new Set<string>();
    for (let node: number | undefined = id; node !== undefined; node = parent.get(node)) {
      const name = label(byId.get(node)!.callFrame, root);
      if (name === '(root)' || seen.has(name)) continue;
      seen.add(name);
      add(totalFunctions, name, us);
    }
  }
  const busyUs = windowUs - idleUs;
  const shares = (map: Map<string, number>, count: number): Share[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, us]) => ({ name, ms: us / 1000, pct: busyUs > 0 ? (100 * us) / busyUs : 0 }));
  return {
    windowMs: windowUs / 1000,
    busyMs: busyUs / 1000,
    byPackage: shares(packages, top),
    selfByFunction: shares(selfFunctions, top),
    totalByFunction: shares(totalFunctions, top * 2),
  };
}

function add(map: Map<string, number>, key: string, us: number): void {
  map.set(key, (map.get(key) ?? 0) + us);
}

export function renderSummary(summary: ProfileSummary): string {
  const table = (title: string, shares: Share[]) =>
    [
      `${title}:`,
      ...shares.map(
        (s) => `  ${s.pct.toFixed(1).padStart(5)}%  ${s.ms.toFixed(0).padStart(7)} ms  ${s.name}`,
      ),
    ].join('\n');
  return [
    `${summary.windowMs.toFixed(0)} ms profiled, ${summary.busyMs.toFixed(0)} ms busy (percentages are of busy time)`,
    table('Self time by package', summary.byPackage),
    table('Self time by function', summary.selfByFunction),
    table('Total time by function (self and everything it called)', summary.totalByFunction),
  ].join('\n\n');
}
