import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CpuProfile, packageOf, renderSummary, summariseProfile } from './profile.mts';

const frame = (functionName: string, url = '', lineNumber = 0) => ({
  functionName,
  url,
  lineNumber,
  columnNumber: 0,
});

// (root) → handler (the app) → query (kysely) → query (recursion), plus (idle) and GC.
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 5, 6] },
    { id: 2, callFrame: frame('handler', 'file:///app/dist/users.js', 9), children: [3] },
    { id: 3, callFrame: frame('query', 'file:///app/node_modules/kysely/dist/q.js', 1), children: [4] },
    { id: 4, callFrame: frame('query', 'file:///app/node_modules/kysely/dist/q.js', 1) },
    { id: 5, callFrame: frame('(idle)') },
    { id: 6, callFrame: frame('(garbage collector)') },
  ],
  startTime: 1_000,
  endTime: 2_000,
  // Each sample lasts until the next: 2 → 100 µs, 3 → 200, 4 → 300, 5 → 100, 6 → 100, 2 → 0 (last).
  samples: [2, 3, 4, 5, 6, 2],
  timeDeltas: [0, 100, 200, 300, 100, 100],
};

describe('packageOf', () => {
  it('names npm packages (scoped too), Node itself, V8 pseudo-frames and the app by path', () => {
    assert.equal(packageOf(frame('f', 'file:///r/node_modules/@nestjs/core/x.js'), '/r'), '@nestjs/core');
    assert.equal(packageOf(frame('f', 'file:///r/node_modules/a/node_modules/b/x.js'), '/r'), 'b');
    assert.equal(packageOf(frame('f', 'node:internal/http'), '/r'), 'node');
    assert.equal(packageOf(frame('(garbage collector)'), '/r'), '(garbage collector)');
    assert.equal(packageOf(frame('writev'), '/r'), '(native)');
    assert.equal(packageOf(frame('f', 'file:///r/dist/main.js'), '/r'), 'dist/main.js');
  });
});

describe('summariseProfile', () => {
  it('adds up self time by package and function, leaving idle out of the busy time', () => {
    const summary = summariseProfile(profile, '/app');
    assert.equal(summary.windowMs, 0.8);
    assert.equal(summary.busyMs, 0.7);
    assert.deepEqual(
      summary.byPackage.map((s) => [s.name, s.ms]),
      [
        ['kysely', 0.5],
        ['dist/users.js', 0.1],
        ['(garbage collector)', 0.1],
      ],
    );
    assert.equal(Math.round(summary.byPackage[0].pct), 71);
  });

  it('counts a function once per stack in its total, however deep it recurses', () => {
    const total = new Map(summariseProfile(profile, '/app').totalByFunction.map((s) => [s.name, s.ms]));
    assert.equal(total.get('handler dist/users.js:10'), 0.6);
    assert.equal(total.get('query kysely q.js:2'), 0.5);
  });

  it('keeps only the samples inside the window', () => {
    // Samples at 1000, 1100, 1300, 1600, 1700, 1800: the window 1050–1350 holds the two queries.
    const summary = summariseProfile(profile, '/app', { fromUs: 1_050, toUs: 1_350 });
    assert.equal(summary.busyMs, 0.5);
    assert.deepEqual(
      summary.selfByFunction.map((s) => s.name),
      ['query kysely q.js:2'],
    );
  });

  it('renders the three tables', () => {
    const text = renderSummary(summariseProfile(profile, '/app'));
    assert.match(text, /1 ms profiled, 1 ms busy/);
    assert.match(text, /Self time by package:\n +71\.4% +1 ms +kysely/);
  });
});
