import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compact, readPartition } from '../../src/data/compact';
import { parseDataPath } from '../../src/data/layout';
import type { MetricRecord } from '../../src/pipeline/types';
import { buildReport, type Report } from '../../src/report/report';
import { parseWindow } from '../../src/report/window';
import { FileStore } from '../../src/store/file-store';
import { DataDir, pullRequest, unorderedVersions } from '../report/dataset';
import { SETTINGS, writeDataset } from '../report/fixture';
import { collectAll } from '../support/collect';
import { listFiles, tempDir } from '../support/temp';
import { example, signedEventFrom } from '../support/webhooks';

const window = parseWindow('2026-10-01', '2026-11-03');
const NOW = Date.parse('2026-11-04T08:00:00Z');

/** The report's figures: everything but where they were read from. */
async function figures(dataDir: string, repos?: string[]): Promise<Omit<Report, 'records' | 'data_dir'>> {
  const {
    records: _records,
    data_dir: _dir,
    ...rest
  } = await buildReport({
    dataDir,
    window,
    settings: SETTINGS,
    now: NOW,
    ...(repos ? { repos } : {}),
  });
  return rest;
}

class Crash extends Error {}

describe('compaction on the FileStore', () => {
  let root: { path: string; remove: () => Promise<void> };
  let before: Awaited<ReturnType<typeof figures>>;
  let hotFiles: string[];

  beforeAll(async () => {
    root = await tempDir('telemetry-compact-');
    writeDataset(new DataDir(join(root.path, 'original')));
    before = await figures(join(root.path, 'original'));
    hotFiles = (await listFiles(join(root.path, 'original'))).filter((p) => p.startsWith('hot/'));
  });
  afterAll(() => root.remove());

  async function copy(name: string): Promise<string> {
    const dir = join(root.path, name);
    await cp(join(root.path, 'original'), dir, { recursive: true });
    return dir;
  }

  it('gives the same report figures with everything compacted, and with part compacted and part hot', async () => {
    expect(before.dora.deployment_frequency.deployments).toBeGreaterThan(0);
    const all = await copy('all');
    const result = await compact(new FileStore(all), { before: new Date('2026-12-01T00:00:00Z') });
    // Packs counted; their index entries removed with them.
    expect(result.sources_removed).toBe(hotFiles.filter((p) => parseDataPath(p)?.kind === 'pack').length);
    expect(hotFiles.some((p) => parseDataPath(p)?.kind === 'index')).toBe(true);
    // The first-layout files that are not valid records stay where they are, and the report still lists them.
    expect([...result.skipped].sort()).toEqual([
      'check-suite/acme/api/2026/10/other.json',
      'deployment-status/acme/api/2026/10/bad-output.json',
      'workflow-job/acme/api/2026/10/no-owner.json',
      'workflow-job/acme/api/2026/10/not-json.json',
      'workflow-run/acme/api/2026/08/old.json',
    ]);
    const after = await listFiles(all);
    expect(after.filter((p) => p.startsWith('hot/'))).toEqual([]);
    expect(after.filter((p) => p.startsWith('parquet/')).length).toBeGreaterThan(0);
    expect(await figures(all)).toEqual(before);

    const part = await copy('part');
    await compact(new FileStore(part), { before: new Date('2026-10-15T00:00:00Z') });
    const mixed = await listFiles(part);
    const hotDays = mixed.filter((p) => p.startsWith('hot/')).map((p) => parseDataPath(p)?.day as string);
    const partitionDays = mixed
      .filter((p) => p.startsWith('parquet/'))
      .map((p) => parseDataPath(p)?.day as string);
    expect(hotDays.length).toBeGreaterThan(0);
    expect(partitionDays.length).toBeGreaterThan(0);
    expect(hotDays.every((day) => day >= '2026-10-15')).toBe(true);
    expect(partitionDays.every((day) => day < '2026-10-15')).toBe(true);
    expect(await figures(part)).toEqual(before);

    // --repo keeps the same repositories whether their records are hot or in partitions.
    const one = await figures(join(root.path, 'original'), ['acme/api']);
    expect(one).not.toEqual(before);
    expect(await figures(all, ['acme/api'])).toEqual(one);
    expect(await figures(part, ['acme/api'])).toEqual(one);
  });

  it('is idempotent: a second run writes and removes nothing', async () => {
    const dir = await copy('twice');
    const store = new FileStore(dir);
    await compact(store, { before: new Date('2026-12-01T00:00:00Z') });
    const once = await listFiles(dir);
    const again = await compact(store, { before: new Date('2026-12-01T00:00:00Z') });
    expect(again).toMatchObject({ days: 0, files_written: 0, sources_removed: 0 });
    expect(await listFiles(dir)).toEqual(once);
  });

  it('merges a late record into its compacted day at the next run; readers deduplicate meanwhile', async () => {
    const dir = await tempDir('telemetry-late-');
    try {
      const data = new DataDir(dir.path);
      const at = '2026-10-10T12:00:00Z';
      const pr = (status: 'partial' | 'complete') =>
        data.record(
          'pull-request',
          '42:late',
          'acme/api',
          at,
          pullRequest({
            pull_request_id: '42',
            closed_at: at,
            additions: 1,
            deletions: 1,
            reviews: status === 'complete' ? 1 : null,
            s: { coding: 1, pickup: 1, review: 1, merge: 1, cycle: 4 },
          }),
          { status },
        );
      const store = new FileStore(dir.path);
      pr('partial');
      await compact(store, { before: new Date('2026-11-01T00:00:00Z') });
      const { path } = pr('complete'); // arrives late: a hot file again, for a compacted day
      const report = async () =>
        buildReport({
          dataDir: dir.path,
          window: parseWindow('2026-10-01', '2026-10-31'),
          settings: SETTINGS,
        });
      const meanwhile = await report();
      expect(meanwhile.records).toMatchObject({ used: 1, duplicates: 1, partition_rows: 1, files: 1 });
      expect(meanwhile.flow.merged_without_review).toEqual({ count: 0, rate: 0, unknown: 0 });

      await compact(store, { before: new Date('2026-11-01T00:00:00Z') });
      const files = await listFiles(dir.path);
      expect(files).not.toContain(path);
      const partitions = files.filter((p) => p.endsWith('.parquet'));
      expect(partitions).toHaveLength(1);
      const rows = await readPartition(store, partitions[0] as string);
      expect(rows.map((r) => r.status)).toEqual(['complete']);
      expect((await report()).records).toMatchObject({ used: 1, duplicates: 0, partition_rows: 1, files: 0 });
    } finally {
      await dir.remove();
    }
  });

  it('reads every pack line and older hot files; keeps a pack with a bad line (listed with its line), compacting its valid records', async () => {
    const dir = await tempDir('telemetry-packs-');
    try {
      const data = new DataDir(dir.path);
      const at = '2026-10-10T12:00:00Z';
      const pr = (id: string, status: 'partial' | 'complete') =>
        data.build(
          'pull-request',
          `${id}:packed`,
          'acme/api',
          at,
          pullRequest({
            pull_request_id: id,
            closed_at: at,
            additions: 1,
            deletions: 1,
            reviews: status === 'complete' ? 1 : null,
            s: { coding: 1, pickup: 1, review: 1, merge: 1, cycle: 4 },
          }),
          { status },
        );
      data.pack([pr('1', 'complete'), pr('2', 'partial')]);
      data.pack([pr('2', 'complete')]); // made better later: in a second pack
      const bad = 'hot/pull-request/2026/10/10/12/00000000000000bad.ndjson';
      data.raw(bad, `${JSON.stringify(pr('3', 'complete'))}\nnot json\n`);
      const old = pr('4', 'complete');
      data.raw(`hot/pull-request/2026/10/10/1200/${old.id}.json`, JSON.stringify(old));
      const store = new FileStore(dir.path);
      const result = await compact(store, { before: new Date('2026-11-01T00:00:00Z') });
      expect(result).toMatchObject({ days: 1, records: 4, sources_removed: 3, skipped: [`${bad}:2`] });
      const files = await listFiles(dir.path);
      expect(files.filter((p) => p.startsWith('hot/'))).toEqual([bad]);
      const partitions = files.filter((p) => p.endsWith('.parquet'));
      const rows = (await Promise.all(partitions.map((p) => readPartition(store, p)))).flat();
      expect(rows.map((r) => [r.id, r.status]).sort()).toEqual(
        ['1', '2', '3', '4'].map((id) => [pr(id, 'complete').id, 'complete']).sort(),
      );
      // The next run changes nothing, and lists the line again.
      expect(await compact(store, { before: new Date('2026-11-01T00:00:00Z') })).toMatchObject({
        days: 0,
        skipped: [`${bad}:2`],
      });
    } finally {
      await dir.remove();
    }
  });

  it('keeps the complete version of an id left in two packs as {partial, revision b} and {complete, revision a}, in either pack order', async () => {
    for (const partialFirst of [true, false]) {
      const dir = await tempDir('telemetry-unordered-');
      try {
        const data = new DataDir(dir.path);
        const at = '2026-10-10T12:00:00Z';
        const { partial, complete } = unorderedVersions(
          (status, salt) => ({
            ...data.build(
              'pull-request',
              '7:unordered',
              'acme/api',
              at,
              pullRequest({
                pull_request_id: '7',
                closed_at: at,
                additions: 1,
                deletions: 1,
                reviews: status === 'complete' ? 0 : null,
                s: { coding: 1, pickup: 1, review: 1, merge: 1, cycle: 4 },
              }),
              { status },
            ),
            delivery_id: `unordered-${salt}`,
          }),
          partialFirst,
        );
        data.pack([partial]);
        data.pack([complete]);
        const store = new FileStore(dir.path);
        expect(await compact(store, { before: new Date('2026-11-01T00:00:00Z') })).toMatchObject({
          days: 1,
          records: 1,
          sources_removed: 2,
        });
        const partitions = (await listFiles(dir.path)).filter((p) => p.endsWith('.parquet'));
        const rows = (await Promise.all(partitions.map((p) => readPartition(store, p)))).flat();
        expect(rows.map((r) => [r.id, r.status, r.revision])).toEqual([[complete.id, 'complete', 'a']]);
      } finally {
        await dir.remove();
      }
    }
  });

  it('survives a crash between any two steps: figures never change, and the next run finishes the work', async () => {
    const clean = await copy('clean');
    await compact(new FileStore(clean), { before: new Date('2026-10-20T00:00:00Z') });
    const expected = await listFiles(clean);
    const cleanBytes = await Promise.all(expected.map((p) => readFile(join(clean, p))));

    // Count the steps of a whole run, then crash after each one in turn: among them after the last pack of a
    // day is removed (its index entries all left) and after its first index entry is removed.
    const names: string[] = [];
    const count = await copy('count');
    await compact(new FileStore(count), {
      before: new Date('2026-10-20T00:00:00Z'),
      onStep: (name) => {
        names.push(name);
      },
    });
    const steps = names.length;
    expect(steps).toBeGreaterThan(10);
    const firstIndex = names.findIndex((name) => name.startsWith('remove ') && name.endsWith('.idx')) + 1;
    expect(names[firstIndex - 2]).toMatch(/^remove .*\.ndjson$/);
    for (const crashAt of [1, firstIndex - 1, firstIndex, Math.floor(steps / 2), steps - 1]) {
      const dir = await copy(`crash-${crashAt}`);
      let step = 0;
      await expect(
        compact(new FileStore(dir), {
          before: new Date('2026-10-20T00:00:00Z'),
          onStep: () => {
            step += 1;
            if (step === crashAt) throw new Crash(`crash after step ${crashAt}`);
          },
        }),
      ).rejects.toThrow(Crash);
      expect(await figures(dir)).toEqual(before);
      await compact(new FileStore(dir), { before: new Date('2026-10-20T00:00:00Z') });
      expect(await listFiles(dir)).toEqual(expected);
      const bytes = await Promise.all(expected.map((p) => readFile(join(dir, p))));
      expect(bytes).toEqual(cleanBytes);
    }
  });
});

describe('compaction of a day whose every hot record is retracted', () => {
  it('removes its packs and index entries, keeps the tombstone, and a second run does nothing', async () => {
    const dir = await tempDir('telemetry-compact-retracted-');
    try {
      const [job] = await collectAll(signedEventFrom('workflow_job', example('workflow_job', 'completed')));
      const record = { ...(job as MetricRecord), occurred_at: '2026-10-02T08:00:00Z' };
      const store = new FileStore(dir.path);
      await store.write([record]);
      await store.write([{ ...record, status: 'retracted' }]);
      const result = await compact(store, { before: new Date('2026-11-01T00:00:00Z') });
      expect(result.sources_removed).toBe(1);
      const left = await listFiles(dir.path);
      expect(left).toHaveLength(1);
      expect(left[0]).toMatch(/^tombstones\//);
      expect(await compact(store, { before: new Date('2026-11-01T00:00:00Z') })).toMatchObject({
        days: 0,
        sources_removed: 0,
      });
    } finally {
      await dir.remove();
    }
  });
});
