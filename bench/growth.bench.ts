import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compact } from '../src/data/compact';
import { HOT_ROOT, PARTITION_ROOT, parseDataPath } from '../src/data/layout';
import { packLines } from '../src/data/packs';
import { createStoreClient } from '../src/github/client';
import { silentLogger } from '../src/log/logger';
import type { MetricRecord } from '../src/pipeline/types';
import { GitHubRepoStore } from '../src/store/github-repo-store';
import type { Clock } from '../src/store/write-pacer';
import { gitRoutes } from '../test/fake-github/routes/git';
import { FakeGitHub } from '../test/fake-github/server';
import { generateRecords, MIX } from './report-data';
import { round } from './stats';

/**
 * `npm run bench -- growth`: one simulated day at 10,000 events an hour of the reference mix
 * (bench/report-data.ts) through the real store path: the `GitHubRepoStore` (its defaults: hot records on
 * the day's hot branch `main-hot/<yyyy-mm-dd>`) against the fake GitHub, which keeps real git objects, one
 * batch every ten minutes (about the worker's commit rhythm under load, which batches), then `compact` on the
 * same store a day later: Parquet partitions committed to `main`, the hot branch deleted. The repository is
 * then exported to disk and each branch's history measured by `git repack -adf` + `git count-objects -v`
 * in a single-branch clone:
 *
 * - **analysts' branch** (`main`, what `git clone` of the data repository fetches): what a year costs;
 * - **same branch** (for comparison): the hot branch's history measured before compaction deleted it, plus
 *   the analysts' branch: what one branch holding the hot files and the partitions would keep (deleting
 *   files does not shrink history).
 *
 * Projection: `projected_git_gb_per_year_at_10k_per_hour = history_bytes_per_day × 365 / 1e9` (a day's
 * pack of the analysts' branch; packs of different days share nothing but a few tree objects).
 */
const EVENTS_PER_HOUR = 10_000;
const RECORDS_PER_DAY = EVENTS_PER_HOUR * 24;
const DAY = Date.parse('2026-10-01T00:00:00Z');
const COMMIT_EVERY_MS = 10 * 60_000;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

/** `git count-objects -v` of a single-branch clone of `branch`, after `git repack -adf`: bytes of its history. */
function historyBytes(repo: string, branch: string): number {
  const clone = mkdtempSync(join(tmpdir(), 'telemetry-growth-clone-'));
  try {
    execFileSync('git', ['clone', '-q', '--no-local', '--single-branch', '--branch', branch, repo, clone]);
    git(clone, 'repack', '-adfq');
    const counts = Object.fromEntries(
      git(clone, 'count-objects', '-v')
        .trim()
        .split('\n')
        .map((line) => line.split(': ') as [string, string]),
    );
    return (Number(counts['size-pack']) + Number(counts.size)) * 1024;
  } finally {
    rmSync(clone, { recursive: true, force: true });
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const work = mkdtempSync(join(tmpdir(), 'telemetry-growth-'));
  let now = DAY;
  const clock: Clock = {
    now: () => now,
    sleep: async (ms) => {
      now += Math.max(0, ms);
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
  const fake = new FakeGitHub({ now: clock.now });
  const data = gitRoutes(fake);
  const repo = await data.createRepo('acme', 'telemetry-data');
  await fake.start();
  try {
    const records: MetricRecord<unknown>[] = [];
    generateRecords(RECORDS_PER_DAY, DAY + 86_400_000, 1, (record) => {
      records.push(record);
    });
    records.sort((a, b) => Date.parse(a.occurred_at) - Date.parse(b.occurred_at));
    process.stdout.write(`generated ${records.length} records of one day\n`);

    const github = createStoreClient({ token: 'ghp_growth', baseUrl: fake.baseUrl, logger: silentLogger });
    const store = () =>
      new GitHubRepoStore({
        github,
        owner: 'acme',
        repo: 'telemetry-data',
        branch: 'main',
        logger: silentLogger,
        clock,
      });
    const writer = store();
    await writer.verify();
    const started = Date.now();
    let batches = 0;
    let next = 0;
    // Every generated record is written, those that occur after midnight (a closing event, a late status)
    // too: they go to the next day's hot branch, as the store does in production.
    for (let slot = DAY + COMMIT_EVERY_MS; next < records.length; slot += COMMIT_EVERY_MS) {
      const batch: MetricRecord<unknown>[] = [];
      while (next < records.length && Date.parse((records[next] as MetricRecord).occurred_at) < slot)
        batch.push(records[next++] as MetricRecord<unknown>);
      if (batch.length === 0) continue;
      // The batch is written as its ten minutes end (the day's last slot just before midnight, on that day).
      now = Math.max(now, slot === DAY + 86_400_000 ? slot - 1 : slot);
      await writer.write(batch as MetricRecord[]);
      batches += 1;
      if (batches % 24 === 0) process.stdout.write(`  ${batches} batches written\n`);
    }
    const writeSeconds = (Date.now() - started) / 1000;
    const hotBranches = (await data.branches(repo, 'main-hot/')).sort();
    let hotCommits = 0;
    let hottest = { entries: 0, folder: '' };
    // Hot records are in packs (one per write and hour folder) beside an index entry per record.
    let hotFiles = 0;
    const packedIds = new Set<string>();
    for (const hot of hotBranches) {
      hotCommits += (await data.log(repo, hot)).length;
      const files = await data.files(repo, hot);
      hotFiles += files.size;
      for (const [path, text] of files)
        if (parseDataPath(path)?.kind === 'pack')
          for (const line of packLines(text)) packedIds.add((JSON.parse(line.text) as MetricRecord).id);
      const folder = maxFolderEntries([...files.keys()]);
      if (folder.entries > hottest.entries) hottest = folder;
    }
    process.stdout.write(
      `${batches} batches, ${hotCommits} commits on ${hotBranches.join(', ')} in ${round(writeSeconds, 1)} s; largest folder ${hottest.entries} (${hottest.folder})\n`,
    );
    const before = join(work, 'before');
    await data.exportTo(repo, before);
    const hotBranchBytes = hotBranches.reduce((sum, hot) => sum + historyBytes(before, hot), 0);

    // A day later (past the settle time): compaction by a fresh store, as the scheduled job runs it.
    const lastDay =
      Math.floor(Date.parse((records.at(-1) as MetricRecord).occurred_at) / 86_400_000) * 86_400_000;
    now = lastDay + 2 * 86_400_000;
    const compactStarted = Date.now();
    const result = await compact(store(), { before: new Date(lastDay + 86_400_000 + 3_600_000) });
    const compactSeconds = (Date.now() - compactStarted) / 1000;
    process.stdout.write(
      `compacted ${result.records} records into ${result.files_written} files in ${round(compactSeconds, 1)} s; hot branches deleted: ${result.hot_tiers_retired}\n`,
    );
    const mainFiles = [...(await data.files(repo, 'main')).keys()];
    const compacted = maxFolderEntries(mainFiles);
    const after = join(work, 'after');
    await data.exportTo(repo, after);
    const analysts = historyBytes(after, 'main');
    const remainingHot = await data.branches(repo, 'main-hot/');
    const parquetBytes = git(after, 'ls-tree', '-r', '-l', 'main', '--', PARTITION_ROOT)
      .trim()
      .split('\n')
      .reduce((n, line) => n + (Number(line.split(/\s+/)[3]) || 0), 0);
    const sameBranch = hotBranchBytes + analysts;
    const perYear = (bytes: number) => round((bytes * 365) / 1e9, 3);
    return {
      records_per_day: records.length,
      events_per_hour: EVENTS_PER_HOUR,
      mix: Object.fromEntries(MIX),
      store: 'GitHubRepoStore (defaults) against the fake GitHub (real git objects)',
      batches,
      hot_branches: hotBranches,
      hot_commits: hotCommits,
      hot_files: hotFiles,
      hot_records_in_packs: packedIds.size,
      content_writes: fake.contentWrites.length,
      max_folder_entries: Math.max(hottest.entries, compacted.entries),
      largest_folder: hottest.entries >= compacted.entries ? hottest.folder : compacted.folder,
      parquet_files: result.files_written,
      parquet_bytes_per_day: parquetBytes,
      hot_branches_left_after_compaction: remainingHot.length,
      history_bytes_per_day: analysts,
      bytes_per_record_in_history: round(analysts / records.length, 1),
      projected_git_gb_per_year_at_10k_per_hour: perYear(analysts),
      hot_branch_history_bytes: hotBranchBytes,
      same_branch: {
        history_bytes_per_day: sameBranch,
        bytes_per_record_in_history: round(sameBranch / records.length, 1),
        projected_git_gb_per_year_at_10k_per_hour: perYear(sameBranch),
      },
      formula:
        'projected_git_gb_per_year = history_bytes_per_day × 365 / 1e9 (history of the analysts’ branch after git repack -adf)',
      write_seconds: round(writeSeconds, 1),
      compact_seconds: round(compactSeconds, 1),
      hot_root: HOT_ROOT,
      targets: { max_folder_entries: 3000, projected_git_gb_per_year_at_10k_per_hour: 10 },
    };
  } finally {
    await fake.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** The most entries any folder holds, from a branch's file paths. */
function maxFolderEntries(paths: readonly string[]): { entries: number; folder: string } {
  const children = new Map<string, Set<string>>();
  for (const path of paths) {
    const parts = path.split('/');
    for (let i = 0; i < parts.length; i += 1) {
      const folder = parts.slice(0, i).join('/');
      const set = children.get(folder) ?? new Set<string>();
      set.add(parts[i] as string);
      children.set(folder, set);
    }
  }
  let best = { entries: 0, folder: '' };
  for (const [folder, set] of children) if (set.size > best.entries) best = { entries: set.size, folder };
  return best;
}
