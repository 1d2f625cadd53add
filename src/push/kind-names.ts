/**
 * The names of the pushed kinds (`X-Telemetry-Event`), apart from their schemas (kinds.ts, zod): `telemetry
 * send` lists them in its help, and loading zod for a help text would slow every command down. `pushKinds`
 * in kinds.ts must have exactly these keys (the compiler checks it), in this order.
 */
export const PUSH_KIND_NAMES = [
  'deployment',
  'incident',
  'tooling-usage',
  'custom-metric',
  'pipeline-run',
] as const;

/** `X-Telemetry-Event: retract`: take back items this sender pushed (docs/PUSH.md, "Retraction"). */
export const RETRACT_EVENT = 'retract';
