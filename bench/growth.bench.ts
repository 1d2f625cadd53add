import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compact } from '../src/data/compact';
import { HOT_ROOT, PARTITION_ROOT } from '../src/data/layout';
import type { MetricRecord } from '../src/pipeline/types';
import { FileStore } from '../src/store/file-store';
import { generateRecords, MIX } from './report-data';
import { round } from './stats';

/**
 * `npm run bench -- growth`: one simulated day at 10,000 events an hour of the reference mix
 * (bench/report-data.ts) through the real layout (FileStore) and compaction, committed to a real local git
 * repository, then `git repack -adf` and `git count-objects -v` on what each design keeps in history:
 *
 * - **hot branch** (the design, docs/ARCHITECTURE.md "Data at scale"): hot record files are committed on a
 *   per-day branch, one commit per ten minutes (about the store's commit rhythm under load, which batches);
 *   compaction commits only the day's Parquet files to the branch analysts clone, and the day's hot branch
 *   is deleted, so its blobs leave the repository;
 * - **same branch** (for comparison): the hot files are committed on the analysts' branch and compaction
 *   deletes them there: deleting does not shrink history.
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

/** The most entries any folder below `root` holds (git's folder `.git` excluded). */
function maxFolderEntries(root: string): { entries: number; folder: string } {
  let best = { entries: 0, folder: '' };
  const walk = (dir: string) => {
    const entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.name !== '.git');
    if (entries.length > best.entries) best = { entries: entries.length, folder: dir.slice(root.length + 1) };
    for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name));
  };
  walk(root);
  return best;
}

export async function run(): Promise<Record<string, unknown>> {
  const work = mkdtempSync(join(tmpdir(), 'telemetry-growth-'));
  const repo = join(work, 'data');
  try {
    const records: MetricRecord<unknown>[] = [];
    generateRecords(RECORDS_PER_DAY, DAY + 86_400_000, 1, (record) => {
      records.push(record);
    });
    records.sort((a, b) => Date.parse(a.occurred_at) - Date.parse(b.occurred_at));
    process.stdout.write(`generated ${records.length} records of one day\n`);

    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    git(repo, 'config', 'user.email', 'bench@example.invalid');
    git(repo, 'config', 'user.name', 'bench');
    git(repo, 'commit', '-q', '--allow-empty', '-m', 'start');
    git(repo, 'checkout', '-q', '-b', 'hot-2026-10-01');

    const store = new FileStore(repo);
    const started = Date.now();
    let commits = 0;
    let next = 0;
    for (let slot = DAY + COMMIT_EVERY_MS; slot <= DAY + 86_400_000; slot += COMMIT_EVERY_MS) {
      const batch: MetricRecord<unknown>[] = [];
      while (next < records.length && Date.parse((records[next] as MetricRecord).occurred_at) < slot)
        batch.push(records[next++] as MetricRecord<unknown>);
      if (batch.length === 0) continue;
      await store.write(batch as MetricRecord[]);
      git(repo, 'add', '-A');
      git(repo, 'commit', '-q', '-m', `telemetry: ${batch.length} records`);
      commits += 1;
    }
    const writeSeconds = (Date.now() - started) / 1000;
    const hottest = maxFolderEntries(repo);
    process.stdout.write(
      `${commits} hot commits in ${round(writeSeconds, 1)} s; largest folder ${hottest.entries} (${hottest.folder})\n`,
    );

    const compactStarted = Date.now();
    const result = await compact(store, { before: new Date(DAY + 2 * 86_400_000) });
    const compactSeconds = (Date.now() - compactStarted) / 1000;
    process.stdout.write(
      `compacted ${result.records} records into ${result.files_written} files in ${round(compactSeconds, 1)} s\n`,
    );

    // Same branch: the compaction commit lands on the branch that also holds the hot commits.
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'telemetry: compact 2026-10-01');
    const sameBranch = historyBytes(repo, 'hot-2026-10-01');

    // Hot branch: the analysts' branch gets only the Parquet files; the day's hot branch is deleted.
    const parquet = join(work, 'parquet');
    cpSync(join(repo, PARTITION_ROOT), parquet, { recursive: true });
    git(repo, 'checkout', '-q', 'main');
    cpSync(parquet, join(repo, PARTITION_ROOT), { recursive: true });
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'telemetry: compact 2026-10-01');
    git(repo, 'branch', '-q', '-D', 'hot-2026-10-01');
    const hotBranch = historyBytes(repo, 'main');
    const compacted = maxFolderEntries(repo);

    const parquetBytes = dirBytes(join(repo, PARTITION_ROOT));
    const perYear = (bytes: number) => round((bytes * 365) / 1e9, 3);
    return {
      records_per_day: records.length,
      events_per_hour: EVENTS_PER_HOUR,
      mix: Object.fromEntries(MIX),
      hot_commits: commits,
      max_folder_entries: Math.max(hottest.entries, compacted.entries),
      largest_folder: hottest.entries >= compacted.entries ? hottest.folder : compacted.folder,
      parquet_files: result.files_written,
      parquet_bytes_per_day: parquetBytes,
      history_bytes_per_day: hotBranch,
      bytes_per_record_in_history: round(hotBranch / records.length, 1),
      projected_git_gb_per_year_at_10k_per_hour: perYear(hotBranch),
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
    rmSync(work, { recursive: true, force: true });
  }
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size;
  }
  return total;
}
