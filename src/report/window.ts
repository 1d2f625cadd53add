/** The time window a report covers: records whose `occurred_at` is in [start, end). */
export interface ReportWindow {
  start: number;
  end: number;
}

const DAY_MS = 86_400_000;
const RELATIVE = /^(\d{1,6})([mhdw])$/;
/** The units of a relative `--since`, as the backfill and redelivery take them (src/jobs/window.ts). */
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS };
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

export class WindowError extends Error {
  override readonly name = 'WindowError';
}

/**
 * `--until`: a date means the end of that UTC day (inclusive), a full ISO time is taken as it is;
 * default now. `--since`: `90d` / `12w` / `24h` / `30m` before the end, a date (start of that UTC day) or an ISO time;
 * default 90 days before the end.
 */
export function parseWindow(
  since: string | undefined,
  until: string | undefined,
  now = Date.now(),
): ReportWindow {
  const end = until === undefined ? now : parseTime(until, '--until', true);
  let start: number;
  const relative = since === undefined ? ['', '90', 'd'] : RELATIVE.exec(since.trim());
  if (relative) {
    const span = Number(relative[1]) * (UNIT_MS[relative[2] as string] ?? DAY_MS);
    if (span === 0) throw new WindowError(`--since ${since} is an empty window`);
    start = end - span;
  } else {
    start = parseTime(since as string, '--since', false);
  }
  if (start >= end) {
    throw new WindowError(
      `--since (${new Date(start).toISOString()}) must be before --until (${new Date(end).toISOString()})`,
    );
  }
  return { start, end };
}

function parseTime(value: string, option: string, endOfDay: boolean): number {
  const text = value.trim();
  if (DATE_ONLY.test(text)) {
    const ms = Date.parse(`${text}T00:00:00.000Z`);
    // Date.parse rolls 2026-02-30 over to March: a real date reads back the same.
    if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text)
      throw new WindowError(`${option} ${value} is not a valid date`);
    return endOfDay ? ms + DAY_MS : ms;
  }
  // Only full ISO-8601 times with a date part: Date.parse accepts too much ("1", "May 5") otherwise.
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new WindowError(
      `${option} ${JSON.stringify(value)} is not a duration (90d, 12w, 24h), a date (2026-11-01) or an ISO time`,
    );
  }
  return ms;
}

/** Whether the month folder `yyyy/mm` can hold records of the window (for pruning before reading). */
export function monthOverlaps(window: ReportWindow, year: number, month: number): boolean {
  const monthStart = Date.UTC(year, month - 1, 1);
  const monthEnd = Date.UTC(year, month, 1);
  return monthStart < window.end && monthEnd > window.start;
}

/** Monday 00:00 UTC of the week holding `ms`, as YYYY-MM-DD (ISO weeks start on Monday). */
export function weekOf(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  // 1970-01-01 was a Thursday: (day + 3) % 7 is 0 on Mondays.
  const monday = day - ((((day + 3) % 7) + 7) % 7);
  return new Date(monday * DAY_MS).toISOString().slice(0, 10);
}

/** Every week start (YYYY-MM-DD) from the window's first to its last week. */
export function weeksOf(window: ReportWindow): string[] {
  const weeks: string[] = [];
  const first = Date.parse(`${weekOf(window.start)}T00:00:00Z`);
  for (let ms = first; ms < window.end; ms += 7 * DAY_MS) weeks.push(weekOf(ms));
  return weeks;
}

export function windowDays(window: ReportWindow): number {
  return (window.end - window.start) / DAY_MS;
}

/** The window's end is exclusive: the last UTC day it covers, for headings. */
export function lastDay(until: string): string {
  return new Date(Date.parse(until) - 1).toISOString().slice(0, 10);
}
