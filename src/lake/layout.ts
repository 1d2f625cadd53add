/**
 * The lake's object layout, shared by the writer (the worker and the jobs through `LakeStore`), the
 * compaction job, the Glue tables' partition projection (lib/lake.ts) and `telemetry query --lake`:
 *
 *   records/metric=<metric>/dt=<yyyy-mm-dd>/batch-<hash>.parquet       one per batch, metric and day
 *   records/metric=<metric>/dt=<yyyy-mm-dd>/compacted-<hash>.parquet   a day's files merged by compaction
 *   _state/...                                                         job cursors when the lake is the only store
 *
 * `dt` is the UTC day of the record's `occurred_at` (the same instant that names its month in the data
 * repository). `<hash>` is derived from the ids and statuses the file holds, so a batch written again (SQS
 * redelivery, a retried job) lands on the same key and replaces the object instead of adding one.
 */
export const RECORDS_PREFIX = 'records/';
export const STATE_PREFIX = '_state/';

/** Java date format of `dt` for Athena's partition projection; the writer formats the same day as ISO. */
export const DT_PROJECTION_FORMAT = 'yyyy-MM-dd';
/** First day the projection enumerates (GitHub Actions and most CI history start later). */
export const DT_PROJECTION_START = '2008-01-01';

const METRIC_NAME = /^[a-z][a-z0-9-]*$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The UTC day (`yyyy-mm-dd`) a record is partitioned under. */
export function partitionDay(occurredAt: string): string {
  const time = Date.parse(occurredAt);
  if (Number.isNaN(time)) throw new Error(`occurred_at is not a date: ${JSON.stringify(occurredAt)}`);
  return new Date(time).toISOString().slice(0, 10);
}

/** `records/metric=<metric>/`: the location of the metric's Glue table. */
export function metricPrefix(metric: string): string {
  if (!METRIC_NAME.test(metric)) throw new Error(`not a metric name: ${JSON.stringify(metric)}`);
  return `${RECORDS_PREFIX}metric=${metric}/`;
}

/** `records/metric=<metric>/dt=<day>/`: one partition. */
export function partitionPrefix(metric: string, day: string): string {
  if (!DAY.test(day)) throw new Error(`not a day: ${JSON.stringify(day)}`);
  return `${metricPrefix(metric)}dt=${day}/`;
}

export type LakeFileKind = 'batch' | 'compacted';

export function fileKey(metric: string, day: string, kind: LakeFileKind, hash: string): string {
  if (!/^[0-9a-f]{16,64}$/.test(hash)) throw new Error(`not a content hash: ${JSON.stringify(hash)}`);
  return `${partitionPrefix(metric, day)}${kind}-${hash}.parquet`;
}

/** Reads a key of the layout back; undefined for anything else (a stray upload, a folder marker). */
export function parseFileKey(
  key: string,
): { metric: string; day: string; kind: LakeFileKind; hash: string } | undefined {
  const match =
    /^records\/metric=([a-z][a-z0-9-]*)\/dt=(\d{4}-\d{2}-\d{2})\/(batch|compacted)-([0-9a-f]{16,64})\.parquet$/.exec(
      key,
    );
  if (!match) return undefined;
  const [, metric, day, kind, hash] = match as unknown as [string, string, string, LakeFileKind, string];
  return { metric, day, kind, hash };
}

/** Glue and Athena names take lower-case letters, digits and underscores: `workflow-job` → `workflow_job`. */
export function sqlName(metric: string): string {
  if (!METRIC_NAME.test(metric)) throw new Error(`not a metric name: ${JSON.stringify(metric)}`);
  return metric.replace(/-/g, '_');
}
