import { createHash } from 'node:crypto';
import { hotRecordPath } from '../data/layout';
import { toUtcIso } from '../time';
import { COLLECTOR_VERSION } from '../version';
import type { MetricRecord, RecordError, SignedEvent } from './types';

export const SCHEMA_VERSION = 1;

/**
 * What a metric's collector returns: the parts of a record only the metric knows. The envelope (id, times,
 * status, version) is added by `buildRecord`, so every metric gets it right the same way.
 */
export interface MetricDraft<O = Record<string, unknown>> {
  /** The entity's natural key: the same entity gives the same key however it arrives. */
  naturalKey: string;
  owner: string;
  repo: string;
  /** When the thing happened at the source (ISO-8601, UTC). */
  occurredAt: string;
  output: O;
  errors?: RecordError[];
}

/** Deterministic id: `<metric>-<24 hex>` from a SHA-256 of the metric name and the natural key. */
export function recordId(metric: string, naturalKey: string): string {
  const hex = createHash('sha256').update(`${metric}\n${naturalKey}`).digest('hex').slice(0, 24);
  return `${metric}-${hex}`;
}

export function buildRecord<O>(
  metric: string,
  event: SignedEvent,
  draft: MetricDraft<O>,
  collectedAt: string,
): MetricRecord<O> {
  const errors = draft.errors ?? [];
  return {
    id: recordId(metric, draft.naturalKey),
    schema_version: SCHEMA_VERSION,
    metric,
    trigger: event.trigger,
    collected_by: event.collectedBy,
    ...(event.deliveryId ? { delivery_id: event.deliveryId } : {}),
    owner: draft.owner,
    repo: draft.repo,
    occurred_at: toUtcIso(draft.occurredAt),
    received_at: event.receivedAt,
    collected_at: collectedAt,
    status: errors.length > 0 ? 'partial' : 'complete',
    errors,
    collector_version: COLLECTOR_VERSION,
    output: draft.output,
  };
}

export { safeSegment } from '../data/layout';

/**
 * Where a record is written, relative to the data root: `hot/<metric>/<yyyy>/<mm>/<dd>/<hhm0>/<id>.json` by
 * `occurred_at` (UTC), `<hhm0>` its ten-minute slot (src/data/layout.ts). Compaction later moves it into
 * its day's Parquet partition.
 */
export function recordPath(record: Pick<MetricRecord, 'id' | 'metric' | 'occurred_at'>): string {
  return hotRecordPath(record);
}

/**
 * The "better record wins" rule: a new record replaces a stored one only when it is strictly better, i.e.
 * complete where the stored one is partial. Anything else (equal, or worse) is a no-op, which makes
 * redeliveries and backfills idempotent.
 */
export function isBetter(
  candidate: Pick<MetricRecord, 'status'>,
  existing: Pick<MetricRecord, 'status'>,
): boolean {
  return candidate.status === 'complete' && existing.status === 'partial';
}

/** The canonical file content of a record: stable key order, two-space indent, trailing newline. */
export function serializeRecord(record: MetricRecord<unknown>): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}
