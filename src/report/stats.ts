/**
 * Summary of a sample of durations (ms) or sizes: p50/p90 by linear interpolation between closest ranks (the
 * "inclusive" method: numpy's default, Excel's PERCENTILE.INC; p50 of [1, 2, 3, 4] is 2.5), mean, each
 * rounded to a whole number; nulls ignored. Computed in SQL: `distributionSql` in src/report/scopes-sql.ts.
 */
export interface Distribution {
  count: number;
  p50: number | null;
  p90: number | null;
  mean: number | null;
  /** Values below zero (clock skew between systems): left out of the other figures. */
  excluded_negative: number;
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
