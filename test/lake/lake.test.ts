import { openDuck } from '../../src/data/duckdb';
import { INDEX_SUFFIX } from '../../src/data/layout';
import { compactLake } from '../../src/lake/compact';
import { DirectoryObjects } from '../../src/lake/directory-objects';
import { lakeViewStatements } from '../../src/lake/duckdb';
import { parseFileKey } from '../../src/lake/layout';
import { readParquetRecords } from '../../src/lake/parquet-read';
import { LakeStore } from '../../src/lake/store';
import type { Logger } from '../../src/log/logger';
import type { MetricRecord } from '../../src/pipeline/types';
import { FileStore } from '../../src/store/file-store';
import { collectAll } from '../support/collect';
import { listFiles, tempDir } from '../support/temp';
import { examplesOf, signedEventFrom } from '../support/webhooks';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger;

/** workflow-job records from the real `workflow_job.completed` payloads, spread over two days. */
async function jobRecords(count: number, firstId = 5000): Promise<MetricRecord[]> {
  const payloads = examplesOf('workflow_job', 'completed');
  const records: MetricRecord[] = [];
  for (let i = 0; i < count; i++) {
    const payload = structuredClone(payloads[i % payloads.length]) as {
      workflow_job: { id: number; completed_at: string; started_at: string; created_at: string };
    };
    payload.workflow_job.id = firstId + i;
    const day = i % 2 === 0 ? '2026-11-02' : '2026-11-03';
    payload.workflow_job.created_at = `${day}T10:00:00Z`;
    payload.workflow_job.started_at = `${day}T10:00:05Z`;
    payload.workflow_job.completed_at = `${day}T10:0${i % 10}:30Z`;
    records.push(
      ...(await collectAll(
        signedEventFrom('workflow_job', payload as unknown as Record<string, unknown>, {
          deliveryId: `d-${i}`,
        }),
      )),
    );
  }
  return records;
}

let dir: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  dir = await tempDir('telemetry-lake-');
});
afterEach(() => dir.remove());

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const duck = await openDuck();
  try {
    const metrics = new Set(
      (await new DirectoryObjects(dir.path).list('records/')).map((o) => parseFileKey(o.key)?.metric),
    );
    for (const statement of lakeViewStatements(dir.path, metrics as Set<string>)) await duck.run(statement);
    return (await duck.table(sql)).rows;
  } finally {
    duck.close();
  }
}

describe('LakeStore (the worker writing the lake)', () => {
  it('writes one Parquet file per metric and day under records/metric=…/dt=…/, readable as the same records', async () => {
    const records = await jobRecords(6);
    const store = new LakeStore({ objects: new DirectoryObjects(dir.path) });
    const result = await store.write(records);
    expect(result.written.sort()).toEqual(records.map((r) => r.id).sort());
    const files = await listFiles(dir.path);
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^records\/metric=workflow-job\/dt=2026-11-02\/batch-[0-9a-f]{32}\.parquet$/);
    expect(files[1]).toMatch(/^records\/metric=workflow-job\/dt=2026-11-03\/batch-[0-9a-f]{32}\.parquet$/);

    const objects = new DirectoryObjects(dir.path);
    const back = (
      await Promise.all(files.map(async (f) => readParquetRecords((await objects.get(f)) as Uint8Array)))
    ).flat();
    expect(back.map((r) => r.id).sort()).toEqual(records.map((r) => r.id).sort());
    const original = records.find((r) => r.id === back[0]?.id);
    expect(back[0]).toEqual(original);
  });

  it('is idempotent: a batch written again replaces its own files, so the lake holds each record once', async () => {
    const records = await jobRecords(4);
    const store = new LakeStore({ objects: new DirectoryObjects(dir.path) });
    await store.write(records);
    const before = await listFiles(dir.path);
    // SQS redelivers the batch: collected again later, in another order.
    await store.write(
      [...records].reverse().map((r) => ({ ...r, collected_at: '2026-11-05T00:00:00.000Z' })),
    );
    expect(await listFiles(dir.path)).toEqual(before);
    const rows = await query('SELECT count(*) AS n, count(DISTINCT id) AS ids FROM workflow_job_records');
    expect(rows).toEqual([{ n: '4', ids: '4' }]);
  });

  it('keeps the better record per id in the views when two batches hold the same id (partial, then complete)', async () => {
    const [record] = await jobRecords(1);
    const partial: MetricRecord = {
      ...(record as MetricRecord),
      status: 'partial',
      errors: [
        { call: 'GET /repos/{owner}/{repo}/actions/jobs/{job_id}', status: 502, message: 'Bad Gateway' },
      ],
      collected_at: '2026-11-02T11:00:00.000Z',
    };
    const complete: MetricRecord = { ...(record as MetricRecord), collected_at: '2026-11-02T12:00:00.000Z' };
    const store = new LakeStore({ objects: new DirectoryObjects(dir.path) });
    await store.write([partial]);
    await store.write([complete]);
    await store.write([{ ...partial, collected_at: '2026-11-02T13:00:00.000Z' }]);
    expect(await listFiles(dir.path)).toHaveLength(2);
    const rows = await query(
      "SELECT id, status, strftime(collected_at, '%H:%M') AS at FROM workflow_job ORDER BY id",
    );
    expect(rows).toEqual([{ id: complete.id, status: 'complete', at: '12:00' }]);
  });

  it('writes the data repository too when it is still written, and keeps job files there', async () => {
    const records = await jobRecords(2);
    const repository = new FileStore(`${dir.path}/repository`);
    const store = new LakeStore({ objects: new DirectoryObjects(`${dir.path}/lake`), repository });
    expect(await store.write(records)).toEqual({ written: records.map((r) => r.id), unchanged: [] });
    // The repository's own answer counts: a second write finds every record there already.
    expect(await store.write(records)).toEqual({ written: [], unchanged: records.map((r) => r.id) });
    expect((await listFiles(`${dir.path}/lake`)).length).toBe(2);
    // One index entry per record beside their pack (docs/DATA.md, "Layout").
    expect((await listFiles(`${dir.path}/repository`)).filter((f) => f.endsWith(INDEX_SUFFIX))).toHaveLength(
      2,
    );
    await store.writeFile('_state/backfill.json', '{"cursor":1}\n');
    expect(await repository.readFile('_state/backfill.json')).toBe('{"cursor":1}\n');
  });

  it('keeps job cursors under _state/ in the lake when the lake is the only store', async () => {
    const store = new LakeStore({ objects: new DirectoryObjects(dir.path) });
    expect(await store.readFile('_state/backfill.json')).toBeUndefined();
    await store.writeFile('_state/backfill.json', '{"cursor":1}\n');
    await store.writeFile('_dead-letter/d-1.json', '{}\n');
    expect(await store.readFile('_state/backfill.json')).toBe('{"cursor":1}\n');
    expect(await listFiles(dir.path)).toEqual(['_state/_dead-letter/d-1.json', '_state/backfill.json']);
    await expect(store.writeFile('../escape.json', '')).rejects.toThrow(/not a relative file path/);
  });

  it('fails the whole write when the lake refuses, naming it, so the batch is retried', async () => {
    const records = await jobRecords(2);
    const objects = new DirectoryObjects(dir.path);
    objects.put = async () => {
      throw new Error('SlowDown: Please reduce your request rate.');
    };
    const store = new LakeStore({ objects, repository: new FileStore(`${dir.path}/repository`) });
    await expect(store.write(records)).rejects.toThrow(
      `lake write to ${dir.path} failed: SlowDown: Please reduce your request rate.`,
    );
  });
});

describe('compactLake', () => {
  it("merges a day's batch files into one, one record per id, and deletes what it merged", async () => {
    const objects = new DirectoryObjects(dir.path);
    const store = new LakeStore({ objects });
    const records = await jobRecords(12);
    for (let i = 0; i < 12; i += 2) await store.write(records.slice(i, i + 2));
    // A record collected again in another batch (another file, same id): compaction keeps the first once.
    await store.write([
      { ...(records[0] as MetricRecord), collected_at: '2026-11-06T00:00:00.000Z' },
      records[2] as MetricRecord,
    ]);
    expect((await listFiles(dir.path)).length).toBe(13);
    const before = await query('SELECT id, status, occurred_at, output FROM workflow_job ORDER BY id');

    const summary = await compactLake({
      objects,
      metrics: ['workflow-job', 'pull-request'],
      now: new Date('2026-11-04T03:30:00Z'),
      lookbackDays: 3,
      minFiles: 4,
      logger: silent,
    });
    expect(summary).toEqual({
      partitions: 6,
      compacted: 2,
      filesIn: 13,
      filesOut: 2,
      rowsIn: 14,
      rowsOut: 12,
      finished: true,
    });
    const files = await listFiles(dir.path);
    expect(files).toEqual([
      expect.stringMatching(/^records\/metric=workflow-job\/dt=2026-11-02\/compacted-[0-9a-f]{32}\.parquet$/),
      expect.stringMatching(/^records\/metric=workflow-job\/dt=2026-11-03\/compacted-[0-9a-f]{32}\.parquet$/),
    ]);
    expect(await query('SELECT id, status, occurred_at, output FROM workflow_job ORDER BY id')).toEqual(
      before,
    );
    const kept = await query(
      `SELECT strftime(collected_at, '%Y-%m-%d') AS at FROM workflow_job_records WHERE id = '${records[0]?.id}'`,
    );
    expect(kept).toEqual([{ at: '2026-11-01' }]);

    // A second run finds nothing to do; a run stopped at once reports it did not finish.
    const again = await compactLake({
      objects,
      metrics: ['workflow-job'],
      now: new Date('2026-11-04T03:30:00Z'),
      lookbackDays: 3,
      minFiles: 2,
      logger: silent,
    });
    expect(again).toMatchObject({ compacted: 0, finished: true });
    expect(await listFiles(dir.path)).toEqual(files);
    const stopped = await compactLake({
      objects,
      metrics: ['workflow-job'],
      now: new Date('2026-11-04T03:30:00Z'),
      lookbackDays: 3,
      minFiles: 2,
      logger: silent,
      signal: AbortSignal.abort(),
    });
    expect(stopped).toMatchObject({ partitions: 0, finished: false });
  });
});
