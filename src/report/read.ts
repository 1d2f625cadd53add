import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { ZodError } from 'zod';
import { duckdbType, EXTRA_COLUMN, metricColumns } from '../data/columns';
import { type Duck, sqlString } from '../data/duckdb';
import { HOT_ROOT, PARTITION_ROOT } from '../data/layout';
import { partitionSource } from '../data/views';
import { isBetter, type Standing, standingOf, TOMBSTONE_ROOT } from '../pipeline/record';
import type { MetricRecord } from '../pipeline/types';
import { appendFileFacts, type CiOffer, createCiTables, insertPartitionRows, settleCi } from './ci';
import {
  envelopeSchema,
  type Fact,
  isReportedMetric,
  REPORTED_METRICS,
  type ReportedMetric,
  toFact,
  type WorkflowJobFact,
  type WorkflowRunFact,
} from './facts';
import type { TeamResolver } from './teams';
import { monthOverlaps, type ReportWindow } from './window';

export interface ReadOptions {
  window: ReportWindow;
  /** `owner/repo` globs (a bare name matches that repository under any owner); empty = all. */
  repos?: readonly string[];
  revertPattern: RegExp;
  /** The report's DuckDB: partitions are read through it, and CI health is left in it (src/report/ci.ts). */
  duck: Duck;
  teams: TeamResolver;
}

/**
 * What was read: the facts, deduplicated by record id, and the account of every file. Workflow runs and
 * jobs are not among the facts: they are left in the DuckDB tables `ci_runs` and `ci_jobs`, one row per id.
 */
export interface ReadResult {
  facts: Fact[];
  records: RecordCounts;
  warnings: string[];
}

export interface RecordCounts {
  /** Record files opened (hot and first-layout JSON files). */
  files: number;
  /** Rows read from Parquet partitions (in the window's days). */
  partition_rows: number;
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
 * Reads a data directory (docs/DATA.md, "Layout"): the Parquet partitions through DuckDB (only the rows in
 * the window, only the columns a fact needs; workflow runs and jobs stay in DuckDB), then the hot record files (`hot/<metric>/<yyyy>/<mm>/<dd>/<xx>/<id>.json`) and files of the
 * first layout (`<metric>/<owner>/<repo>/<yyyy>/<mm>/<id>.json`) file by file: month folders outside the
 * window are never opened, each file is parsed, validated and reduced to its fact before the next one is
 * read, and `_`-prefixed folders (dead letters, job state) are skipped. One fact per record id across all
 * of them ("better record wins").
 */
export async function readFacts(root: string, options: ReadOptions): Promise<ReadResult> {
  const repoMatcher = repoFilter(options.repos ?? []);
  // The winner per id ("better record wins"); a tombstone (fact null) beats every version of its id.
  const byId = new Map<string, { standing: Standing; metric: string; fact: Fact | null }>();
  const counts: RecordCounts = {
    files: 0,
    partition_rows: 0,
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

  const ciRuns: CiOffer<WorkflowRunFact>[] = [];
  const ciJobs: CiOffer<WorkflowJobFact>[] = [];
  const offer = (outcome: { id: string; standing: Standing; fact: Fact | null }, metric: string) => {
    const fact = outcome.fact;
    if (fact?.kind === 'workflow-run' || fact?.kind === 'workflow-job') {
      // Deduplicated with the partition rows by DuckDB (src/report/ci.ts), by the same rule.
      const offered = {
        id: outcome.id,
        revision: outcome.standing.revision ?? null,
        complete: outcome.standing.status === 'complete',
      };
      if (fact.kind === 'workflow-run') ciRuns.push({ ...offered, fact });
      else ciJobs.push({ ...offered, fact });
      return;
    }
    const seen = byId.get(outcome.id);
    if (seen?.standing.status === 'retracted') {
      if (outcome.fact !== null) counts.retracted += 1;
      return;
    }
    if (seen) {
      counts.duplicates += 1;
      if (isBetter(outcome.standing, seen.standing)) byId.set(outcome.id, { ...outcome, metric });
      return;
    }
    byId.set(outcome.id, { ...outcome, metric });
  };

  // Tombstones first, whatever the window and --repo: a retraction is filed by when it was made.
  for (const metric of REPORTED_METRICS) {
    const dir = join(root, TOMBSTONE_ROOT, metric);
    for (const file of jsonFilesBelow(dir)) {
      const outcome = readTombstone(join(dir, file), metric);
      if (typeof outcome === 'string') warn(join(dir, file), outcome);
      else byId.set(outcome.id, { standing: { status: 'retracted' }, metric, fact: null });
    }
  }

  const readFile = (path: string, metric: string, repoCheck: boolean) => {
    counts.files += 1;
    const outcome = readOne(path, metric, options, repoCheck ? repoMatcher : undefined);
    if (outcome === 'other-repository') return;
    if (typeof outcome === 'string') {
      warn(path, outcome);
      return;
    }
    if (outcome === null) {
      counts.outside_window += 1;
      return;
    }
    offer(outcome, metric);
  };

  const { duck } = options;
  await createCiTables(duck);
  /** A record read by DuckDB (partition row or hot file): its fact, or a warning naming `path`. */
  const offerRecord = (record: MetricRecord<Record<string, unknown>>, path: string) => {
    try {
      offer(
        {
          id: record.id,
          standing: standingOf(record),
          fact: toFact(record, { revertPattern: options.revertPattern }),
        },
        record.metric,
      );
    } catch (error) {
      if (error instanceof ZodError) {
        warn(path, `invalid ${record.metric} output: ${describe(error, 'output.')}`);
        return;
      }
      throw error;
    }
  };
  await readPartitionRecords(root, options, (record) => {
    counts.partition_rows += 1;
    if (repoMatcher && !repoMatcher(`${record.owner}/${record.repo}`)) return;
    offerRecord(record, join(root, PARTITION_ROOT, record.metric, record.id));
  });

  const hot = join(root, HOT_ROOT);
  for (const metric of folders(hot)) {
    if (!isReportedMetric(metric)) continue;
    const globs: string[] = [];
    for (const year of folders(join(hot, metric))) {
      if (!/^\d{4}$/.test(year)) continue;
      for (const month of folders(join(hot, metric, year))) {
        if (!/^\d{2}$/.test(month) || !monthOverlaps(options.window, Number(year), Number(month))) continue;
        if (hasFiles(join(hot, metric, year, month), '.json'))
          globs.push(join(hot, metric, year, month, '*', '*', '*.json'));
      }
    }
    if (globs.length === 0) continue;
    await duck.each(hotFilesSql(metric, globs), (rows) => {
      for (const row of rows) {
        const path = String(row.filename);
        if (row.fallback_) {
          readFile(path, metric, true);
          continue;
        }
        counts.files += 1;
        const at = (row.occurred_at as Date).getTime();
        if (at < options.window.start || at >= options.window.end) {
          counts.outside_window += 1;
          continue;
        }
        if (repoMatcher && !repoMatcher(`${row.owner}/${row.repo}`)) continue;
        offerRecord(recordOf(metric, row), path);
      }
    });
  }

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
              readFile(join(monthDir, file), metric, false);
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
  const retracted: string[] = [];
  for (const [id, { fact, metric, standing }] of byId) {
    if (standing.status === 'retracted') retracted.push(id);
    if (fact === null) continue;
    facts.push(fact);
    counts.by_metric[metric] = (counts.by_metric[metric] ?? 0) + 1;
  }
  await appendFileFacts(duck, ciRuns, ciJobs, retracted);
  if (repoMatcher) {
    const repositories = await duck.all(
      `SELECT DISTINCT owner || '/' || repo AS repository FROM ci_run_src
       UNION SELECT DISTINCT owner || '/' || repo FROM ci_job_src`,
    );
    const appender = await duck.appender('ci_repos');
    for (const { repository } of repositories) {
      if (!repoMatcher(String(repository))) continue;
      appender.appendVarchar(String(repository));
      appender.endRow();
    }
    appender.closeSync();
    for (const table of ['ci_run_src', 'ci_job_src'])
      await duck.run(
        `DELETE FROM ${table} WHERE owner || '/' || repo NOT IN (SELECT repository FROM ci_repos)`,
      );
  }
  const ci = await settleCi(duck, options.teams);
  Object.assign(counts.by_metric, ci.by_metric);
  counts.duplicates += ci.duplicates;
  counts.retracted += ci.retracted;
  counts.partition_rows += ci.partition_rows;
  counts.used = facts.length + Object.values(ci.by_metric).reduce((a, b) => a + b, 0);
  return { facts, records: counts, warnings };
}

type Outcome = { id: string; standing: Standing; fact: Fact | null } | null | string;

/** Every JSON file below `dir` (relative paths, sorted), none when it does not exist. */
function jsonFilesBelow(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.json') && !f.split(sep).some((part) => part.startsWith('.')))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** A tombstone's id, or why the file is not one. */
function readTombstone(path: string, metric: string): { id: string } | string {
  try {
    const record = envelopeSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
    if (record.status !== 'retracted' || record.metric !== metric)
      return `not a tombstone of ${metric} (status "retracted")`;
    return { id: record.id };
  } catch (error) {
    return `not a valid tombstone (${(error as Error).message.slice(0, 200)})`;
  }
}

/**
 * One file: its fact, null when it is outside the window, `other-repository` when `repoMatcher` leaves
 * it out, or the reason it is not a valid record.
 */
function readOne(
  path: string,
  folderMetric: string,
  options: ReadOptions,
  repoMatcher?: (repository: string) => boolean,
): Outcome | 'other-repository' {
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
  if (repoMatcher && !repoMatcher(`${record.owner}/${record.repo}`)) return 'other-repository';
  // A tombstone among the records (a hand-made or older layout's) carries no output to read.
  if (record.status === 'retracted') return { id: record.id, standing: { status: 'retracted' }, fact: null };
  try {
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

/** The output fields each fact needs (src/report/facts.ts), as SQL over a partition's `output` struct. */
const FACT_FIELDS: Record<ReportedMetric, string[]> = {
  'workflow-job': [
    'run_id',
    'run_attempt',
    'workflow_name',
    'job_name',
    'conclusion',
    'queue_ms',
    'duration_ms',
  ],
  'workflow-run': [
    'run_id',
    'run_attempt',
    'workflow_id',
    'workflow_name',
    'workflow_path',
    'conclusion',
    'queue_ms',
    'duration_ms',
  ],
  'deployment-status': [
    'deployment_id',
    'state',
    'environment',
    'production',
    'sha',
    'status_created_at',
    `CASE WHEN output.shipped IS NULL THEN NULL ELSE struct_pack(commit_count := output.shipped.commit_count,
       lead_time_ms := output.shipped.lead_time_ms) END AS o_shipped`,
  ],
  'push-deployment': [
    'sender',
    'id',
    'environment',
    'sha',
    'status',
    'finished_at',
    'lead_time_ms',
    'service',
  ],
  incident: ['issue_id', 'opened_at', 'closed_at', 'labels', 'linked_sha', 'linked_deployment_id'],
  'push-incident': ['sender', 'id', 'opened_at', 'resolved_at', 'service', 'sha', 'deployment_id'],
  'pull-request': [
    'outcome',
    'title',
    'author_is_bot',
    'into_default_branch',
    'labels',
    'merged_at',
    'first_review_at',
    'additions',
    'deletions',
    'reviews',
    'stages',
  ],
  'pipeline-run': ['sender', 'pipeline', 'status', 'queue_ms', 'duration_ms'],
};

/** The envelope columns a fact needs and its output fields, as `o_<name>` (`id`, `status` are in both). */
function factColumns(metric: ReportedMetric): string {
  const fields = FACT_FIELDS[metric].map((f) => (f.includes(' ') ? f : `output."${f}" AS "o_${f}"`));
  return `id, owner, repo, occurred_at, status, revision, ${fields.join(', ')}`;
}

/** A row of `factColumns` as the record a fact is made from. */
function recordOf(
  metric: ReportedMetric,
  row: Record<string, unknown>,
): MetricRecord<Record<string, unknown>> {
  const output: Record<string, unknown> = {};
  for (const field of FACT_FIELDS[metric]) {
    const name = field.includes(' ') ? (field.split(' AS o_').pop() as string) : field;
    output[name] = plain(row[`o_${name}`]);
  }
  return {
    id: String(row.id),
    metric,
    owner: String(row.owner),
    repo: String(row.repo),
    occurred_at: (row.occurred_at as Date).toISOString(),
    status: row.status,
    ...(row.revision === null ? {} : { revision: String(row.revision) }),
    output,
  } as unknown as MetricRecord<Record<string, unknown>>;
}

/**
 * Hot record files of one metric (`globs`: the month folders in the window) parsed by DuckDB in bulk, one
 * row each, typed by the metric's columns: `fallback_` when the file is not plainly a valid record of the
 * metric (not JSON, an envelope field missing or mistyped, a tombstone), which the caller then reads and
 * judges file by file, so a bad file gets the same warning whichever way it was read.
 */
function hotFilesSql(metric: ReportedMetric, globs: readonly string[]): string {
  const fields = Object.entries(metricColumns(metric))
    .filter(([name]) => name !== EXTRA_COLUMN)
    .map(([name, type]) => `"${name}" ${duckdbType(type)}`)
    .join(', ');
  const valid = `coalesce(schema_version = 1 AND length(id) > 0 AND metric = ${sqlString(metric)}
    AND trigger IS NOT NULL AND collected_by IN ('webhook', 'backfill', 'push', 'schedule') AND length(owner) > 0
    AND length(repo) > 0 AND occurred_at IS NOT NULL AND received_at IS NOT NULL AND collected_at IS NOT NULL
    AND status IN ('complete', 'partial') AND errors IS NOT NULL AND collector_version IS NOT NULL
    AND output IS NOT NULL, false)`;
  const files = `read_text([${globs.map(sqlString).join(', ')}])`;
  return `SELECT filename, unreadable_ OR NOT ${valid} AS fallback_, ${factColumns(metric)}
    FROM (SELECT filename, r IS NULL AS unreadable_, unnest(r) FROM (
      SELECT filename, TRY_CAST(TRY_CAST(content AS JSON) AS STRUCT(${fields})) AS r FROM ${files}
      WHERE regexp_matches(filename, '/[^/._][^/]*/[^/._][^/]*/[^/.][^/]*[.]json$')))
    ORDER BY filename`;
}

/** A DuckDB value as the JSON record had it: numbers for BIGINT, ISO-8601 text for TIMESTAMP. */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = plain(v);
    return out;
  }
  return value;
}

/**
 * The partition rows of the low-volume reported metrics whose `occurred_at` is in the window, each reduced
 * to the envelope and the output fields its fact reads (so a figure has one definition, src/report/facts.ts,
 * whichever tier a record sits in), handed over as they stream; workflow runs and jobs are inserted into
 * DuckDB tables instead.
 */
async function readPartitionRecords(
  root: string,
  options: ReadOptions,
  onRecord: (record: MetricRecord<Record<string, unknown>>) => void,
): Promise<void> {
  const metrics = REPORTED_METRICS.filter((metric) => hasParquet(join(root, PARTITION_ROOT, metric)));
  const { duck } = options;
  const start = new Date(options.window.start).toISOString();
  const end = new Date(options.window.end).toISOString();
  const inWindow = `occurred_at >= ${sqlString(start)}::TIMESTAMP AND occurred_at < ${sqlString(end)}::TIMESTAMP`;
  for (const metric of metrics) {
    if (metric === 'workflow-run' || metric === 'workflow-job') {
      await insertPartitionRows(duck, metric, partitionSource(root, metric), options.window);
      continue;
    }
    await duck.each(
      `SELECT ${factColumns(metric)} FROM ${partitionSource(root, metric)} WHERE ${inWindow} ORDER BY occurred_at, id`,
      (rows) => {
        for (const row of rows) onRecord(recordOf(metric, row));
      },
    );
  }
}

/** Whether a folder holds a Parquet file anywhere below it. */
function hasParquet(dir: string): boolean {
  return hasFiles(dir, '.parquet');
}

/** Whether a folder holds a file ending in `suffix` anywhere below it. */
function hasFiles(dir: string, suffix: string): boolean {
  try {
    return readdirSync(dir, { recursive: true }).some((name) => String(name).endsWith(suffix));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
