/** Summary of a sample of durations (ms) or sizes. */
export interface Distribution {
  count: number;
  p50: number | null;
  p90: number | null;
  mean: number | null;
  /** Values below zero (clock skew between systems): left out of the other figures. */
  excluded_negative: number;
}

/**
 * Percentile with linear interpolation between closest ranks (the "inclusive" method: numpy's default,
 * Excel's PERCENTILE.INC): p50 of [1, 2, 3, 4] is 2.5. `sorted` must be ascending and non-empty.
 */
export function quantile(sorted: readonly number[], p: number): number {
  const position = (sorted.length - 1) * p;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const a = sorted[lower] as number;
  const b = sorted[upper] as number;
  return a + (b - a) * (position - lower);
}

/** p50/p90/mean of the non-negative values; nulls are ignored, negatives counted and left out. */
export function distribution(values: readonly (number | null | undefined)[]): Distribution {
  const kept: number[] = [];
  let negative = 0;
  for (const value of values) {
    if (value === null || value === undefined || Number.isNaN(value)) continue;
    if (value < 0) negative += 1;
    else kept.push(value);
  }
  if (kept.length === 0) return { count: 0, p50: null, p90: null, mean: null, excluded_negative: negative };
  kept.sort((a, b) => a - b);
  let sum = 0;
  for (const value of kept) sum += value;
  return {
    count: kept.length,
    p50: Math.round(quantile(kept, 0.5)),
    p90: Math.round(quantile(kept, 0.9)),
    mean: Math.round(sum / kept.length),
    excluded_negative: negative,
  };
}

/** numerator / denominator rounded to 4 decimals, null when there is nothing to divide. */
export function ratio(numerator: number, denominator: number): number | null {
  return denominator > 0 ? Math.round((numerator / denominator) * 10_000) / 10_000 : null;
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** 90061000 → "1d 1h", 5400000 → "1h 30m", 42000 → "42s". */
export function humanDuration(ms: number | null): string {
  if (ms === null) return '–';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${minutes % 60}m`;
  const days = Math.floor(hours / 24);
  return `${days}d ${hours % 24}h`;
}
