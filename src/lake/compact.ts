import { createHash } from 'node:crypto';
import { writeParquet } from '../data/parquet';
import type { Logger } from '../log/logger';
import { isBetter } from '../pipeline/record';
import type { MetricRecord } from '../pipeline/types';
import { fileKey, parseFileKey, partitionPrefix } from './layout';
import type { LakeObjects } from './objects';
import { readParquetRecords } from './parquet-read';

export interface CompactOptions {
  objects: LakeObjects;
  /** Metrics whose partitions are compacted (`columnMetrics()`). */
  metrics: readonly string[];
  now: Date;
  /** Days back from today (UTC) whose partitions are looked at; today included. */
  lookbackDays: number;
  /** A partition is compacted once it holds at least this many files. */
  minFiles: number;
  logger: Logger;
  /** Stops between partitions (the function's time is running out); the next run goes on. */
  signal?: AbortSignal;
}

export interface CompactSummary {
  /** Partitions (metric and day) looked at, and compacted. */
  partitions: number;
  compacted: number;
  filesIn: number;
  filesOut: number;
  /** Rows read, and rows kept after keeping one record per id. */
  rowsIn: number;
  rowsOut: number;
  finished: boolean;
}

/**
 * Merges each recent partition's small files (one per worker batch) into as few files as the writer makes
 * (one below 1 MB, typically), keeping one record per id (the better one, as the views do). The merged file
 * is written first under a key derived from its content, then the files it replaces are deleted: a reader
 * between the two steps sees duplicates the views remove; a run stopped between them leaves files the next
 * run merges again into the same key. Files written while it runs are not touched (it deletes only what it
 * read). Deleted objects stay recoverable in the versioned bucket for `aws.lake.noncurrentVersionDays`.
 */
export async function compactLake(options: CompactOptions): Promise<CompactSummary> {
  const summary: CompactSummary = {
    partitions: 0,
    compacted: 0,
    filesIn: 0,
    filesOut: 0,
    rowsIn: 0,
    rowsOut: 0,
    finished: true,
  };
  for (const day of recentDays(options.now, options.lookbackDays)) {
    for (const metric of options.metrics) {
      if (options.signal?.aborted) {
        summary.finished = false;
        return summary;
      }
      summary.partitions += 1;
      const prefix = partitionPrefix(metric, day);
      const files = (await options.objects.list(prefix)).filter((o) => parseFileKey(o.key) !== undefined);
      if (files.length < options.minFiles) continue;
      const result = await compactPartition(
        options.objects,
        metric,
        day,
        files.map((f) => f.key),
      );
      summary.compacted += 1;
      summary.filesIn += files.length;
      summary.filesOut += result.written.length;
      summary.rowsIn += result.rowsIn;
      summary.rowsOut += result.rowsOut;
      options.logger.info('partition compacted', {
        partition: prefix,
        files_in: files.length,
        files_out: result.written.length,
        rows_in: result.rowsIn,
        rows_out: result.rowsOut,
      });
    }
  }
  return summary;
}

/** Merges these files of one partition into compacted ones; returns the keys written. */
export async function compactPartition(
  objects: LakeObjects,
  metric: string,
  day: string,
  keys: readonly string[],
): Promise<{ written: string[]; rowsIn: number; rowsOut: number }> {
  const best = new Map<string, MetricRecord>();
  let rowsIn = 0;
  for (const key of keys) {
    const bytes = await objects.get(key);
    // Gone since the listing (another run compacted it): its rows are in that run's file.
    if (bytes === undefined) continue;
    for (const record of await readParquetRecords(bytes)) {
      rowsIn += 1;
      const known = best.get(record.id);
      if (!known || isBetter(record, known) || (!isBetter(known, record) && earlier(record, known))) {
        best.set(record.id, record);
      }
    }
  }
  const rows = [...best.values()];
  const parts = rows.length > 0 ? await writeParquet(metric, rows) : [];
  const digest = rows
    .map((r) => `${r.id}:${r.status}:${r.collected_at}`)
    .sort()
    .join('\n');
  const written = parts.map((_, index) =>
    fileKey(
      metric,
      day,
      'compacted',
      createHash('sha256')
        .update(digest)
        .update(parts.length > 1 ? `\npart ${index} of ${parts.length}` : '')
        .digest('hex')
        .slice(0, 32),
    ),
  );
  for (const [index, key] of written.entries()) {
    await objects.put(key, parts[index] as Uint8Array, 'application/vnd.apache.parquet');
  }
  const keep = new Set(written);
  await objects.delete(keys.filter((key) => !keep.has(key)));
  return { written, rowsIn, rowsOut: rows.length };
}

/** Among records of equal status the first collected stays, as the data repository keeps its first file. */
function earlier(a: MetricRecord, b: MetricRecord): boolean {
  if (a.collected_at !== b.collected_at) return a.collected_at < b.collected_at;
  return a.received_at < b.received_at;
}

/** Today and the `count - 1` days before it, as UTC `yyyy-mm-dd`, newest first. */
export function recentDays(now: Date, count: number): string[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: count }, (_, i) => new Date(today - i * 86_400_000).toISOString().slice(0, 10));
}
