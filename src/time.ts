/**
 * Time helpers shared by the metrics, the pipeline and the report. They live here, below every layer, so a
 * metric never imports upward from the pipeline just to normalise a timestamp.
 *
 * Parsing is strict ISO-8601 (RFC 3339 profile): `YYYY-MM-DDTHH:mm[:ss[.fraction]]` with `Z` or an offset,
 * every field in range, the day existing in its month. `Date.parse` alone accepts far more (`"1"` is 2001,
 * `2021-02-30` silently becomes 2 March), which would file records under the wrong month.
 */

const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

/** Milliseconds since the epoch of a strict ISO-8601 date-time, or undefined when `time` is not one. */
export function parseIsoTime(time: unknown): number | undefined {
  if (typeof time !== 'string' || time.length > 40) return undefined;
  const m = ISO_TIME.exec(time);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (!m[8]) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const fraction = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  return Date.UTC(year, month - 1, day, hour, minute, second, fraction) - offsetMinutes * 60_000;
}

/** True for a strict ISO-8601 date-time (see `parseIsoTime`). */
export function isIsoTime(time: unknown): time is string {
  return parseIsoTime(time) !== undefined;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Normalises a strict ISO-8601 time (offsets, missing milliseconds) to `YYYY-MM-DDTHH:mm:ss.sssZ`. */
export function toUtcIso(time: string): string {
  const ms = parseIsoTime(time);
  if (ms === undefined) throw new Error(`not an ISO-8601 time: ${JSON.stringify(time.slice(0, 64))}`);
  return new Date(ms).toISOString();
}

/** Milliseconds from `from` to `to`, or null when either is missing or not a strict ISO-8601 time. */
export function durationMs(from: string | null | undefined, to: string | null | undefined): number | null {
  if (!from || !to) return null;
  const a = parseIsoTime(from);
  const b = parseIsoTime(to);
  if (a === undefined || b === undefined) return null;
  return b - a;
}

const AGE = /^(\d{1,6})([mhdw])$/;
const AGE_UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * The span of a relative age as users type it (`90d`, `24h`, `30m`, `2w`: minutes, hours, days, weeks), in
 * ms; undefined when `spec` is not one. The jobs' windows and the report's `--since` take the same words.
 */
export function ageMs(spec: string): number | undefined {
  const age = AGE.exec(spec.trim());
  return age ? Number(age[1]) * (AGE_UNIT_MS[age[2] as string] as number) : undefined;
}
