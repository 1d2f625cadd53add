import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { indexEntryContent, packRecords } from '../../src/data/packs';
import { createStoreClient } from '../../src/github/client';
import { silentLogger } from '../../src/log/logger';
import { recordPath, serializeRecord } from '../../src/pipeline/record';
import type { MetricRecord } from '../../src/pipeline/types';
import { GitHubRepoStore } from '../../src/store/github-repo-store';
import { StoreUnavailableError } from '../../src/store/types';
import { FakeGitHub } from '../fake-github/server';
import { tempDir } from '../support/temp';
import {
  indexEntriesIn,
  packsFirstHistory,
  packsIn,
  type StoreWorld,
  storeWorld,
  TOKEN,
  workflowJobRecords,
} from './support';

const run = promisify(execFile);

describe('GitHubRepoStore', () => {
  let world: StoreWorld;
  beforeEach(async () => {
    world = await storeWorld();
  });
  afterEach(async () => {
    await world.close();
  });

  it('writes a batch as one commit of three content-creating requests: packs and index entries', async () => {
    const records = await workflowJobRecords(25, { months: 2 });
    const before = (await world.git.log(world.repo, 'main')).length;
    const filesBefore = await world.git.files(world.repo, 'main');
    const result = await world.store().write(records);
    expect(result.written.sort()).toEqual(records.map((r) => r.id).sort());
    expect(result.unchanged).toEqual([]);
    const log = await world.git.log(world.repo, 'main');
    expect(log.length).toBe(before + 1);
    expect(log[0]?.message).toMatch(/^telemetry: 25 records \(workflow-job 25\)/);
    expect(
      world.fake.contentWrites.map(
        (w) => `${w.method} ${decodeURIComponent(w.path).replace(/.*\/git\//, '')}`,
      ),
    ).toEqual(['POST trees', 'POST commits', 'PATCH refs/heads/main']);
    const stored = await world.records();
    for (const record of records) expect(stored.get(`data/${recordPath(record)}`)).toEqual(record);
    // The commit added one pack per hour folder (the records of two months: two) and one index entry per
    // record, nothing else.
    const files = await world.git.files(world.repo, 'main');
    const added = [...files.keys()].filter((p) => !filesBefore.has(p)).sort();
    const packs = packRecords(records);
    expect(packs).toHaveLength(2);
    expect(added).toEqual(
      [...packs.map((p) => `data/${p.path}`), ...records.map((r) => `data/${recordPath(r)}`)].sort(),
    );
    for (const pack of packs) expect(files.get(`data/${pack.path}`)).toBe(pack.content);
    for (const record of records)
      expect(files.get(`data/${recordPath(record)}`)).toBe(indexEntryContent(record));
    expect(
      [...packsIn(files).values()]
        .flat()
        .map((r) => r.id)
        .sort(),
    ).toEqual(records.map((r) => r.id).sort());
  });

  it('leaves a repository that git itself reads: fsck clean, the records in the tree, the messages in the log', async () => {
    const records = await workflowJobRecords(12, { months: 2 });
    const store = world.store();
    await store.write(records.slice(0, 6));
    world.git.injectRace();
    await store.write(records.slice(6));
    const dir = await tempDir('telemetry-export-');
    try {
      await world.git.exportTo(world.repo, dir.path);
      const git = (...args: string[]) => run('git', [`--git-dir=${dir.path}`, ...args]).then((r) => r.stdout);
      await git('fsck', '--strict', '--no-dangling');
      const files = (await git('ls-tree', '-r', '--name-only', 'refs/heads/main')).trim().split('\n');
      for (const record of records) expect(files).toContain(`data/${recordPath(record)}`);
      const packs = files.filter((f) => f.endsWith('.ndjson'));
      // Two writes over two hours (months): two packs each.
      expect(packs).toHaveLength(4);
      const lines: string[] = [];
      for (const pack of packs) lines.push(...(await git('show', `refs/heads/main:${pack}`)).split('\n'));
      expect(lines.filter((l) => l !== '').sort()).toEqual(
        records.map((r) => serializeRecord(r).trimEnd()).sort(),
      );
      const subjects = (await git('log', '--format=%s', 'refs/heads/main')).trim().split('\n');
      expect(subjects).toEqual([
        'telemetry: 6 records (workflow-job 6)',
        'another writer (1)',
        'telemetry: 6 records (workflow-job 6)',
        'Initial commit',
      ]);
      const path = `data/${recordPath(records[0] as MetricRecord)}`;
      expect(await git('show', `refs/heads/main:${path}`)).toBe(
        indexEntryContent(records[0] as MetricRecord),
      );
    } finally {
      await dir.remove();
    }
  });

  it('makes no commit for a batch whose records are all stored already', async () => {
    const records = await workflowJobRecords(30);
    const store = world.store();
    await store.write(records);
    const commits = (await world.git.log(world.repo, 'main')).length;
    const writes = world.fake.contentWrites.length;
    const again = await store.write(records);
    expect(again.written).toEqual([]);
    expect(again.unchanged.sort()).toEqual(records.map((r) => r.id).sort());
    expect((await world.git.log(world.repo, 'main')).length).toBe(commits);
    expect(world.fake.contentWrites.length).toBe(writes);
    // A fresh store (a new Lambda) finds them by listing the folders (one per level of
    // hot/<metric>/<yyyy>/<mm>/<dd>/<hh>/<mm>/), not by one read per record, nor by reading a pack.
    const reads = world.fake.requests.length;
    const fresh = await world.store().write(records);
    expect(fresh.written).toEqual([]);
    expect(world.fake.requests.length - reads).toBeLessThan(15);
  });

  it('knows what exists without reading trees again after its own commits, and re-reads only what another writer changed', async () => {
    const store = world.store();
    const treeReads = () =>
      world.fake.requests.filter((r) => r.method === 'GET' && r.path.includes('/git/trees/')).length;
    await store.write(await workflowJobRecords(10, { months: 3 }));
    const first = treeReads();
    expect(first).toBeGreaterThan(0);
    // Same folders and new ones: the mirror recomputed the tree ids of its own commit (git hashing).
    await store.write(await workflowJobRecords(10, { months: 4, firstId: 6_000_000 }));
    await store.write(await workflowJobRecords(10, { months: 4, firstId: 7_000_000 }));
    expect(treeReads()).toBe(first);
    // A cursor written by another process moves the head: only the root and data/ are read again.
    await world.git.foreignCommit(world.repo, 'main', 'data/_state/cursor.json', '{}\n');
    await store.write(await workflowJobRecords(10, { months: 4, firstId: 8_000_000 }));
    expect(treeReads() - first).toBe(2);
    expect((await world.records()).size).toBe(40);
  });

  it('reads and writes plain files for job cursors', async () => {
    const store = world.store();
    expect(await store.readFile('_state/backfill.json')).toBeUndefined();
    await store.writeFile('_state/backfill.json', '{"cursor":1}\n');
    expect(await store.readFile('_state/backfill.json')).toBe('{"cursor":1}\n');
    expect((await world.git.files(world.repo, 'main')).get('data/_state/backfill.json')).toBe(
      '{"cursor":1}\n',
    );
    const commits = (await world.git.log(world.repo, 'main')).length;
    await store.writeFile('_state/backfill.json', '{"cursor":1}\n');
    expect((await world.git.log(world.repo, 'main')).length).toBe(commits);
    expect((await world.git.log(world.repo, 'main'))[0]?.message).toMatch(
      /^telemetry: update data\/_state\/backfill.json/,
    );
  });
});

describe('GitHubRepoStore: better record wins', () => {
  let world: StoreWorld;
  beforeEach(async () => {
    world = await storeWorld();
  });
  afterEach(async () => {
    await world.close();
  });

  const partialOf = (record: MetricRecord): MetricRecord => ({
    ...record,
    status: 'partial',
    errors: [
      { call: 'GET /repos/{owner}/{repo}/actions/runs/{run_id}', status: 502, message: 'Server Error' },
    ],
  });

  it('replaces a partial record by a complete one, never the other way round', async () => {
    const [complete] = await workflowJobRecords(1);
    const partial = partialOf(complete as MetricRecord);
    const path = `data/${recordPath(partial)}`;
    await world.store().write([partial]);
    expect((await world.records()).get(path)?.status).toBe('partial');

    // A fresh store has never seen the blob: it reads it once to learn its status.
    const store = world.store();
    expect((await store.write([complete as MetricRecord])).written).toEqual([partial.id]);
    expect((await world.records()).get(path)?.status).toBe('complete');

    // The complete record is in a new pack; the old pack keeps the partial one; the index entry says complete.
    const files = await world.git.files(world.repo, 'main');
    expect(
      [...packsIn(files).values()].map((records) => records.map((r) => `${r.id} ${r.status}`)).sort(),
    ).toEqual([[`${partial.id} complete`], [`${partial.id} partial`]]);
    expect(files.get(path)).toBe(indexEntryContent(complete as MetricRecord));

    const commits = (await world.git.log(world.repo, 'main')).length;
    expect((await store.write([partial])).unchanged).toEqual([partial.id]);
    expect((await world.store().write([partial, complete as MetricRecord])).written).toEqual([]);
    expect((await world.git.log(world.repo, 'main')).length).toBe(commits);
    expect((await world.records()).get(path)?.status).toBe('complete');
  });

  it('replaces a partial record by a partial one of a higher revision (a pipeline run still failing to enrich)', async () => {
    const [complete] = await workflowJobRecords(1);
    const first = { ...partialOf(complete as MetricRecord), revision: 'a' };
    const later = { ...first, revision: 'b' };
    const path = `data/${recordPath(first)}`;
    await world.store().write([first]);
    // A fresh store reads the stored index entry (it has never seen it) before deciding.
    expect((await world.store().write([later])).written).toEqual([later.id]);
    expect((await world.records()).get(path)?.revision).toBe('b');
    expect((await world.store().write([first])).unchanged).toEqual([first.id]);
    expect((await world.records()).get(path)?.revision).toBe('b');
  });

  it('keeps the better of two records for the same path within one batch', async () => {
    const [complete] = await workflowJobRecords(1);
    const result = await world.store().write([complete as MetricRecord, partialOf(complete as MetricRecord)]);
    expect(result.written).toEqual([complete?.id]);
    expect(result.unchanged).toEqual([complete?.id]);
    expect([...(await world.records()).values()].map((r) => r.status)).toEqual(['complete']);
  });

  it('finds records another writer committed since its last look', async () => {
    const records = await workflowJobRecords(6);
    const store = world.store();
    await store.write(records.slice(0, 2));
    // Another worker (a second Lambda) stores records 2 and 3 behind this store's back: their pack, then
    // their index entries.
    const [theirs] = packRecords(records.slice(2, 4));
    await world.git.foreignCommit(world.repo, 'main', `data/${theirs?.path}`, theirs?.content);
    for (const record of records.slice(2, 4))
      await world.git.foreignCommit(
        world.repo,
        'main',
        `data/${recordPath(record)}`,
        indexEntryContent(record),
      );
    const writes = world.fake.contentWrites.length;
    const result = await store.write(records);
    expect(result.written.sort()).toEqual([records[4]?.id, records[5]?.id].sort());
    expect(result.unchanged.sort()).toEqual(
      records
        .slice(0, 4)
        .map((r) => r.id)
        .sort(),
    );
    expect(world.fake.contentWrites.length - writes).toBe(3);
    expect((await world.records()).size).toBe(6);
    // Three packs: the first write's, the other writer's, and the last write's of records 4 and 5 alone.
    const packs = packsIn(await world.git.files(world.repo, 'main'));
    expect([...packs.values()].map((p) => p.map((r) => r.id)).sort()).toEqual(
      [records.slice(0, 2), records.slice(2, 4), records.slice(4)].map((p) => p.map((r) => r.id)).sort(),
    );
  });
});

describe('GitHubRepoStore: splitting, conflicts, rate limits and faults', () => {
  let world: StoreWorld;
  afterEach(async () => {
    await world.close();
  });

  it('chains tree requests of at most maxTreeBytes into one commit, and puts the rest of a batch beyond maxTreesPerCommit in the next', async () => {
    world = await storeWorld();
    const records = await workflowJobRecords(60, { months: 3 });
    const maxTreeBytes = 30_000;
    const result = await world.store({ maxTreeBytes, maxTreesPerCommit: 4 }).write(records);
    expect(result.written).toHaveLength(60);
    const trees = world.fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/git/trees'));
    const total = records.reduce((n, r) => n + serializeRecord(r).length, 0);
    expect(trees.length).toBeGreaterThanOrEqual(Math.ceil(total / maxTreeBytes));
    expect(trees.length).toBeGreaterThan(4);
    for (const tree of trees) expect(tree.bytes).toBeLessThanOrEqual(maxTreeBytes);
    const commits = Math.ceil(trees.length / 4);
    const log = (await world.git.log(world.repo, 'main')).slice(0, commits).reverse();
    expect(log.every((c) => /^telemetry: (packs of )?\d+ records \(workflow-job \d+\)/.test(c.message))).toBe(
      true,
    );
    expect(log[0]?.message).toMatch(/more files follow/);
    expect(log[0]?.message).toMatch(/^Telemetry-Writes: 6$/m);
    expect(log[commits - 1]?.message).toMatch(
      new RegExp(`^Telemetry-Writes: ${trees.length - 4 * (commits - 1) + 2}$`, 'm'),
    );
    const writes = world.fake.requests.filter((r) => r.method !== 'GET').length;
    expect(writes).toBe(trees.length + 2 * commits);
    // Every chunk is in the branch: each tree request of a commit built on the tree the one before built.
    expect((await world.records()).size).toBe(60);
    // Packs first: every commit's tree holds the record of each of its index entries in a pack, and every
    // pack was committed no later than its records' index entries.
    const history = await packsFirstHistory(world.git, world.repo, 'main');
    expect(history.violations).toEqual([]);
    const mine = history.commits.slice(-commits);
    expect(mine.length).toBeGreaterThan(1);
    const packedIn = new Map<string, number>();
    const files = await world.git.files(world.repo, 'main');
    const packs = packsIn(files);
    mine.forEach((c, i) => {
      for (const pack of c.packs)
        for (const record of packs.get(pack) ?? []) packedIn.set(`data/${recordPath(record)}`, i);
    });
    const order: string[] = [];
    mine.forEach((c, i) => {
      for (const path of c.index) if ((packedIn.get(path) ?? Infinity) > i) order.push(path);
    });
    expect(order).toEqual([]);
    // Each pack travels right before its index entries: every commit settles records, not only packs.
    expect(mine.every((c) => c.index.length > 0)).toBe(true);
    expect(packedIn.size).toBe(60);
    expect(mine.flatMap((c) => c.index)).toHaveLength(60);
    // Each record in exactly one pack: a split batch does not pack its records again.
    expect([...packs.values()].flat()).toHaveLength(60);
    expect(indexEntriesIn(files).size).toBe(60);
  });

  it('never leaves an index entry whose record is in no pack, whichever request of a split batch fails; the retry completes it', async () => {
    const records = await workflowJobRecords(60, { months: 3 });
    const options = { maxTreeBytes: 30_000, maxTreesPerCommit: 4, maxAttempts: 1 };
    world = await storeWorld();
    await world.store(options).write(records);
    const writes = world.fake.contentWrites.length;
    expect(writes).toBeGreaterThan(6);
    await world.close();
    for (let fail = 1; fail <= writes; fail += 1) {
      world = await storeWorld();
      let seen = 0;
      world.fake.injectFault({
        kind: '500',
        times: 1,
        match: (r) => {
          if (r.method === 'GET') return false;
          seen += 1;
          return seen === fail;
        },
      });
      const store = world.store(options);
      const error = await store.write(records).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      const settled = (error as StoreUnavailableError).settled ?? [];
      const first = await packsFirstHistory(world.git, world.repo, 'main');
      expect(first.violations).toEqual([]);
      // What the failed write reports as stored is stored (indexed, and packed).
      const indexed = indexEntriesIn(await world.git.files(world.repo, 'main'));
      for (const id of settled)
        expect(indexed.has(`data/${recordPath(records.find((r) => r.id === id) as MetricRecord)}`)).toBe(
          true,
        );
      world.fake.clearFaults();
      const retry = await world.store(options).write(records);
      expect([...retry.written, ...retry.unchanged].sort()).toEqual(records.map((r) => r.id).sort());
      const after = await packsFirstHistory(world.git, world.repo, 'main');
      expect(after.violations).toEqual([]);
      expect([...(await world.records()).keys()].sort()).toEqual(
        records.map((r) => `data/${recordPath(r)}`).sort(),
      );
      await world.close();
    }
    world = await storeWorld();
  }, 60_000);

  it('splits smaller when GitHub answers that a tree request is too large, and keeps the size for the next batch', async () => {
    world = await storeWorld({ maxTreeRequestBytes: 40_000 });
    const store = world.store();
    const records = await workflowJobRecords(60, { months: 2 });
    expect((await store.write(records)).written).toHaveLength(60);
    const trees = world.fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/git/trees'));
    expect(trees.filter((t) => t.status === 422).length).toBeGreaterThan(0);
    for (const tree of trees.filter((t) => t.status === 201)) expect(tree.bytes).toBeLessThanOrEqual(40_000);
    expect((await world.records()).size).toBe(60);
    // The next batch starts at the smaller size: no refused request this time.
    const refused = trees.filter((t) => t.status === 422).length;
    await store.write(await workflowJobRecords(30, { firstId: 9_000_000 }));
    const after = world.fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/git/trees'));
    expect(after.filter((t) => t.status === 422)).toHaveLength(refused);
  });

  it('rebuilds on the new head after losing ref races (422) and loses nothing', async () => {
    world = await storeWorld();
    const records = await workflowJobRecords(20, { months: 2 });
    world.git.injectRace({ times: 3 });
    const result = await world.store().write(records);
    expect(result.written).toHaveLength(20);
    const patches = world.fake.requests.filter((r) => r.method === 'PATCH');
    expect(patches.map((r) => r.status)).toEqual([422, 422, 422, 200]);
    expect((await world.records()).size).toBe(20);
    // The other writer's commits are kept: every update was a fast-forward.
    const files = await world.git.files(world.repo, 'main');
    expect([...files.keys()].filter((p) => p.startsWith('_other-writer/'))).toHaveLength(3);
    expect(world.clock.now()).toBeGreaterThan(Date.parse('2026-11-02T09:00:00Z'));
    // The rebuilds name the blobs GitHub already holds instead of sending their content again.
    const trees = world.fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/git/trees'));
    expect(trees).toHaveLength(4);
    for (const rebuild of trees.slice(1)) expect(rebuild.bytes).toBeLessThan((trees[0]?.bytes as number) / 4);
    // What git holds is the records as the first request sent them, each in one pack.
    const stored = await world.records();
    for (const record of records) {
      expect(files.get(`data/${recordPath(record)}`)).toBe(indexEntryContent(record));
      expect(stored.get(`data/${recordPath(record)}`)).toEqual(record);
    }
    expect([...packsIn(files).keys()].sort()).toEqual(
      packRecords(records)
        .map((p) => `data/${p.path}`)
        .sort(),
    );
    expect(stored.size).toBe(20);
  });

  it('fails the write (for the queue to retry) when the branch keeps moving, then succeeds on retry', async () => {
    world = await storeWorld();
    const records = await workflowJobRecords(5);
    world.git.injectRace({ times: 1000 });
    const store = world.store({ maxConflictRetries: 3 });
    await expect(store.write(records)).rejects.toThrow(/kept moving under the write \(4 lost ref races\)/);
    expect((await world.records()).size).toBe(0);
    world.git.clearRaces();
    expect((await store.write(records)).written).toHaveLength(5);
  });

  it('waits for retry-after when GitHub answers with its secondary rate limit', async () => {
    world = await storeWorld({ fake: { contentLimits: { perMinute: 6, perHour: 500 } } });
    const records = await workflowJobRecords(4);
    // A pacer configured above what GitHub grants: GitHub's 403 must hold it back.
    const store = world.store({ writesPerMinute: 80, writesPerHour: 500 });
    const start = world.clock.now();
    for (const record of records) await store.write([record]);
    expect(world.fake.secondaryLimited).toBeGreaterThan(0);
    const limited = world.fake.requests.find((r) => r.status === 403);
    expect(limited).toBeDefined();
    expect(world.clock.now() - start).toBeGreaterThanOrEqual(60_000);
    expect((await world.records()).size).toBe(4);
  });

  it('waits for x-ratelimit-reset when the primary limit is spent', async () => {
    world = await storeWorld({ fake: { primaryLimit: 8 } });
    const records = await workflowJobRecords(3);
    const store = world.store();
    for (const record of records) await store.write([record]);
    expect(world.fake.requests.some((r) => r.status === 403)).toBe(true);
    expect(world.clock.now() - Date.parse('2026-11-02T09:00:00Z')).toBeGreaterThanOrEqual(3_600_000);
    expect((await world.records()).size).toBe(3);
  });

  it('retries 5xx answers and timeouts with backoff', async () => {
    world = await storeWorld();
    const records = await workflowJobRecords(10);
    world.fake.injectFault({ kind: '502', times: 2, match: (r) => r.path.endsWith('/git/trees') });
    world.fake.injectFault({ kind: '500', match: (r) => r.path.includes('/git/commits') });
    world.fake.injectFault({ kind: 'timeout', match: (r) => r.method === 'PATCH' });
    const result = await world.store({ requestTimeoutMs: 200 }).write(records);
    expect(result.written).toHaveLength(10);
    expect(world.fake.requests.filter((r) => r.status >= 500)).toHaveLength(3);
    expect((await world.records()).size).toBe(10);
  });

  it('recognises its own ref update when the answer was lost', async () => {
    world = await storeWorld();
    const records = await workflowJobRecords(3);
    world.fake.injectFault({ kind: 'lost-response', match: (r) => r.method === 'PATCH' });
    const store = world.store({ requestTimeoutMs: 200 });
    const before = (await world.git.log(world.repo, 'main')).length;
    expect((await store.write(records)).written).toHaveLength(3);
    expect((await world.git.log(world.repo, 'main')).length).toBe(before + 1);
  });

  it('fails with an error after the attempts are spent, and stores everything on the retry', async () => {
    world = await storeWorld();
    const records = await workflowJobRecords(4);
    world.fake.injectFault({ kind: '500', times: 100, match: (r) => r.method === 'POST' });
    const store = world.store({ maxAttempts: 3 });
    await expect(store.write(records)).rejects.toThrow(StoreUnavailableError);
    await expect(store.write(records)).rejects.toThrow(/after 3 attempts/);
    world.fake.clearFaults();
    expect((await store.write(records)).written).toHaveLength(4);
  });
});

describe('GitHubRepoStore: start-up checks', () => {
  let world: StoreWorld;
  afterEach(async () => {
    await world.close();
  });

  it('resumes the write budget from the commits its committer made in the last hour', async () => {
    world = await storeWorld();
    const first = world.store();
    for (let i = 0; i < 4; i += 1) await first.write(await workflowJobRecords(2, { firstId: 1_000 * i }));
    await world.git.foreignCommit(world.repo, 'main');
    world.clock.advance(10 * 60_000);
    const restarted = world.store();
    await restarted.verify();
    expect(restarted.pacer.usedLastHour).toBe(12);
    world.clock.advance(60 * 60_000);
    const later = world.store();
    await later.verify();
    expect(later.pacer.usedLastHour).toBe(0);
  });

  it('counts the writes of a concurrent writer with the same committer, keeping both under the limit of the hour', async () => {
    // GitHub allows this token 100 writes an hour; each store alone would spend 75.
    world = await storeWorld({ fake: { contentLimits: { perMinute: 80, perHour: 100 } } });
    const budget = { writesPerMinute: 20, writesPerHour: 75 };
    const a = world.store(budget);
    const b = world.store(budget);
    await a.verify();
    await b.verify();
    // Two workers, one token: small batches alternately, over simulated hours.
    for (let i = 0; i < 40; i += 1) {
      await a.write(await workflowJobRecords(1, { firstId: 2 * i }));
      await b.write(await workflowJobRecords(1, { firstId: 2 * i + 1 }));
    }
    expect(world.fake.secondaryLimited).toBe(0);
    expect(world.fake.peakContentWrites()).toBeLessThanOrEqual(90);
    expect((await world.records()).size).toBe(80);
  });

  it('passes for a writable repository with the branch', async () => {
    world = await storeWorld();
    await expect(world.store().verify()).resolves.toBeUndefined();
  });

  it('names a repository that does not exist', async () => {
    world = await storeWorld();
    await expect(world.store({ repo: 'nope' }).verify()).rejects.toThrow(
      /data repository acme\/nope does not exist or the token cannot see it/,
    );
  });

  it('refuses a token that cannot push', async () => {
    world = await storeWorld({ repo: { push: false } });
    await expect(world.store().verify()).rejects.toThrow(
      /can read acme\/telemetry-data but cannot write to it/,
    );
  });

  it('explains how to create a missing branch, or creates it when allowed', async () => {
    world = await storeWorld();
    await expect(world.store({ branch: 'telemetry' }).verify()).rejects.toThrow(
      /branch telemetry does not exist in acme\/telemetry-data \(default branch: main\).*store.createBranch/,
    );
    const store = world.store({ branch: 'telemetry' });
    await store.verify({ createBranch: true });
    expect(await world.git.resolve(world.repo, 'telemetry')).toBe(
      await world.git.resolve(world.repo, 'main'),
    );
    const [record] = await workflowJobRecords(1);
    await store.write([record as MetricRecord]);
    expect(await world.git.resolve(world.repo, 'telemetry')).not.toBe(
      await world.git.resolve(world.repo, 'main'),
    );
  });

  it('explains how to give an empty repository its first commit, or makes it when allowed', async () => {
    world = await storeWorld({ repo: { empty: true } });
    await expect(world.store().verify()).rejects.toThrow(
      /acme\/telemetry-data is empty: create its first commit/,
    );
    const store = world.store();
    await store.verify({ createBranch: true });
    expect([...(await world.git.files(world.repo, 'main')).keys()]).toEqual(['data/README.md']);
    const records = await workflowJobRecords(2);
    expect((await store.write(records)).written).toHaveLength(2);
  });
});

describe('GitHubRepoStore: folders GitHub cannot list', () => {
  it('refuses to guess what exists in a folder whose listing GitHub truncates', async () => {
    const world = await storeWorld({ treeEntryLimit: 5 });
    try {
      await world.store().write(await workflowJobRecords(6));
      await expect(world.store().write(await workflowJobRecords(1, { firstId: 9 }))).rejects.toThrow(
        /holds more entries than GitHub lists \(100,000\): the store cannot tell which records exist there/,
      );
    } finally {
      await world.close();
    }
  });
});

describe('GitHubRepoStore: malformed answers', () => {
  it('fails the write with a message naming the call and the bad field', async () => {
    const fake = new FakeGitHub();
    fake.route('GET', '/repos/{owner}/{repo}/git/ref/{ref}', () => ({
      status: 200,
      body: { object: { sha: 'nope' } },
    }));
    await fake.start();
    try {
      const github = createStoreClient({ token: TOKEN, baseUrl: fake.baseUrl, logger: silentLogger });
      const store = new GitHubRepoStore({
        github,
        owner: 'acme',
        repo: 'data',
        branch: 'main',
        logger: silentLogger,
      });
      await expect(store.write(await workflowJobRecords(1))).rejects.toThrow(
        // Records go to the day's hot branch.
        /unexpected answer to GET ref heads\/main-hot\/\d{4}-\d{2}-\d{2}: object\.sha: a 40-hex git object id/,
      );
    } finally {
      await fake.stop();
    }
  });
});
