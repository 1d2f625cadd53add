import { createHash } from 'node:crypto';
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
  /**
   * For entities reported more than once as they change (a pipeline run's start and end): a string that
   * sorts higher for a later report. The record with the higher revision wins (see `isBetter`).
   */
  revision?: string;
  /** A tombstone: the sender retracted the entity (status `retracted`, src/metrics/retraction.ts). */
  tombstone?: boolean;
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
    status: draft.tombstone ? 'retracted' : errors.length > 0 ? 'partial' : 'complete',
    errors,
    collector_version: COLLECTOR_VERSION,
    ...(draft.revision !== undefined ? { revision: draft.revision } : {}),
    output: draft.output,
  };
}

// A path segment that cannot climb out of the data directory or hide as a dot-file.
const SAFE_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/;

/** Replaces anything unsafe in an owner or repository name so it is usable as one directory name. */
export function safeSegment(value: string): string {
  if (SAFE_SEGMENT.test(value)) return value;
  const cleaned = value
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^[.-]+/, '_')
    .slice(0, 100);
  return cleaned.length > 0 ? cleaned : '_';
}

/** `<metric>/<owner>/<repo>/<yyyy>/<mm>/<id>.json`, relative to the data root, by `occurred_at` (UTC). */
export function recordPath(
  record: Pick<MetricRecord, 'id' | 'metric' | 'owner' | 'repo' | 'occurred_at'>,
): string {
  const when = new Date(record.occurred_at);
  const yyyy = String(when.getUTCFullYear()).padStart(4, '0');
  const mm = String(when.getUTCMonth() + 1).padStart(2, '0');
  return [
    safeSegment(record.metric),
    safeSegment(record.owner),
    safeSegment(record.repo),
    yyyy,
    mm,
    `${safeSegment(record.id)}.json`,
  ].join('/');
}

/** What "better record wins" compares: the envelope's status and, when the metric sets one, its revision. */
export type Standing = Pick<MetricRecord, 'status'> & { revision?: string | undefined };

/**
 * The "better record wins" rule: a new record replaces a stored one with the same id only when it is
 * strictly better. In order:
 * 1. a retraction (status `retracted`, a tombstone) beats every other version, and nothing beats it;
 * 2. a higher `revision` beats a lower one (a missing revision is the lowest), unless it would replace a
 *    complete record by a partial one;
 * 3. complete beats partial.
 * Anything else (equal, or worse) is a no-op, which makes redeliveries, resends and backfills idempotent.
 */
export function isBetter(candidate: Standing, existing: Standing): boolean {
  if (existing.status === 'retracted') return false;
  if (candidate.status === 'retracted') return true;
  const a = candidate.revision ?? '';
  const b = existing.revision ?? '';
  if (a !== b) return a > b && !(candidate.status === 'partial' && existing.status === 'complete');
  return candidate.status === 'complete' && existing.status === 'partial';
}

/** The part of a stored record `isBetter` needs (what a store remembers of a file it wrote or read). */
export function standingOf(record: unknown): Standing {
  const r = (record ?? {}) as { status?: unknown; revision?: unknown };
  const status = r.status === 'complete' || r.status === 'retracted' ? r.status : 'partial';
  return typeof r.revision === 'string' ? { status, revision: r.revision } : { status };
}

/** The canonical file content of a record: stable key order, two-space indent, trailing newline. */
export function serializeRecord(record: MetricRecord<unknown>): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}
