import { z } from 'zod';
import { type CompactResult, compact, type DataFiles } from '../data/compact';
import type { Store } from '../store/types';
import type { Job, JobSummary } from './types';

export const compactInput = z
  .object({
    /** Compact the days that ended before this time (ISO-8601); default: now minus `data.compactGraceHours`. */
    before: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type CompactInput = z.infer<typeof compactInput>;

/** Whether a store can list, read and replace files, which compaction needs. */
export function canCompact(store: Store): store is Store & DataFiles {
  const candidate = store as Partial<DataFiles>;
  return (
    typeof candidate.listFiles === 'function' &&
    typeof candidate.readBytes === 'function' &&
    typeof candidate.replaceFiles === 'function'
  );
}

/** The cut-off of a run: `before`, else now minus the configured grace. */
export function compactBefore(input: CompactInput, now: Date, graceHours: number): Date {
  return input.before ? new Date(input.before) : new Date(now.getTime() - graceHours * 3_600_000);
}

/**
 * `compact`: closed UTC days of hot records into Parquet partitions (src/data/compact.ts). Safe to run at
 * any time and as often as wanted: a second run finds nothing to do.
 */
export const compactJob: Job<CompactInput> = {
  name: 'compact',
  description: 'Compact closed days of hot records into Parquet partitions (zstd, typed columns).',
  input: compactInput,
  async run(input, ctx): Promise<JobSummary> {
    const before = compactBefore(input, ctx.now(), ctx.config.data.compactGraceHours);
    if (!canCompact(ctx.store)) {
      return {
        job: 'compact',
        finished: true,
        counts: { days: 0, records: 0 },
        message: 'this store cannot list and replace files: nothing compacted',
      };
    }
    if (ctx.dryRun) {
      return {
        job: 'compact',
        finished: true,
        counts: {},
        message: `dry run: would compact days before ${before.toISOString()}`,
      };
    }
    const result: CompactResult = await compact(ctx.store, {
      before,
      log: (message, fields) => ctx.logger.info(message, fields),
    });
    return {
      job: 'compact',
      finished: true,
      counts: {
        days: result.days,
        records: result.records,
        files_written: result.files_written,
        sources_removed: result.sources_removed,
        skipped: result.skipped.length,
        hot_branches_deleted: result.hot_tiers_retired,
      },
      message: `compacted ${result.days} metric days (${result.records} records) before ${before.toISOString()}`,
    };
  },
};
