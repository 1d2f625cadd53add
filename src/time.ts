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
