import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import picomatch from 'picomatch';
import { ZodError } from 'zod';
import { isBetter } from '../pipeline/record';
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
  const byId = new Map<string, { complete: boolean; fact: Fact }>();
  const counts: RecordCounts = {
    files: 0,
    by_metric: Object.fromEntries(REPORTED_METRICS.map((m) => [m, 0])),
    used: 0,
    duplicates: 0,
    invalid: 0,
    outside_window: 0,
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
              if (seen) {
                counts.duplicates += 1;
                if (isBetter(outcome, { status: seen.complete ? 'complete' : 'partial' })) {
                  byId.set(outcome.id, { complete: true, fact: outcome.fact });
                }
                continue;
              }
              byId.set(outcome.id, { complete: outcome.status === 'complete', fact: outcome.fact });
              counts.by_metric[metric] = (counts.by_metric[metric] ?? 0) + 1;
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
  for (const { fact } of byId.values()) facts.push(fact);
  counts.used = facts.length;
  return { facts, records: counts, warnings };
}

type Outcome = { id: string; status: 'complete' | 'partial'; fact: Fact } | null | string;

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
    return {
      id: record.id,
      status: record.status,
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
