import { DAY_MS, HOUR_MS } from './stats';

/**
 * DORA performance bands, from the performance levels of the **2023 Accelerate State of DevOps Report**
 * (DORA / Google Cloud, table "Software delivery performance"), the last edition that publishes all four
 * levels with all four keys in comparable units. The report gives each level a range; the thresholds
 * below are those ranges' boundaries (docs/REPORTS.md explains the reading of each one):
 *
 * | level  | deployment frequency            | lead time           | change failure rate | recovery time     |
 * | elite  | on demand (multiple per day)    | < 1 day             | 5%                  | < 1 hour          |
 * | high   | once per day to once per week   | 1 day to 1 week     | 10%                 | < 1 day           |
 * | medium | once per week to once per month | 1 week to 1 month   | 15%                 | 1 day to 1 week   |
 * | low    | less than once per month        | more than 1 month   | 64%                 | more than 1 week  |
 */
export type Band = 'elite' | 'high' | 'medium' | 'low';

export const BANDS_SOURCE = 'DORA, Accelerate State of DevOps Report 2023 (performance levels)';

const MONTH_DAYS = 30;

/** Successful production deployments per day. */
export function deploymentFrequencyBand(perDay: number | null): Band | null {
  if (perDay === null) return null;
  if (perDay >= 1) return 'elite';
  if (perDay >= 1 / 7) return 'high';
  if (perDay >= 1 / MONTH_DAYS) return 'medium';
  return 'low';
}

/** Median lead time for changes, ms. */
export function leadTimeBand(medianMs: number | null): Band | null {
  if (medianMs === null) return null;
  if (medianMs < DAY_MS) return 'elite';
  if (medianMs < 7 * DAY_MS) return 'high';
  if (medianMs < MONTH_DAYS * DAY_MS) return 'medium';
  return 'low';
}

/** Change failure rate, 0..1. */
export function changeFailureRateBand(rate: number | null): Band | null {
  if (rate === null) return null;
  if (rate <= 0.05) return 'elite';
  if (rate <= 0.1) return 'high';
  if (rate <= 0.15) return 'medium';
  return 'low';
}

/** Median time to restore, ms. */
export function timeToRestoreBand(medianMs: number | null): Band | null {
  if (medianMs === null) return null;
  if (medianMs < HOUR_MS) return 'elite';
  if (medianMs < DAY_MS) return 'high';
  if (medianMs < 7 * DAY_MS) return 'medium';
  return 'low';
}
