import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { median, percentile, spread, summarise } from './stats.mts';

describe('median', () => {
  it('takes the middle value of an odd count and the mean of the two middle ones of an even count', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  it('ignores values that are not finite, and is NaN for none', () => {
    assert.equal(median([Number.NaN, 5, Infinity]), 5);
    assert.ok(Number.isNaN(median([])));
  });
});

describe('spread', () => {
  it('gives the median with the smallest and largest value', () => {
    assert.deepEqual(spread([10, 30, 20]), { median: 20, min: 10, max: 30 });
    assert.deepEqual(spread([7]), { median: 7, min: 7, max: 7 });
  });
});

describe('percentile', () => {
  it('takes the nearest rank', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    assert.equal(percentile(samples, 0.5), 50);
    assert.equal(percentile(samples, 0.99), 99);
    assert.equal(percentile([5], 0.99), 5);
  });
});

describe('summarise', () => {
  it('spreads every listed measure over the runs', () => {
    const runs = [
      { rps: 100, p99: 9 },
      { rps: 300, p99: 7 },
      { rps: 200, p99: 8 },
    ];
    assert.deepEqual(summarise(runs, ['rps', 'p99']), {
      rps: { median: 200, min: 100, max: 300 },
      p99: { median: 8, min: 7, max: 9 },
    });
  });
});
