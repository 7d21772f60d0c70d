/** Median with min and max of one measure over the rounds of a run. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function spread(values: readonly number[]): Spread {
  const finite = values.filter((value) => Number.isFinite(value));
  if (finite.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite) };
}

/** The value at quantile `q` (0–1) of unsorted samples, nearest rank. */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}

/** Medians, mins and maxes of every numeric field the runs have in common. */
export function summarise<K extends string>(
  runs: readonly Record<K, number>[],
  keys: readonly K[],
): Record<K, Spread> {
  const summary = {} as Record<K, Spread>;
  for (const key of keys) summary[key] = spread(runs.map((run) => run[key]));
  return summary;
}
