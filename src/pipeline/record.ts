import { createHash } from 'node:crypto';
import { hotIndexPath, safeSegment } from '../data/layout';
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

export { safeSegment } from '../data/layout';

/**
 * The one path per record id a store checks and writes, relative to the data root: for a hot record its
 * index entry `hot/<metric>/<yyyy>/<mm>/<dd>/<hh>/<mm>/<id>.idx` by `occurred_at` (UTC), in its minute folder,
 * holding its standing, while the record itself goes into a pack of the hour folder (src/data/layout.ts,
 * src/data/packs.ts); compaction later moves both into the day's Parquet partition. A tombstone (status
 * `retracted`) is a whole record file under `tombstones/` instead.
 */
export function recordPath(
  record: Pick<MetricRecord, 'id' | 'metric' | 'occurred_at'> & { status?: string },
): string {
  if (record.status === 'retracted') return tombstonePath(record);
  return hotIndexPath(record);
}

/** Tombstones live apart from the records, never compacted: every reader reads all of them first. */
export const TOMBSTONE_ROOT = 'tombstones';

/**
 * `tombstones/<metric>/<yyyy>/<mm>/<id>.json`, by `occurred_at` (when the retraction was made): a retraction
 * must reach a reader of any period, so tombstones are kept out of the time-sliced hot folders and the
 * partitions, in a folder every reader reads whole (retractions are rare: far below 3,000 a month).
 */
export function tombstonePath(record: Pick<MetricRecord, 'id' | 'metric' | 'occurred_at'>): string {
  const when = new Date(record.occurred_at);
  const yyyy = String(when.getUTCFullYear()).padStart(4, '0');
  const mm = String(when.getUTCMonth() + 1).padStart(2, '0');
  return [TOMBSTONE_ROOT, safeSegment(record.metric), yyyy, mm, `${safeSegment(record.id)}.json`].join('/');
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

/** Rank of a status in `compareStanding`: retracted > complete > partial. */
const STATUS_RANK: Record<Standing['status'], number> = { partial: 0, complete: 1, retracted: 2 };

/**
 * The one order every reader picks an id's version by when it meets several (a record made better later is
 * in two packs, a crash or concurrent writes left two versions, a record is hot and in a partition): status
 * first (retracted > complete > partial), then the higher `revision` (a missing revision is ''). Negative
 * when `a` ranks lower than `b`, 0 for equal standings, positive when `a` ranks higher.
 *
 * `isBetter` is the stores' rule and is not total: `{partial, revision 'b'}` and `{complete, revision 'a'}`
 * beat neither the other, so a reader deciding by `isBetter` in the order it meets records (pack hash
 * names) and one sorting by revision first would disagree. This order is total and keeps the promise that
 * "a complete record is never replaced by a partial one": of those two, the complete one ranks higher.
 *
 * It is a linear extension of `isBetter`: isBetter(a, b) ⇒ compareStanding(a, b) > 0. Proof, by the cases
 * in which isBetter(a, b) is true (b is never retracted then):
 * - a retracted: rank 2 > b's rank (0 or 1);
 * - revisions differ, a's higher, and not (a partial and b complete): either the statuses' ranks are equal
 *   (the higher revision decides, for a) or a is complete and b partial (rank 1 > 0);
 * - revisions equal, a complete and b partial: rank 1 > 0.
 * It is a total preorder (a lexicographic order on (rank, revision), each a total order), antisymmetric
 * on standings (0 only when the statuses and the revisions, a missing one as '', are equal), so every reader keeps the same version whatever
 * order it meets them in; the SQL readers order by the same two keys (docs/DATA.md).
 */
export function compareStanding(a: Standing, b: Standing): number {
  const rank = STATUS_RANK[a.status] - STATUS_RANK[b.status];
  if (rank !== 0) return rank;
  const ra = a.revision ?? '';
  const rb = b.revision ?? '';
  return ra === rb ? 0 : ra > rb ? 1 : -1;
}

/** The part of a stored record `isBetter` needs (what a store remembers of a file it wrote or read). */
export function standingOf(record: unknown): Standing {
  const r = (record ?? {}) as { status?: unknown; revision?: unknown };
  const status = r.status === 'complete' || r.status === 'retracted' ? r.status : 'partial';
  return typeof r.revision === 'string' ? { status, revision: r.revision } : { status };
}

/**
 * The canonical file content of a record: compact JSON in the record's key order, one line and a trailing
 * newline. Compact, because every byte of it travels in the data repository's tree requests (GitHub builds
 * about 2 MB per request, and each request is one of the token's 500 writes an hour): a workflow-job record
 * listing its steps is ~30 % smaller than with a two-space indent. Readers parse it, so the layout of the
 * text is no part of the record contract (docs/DATA.md).
 */
export function serializeRecord(record: MetricRecord<unknown>): string {
  return `${JSON.stringify(record)}\n`;
}
