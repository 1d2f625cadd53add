import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { ZodError } from 'zod';
import { isBetter, type Standing, standingOf } from '../pipeline/record';
import { envelopeSchema, type Fact, isReportedMetric, REPORTED_METRICS, toFact } from './facts';
import { monthOverlaps, type ReportWindow } from './window';

export interface ReadOptions {
  window: ReportWindow;
  /** `owner/repo` globs (a bare name matches that repository under any owner); empty = all. */
  repos?: readonly string[];
  revertPattern: RegExp;
}

/** What was read: the facts, deduplicated by record id, and the account of every file. */
export interface ReadResult {
  facts: Fact[];
  records: RecordCounts;
  warnings: string[];
}

export interface RecordCounts {
  /** Files opened. */
  files: number;
  /** Distinct valid records in the window, by metric. */
  by_metric: Record<string, number>;
  /** Distinct valid records in the window. */
  used: number;
  /** Files whose record id was already seen (live + backfill, redelivery): counted once. */
  duplicates: number;
  /** Files that are not a valid record (listed in warnings). */
  invalid: number;
  /** Valid records outside the window (in a month folder that overlaps it). */
  outside_window: number;
  /** Records left out because their sender retracted them (a tombstone with their id, docs/DATA.md). */
  retracted: number;
}

/** At most this many warnings are listed one by one; the count says how many there were. */
const WARNING_LIMIT = 200;

/**
 * Reads a data directory (<root>/<metric>/<owner>/<repo>/<yyyy>/<mm>/<id>.json) file by file: month
 * folders outside the window are never opened, each file is parsed, validated and reduced to its fact
 * before the next one is read, and `_`-prefixed folders (dead letters, job state) are skipped.
 */
export function readFacts(root: string, options: ReadOptions): ReadResult {
  const repoMatcher = repoFilter(options.repos ?? []);
  // The winner per id ("better record wins"); a tombstone (fact null) beats every version of its id.
  const byId = new Map<string, { standing: Standing; metric: string; fact: Fact | null }>();
  const counts: RecordCounts = {
    files: 0,
    by_metric: Object.fromEntries(REPORTED_METRICS.map((m) => [m, 0])),
    used: 0,
    duplicates: 0,
    invalid: 0,
    outside_window: 0,
    retracted: 0,
  };
  const warnings: string[] = [];
  let warningCount = 0;
  const warn = (path: string, message: string) => {
    counts.invalid += 1;
    warningCount += 1;
    if (warnings.length < WARNING_LIMIT) warnings.push(`${relative(root, path)}: ${message}`);
  };

  for (const metric of folders(root)) {
    if (!isReportedMetric(metric)) continue;
    // Tombstones first, whatever the window and --repo: a retraction is filed by when it was made.
    for (const tombstone of readTombstones(join(root, metric, RETRACTED_FOLDER), metric)) {
      if (typeof tombstone === 'string') {
        warn(join(root, metric, RETRACTED_FOLDER, tombstone), 'not a valid tombstone (status "retracted")');
        continue;
      }
      byId.set(tombstone.id, { standing: { status: 'retracted' }, metric, fact: null });
    }
    for (const owner of folders(join(root, metric))) {
      for (const repo of folders(join(root, metric, owner))) {
        if (repoMatcher && !repoMatcher(`${owner}/${repo}`)) continue;
        const repoDir = join(root, metric, owner, repo);
        for (const year of folders(repoDir)) {
          if (!/^\d{4}$/.test(year)) continue;
          for (const month of folders(join(repoDir, year))) {
            if (!/^\d{2}$/.test(month) || !monthOverlaps(options.window, Number(year), Number(month)))
              continue;
            const monthDir = join(repoDir, year, month);
            for (const file of readdirSync(monthDir).sort()) {
              if (!file.endsWith('.json') || file.startsWith('.')) continue;
              const path = join(monthDir, file);
              counts.files += 1;
              const outcome = readOne(path, metric, options);
              if (typeof outcome === 'string') {
                warn(path, outcome);
                continue;
              }
              if (outcome === null) {
                counts.outside_window += 1;
                continue;
              }
              const seen = byId.get(outcome.id);
              if (seen?.standing.status === 'retracted') {
                if (outcome.fact !== null) counts.retracted += 1;
                continue;
              }
              if (seen) {
                counts.duplicates += 1;
                if (isBetter(outcome.standing, seen.standing)) byId.set(outcome.id, { ...outcome, metric });
                continue;
              }
              byId.set(outcome.id, { ...outcome, metric });
            }
          }
        }
      }
    }
  }
  if (warningCount > warnings.length) {
    warnings.push(`… and ${warningCount - warnings.length} more invalid files`);
  }
  const facts: Fact[] = [];
  for (const { fact, metric } of byId.values()) {
    if (fact === null) continue;
    facts.push(fact);
    counts.by_metric[metric] = (counts.by_metric[metric] ?? 0) + 1;
  }
  counts.used = facts.length;
  return { facts, records: counts, warnings };
}

type Outcome = { id: string; standing: Standing; fact: Fact | null } | null | string;

/** Where the tombstones of a metric live: `<metric>/_retracted/<sender>/<yyyy>/<mm>/<id>.json`. */
export const RETRACTED_FOLDER = '_retracted';

/** Every tombstone under `dir` (any depth), or the reason a file is not one. */
function readTombstones(dir: string, metric: string): ({ id: string } | string)[] {
  let files: string[];
  try {
    files = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const found: ({ id: string } | string)[] = [];
  for (const file of files.sort()) {
    if (!file.endsWith('.json') || file.split(sep).some((part) => part.startsWith('.'))) continue;
    try {
      const record = envelopeSchema.parse(JSON.parse(readFileSync(join(dir, file), 'utf8')));
      found.push(record.status === 'retracted' && record.metric === metric ? { id: record.id } : file);
    } catch {
      found.push(file);
    }
  }
  return found;
}

/** One file: its fact, null when it is outside the window, or the reason it is not a valid record. */
function readOne(path: string, folderMetric: string, options: ReadOptions): Outcome {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return `not valid JSON (${(error as Error).message})`;
  }
  const envelope = envelopeSchema.safeParse(raw);
  if (!envelope.success) return `invalid record envelope: ${describe(envelope.error)}`;
  const record = envelope.data;
  if (record.metric !== folderMetric) {
    return `record of metric ${record.metric} stored under ${folderMetric}/`;
  }
  const at = Date.parse(record.occurred_at);
  if (at < options.window.start || at >= options.window.end) return null;
  try {
    // A tombstone filed with the records (as a store may write one over the record) carries no output.
    if (record.status === 'retracted')
      return { id: record.id, standing: { status: 'retracted' }, fact: null };
    return {
      id: record.id,
      standing: standingOf(record),
      fact: toFact(record, { revertPattern: options.revertPattern }),
    };
  } catch (error) {
    if (error instanceof ZodError) return `invalid ${record.metric} output: ${describe(error, 'output.')}`;
    throw error;
  }
}

function describe(error: ZodError, prefix = ''): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${prefix}${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

/** Sub-folders, sorted, without `_` (collector state, dead letters) and `.` (git) prefixed ones. */
function folders(dir: string): string[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('_') && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

function repoFilter(patterns: readonly string[]): ((repository: string) => boolean) | undefined {
  if (patterns.length === 0) return undefined;
  const globs = patterns.map((p) => (p.includes('/') ? p : `*/${p}`));
  return picomatch(globs, { nocase: true, dot: true });
}
