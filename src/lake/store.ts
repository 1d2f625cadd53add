import { createHash } from 'node:crypto';
import { writeParquet } from '../data/parquet';
import { errorMessage } from '../log/logger';
import { isBetter } from '../pipeline/record';
import type { MetricRecord } from '../pipeline/types';
import type { Store, WriteResult } from '../store/types';
import { fileKey, partitionDay, STATE_PREFIX } from './layout';
import type { LakeObjects } from './objects';

export interface LakeStoreOptions {
  objects: LakeObjects;
  /**
   * The data repository, when it is still written (`aws.lake.write: both`): records go to both, job cursors
   * stay in it. Without it (`lake-only`) the lake is the only store and cursors live under `_state/`.
   */
  repository?: Store;
  /** Files written at once. */
  concurrency?: number;
}

/**
 * A `Store` that writes each batch's records to the lake as Parquet, one file per metric and day
 * (`records/metric=<m>/dt=<day>/batch-<hash>.parquet`), and to the data repository too when there is one.
 *
 * Idempotent by key: `<hash>` is a digest of the file's record ids and statuses, so a batch written again
 * (an SQS redelivery, a retried job) replaces its own object instead of adding a copy. A record that reaches
 * the lake in two different batches (a live delivery and a backfill, or a partial record later repaired)
 * sits in two files until compaction merges the day; the views keep one row per id, the better record
 * (complete beats partial, then the first collected), exactly as the data repository keeps one file.
 *
 * `write` is all-or-error like every store: when the lake or the repository fails, it throws and the
 * caller retries the batch (SQS redelivery, then the dead-letter queue), which is safe for both.
 */
export class LakeStore implements Store {
  private readonly objects: LakeObjects;
  private readonly repository: Store | undefined;
  private readonly concurrency: number;

  constructor(options: LakeStoreOptions) {
    this.objects = options.objects;
    this.repository = options.repository;
    this.concurrency = options.concurrency ?? 8;
  }

  async write(records: readonly MetricRecord[]): Promise<WriteResult> {
    const [lake, repository] = await Promise.allSettled([
      this.writeLake(records),
      this.repository ? this.repository.write(records) : Promise.resolve(undefined),
    ]);
    if (lake.status === 'rejected') {
      throw new Error(`lake write to ${this.objects.location} failed: ${errorMessage(lake.reason)}`);
    }
    if (repository.status === 'rejected') throw repository.reason;
    // The lake cannot tell a new record from a known one without reading: with a repository its answer
    // counts, without one every record counts as written.
    return repository.value ?? { written: records.map((r) => r.id), unchanged: [] };
  }

  /** The Parquet files of a batch, by key: one (or more above 1 MB) per metric and day. */
  async files(records: readonly MetricRecord[]): Promise<Map<string, Uint8Array>> {
    const groups = new Map<string, { metric: string; day: string; records: Map<string, MetricRecord> }>();
    for (const record of records) {
      const day = partitionDay(record.occurred_at);
      const group = `${record.metric}/${day}`;
      let entry = groups.get(group);
      if (!entry) {
        entry = { metric: record.metric, day, records: new Map() };
        groups.set(group, entry);
      }
      const known = entry.records.get(record.id);
      if (!known || isBetter(record, known)) entry.records.set(record.id, record);
    }
    const files = new Map<string, Uint8Array>();
    for (const { metric, day, records: byId } of groups.values()) {
      const rows = [...byId.values()];
      const parts = await writeParquet(metric, rows);
      // The writer splits a day above 1 MB into parts, deterministically: each part's key adds its index.
      const sorted = rows.map((r) => `${r.id}:${r.status}`).sort();
      parts.forEach((part, index) => {
        const digest = createHash('sha256').update(sorted.join('\n'));
        if (parts.length > 1) digest.update(`\npart ${index} of ${parts.length}`);
        files.set(fileKey(metric, day, 'batch', digest.digest('hex').slice(0, 32)), part);
      });
    }
    return files;
  }

  private async writeLake(records: readonly MetricRecord[]): Promise<void> {
    const files = [...(await this.files(records)).entries()];
    let next = 0;
    const worker = async () => {
      while (next < files.length) {
        const [key, body] = files[next++] as [string, Uint8Array];
        await this.objects.put(key, body, 'application/vnd.apache.parquet');
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, files.length) }, worker));
  }

  async readFile(path: string): Promise<string | undefined> {
    if (this.repository) return this.repository.readFile(path);
    const bytes = await this.objects.get(stateKey(path));
    return bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8');
  }

  async writeFile(path: string, content: string): Promise<void> {
    if (this.repository) return this.repository.writeFile(path, content);
    await this.objects.put(stateKey(path), Buffer.from(content, 'utf8'), contentTypeOf(path));
  }
}

/** Job cursors and parked deliveries (`_state/...`, `_dead-letter/...`) under `_state/` in the lake. */
function stateKey(path: string): string {
  const clean = path.replace(/^\/+/, '');
  if (clean.split('/').some((part) => part === '..' || part === '')) {
    throw new Error(`not a relative file path: ${JSON.stringify(path)}`);
  }
  return clean.startsWith(STATE_PREFIX) ? clean : `${STATE_PREFIX}${clean}`;
}

function contentTypeOf(path: string): string {
  return path.endsWith('.json') ? 'application/json' : 'text/plain; charset=utf-8';
}
