import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { compact, readPartition } from '../../src/data/compact';
import { indexEntryContent, packRecords } from '../../src/data/packs';
import { recordPath } from '../../src/pipeline/record';
import type { MetricRecord } from '../../src/pipeline/types';
import { tempDir } from '../support/temp';
import {
  indexEntriesIn,
  packsFirstHistory,
  packsIn,
  recordsIn,
  type StoreWorld,
  storeWorld,
  workflowJobRecords,
} from './support';

const CLI = join(__dirname, '..', '..', 'bin', 'telemetry-cli.cjs');
const run = promisify(execFile);

class Crash extends Error {}

/** The virtual clock starts on 2026-11-02 (test/store/support.ts): that day's hot branch. */
const TODAY = 'main-hot/2026-11-02';
const DAY_MS = 86_400_000;

describe('GitHubRepoStore hot branches (the hot-tier decision, docs/ARCHITECTURE.md)', () => {
  let world: StoreWorld;
  afterEach(() => world.close());

  const hotStore = () => world.store({ hotBranches: true });
  const mainFiles = async () => [...(await world.git.files(world.repo, 'main')).keys()].sort();
  const hotBranches = () => world.git.branches(world.repo, 'main-hot/');

  /**
   * What a reader deduplicating by id sees: records of the data branch's partitions and of every hot
   * branch's packs, the ids once each and how many copies there are in all.
   */
  const readable = async (): Promise<{ ids: string[]; copies: number }> => {
    const store = hotStore();
    const ids: string[] = [];
    for (const path of await mainFiles())
      if (path.endsWith('.parquet'))
        for (const record of await readPartition(store, path.slice('data/'.length))) ids.push(record.id);
    for (const branch of await hotBranches())
      for (const records of packsIn(await world.git.files(world.repo, branch)).values())
        for (const record of records) ids.push(record.id);
    return { ids: [...new Set(ids)].sort(), copies: ids.length };
  };

  it("commits hot records to the day's hot branch, never to the data branch; a resend writes nothing", async () => {
    world = await storeWorld();
    const store = hotStore();
    const mainBefore = (await world.git.log(world.repo, 'main')).length;
    const records = await workflowJobRecords(5, { months: 2 });
    const result = await store.write(records);
    expect(result.written).toHaveLength(5);
    expect((await world.git.log(world.repo, 'main')).length).toBe(mainBefore);
    expect(await hotBranches()).toEqual([TODAY]);
    const log = await world.git.log(world.repo, TODAY);
    // The day's first commit has no parent: nothing of the data branch's history is in a hot branch.
    expect(log).toHaveLength(1);
    // One commit of the packs (one per hour folder: two months, two) and an index entry per record.
    const files = await world.git.files(world.repo, TODAY);
    expect([...files.keys()].sort()).toEqual(
      [
        ...packRecords(records).map((p) => `data/${p.path}`),
        ...records.map((r) => `data/${recordPath(r)}`),
      ].sort(),
    );
    for (const record of records)
      expect(files.get(`data/${recordPath(record)}`)).toBe(indexEntryContent(record));
    expect([...recordsIn(files).values()].sort((a, b) => (a.id < b.id ? -1 : 1))).toEqual(
      [...records].sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
    // Three content-creating requests: tree, commit, and the ref created.
    expect(world.fake.contentWrites.map((w) => `${w.method} ${w.path.replace(/.*\/git\//, '')}`)).toEqual([
      'POST trees',
      'POST commits',
      'POST refs',
    ]);

    // The same records again (SQS redelivers), from a fresh store (a new Lambda): found, nothing written.
    const writes = world.fake.contentWrites.length;
    const again = await hotStore().write(records);
    expect(again.written).toEqual([]);
    expect(await world.git.log(world.repo, TODAY)).toHaveLength(1);
    expect(world.fake.contentWrites.length).toBe(writes);

    // More records: a fast-forward commit on the same branch.
    const more = await workflowJobRecords(2, { firstId: 8_000_000 });
    await store.write(more);
    expect(await world.git.log(world.repo, TODAY)).toHaveLength(2);
    expect(world.fake.contentWrites.at(-1)?.method).toBe('PATCH');
    const history = await packsFirstHistory(world.git, world.repo, TODAY);
    expect(history.violations).toEqual([]);
    expect(history.commits.at(-1)?.packs).toEqual(packRecords(more).map((p) => `data/${p.path}`));
    expect(history.commits.at(-1)?.index).toEqual(more.map((r) => `data/${recordPath(r)}`).sort());
  });

  it("a restarted writer counts the writes spent on the day's hot branch (the budget ledger)", async () => {
    world = await storeWorld();
    await hotStore().write(await workflowJobRecords(2));
    const restarted = hotStore();
    await restarted.verify();
    expect(restarted.pacer.usedLastHour).toBe(3);
  });

  it('better record wins on the hot branch, and a new UTC day starts a new hot branch', async () => {
    world = await storeWorld();
    const store = hotStore();
    const [complete] = await workflowJobRecords(1);
    const partial = { ...(complete as MetricRecord), status: 'partial' as const };
    await store.write([partial]);
    await store.write([complete as MetricRecord]);
    const path = `data/${recordPath(complete as MetricRecord)}`;
    const files = await world.git.files(world.repo, TODAY);
    // The index entry says complete; a new pack holds the complete record, the first one the partial.
    expect(files.get(path)).toBe(indexEntryContent(complete as MetricRecord));
    expect([...packsIn(files).values()].map((p) => p.map((r) => r.status)).sort()).toEqual([
      ['complete'],
      ['partial'],
    ]);
    expect(recordsIn(files).get(path)).toEqual(complete);
    const commits = (await world.git.log(world.repo, TODAY)).length;
    expect((await store.write([partial])).written).toEqual([]);
    expect(await world.git.log(world.repo, TODAY)).toHaveLength(commits);
    expect(indexEntriesIn(await world.git.files(world.repo, TODAY)).get(path)).toBe(
      indexEntryContent(complete as MetricRecord),
    );

    world.clock.advance(DAY_MS);
    await store.write(await workflowJobRecords(1, { firstId: 8_000_000 }));
    expect(await hotBranches()).toEqual([TODAY, 'main-hot/2026-11-03']);
  });

  it("compaction writes Parquet to the data branch and deletes the day's hot branch", async () => {
    world = await storeWorld();
    const records = await workflowJobRecords(6, { months: 2 });
    await hotStore().write(records);
    // The day has not ended: nothing is taken.
    expect(await compact(hotStore(), { before: new Date(world.clock.now()) })).toMatchObject({ days: 0 });
    expect(await hotBranches()).toEqual([TODAY]);

    world.clock.advance(DAY_MS);
    const result = await compact(hotStore(), { before: new Date(world.clock.now()) });
    // The 6 records were written in one pack per hour folder: 2 packs moved (index entries go with them).
    expect(result).toMatchObject({ days: 2, records: 6, sources_removed: 2, hot_tiers_retired: 1 });
    expect(await hotBranches()).toEqual([]);
    const files = await mainFiles();
    expect(files.filter((p) => p.startsWith('data/hot/'))).toEqual([]);
    expect(files.filter((p) => p.endsWith('.parquet'))).toHaveLength(2);
    expect(await readable()).toEqual({ ids: records.map((r) => r.id).sort(), copies: 6 });
    // Nothing left to do.
    expect(await compact(hotStore(), { before: new Date(world.clock.now()) })).toMatchObject({
      days: 0,
      hot_tiers_retired: 0,
    });
  });

  it('a crash between any two steps leaves every record readable exactly once (by id); the next run finishes', async () => {
    world = await storeWorld();
    const records = await workflowJobRecords(4, { months: 2 });
    await hotStore().write(records);
    world.clock.advance(DAY_MS);
    const ids = records.map((r) => r.id).sort();
    // blob, tree, commit of the first day's partition commit; `ref`: after it landed on the data branch
    // (Parquet and the hot branch both hold the day); `retire`: after the hot branch was deleted.
    for (const step of ['blob', 'tree', 'commit', 'ref']) {
      await expect(
        compact(hotStore(), {
          before: new Date(world.clock.now()),
          onStep: (name) => {
            if (name.startsWith(step)) throw new Crash(step);
          },
        }),
      ).rejects.toThrow(Crash);
      expect((await readable()).ids).toEqual(ids);
      expect(await hotBranches()).toEqual([TODAY]);
    }
    await compact(hotStore(), { before: new Date(world.clock.now()) });
    expect(await readable()).toEqual({ ids, copies: 4 });
    expect(await hotBranches()).toEqual([]);
  });

  it('keeps a hot branch that received a late commit while compacting, and takes it at the next run', async () => {
    world = await storeWorld();
    const records = await workflowJobRecords(2);
    await hotStore().write(records);
    world.clock.advance(DAY_MS);
    const [late] = await workflowJobRecords(1, { firstId: 9_000_000 });
    const latePath = `data/${recordPath(late as MetricRecord)}`;
    let landed = false;
    const first = await compact(hotStore(), {
      before: new Date(world.clock.now()),
      onStep: async (name) => {
        // After the day's Parquet commit, a writer whose commit started before midnight lands on the branch.
        if (name === 'ref' && !landed) {
          landed = true;
          const [pack] = packRecords([late as MetricRecord]);
          await world.git.foreignCommit(world.repo, TODAY, `data/${pack?.path}`, pack?.content);
          await world.git.foreignCommit(world.repo, TODAY, latePath, indexEntryContent(late as MetricRecord));
        }
      },
    });
    expect(first.hot_tiers_retired).toBe(0);
    expect(await hotBranches()).toEqual([TODAY]);
    expect((await readable()).ids).toEqual([...records, late as MetricRecord].map((r) => r.id).sort());

    const second = await compact(hotStore(), { before: new Date(world.clock.now()) });
    expect(second.hot_tiers_retired).toBe(1);
    expect(await readable()).toEqual({
      ids: [...records, late as MetricRecord].map((r) => r.id).sort(),
      copies: 3,
    });
  });

  it('a clone sees compacted days on main, and the hot ones once it fetches the hot branches (docs/DATA.md)', async () => {
    world = await storeWorld();
    const compacted = await workflowJobRecords(3);
    await hotStore().write(compacted);
    world.clock.advance(DAY_MS);
    await compact(hotStore(), { before: new Date(world.clock.now()) });
    const hot = await workflowJobRecords(2, { firstId: 8_000_000 });
    await hotStore().write(hot);
    expect(await hotBranches()).toEqual(['main-hot/2026-11-03']);

    const dir = await tempDir('telemetry-hot-clone-');
    try {
      const origin = join(dir.path, 'origin.git');
      const clone = join(dir.path, 'clone');
      await world.git.exportTo(world.repo, origin);
      const sh = (script: string) => run('sh', ['-c', script], { cwd: clone });
      await run('git', ['clone', '-q', origin, clone]);
      const env = { ...process.env, TELEMETRY_CONFIG: '' };
      const count = async () =>
        // DuckDB's count is a BIGINT: JSON carries it as a string.
        JSON.parse(
          (
            await run(
              process.execPath,
              [
                CLI,
                'query',
                '--data',
                join(clone, 'data'),
                '--format',
                'json',
                'SELECT count(*) AS n FROM workflow_job',
              ],
              { env },
            )
          ).stdout,
        )[0].n as string;
      expect(await count()).toBe('3');
      // The recipe of docs/DATA.md, "Including the hot records in a clone".
      await sh(`echo hot/ >> .git/info/exclude
        git fetch -q --prune origin '+refs/heads/main-hot/*:refs/remotes/origin/main-hot/*'
        rm -rf hot && for ref in $(git for-each-ref --format='%(refname)' refs/remotes/origin/main-hot/); do
          git archive "$ref" | tar -x
        done`);
      expect(await count()).toBe('5');
      expect((await sh('git status --porcelain')).stdout).toBe('');
    } finally {
      await dir.remove();
    }
  }, 60_000);
});
