import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDataPath } from '../../src/data/layout';
import { PACK_MAX_BYTES, packLines, packRecords } from '../../src/data/packs';
import { recordPath } from '../../src/pipeline/record';
import type { MetricRecord } from '../../src/pipeline/types';
import { FileStore, HOUR_SETTLE_MS, PACK_MERGE_ABOVE } from '../../src/store/file-store';
import { collectAll } from '../support/collect';
import { storedRecords } from '../support/stored-records';
import { listFiles, tempDir } from '../support/temp';
import { example, signedEventFrom } from '../support/webhooks';

async function realRecord(): Promise<MetricRecord> {
  const [record] = await collectAll(signedEventFrom('workflow_job', example('workflow_job', 'completed')));
  return record as MetricRecord;
}

/** Copies of a real record under other ids, at other times (`occurred_at`). */
function variants(record: MetricRecord, times: readonly string[]): MetricRecord[] {
  return times.map((occurred_at, i) => ({
    ...record,
    id: `workflow-job-${String(900 - i).padStart(6, '0')}`,
    occurred_at,
  }));
}

/** The data files of a directory by kind (`pack`, `index`, …), relative paths, sorted. */
async function filesOfKind(root: string, kind: string): Promise<string[]> {
  return (await listFiles(root)).filter((f) => parseDataPath(f)?.kind === kind);
}

/** The records in one pack file, in line order. */
async function packContent(root: string, path: string): Promise<MetricRecord[]> {
  return packLines(await readFile(join(root, path), 'utf8')).map((l) => JSON.parse(l.text) as MetricRecord);
}

describe('FileStore', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(() => dir.remove());

  it('writes a record into a pack of its hour folder and an index entry at its path, nothing else', async () => {
    const record = await realRecord();
    const store = new FileStore(dir.path);
    expect(await store.write([record])).toEqual({ written: [record.id], unchanged: [] });
    const [pack] = packRecords([record]);
    expect(await listFiles(dir.path)).toEqual([pack?.path, recordPath(record)].sort());
    const text = await readFile(join(dir.path, pack?.path as string), 'utf8');
    expect(text.split('\n')).toHaveLength(2);
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toEqual(record);
    expect(await readFile(join(dir.path, recordPath(record)), 'utf8')).toBe('{"status":"complete"}\n');
    expect(await storedRecords(dir.path)).toEqual([record]);
  });

  it('writes a batch as packs per hour (records sorted by id, one per line) and one index entry per id', async () => {
    const record = await realRecord();
    const [a, b, c, d] = variants(record, [
      '2026-03-04T08:59:10Z',
      '2026-03-04T08:12:00Z',
      '2026-03-04T09:00:00Z',
      '2026-03-04T08:12:30Z',
    ]) as [MetricRecord, MetricRecord, MetricRecord, MetricRecord];
    const partial: MetricRecord = { ...d, status: 'partial', errors: [{ call: 'GET /x', message: 'down' }] };
    const revised: MetricRecord = { ...b, revision: '0002' };
    const store = new FileStore(dir.path);
    const batch = [a, revised, c, partial];
    expect((await store.write(batch)).written.sort()).toEqual(batch.map((r) => r.id).sort());

    const packs = await filesOfKind(dir.path, 'pack');
    expect(packs.map((p) => p.split('/').slice(0, 6).join('/'))).toEqual([
      'hot/workflow-job/2026/03/04/08',
      'hot/workflow-job/2026/03/04/09',
    ]);
    for (const pack of packs) expect(pack).toMatch(/\/[0-9a-f]{16}\.ndjson$/);
    // 08 holds a, b and d, ordered by id (d < b < a here, the reverse of their order in the batch).
    expect(await packContent(dir.path, packs[0] as string)).toEqual([partial, revised, a]);
    expect(await packContent(dir.path, packs[1] as string)).toEqual([c]);

    const entries = await filesOfKind(dir.path, 'index');
    expect(entries).toEqual(batch.map((r) => recordPath(r)).sort());
    expect(entries).toContain(`hot/workflow-job/2026/03/04/08/12/${b.id}.idx`);
    const entry = async (r: MetricRecord) => readFile(join(dir.path, recordPath(r)), 'utf8');
    expect(await entry(a)).toBe('{"status":"complete"}\n');
    expect(await entry(revised)).toBe('{"status":"complete","revision":"0002"}\n');
    expect(await entry(partial)).toBe('{"status":"partial"}\n');
    expect(await storedRecords(dir.path)).toEqual([partial, c, revised, a]);
  });

  it('is idempotent: the same records again (or worse ones) write no file', async () => {
    const record = await realRecord();
    const store = new FileStore(dir.path);
    const records = variants(record, ['2026-03-04T08:01:00Z', '2026-03-04T08:02:00Z']);
    await store.write(records);
    const files = await listFiles(dir.path);
    const contents = await Promise.all(files.map((f) => readFile(join(dir.path, f), 'utf8')));
    const worse = records.map((r) => ({
      ...r,
      status: 'partial' as const,
      errors: [{ call: 'GET /x', message: 'down' }],
    }));
    expect(await store.write([...records, ...worse])).toEqual({
      written: [],
      unchanged: [...records, ...worse].map((r) => r.id),
    });
    expect(await store.write(records)).toEqual({ written: [], unchanged: records.map((r) => r.id) });
    expect(await listFiles(dir.path)).toEqual(files);
    expect(await Promise.all(files.map((f) => readFile(join(dir.path, f), 'utf8')))).toEqual(contents);
  });

  it('lets a better record add a new pack and rewrite its index entry ("better record wins"), within a batch too', async () => {
    const record = await realRecord();
    const partial: MetricRecord = {
      ...record,
      status: 'partial',
      errors: [{ call: 'GET /x', message: 'down' }],
    };
    const store = new FileStore(dir.path);
    await store.write([partial]);
    const firstPacks = await filesOfKind(dir.path, 'pack');
    expect(firstPacks).toHaveLength(1);
    expect(await readFile(join(dir.path, recordPath(record)), 'utf8')).toBe('{"status":"partial"}\n');

    expect(await store.write([record])).toEqual({ written: [record.id], unchanged: [] });
    const packs = await filesOfKind(dir.path, 'pack');
    expect(packs).toHaveLength(2);
    expect(packs).toEqual(expect.arrayContaining(firstPacks));
    const added = packs.find((p) => !firstPacks.includes(p)) as string;
    expect(await packContent(dir.path, added)).toEqual([record]);
    expect(await packContent(dir.path, firstPacks[0] as string)).toEqual([partial]);
    expect(await readFile(join(dir.path, recordPath(record)), 'utf8')).toBe('{"status":"complete"}\n');
    expect(await filesOfKind(dir.path, 'index')).toEqual([recordPath(record)]);
    expect(await storedRecords(dir.path)).toEqual([record]);

    // The partial one again, once the complete one is stored, changes nothing.
    const files = await listFiles(dir.path);
    expect(await store.write([partial])).toEqual({ written: [], unchanged: [record.id] });
    expect(await listFiles(dir.path)).toEqual(files);
    expect(await readFile(join(dir.path, recordPath(record)), 'utf8')).toBe('{"status":"complete"}\n');

    const other = new FileStore(join(dir.path, 'second'));
    expect(await other.write([partial, record])).toEqual({ written: [record.id], unchanged: [] });
    const second = join(dir.path, 'second');
    const secondPacks = await filesOfKind(second, 'pack');
    expect(secondPacks).toHaveLength(1);
    expect(await packContent(second, secondPacks[0] as string)).toEqual([record]);
  });

  it('a crash between the packs and the index entries leaves every record in a pack; the resend completes the index', async () => {
    const record = await realRecord();
    const [early, late1, late2] = variants(record, [
      '2026-03-04T08:10:00Z',
      '2026-03-04T08:20:00Z',
      '2026-03-04T08:20:30Z',
    ]) as [MetricRecord, MetricRecord, MetricRecord];
    const store = new FileStore(dir.path);
    // A dangling link where the 08:20 minute folder goes: reading an entry there finds nothing (as for a
    // new record), creating the folder fails. So the packs (hour folder) are written, the entries are not.
    const blocker = join(dir.path, 'hot/workflow-job/2026/03/04/08/20');
    await mkdir(join(blocker, '..'), { recursive: true });
    await symlink(join(dir.path, 'nowhere'), blocker);
    await expect(store.write([early, late1, late2])).rejects.toThrow();

    expect(await storedRecords(dir.path)).toEqual([late2, late1, early]);
    const packs = await filesOfKind(dir.path, 'pack');
    expect(packs).toHaveLength(1);
    expect(await filesOfKind(dir.path, 'index')).toEqual(
      [early, late1, late2].map((r) => recordPath(r)).filter((p) => !p.includes('/08/20/')),
    );

    await rm(blocker);
    const result = await store.write([early, late1, late2]);
    expect(result.written.sort()).toEqual([late1.id, late2.id].sort());
    expect(result.unchanged).toEqual([early.id]);
    expect(await filesOfKind(dir.path, 'index')).toEqual(
      [early, late1, late2].map((r) => recordPath(r)).sort(),
    );
    for (const r of [early, late1, late2])
      expect(await readFile(join(dir.path, recordPath(r)), 'utf8')).toBe('{"status":"complete"}\n');
    // The resent records went into a new pack beside the first one; readers keep one record per id.
    const after = await filesOfKind(dir.path, 'pack');
    expect(after).toEqual(expect.arrayContaining(packs));
    expect(after).toHaveLength(2);
    expect(await storedRecords(dir.path)).toEqual([late2, late1, early]);
    expect(await listFiles(dir.path)).not.toEqual(expect.arrayContaining([expect.stringContaining('.tmp-')]));
  });

  it('cuts packs below the size limit and names them by a hash of their content', async () => {
    const record = await realRecord();
    const times = Array.from(
      { length: 700 },
      (_, i) =>
        `2026-03-04T08:${String(Math.floor(i / 12)).padStart(2, '0')}:${String((i % 12) * 5).padStart(2, '0')}Z`,
    );
    const records = variants(record, times).map((r, i) => ({
      ...r,
      id: `workflow-job-${String(i).padStart(6, '0')}`,
    }));
    const bytes = records.reduce((sum, r) => sum + Buffer.byteLength(`${JSON.stringify(r)}\n`), 0);
    expect(bytes).toBeGreaterThan(PACK_MAX_BYTES);

    const store = new FileStore(dir.path);
    expect((await store.write(records)).written).toHaveLength(records.length);
    const packs = await filesOfKind(dir.path, 'pack');
    expect(packs.length).toBeGreaterThan(1);
    const lines: MetricRecord[] = [];
    for (const pack of packs) {
      const text = await readFile(join(dir.path, pack), 'utf8');
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(PACK_MAX_BYTES);
      const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
      expect(pack).toBe(`hot/workflow-job/2026/03/04/08/${hash}.ndjson`);
      lines.push(...(await packContent(dir.path, pack)));
    }
    expect(lines.map((r) => r.id).sort()).toEqual(records.map((r) => r.id).sort());
    expect(await filesOfKind(dir.path, 'index')).toHaveLength(records.length);

    // The same records, in another order and another directory: the same files, byte for byte.
    const second = join(dir.path, 'second');
    await new FileStore(second).write([...records].reverse());
    const secondPacks = await filesOfKind(second, 'pack');
    expect(secondPacks).toEqual(packs);
    for (const pack of packs)
      expect(await readFile(join(second, pack), 'utf8')).toBe(await readFile(join(dir.path, pack), 'utf8'));
  });

  it('packRecords cuts before maxBytes (a larger record alone), keeps id order and every record once', async () => {
    const record = await realRecord();
    const records = variants(
      record,
      Array.from({ length: 9 }, (_, i) => `2026-03-04T08:0${i}:00Z`),
    );
    const size = Buffer.byteLength(`${JSON.stringify(records[0])}\n`);
    const packs = packRecords(records, size * 2 + 10);
    expect(packs.map((p) => p.records.length)).toEqual([2, 2, 2, 2, 1]);
    for (const pack of packs) {
      expect(Buffer.byteLength(pack.content)).toBeLessThanOrEqual(size * 2 + 10);
      expect(pack.content).toBe(pack.records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    }
    const ids = packs.flatMap((p) => p.records.map((r) => r.id));
    expect(ids).toEqual(records.map((r) => r.id).sort());
    const alone = packRecords(records.slice(0, 3), size - 1);
    expect(alone.map((p) => p.records.length)).toEqual([1, 1, 1]);
    expect(new Set(alone.map((p) => p.path)).size).toBe(3);
    expect(packRecords([...records].reverse(), size * 2 + 10).map((p) => p.path)).toEqual(
      packs.map((p) => p.path),
    );
  });

  it('repairs an index entry that is not JSON with a good record', async () => {
    const record = await realRecord();
    const store = new FileStore(dir.path);
    await store.write([record]);
    await writeFile(join(dir.path, recordPath(record)), '{ half a rec');
    expect((await store.write([record])).written).toEqual([record.id]);
    expect(await readFile(join(dir.path, recordPath(record)), 'utf8')).toBe('{"status":"complete"}\n');
  });

  it('writes atomically: no temporary file is left behind, even with 200 concurrent writers', async () => {
    const record = await realRecord();
    const store = new FileStore(dir.path);
    const records = Array.from({ length: 200 }, (_, i) => ({
      ...record,
      id: `workflow-job-${String(i).padStart(24, '0')}`,
    }));
    await Promise.all(records.map((r) => store.write([r, r])));
    const files = await listFiles(dir.path);
    expect(files.filter((f) => parseDataPath(f)?.kind === 'index')).toHaveLength(200);
    expect(files.some((f) => f.includes('.tmp-'))).toBe(false);
    expect((await storedRecords(dir.path)).map((r) => r.id)).toEqual(records.map((r) => r.id));
  });

  it(`merges an hour folder's packs past ${PACK_MERGE_ABOVE}: single-record writes never crowd it, every record stays, the best version`, async () => {
    const record = await realRecord();
    const store = new FileStore(dir.path);
    const folder = join(dir.path, 'hot/workflow-job/2026/03/04/08');
    const records = Array.from({ length: 700 }, (_, i) => ({
      ...record,
      id: `workflow-job-${String(i).padStart(6, '0')}`,
      occurred_at: `2026-03-04T08:${String(i % 60).padStart(2, '0')}:00Z`,
    }));
    // Every tenth id first arrives partial, its complete version a hundred writes later.
    const partial = (r: MetricRecord): MetricRecord => ({
      ...r,
      status: 'partial',
      errors: [{ call: 'GET /x', message: 'down' }],
    });
    const writes = records.flatMap((r, i) => (i % 10 === 0 ? [partial(r)] : [r]));
    for (let i = 0; i < records.length; i += 10)
      writes.splice(Math.min(i + 100, writes.length), 0, records[i] as MetricRecord);
    for (const r of writes) {
      expect((await store.write([r])).written).toEqual([r.id]);
      const packs = (await readdir(folder)).filter((name) => name.endsWith('.ndjson'));
      expect(packs.length).toBeLessThanOrEqual(PACK_MERGE_ABOVE + 2);
    }
    expect(await storedRecords(dir.path)).toEqual(records);
    expect(await filesOfKind(dir.path, 'index')).toHaveLength(records.length);
    expect((await listFiles(dir.path)).some((f) => f.includes('.tmp-'))).toBe(false);
    // Merged packs stay below the size limit.
    const lines: MetricRecord[] = [];
    for (const pack of await filesOfKind(dir.path, 'pack')) {
      expect(Buffer.byteLength(await readFile(join(dir.path, pack), 'utf8'))).toBeLessThanOrEqual(
        PACK_MAX_BYTES,
      );
      lines.push(...(await packContent(dir.path, pack)));
    }
    // 770 writes, a pack each, left at most one line per id beside the packs not merged yet.
    expect(lines.length).toBeLessThanOrEqual(records.length + PACK_MERGE_ABOVE);
  });

  it('a crash between writing the merged pack and removing the old ones loses nothing; the next write finishes the merge', async () => {
    const record = await realRecord();
    let crash = true;
    const store = new FileStore(dir.path, {
      mergePacksAbove: 4,
      onMergeStep: (step) => {
        if (crash && step.startsWith('write ')) {
          crash = false;
          throw new Error('crash');
        }
      },
    });
    const records = variants(
      record,
      Array.from({ length: 6 }, (_, i) => `2026-03-04T08:0${i}:00Z`),
    );
    for (const r of records.slice(0, 4)) await store.write([r]);
    expect(await filesOfKind(dir.path, 'pack')).toHaveLength(4);
    await expect(store.write([records[4] as MetricRecord])).rejects.toThrow('crash');
    // The merged pack beside the five it merges: every record twice, readers keep one.
    const packs = await filesOfKind(dir.path, 'pack');
    expect(packs).toHaveLength(6);
    const expected = [...records.slice(0, 5)].sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(await storedRecords(dir.path)).toEqual(expected);
    expect(await filesOfKind(dir.path, 'index')).toHaveLength(5);

    expect((await store.write([records[5] as MetricRecord])).written).toEqual([records[5]?.id]);
    const after = await filesOfKind(dir.path, 'pack');
    expect(after).toHaveLength(1);
    expect((await packContent(dir.path, after[0] as string)).map((r) => r.id)).toEqual(
      records.map((r) => r.id).sort(),
    );
    expect(await storedRecords(dir.path)).toEqual([...records].sort((a, b) => (a.id < b.id ? -1 : 1)));
  });

  it('concurrent writes into one hour lose nothing while its packs are merged', async () => {
    const record = await realRecord();
    const store = new FileStore(dir.path, { mergePacksAbove: 8 });
    const records = Array.from({ length: 120 }, (_, i) => ({
      ...record,
      id: `workflow-job-${String(i).padStart(6, '0')}`,
      occurred_at: `2026-03-04T08:${String(i % 60).padStart(2, '0')}:30Z`,
    }));
    const partial = records.map((r) => ({
      ...r,
      status: 'partial' as const,
      errors: [{ call: 'GET /x', message: 'down' }],
    }));
    await Promise.all(partial.map((r) => store.write([r])));
    expect(await storedRecords(dir.path)).toEqual(partial);
    await Promise.all(records.map((r) => store.write([r])));
    expect(await storedRecords(dir.path)).toEqual(records);
    expect(await filesOfKind(dir.path, 'index')).toHaveLength(records.length);
    for (const r of records)
      expect(await readFile(join(dir.path, recordPath(r)), 'utf8')).toBe('{"status":"complete"}\n');
    expect((await filesOfKind(dir.path, 'pack')).length).toBeLessThanOrEqual(8 + 4);
    expect((await listFiles(dir.path)).some((f) => f.includes('.tmp-'))).toBe(false);
  });

  it('leaves a pack holding a line that is not a record alone and merges the others', async () => {
    const record = await realRecord();
    const store = new FileStore(dir.path, { mergePacksAbove: 3 });
    const records = variants(
      record,
      Array.from({ length: 4 }, (_, i) => `2026-03-04T08:0${i}:00Z`),
    );
    await store.write([records[0] as MetricRecord]);
    const [edited] = await filesOfKind(dir.path, 'pack');
    const text = `${await readFile(join(dir.path, edited as string), 'utf8')}{ half a rec\n`;
    await writeFile(join(dir.path, edited as string), text);
    for (const r of records.slice(1)) await store.write([r]);
    const packs = await filesOfKind(dir.path, 'pack');
    expect(packs).toHaveLength(2);
    expect(packs).toContain(edited);
    expect(await readFile(join(dir.path, edited as string), 'utf8')).toBe(text);
    const merged = packs.find((p) => p !== edited) as string;
    expect((await packContent(dir.path, merged)).map((r) => r.id)).toEqual(
      records
        .slice(1)
        .map((r) => r.id)
        .sort(),
    );
  });

  describe('once an hour has closed', () => {
    const at = (iso: string) => Date.parse(iso);
    /** The packs of one hour folder, relative paths. */
    const packsOf = async (hour: string) =>
      (await filesOfKind(dir.path, 'pack')).filter((p) =>
        p.startsWith(`hot/workflow-job/2026/03/04/${hour}/`),
      );
    const byId = (a: MetricRecord, b: MetricRecord) => (a.id < b.id ? -1 : 1);

    it(`merges its packs, however few, once writes have left it alone for ${HOUR_SETTLE_MS / 60_000} minutes; a late record is merged in the same way`, async () => {
      const record = await realRecord();
      let now = at('2026-03-04T08:10:00Z');
      const store = new FileStore(dir.path, { now: () => now });
      const hour8 = variants(
        record,
        Array.from({ length: 5 }, (_, i) => `2026-03-04T08:${i + 1}0:00Z`),
      );
      const hour9 = variants(
        record,
        Array.from({ length: 4 }, (_, i) => `2026-03-04T09:0${i}:00Z`),
      ).map((r) => ({ ...r, id: `${r.id}-9` }));
      for (const [i, r] of hour8.entries()) {
        now = at(`2026-03-04T08:${i + 1}0:30Z`);
        await store.write([r]);
      }
      expect(await packsOf('08')).toHaveLength(5);
      // 09:05: the hour has closed, not settled; 09:09: settled by the hour's end, not by its last write
      // (an hour-8 record written at 09:00).
      now = at('2026-03-04T09:00:00Z');
      const late = { ...(hour8[0] as MetricRecord), id: 'workflow-job-late' };
      await store.write([late, hour9[0] as MetricRecord]);
      now = at('2026-03-04T09:09:59Z');
      await store.write([hour9[1] as MetricRecord]);
      expect(await packsOf('08')).toHaveLength(6);
      now = at('2026-03-04T09:10:00Z');
      await store.write([hour9[2] as MetricRecord]);
      const merged = await packsOf('08');
      expect(merged).toHaveLength(1);
      expect(await packContent(dir.path, merged[0] as string)).toEqual([...hour8, late].sort(byId));
      // The open hour keeps a pack per write.
      expect(await packsOf('09')).toHaveLength(3);

      // A better version arrives late: its pack waits beside the merged one until writes leave the hour
      // alone again, then one pack holds the best version of every id.
      const better = { ...(hour8[2] as MetricRecord), revision: '0002' };
      now = at('2026-03-04T09:30:00Z');
      expect((await store.write([better])).written).toEqual([better.id]);
      now = at('2026-03-04T09:39:00Z');
      await store.write([hour9[3] as MetricRecord]);
      expect(await packsOf('08')).toHaveLength(2);
      now = at('2026-03-04T09:40:00Z');
      await store.write([{ ...(hour9[3] as MetricRecord), id: 'workflow-job-09-last' }]);
      const again = await packsOf('08');
      expect(again).toHaveLength(1);
      const expected = [...hour8, late].map((r) => (r.id === better.id ? better : r)).sort(byId);
      expect(await packContent(dir.path, again[0] as string)).toEqual(expected);
      expect(await storedRecords(dir.path, 'hot/workflow-job/2026/03/04/08/')).toEqual(expected);
      expect(await filesOfKind(dir.path, 'index')).toHaveLength(hour8.length + 1 + hour9.length + 1);
    });

    it('a store started later merges the closed hours of the last three days that an earlier one left unmerged', async () => {
      const record = await realRecord();
      const old = variants(record, ['2026-03-01T07:00:00Z', '2026-03-01T07:30:00Z']);
      const recent = variants(record, ['2026-03-02T08:00:00Z', '2026-03-02T08:30:00Z']).map((r) => ({
        ...r,
        id: `${r.id}-recent`,
      }));
      let now = at('2026-03-04T12:00:00Z');
      const first = new FileStore(dir.path, { now: () => now });
      for (const r of [...old, ...recent]) await first.write([r]);
      expect(await filesOfKind(dir.path, 'pack')).toHaveLength(4);

      // The first process stopped before a later write of its own; the next one merges at its first write.
      now = at('2026-03-04T12:20:00Z');
      const next = new FileStore(dir.path, { now: () => now });
      const current = {
        ...(old[0] as MetricRecord),
        id: 'workflow-job-now',
        occurred_at: '2026-03-04T12:19:00Z',
      };
      await next.write([current]);
      const packs = await filesOfKind(dir.path, 'pack');
      const recentPacks = packs.filter((p) => p.startsWith('hot/workflow-job/2026/03/02/08/'));
      expect(recentPacks).toHaveLength(1);
      expect(await packContent(dir.path, recentPacks[0] as string)).toEqual([...recent].sort(byId));
      // Four days back is left to compaction: the look at start stays a few folders.
      expect(packs.filter((p) => p.startsWith('hot/workflow-job/2026/03/01/07/'))).toHaveLength(2);
      expect(await storedRecords(dir.path)).toEqual([...old, ...recent, current].sort(byId));
    });

    it('a crash while merging a closed hour fails the write, loses nothing, and the next write merges it', async () => {
      const record = await realRecord();
      let now = at('2026-03-04T08:30:00Z');
      let crash = true;
      const store = new FileStore(dir.path, {
        now: () => now,
        onMergeStep: (step) => {
          if (crash && step.startsWith('remove ')) {
            crash = false;
            throw new Error('crash');
          }
        },
      });
      const hour8 = variants(record, [
        '2026-03-04T08:00:00Z',
        '2026-03-04T08:10:00Z',
        '2026-03-04T08:20:00Z',
      ]);
      for (const r of hour8) await store.write([r]);
      now = at('2026-03-04T09:15:00Z');
      const next = {
        ...(hour8[0] as MetricRecord),
        id: 'workflow-job-09',
        occurred_at: '2026-03-04T09:14:00Z',
      };
      await expect(store.write([next])).rejects.toThrow('crash');
      // The merged pack and two of the three it merges: every record readable, once per id.
      expect(await packsOf('08')).toHaveLength(3);
      expect(await storedRecords(dir.path)).toEqual([...hour8, next].sort(byId));
      expect(await filesOfKind(dir.path, 'index')).toHaveLength(4);

      now = at('2026-03-04T09:16:00Z');
      const another = { ...next, id: 'workflow-job-09b' };
      expect((await store.write([another])).written).toEqual([another.id]);
      const packs = await packsOf('08');
      expect(packs).toHaveLength(1);
      expect(await packContent(dir.path, packs[0] as string)).toEqual([...hour8].sort(byId));
    });
  });

  it('reads and writes state files, and refuses paths outside the data directory', async () => {
    const store = new FileStore(dir.path);
    expect(await store.readFile('_state/cursor.json')).toBeUndefined();
    await store.writeFile('_state/cursor.json', '{"since":"2026-01-01"}\n');
    expect(await store.readFile('_state/cursor.json')).toBe('{"since":"2026-01-01"}\n');
    for (const evil of ['../outside.json', '/etc/passwd', '_state/../../x', 'a\0b']) {
      await expect(store.writeFile(evil, 'x')).rejects.toThrow(/store path/);
    }
    const escaping = { ...(await realRecord()), owner: '..', repo: '../../..', metric: '../x' };
    await store.write([escaping]);
    for (const file of await listFiles(dir.path)) expect(file.startsWith('..')).toBe(false);
  });
});
