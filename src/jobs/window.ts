import { ageMs } from '../time';

/**
 * Times users type for job windows: a relative age (`90d`, `24h`, `30m`, `2w`) counted back from now, or an
 * ISO-8601 time. One parser for the CLI and for schedule inputs, so both accept the same words.
 */
export function parseTimeSpec(spec: string, now: Date): Date {
  const age = ageMs(spec);
  if (age !== undefined) return new Date(now.getTime() - age);
  if (/^\d{4}-\d{2}-\d{2}/.test(spec)) {
    const ms = Date.parse(spec);
    if (!Number.isNaN(ms)) return new Date(ms);
  }
  throw new Error(
    `${JSON.stringify(spec)} is neither an age (e.g. 90d, 24h, 30m, 2w) nor an ISO-8601 time (e.g. 2026-08-01)`,
  );
}

/** True when `spec` parses; for zod refinements, so a bad schedule input names the field. */
export function isTimeSpec(spec: string): boolean {
  try {
    parseTimeSpec(spec, new Date(0));
    return true;
  } catch {
    return false;
  }
}

/** Second-precision ISO time, the precision of GitHub's `created=` and `since=` filters. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
