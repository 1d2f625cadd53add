/**
 * Time helpers shared by the metrics, the pipeline and the report. They live here, below every layer, so a
 * metric never imports upward from the pipeline just to normalise a timestamp.
 */

/** Normalises any ISO-8601 time (offsets, missing milliseconds) to `YYYY-MM-DDTHH:mm:ss.sssZ`. */
export function toUtcIso(time: string): string {
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) throw new Error(`not an ISO-8601 time: ${JSON.stringify(time)}`);
  return new Date(ms).toISOString();
}

/** Milliseconds from `from` to `to`, or null when either is missing. */
export function durationMs(from: string | null | undefined, to: string | null | undefined): number | null {
  if (!from || !to) return null;
  const a = Date.parse(from);
  const b = Date.parse(to);
  if (Number.isNaN(a) || Number.isNaN(b)) return null;
  return b - a;
}
