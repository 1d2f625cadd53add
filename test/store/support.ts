import { parseDataPath } from '../../src/data/layout';
import { indexEntryContent, packLines } from '../../src/data/packs';
import { createStoreClient } from '../../src/github/client';
import { silentLogger } from '../../src/log/logger';
import { metrics } from '../../src/metrics/registry';
import { defaultMetricSettings } from '../../src/metrics/settings';
import { collectMetrics } from '../../src/pipeline/collect-metrics';
import { isBetter, recordPath } from '../../src/pipeline/record';
import type { MetricRecord } from '../../src/pipeline/types';
import { GitHubRepoStore, type GitHubRepoStoreOptions } from '../../src/store/github-repo-store';
import type { Clock } from '../../src/store/write-pacer';
import { type FakeDataRepo, type FakeGitData, gitRoutes } from '../fake-github/routes/git';
import { FakeGitHub, type FakeGitHubOptions } from '../fake-github/server';
import { examplesOf, signedEventFrom } from '../support/webhooks';

/** A clock that only moves when someone sleeps: an hour of pacing runs in milliseconds. */
export function virtualClock(
  start = Date.parse('2026-11-02T09:00:00Z'),
): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += Math.max(0, ms);
      await new Promise((resolve) => setImmediate(resolve));
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

export interface StoreWorld {
  fake: FakeGitHub;
  git: FakeGitData;
  repo: FakeDataRepo;
  clock: ReturnType<typeof virtualClock>;
  store(options?: Partial<GitHubRepoStoreOptions>): GitHubRepoStore;
  /**
   * The records on the data branch as a reader sees them (`recordsIn`), keyed by the path the store checks
   * for each (`data/` + `recordPath`: the index entry of a hot record, a tombstone).
   */
  records(): Promise<Map<string, MetricRecord>>;
  close(): Promise<void>;
}

export const TOKEN = 'ghp_store-test-token';

/** A fake GitHub with one data repository `acme/telemetry-data` on a virtual clock. */
export async function storeWorld(
  options: {
    fake?: FakeGitHubOptions;
    repo?: Parameters<FakeGitData['createRepo']>[2];
    /** Random source of the fake's faults and races (seed it for repeatable tests). */
    random?: () => number;
    treeEntryLimit?: number;
    maxTreeRequestBytes?: number;
  } = {},
): Promise<StoreWorld> {
  const clock = virtualClock();
  const fake = new FakeGitHub({
    now: clock.now,
    ...(options.random ? { random: options.random } : {}),
    ...options.fake,
  });
  const git = gitRoutes(fake, {
    ...(options.random ? { random: options.random } : {}),
    ...(options.treeEntryLimit ? { treeEntryLimit: options.treeEntryLimit } : {}),
    ...(options.maxTreeRequestBytes ? { maxTreeRequestBytes: options.maxTreeRequestBytes } : {}),
  });
  const repo = await git.createRepo('acme', 'telemetry-data', options.repo);
  await fake.start();
  const github = createStoreClient({ token: TOKEN, baseUrl: fake.baseUrl, logger: silentLogger });
  return {
    fake,
    git,
    repo,
    clock,
    store: (overrides = {}) =>
      new GitHubRepoStore({
        github,
        owner: 'acme',
        repo: 'telemetry-data',
        branch: 'main',
        path: 'data',
        logger: silentLogger,
        clock,
        requestTimeoutMs: 2000,
        // The commit algorithm is the same on any branch: its tests read the data branch. Hot branches (the
        // production default) have their own tests: test/store/hot-branches.test.ts.
        hotBranches: false,
        ...overrides,
      }),
    records: async () => recordsIn(await git.files(repo, 'main')),
    close: async () => {
      await fake.stop();
    },
  };
}

/**
 * The records a branch's files (path → content) under the data root `root` (`data`; '' for the repository's
 * root) hold for the store: each hot index entry's record, read from the packs (the best record whose
 * standing is the entry's), plus tombstones and whole hot files of the first layout; keyed by `<root>/` +
 * `recordPath(record)`. A record packed but not indexed (a write that stopped between commits) is not
 * counted: the store has not settled it. An index entry whose record is in no pack throws: that is the
 * one state the packs-first rule forbids.
 */
export function recordsIn(files: ReadonlyMap<string, string>, root = 'data'): Map<string, MetricRecord> {
  const prefix = root === '' ? '' : `${root}/`;
  const packed = new Map<string, MetricRecord[]>();
  const out = new Map<string, MetricRecord>();
  const keep = (key: string, record: MetricRecord) => {
    const seen = out.get(key);
    if (!seen || isBetter(record, seen)) out.set(key, record);
  };
  for (const [path, text] of files) {
    if (!path.startsWith(prefix)) continue;
    const inRoot = path.slice(prefix.length);
    const kind = parseDataPath(inRoot)?.kind;
    if (kind === 'pack')
      for (const line of packLines(text)) {
        const record = JSON.parse(line.text) as MetricRecord;
        const key = `${prefix}${recordPath(record)}`;
        packed.set(key, [...(packed.get(key) ?? []), record]);
      }
    else if (kind === 'hot' || (inRoot.startsWith('tombstones/') && inRoot.endsWith('.json'))) {
      const record = JSON.parse(text) as MetricRecord;
      keep(`${prefix}${recordPath(record)}`, record);
    }
  }
  for (const [path, text] of files) {
    if (!path.startsWith(prefix) || parseDataPath(path.slice(prefix.length))?.kind !== 'index') continue;
    const records = (packed.get(path) ?? []).filter((r) => indexEntryContent(r) === text);
    if (records.length === 0)
      throw new Error(`index entry ${path} (${text.trim()}): its record is in no pack`);
    for (const record of records) keep(path, record);
  }
  return out;
}

const hotKind = (path: string) =>
  path.startsWith('data/') ? parseDataPath(path.slice('data/'.length))?.kind : undefined;

/** The hot packs of a branch's files: path → the records in it, in line order. */
export function packsIn(files: ReadonlyMap<string, string>): Map<string, MetricRecord[]> {
  const out = new Map<string, MetricRecord[]>();
  for (const [path, text] of files)
    if (hotKind(path) === 'pack')
      out.set(
        path,
        packLines(text).map((l) => JSON.parse(l.text) as MetricRecord),
      );
  return out;
}

/** The hot index entries of a branch's files: path → content. */
export function indexEntriesIn(files: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [path, text] of files) if (hotKind(path) === 'index') out.set(path, text);
  return out;
}

/** One commit of a branch's history, oldest first, with the hot files it added or changed. */
export interface HotCommit {
  oid: string;
  message: string;
  packs: string[];
  index: string[];
}

/**
 * Reads every commit of `branch` (first parent, oldest first) from the fake's git objects and checks the
 * packs-first rule in each: every index entry of its tree names a record that a pack of the same tree holds
 * with exactly that standing. Returns the violations (`<commit message>: <index path>`) and the commits with
 * the packs and index entries each added or changed.
 */
export async function packsFirstHistory(
  git: FakeGitData,
  repo: FakeDataRepo,
  branch: string,
): Promise<{ violations: string[]; commits: HotCommit[] }> {
  const violations: string[] = [];
  const commits: HotCommit[] = [];
  let before = new Map<string, string>();
  for (const commit of (await git.log(repo, branch)).reverse()) {
    const files = await git.filesAt(repo, commit.oid);
    const standings = new Map<string, Set<string>>();
    for (const records of packsIn(files).values())
      for (const record of records) {
        const path = `data/${recordPath(record)}`;
        const set = standings.get(path) ?? new Set<string>();
        set.add(indexEntryContent(record));
        standings.set(path, set);
      }
    for (const [path, content] of indexEntriesIn(files))
      if (!standings.get(path)?.has(content)) violations.push(`${commit.message.split('\n')[0]}: ${path}`);
    const changed = [...files].filter(([path, text]) => before.get(path) !== text).map(([path]) => path);
    commits.push({
      oid: commit.oid,
      message: commit.message,
      packs: changed.filter((p) => hotKind(p) === 'pack').sort(),
      index: changed.filter((p) => hotKind(p) === 'index').sort(),
    });
    before = files;
  }
  return { violations, commits };
}

/**
 * `count` distinct workflow-job records made by the real metric from real payloads (the example's job id
 * is varied so each is a distinct job), spread over `months` months.
 */
export async function workflowJobRecords(
  count: number,
  options: { months?: number; firstId?: number } = {},
): Promise<MetricRecord[]> {
  // biome-ignore lint/suspicious/noExplicitAny: a REST payload edited field by field
  const base = examplesOf('workflow_job', 'completed')[0] as Record<string, any>;
  const out: MetricRecord[] = [];
  for (let i = 0; i < count; i += 1) {
    const payload = structuredClone(base);
    payload.workflow_job.id = (options.firstId ?? 5_000_000) + i;
    const month = (i % (options.months ?? 1)) + 1;
    const started = `2026-${String(month).padStart(2, '0')}-10T10:00:00Z`;
    payload.workflow_job.started_at = started;
    payload.workflow_job.created_at = started;
    payload.workflow_job.completed_at = `2026-${String(month).padStart(2, '0')}-10T10:05:00Z`;
    const event = signedEventFrom('workflow_job', payload, { deliveryId: `delivery-${i}` });
    const result = await collectMetrics(event, metrics, {
      settings: defaultMetricSettings,
      now: () => new Date('2026-11-02T09:00:00Z'),
    });
    if (result.failures.length > 0) throw new Error(result.failures[0]?.message);
    out.push(...result.records);
  }
  if (out.length !== count) throw new Error(`expected ${count} workflow-job records, got ${out.length}`);
  return out;
}

/** mulberry32: a small seedable random source. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * `acme/telemetry-data` holds exactly one record, a complete workflow job, as `telemetry serve --store github`
 * commits one delivery: its pack in its hour folder, its index entry (its standing) in its minute folder, in
 * one commit on the day's hot branch.
 */
export async function expectOneWorkflowJobStored(git: FakeGitData): Promise<void> {
  const repo = git.repo('acme', 'telemetry-data') as FakeDataRepo;
  const dataFiles = await git.dataFiles(repo);
  expect([...dataFiles.keys()]).toHaveLength(3);
  expect([...dataFiles.keys()]).toEqual(
    expect.arrayContaining([
      'README.md',
      expect.stringMatching(/^data\/hot\/workflow-job\/2021\/08\/\d{2}\/\d{2}\/[0-9a-f]{16}\.ndjson$/),
      expect.stringMatching(
        /^data\/hot\/workflow-job\/2021\/08\/\d{2}\/\d{2}\/\d{2}\/workflow-job-[0-9a-f]{24}\.idx$/,
      ),
    ]),
  );
  const stored = [...recordsIn(dataFiles).values()];
  expect(stored.map((r) => [r.metric, r.status])).toEqual([['workflow-job', 'complete']]);
  expect(dataFiles.get(`data/${recordPath(stored[0] as MetricRecord)}`)).toBe(
    indexEntryContent(stored[0] as MetricRecord),
  );
  const [hot] = await git.branches(repo, 'main-hot/');
  expect((await git.log(repo, hot as string))[0]?.message).toMatch(/^telemetry: 1 record \(workflow-job 1\)/);
}
