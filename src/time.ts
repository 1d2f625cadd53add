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
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
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
