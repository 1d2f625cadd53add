import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { ZodError } from 'zod';
import { duckdbType, ENVELOPE_COLUMNS, type Fields } from '../data/columns';
import { appendRows, type Duck, sqlString } from '../data/duckdb';
import { HOT_ROOT, PACK_SUFFIX, PARTITION_ROOT } from '../data/layout';
import { byPathAndLine, loadRecordFiles, recordFilesIn, recordTextReader } from '../data/record-files';
import { partitionSource } from '../data/views';
import { type Standing, standingOf, TOMBSTONE_ROOT } from '../pipeline/record';
import type { MetricRecord } from '../pipeline/types';
import { appendFileFacts, type CiOffer, createCiTables, settleCi } from './ci';
import {
  appendFacts,
  appendRetracted,
  createFactTables,
  definePartitionRows,
  FACT_TABLES,
  type FactOffer,
  hashPartitionRows,
  type PartitionRows,
  partsOf,
  settleFacts,
} from './fact-tables';
import {
  envelopeSchema,
  type Fact,
  type FactSql,
  factSql,
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
  /** The report's DuckDB: the facts are left in its tables (src/report/fact-tables.ts, src/report/ci.ts). */
  duck: Duck;
  teams: TeamResolver;
}

/**
 * The account of every record read and the warnings about bad files. The facts themselves are left in
 * DuckDB, one row per id: the settled tables of src/report/fact-tables.ts (`deployment_statuses`,
 * `incident_records`, `pull_requests`, `pipeline_runs`) and of src/report/ci.ts (`ci_runs`, `ci_jobs`).
 */
export interface ReadResult {
  records: RecordCounts;
  warnings: string[];
}

export interface RecordCounts {
  /** Records read from files: hot pack lines, hot and first-layout JSON files (one each). */
  files: number;
  /** Rows read from Parquet partitions (in the window's days). */
  partition_rows: number;
  /** Distinct valid records in the window, by metric. */
  by_metric: Record<string, number>;
  /** Distinct valid records in the window. */
  used: number;
  /** Records whose id was already seen (live + backfill, redelivery, a record made better in a later pack): counted once. */
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
 * Reads a data directory (docs/DATA.md, "Layout") into DuckDB: every record DuckDB can read and judge is
 * turned into its fact by SQL (src/report/facts.ts `factSql`), so no valid record passes through JS. Parquet
 * partitions are read in place: the window's rows are views (`definePartitionRows`) that each query reads
 * from the files, never copied into DuckDB's memory; record files are inserted into the source tables. Hot packs
 * (`hot/<metric>/<yyyy>/<mm>/<dd>/<hh>/<hash>.ndjson`, each line a record, named `<pack>:<line>` in
 * warnings), hot files written before packs (`hot/<metric>/<yyyy>/<mm>/<dd>/<hhmm>/<id>.json`) and files of the first layout
 * (`<metric>/<owner>/<repo>/<yyyy>/<mm>/<id>.json`) of the month folders that overlap the window are
 * read by Node and parsed by DuckDB in chunks (src/data/record-files.ts), into the fields the facts
 * need; `_`-prefixed folders (dead letters, job state) are skipped. A file or row DuckDB cannot parse, or whose envelope or output is
 * not what a fact needs, is judged in JS by `toFact`, so its warning is word for word the same whichever
 * way it was read. Tombstones are read in JS. The reading ends by settling: one fact per record id across
 * all tiers ("better record wins"), retracted ids left out.
 */
export async function readFacts(root: string, options: ReadOptions): Promise<ReadResult> {
  const repoMatcher = repoFilter(options.repos ?? []);
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

  const { duck } = options;
  // Reading many small files in parallel while keeping their order takes a buffer per file: DuckDB ran out
  // of its 512 MB on a day's 1,300 files. Nothing read depends on the order rows are inserted in.
  await duck.run('SET preserve_insertion_order = false');
  await createFactTables(duck);
  await createCiTables(duck);

  // What JS judged (files and rows DuckDB did not take as plainly valid): appended once all is read.
  const judged = {
    facts: [] as FactOffer[],
    runs: [] as CiOffer<WorkflowRunFact>[],
    jobs: [] as CiOffer<WorkflowJobFact>[],
    retracted: [] as string[],
  };
  const offer = (outcome: { id: string; standing: Standing; fact: Fact | null }, metric: string) => {
    const { id, standing, fact } = outcome;
    if (standing.status === 'retracted' || fact === null) {
      judged.retracted.push(id);
      return;
    }
    const offered = { id, revision: standing.revision ?? null, complete: standing.status === 'complete' };
    if (fact.kind === 'workflow-run') judged.runs.push({ ...offered, fact });
    else if (fact.kind === 'workflow-job') judged.jobs.push({ ...offered, fact });
    else judged.facts.push({ ...offered, metric, fact });
  };

  // Tombstones, whatever the window and --repo: a retraction is filed by when it was made.
  for (const metric of REPORTED_METRICS) {
    const dir = join(root, TOMBSTONE_ROOT, metric);
    for (const file of jsonFilesBelow(dir)) {
      const outcome = readTombstone(join(dir, file), metric);
      if (typeof outcome === 'string') warn(join(dir, file), outcome);
      else judged.retracted.push(outcome.id);
    }
  }

  const readText = recordTextReader();
  const readFile = (path: string, metric: string, repoCheck: boolean) => {
    counts.files += 1;
    const outcome = readOne(readText, path, metric, options, repoCheck ? repoMatcher : undefined);
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

  const revert = await revertSql(duck, options.revertPattern);
  const start = sqlString(new Date(options.window.start).toISOString());
  const end = sqlString(new Date(options.window.end).toISOString());
  const inWindow = `(occurred_at >= ${start}::TIMESTAMP AND occurred_at < ${end}::TIMESTAMP)`;

  // Partitions: the window's rows, read in place by the views of their tables (`definePartitionRows`); a row
  // that is not a valid fact is judged in JS.
  const partitionRows = new Map<string, PartitionRows[]>();
  for (const metric of REPORTED_METRICS) {
    // The files as they are now, named one by one: every query of the report reads the same ones, even if a
    // compaction replaces them meanwhile (a file it deletes fails the report rather than changing it).
    const files = filesBelow(join(root, PARTITION_ROOT, metric), '.parquet');
    if (files.length === 0) continue;
    const sql = factSql(metric, revert.sql);
    const valid = `(id <> '' AND status IN ('complete', 'partial') AND coalesce(${sql.valid}, false))`;
    const rows = `${partitionSource(root, metric, files)} WHERE ${inWindow}`;
    if (metric === 'pull-request') await revert.prepare(`SELECT output.title FROM ${rows}`);
    // The window's rows by `occurred_at` alone (a column DuckDB reads without the rest), and the valid ones
    // in the pass that hashes their ids for settling.
    const [count] = await duck.all(`SELECT count(*) AS n FROM ${rows}`);
    const n = Number(count?.n ?? 0);
    const valids = await hashPartitionRows(duck, sql.table, `${rows} AND ${valid}`);
    // Workflow runs and jobs count the rows they keep (src/report/ci.ts `settleCi`).
    if (!isCiMetric(metric)) counts.partition_rows += n;
    // When every row is valid (as compaction writes them), the views need not check it again.
    if (valids > 0) {
      const parts = partitionRows.get(sql.table) ?? [];
      parts.push({ values: factValues(sql, 0), from: valids < n ? `${rows} AND ${valid}` : rows });
      partitionRows.set(sql.table, parts);
    }
    if (valids === n) continue;
    await duck.each(
      `SELECT ${factColumns(sql)} FROM ${rows} AND NOT ${valid} ORDER BY occurred_at, id`,
      (invalid) => {
        for (const row of invalid) {
          if (typeof row.id !== 'string' || row.id.length === 0) {
            warn(join(root, PARTITION_ROOT, metric), 'a partition row without an id');
            continue;
          }
          const record = recordOf(metric, sql, row);
          try {
            offer(
              {
                id: record.id,
                standing: standingOf(record),
                fact: toFact(record, { revertPattern: options.revertPattern }),
              },
              metric,
            );
          } catch (error) {
            if (!(error instanceof ZodError)) throw error;
            warn(
              join(root, PARTITION_ROOT, metric, record.id),
              `invalid ${metric} output: ${describe(error, 'output.')}`,
            );
          }
        }
      },
    );
  }

  for (const [table, parts] of partitionRows) await definePartitionRows(duck, table, parts);

  /**
   * Record files of one metric (`folders`: day folders of hot files, month folders of the first layout),
   * parsed by DuckDB into the fields the facts need; the files it cannot take as plainly valid are judged
   * by `readFile`, in `order`.
   */
  const readFiles = async (
    metric: ReportedMetric,
    folders: readonly { folder: string; depth: number }[],
    repoCheck: boolean,
    order: (paths: string[]) => string[],
    tier: number,
  ) => {
    if (folders.length === 0) return;
    const sql = factSql(metric, revert.sql);
    const type = duckdbType({ struct: { ...FILE_ENVELOPE, output: { struct: sql.fields } } });
    await duck.run(`CREATE OR REPLACE TEMP TABLE read_files (filename VARCHAR, r ${type})`);
    const envelope = `(NOT unreadable_ AND ${validEnvelope(metric)})`;
    const valid = `coalesce(${sql.valid}, false)`;
    const unreadable = await loadRecordFiles(duck, {
      target: 'read_files',
      type,
      paths: (function* () {
        for (const { folder, depth } of folders) yield* recordFilesIn(folder, depth);
      })(),
      // What is judged in JS below: a pack holding such a line is read line by line, for the line's name.
      plainlyValid: `${envelope} AND (NOT ${inWindow} OR ${valid})`,
    });
    const files = '(SELECT filename, r IS NULL AS unreadable_, unnest(r) FROM read_files)';
    const [count] = await duck.all(
      `SELECT count(*) FILTER (WHERE ${envelope} AND (NOT ${inWindow} OR ${valid})) AS read,
              count(*) FILTER (WHERE ${envelope} AND NOT ${inWindow}) AS outside
       FROM ${files}`,
    );
    // The files judged in JS are counted by `readFile`.
    counts.files += Number(count?.read ?? 0);
    counts.outside_window += Number(count?.outside ?? 0);
    const rows = `${files} WHERE ${envelope} AND ${inWindow}`;
    if (metric === 'pull-request') await revert.prepare(`SELECT output.title FROM ${rows}`);
    await insertFacts(duck, sql, `${rows} AND ${valid}`, tier);
    const judge = await duck.all(
      `SELECT filename FROM ${files} WHERE NOT (${envelope} AND (NOT ${inWindow} OR ${valid}))`,
    );
    await duck.run('DROP TABLE read_files');
    const paths = judge.map((row) => String(row.filename)).concat(unreadable);
    for (const path of order(paths)) readFile(path, metric, repoCheck);
  };

  const hot = join(root, HOT_ROOT);
  for (const metric of folders(hot)) {
    if (!isReportedMetric(metric)) continue;
    const days: { folder: string; depth: number }[] = [];
    for (const year of folders(join(hot, metric))) {
      if (!/^\d{4}$/.test(year)) continue;
      for (const month of folders(join(hot, metric, year))) {
        if (!/^\d{2}$/.test(month) || !monthOverlaps(options.window, Number(year), Number(month))) continue;
        for (const day of folders(join(hot, metric, year, month)))
          days.push({ folder: join(hot, metric, year, month, day), depth: 2 });
      }
    }
    await readFiles(metric, days, true, (paths) => paths.sort(byPathAndLine), 1);
  }

  for (const metric of folders(root)) {
    if (!isReportedMetric(metric)) continue;
    const months: { folder: string; depth: number }[] = [];
    for (const owner of folders(join(root, metric))) {
      for (const repo of folders(join(root, metric, owner))) {
        if (repoMatcher && !repoMatcher(`${owner}/${repo}`)) continue;
        const repoDir = join(root, metric, owner, repo);
        for (const year of folders(repoDir)) {
          if (!/^\d{4}$/.test(year)) continue;
          for (const month of folders(join(repoDir, year))) {
            if (!/^\d{2}$/.test(month) || !monthOverlaps(options.window, Number(year), Number(month)))
              continue;
            months.push({ folder: join(repoDir, year, month), depth: 1 });
          }
        }
      }
    }
    // In folder order, as the folders are walked; a hot file wins a tie with one of the first layout.
    await readFiles(metric, months, false, (paths) => paths.sort(byFolders), 2);
  }
  if (warningCount > warnings.length) {
    warnings.push(`… and ${warningCount - warnings.length} more invalid files`);
  }

  await appendFacts(duck, judged.facts);
  await appendFileFacts(duck, judged.runs, judged.jobs);
  await appendRetracted(duck, judged.retracted);
  if (repoMatcher) await keepRepositories(duck, repoMatcher, partitionRows);
  await duck.run('RESET preserve_insertion_order');
  const facts = await settleFacts(duck);
  const ci = await settleCi(duck, options.teams);
  for (const settled of [facts, ci]) {
    Object.assign(counts.by_metric, settled.by_metric);
    counts.duplicates += settled.duplicates;
    counts.retracted += settled.retracted;
  }
  counts.partition_rows += ci.partition_rows;
  counts.used = Object.values(counts.by_metric).reduce((a, b) => a + b, 0);
  return { records: counts, warnings };
}

/** Paths compared folder by folder (`a/b` before `a-c/d`, as a walk of sorted folders meets them). */
function byFolders(a: string, b: string): number {
  const x = a.split(sep);
  const y = b.split(sep);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const [p, q] = [x[i] as string, y[i] as string];
    if (p !== q) return p < q ? -1 : 1;
  }
  return x.length - y.length;
}

const isCiMetric = (metric: string) => metric === 'workflow-run' || metric === 'workflow-job';

/** The envelope fields a file is parsed into (its columns, src/data/columns.ts). */
const FILE_ENVELOPE: Fields = ENVELOPE_COLUMNS;

/** `envelopeSchema` of a file of `metric`'s folder in SQL (anything else is judged in JS). */
function validEnvelope(metric: string): string {
  return `coalesce(schema_version = 1 AND id <> '' AND metric = ${sqlString(metric)}
    AND trigger IS NOT NULL AND collected_by IN ('webhook', 'backfill', 'push', 'schedule') AND owner <> ''
    AND repo <> '' AND occurred_at IS NOT NULL AND received_at IS NOT NULL AND collected_at IS NOT NULL
    AND status IN ('complete', 'partial') AND errors IS NOT NULL AND collector_version IS NOT NULL
    AND output IS NOT NULL, false)`;
}

/** The source table's columns of the facts of rows with the envelope columns and `output` (column → SQL). */
function factValues(sql: FactSql, tier: number): Record<string, string> {
  return {
    id: 'id',
    revision: 'revision',
    complete: "status = 'complete'",
    tier: String(tier),
    ...(sql.table.startsWith('ci_') ? {} : { metric: 'metric' }),
    owner: 'owner',
    repo: 'repo',
    ...sql.values,
  };
}

/**
 * Inserts the facts of `rows` (a FROM clause over the envelope columns and `output`) into their table;
 * how many.
 */
async function insertFacts(duck: Duck, sql: FactSql, rows: string, tier: number): Promise<number> {
  const values = factValues(sql, tier);
  const [inserted] = await duck.all(
    `INSERT INTO ${sql.table} (${Object.keys(values).join(', ')}) SELECT ${Object.values(values).join(', ')} FROM ${rows}`,
  );
  // DuckDB answers an INSERT with one row: the count of rows inserted.
  return Number(inserted?.Count ?? 0);
}

/** Leaves out the rows of repositories `--repo` does not name, in every source table and partition view. */
async function keepRepositories(
  duck: Duck,
  repoMatcher: (repository: string) => boolean,
  partitionRows: ReadonlyMap<string, PartitionRows[]>,
): Promise<void> {
  const tables = [...Object.values(FACT_TABLES).map((t) => t.src), 'ci_run_src', 'ci_job_src'];
  const repositories = await duck.all(
    tables
      .flatMap((t) => [t, partsOf(t)])
      .map((t) => `SELECT DISTINCT owner, repo FROM ${t}`)
      .join(' UNION '),
  );
  await duck.run('CREATE OR REPLACE TEMP TABLE report_repositories (owner VARCHAR, repo VARCHAR)');
  await appendRows(
    duck,
    'report_repositories',
    repositories
      .filter(({ owner, repo }) => repoMatcher(`${owner}/${repo}`))
      .map(({ owner, repo }) => [String(owner), String(repo)]),
  );
  const kept = (t: string) =>
    `EXISTS (SELECT 1 FROM report_repositories k WHERE k.owner = ${t}.owner AND k.repo = ${t}.repo)`;
  for (const table of tables) await duck.run(`DELETE FROM ${table} t WHERE NOT ${kept('t')}`);
  for (const [table, parts] of partitionRows) await definePartitionRows(duck, table, parts, kept('p'));
}

/**
 * The SQL of "a merged pull request's title matches the revert pattern": DuckDB's `regexp_matches` when
 * its regular expressions (RE2) take the pattern; otherwise JS tests each distinct title (`prepare`, before
 * the rows are inserted) and the SQL looks the title up.
 */
async function revertSql(
  duck: Duck,
  pattern: RegExp,
): Promise<{ sql: string; prepare: (titles: string) => Promise<void> }> {
  const re2 = `${sqlString(pattern.source)}, ${sqlString(pattern.flags.includes('i') ? 'i' : 'c')}`;
  try {
    await duck.all(`SELECT regexp_matches('', ${re2})`);
    return { sql: `regexp_matches(output.title, ${re2})`, prepare: async () => {} };
  } catch {
    await duck.run('CREATE OR REPLACE TEMP TABLE revert_titles (title VARCHAR)');
    return {
      sql: 'output.title IN (SELECT title FROM revert_titles)',
      prepare: async (titles) => {
        const rows = await duck.all(
          `SELECT DISTINCT title FROM (${titles}) WHERE title IS NOT NULL
           AND title NOT IN (SELECT title FROM revert_titles)`,
        );
        await appendRows(
          duck,
          'revert_titles',
          rows.filter(({ title }) => pattern.test(String(title))).map(({ title }) => [String(title)]),
        );
      },
    };
  }
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
  readText: (name: string) => string,
  path: string,
  folderMetric: string,
  options: ReadOptions,
  repoMatcher?: (repository: string) => boolean,
): Outcome | 'other-repository' {
  let raw: unknown;
  let text: string;
  try {
    text = readText(path);
  } catch (error) {
    if (path.endsWith(PACK_SUFFIX)) return `unreadable pack (${(error as Error).message})`;
    return `not valid JSON (${(error as Error).message})`;
  }
  try {
    raw = JSON.parse(text);
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

/** The envelope columns a fact needs and its output fields, as `o_<name>` (for rows judged in JS). */
function factColumns(sql: FactSql): string {
  const fields = Object.keys(sql.fields).map((f) => `output."${f}" AS "o_${f}"`);
  return `id, owner, repo, occurred_at, status, revision, ${fields.join(', ')}`;
}

/** A row of `factColumns` as the record a fact is made from. */
function recordOf(
  metric: ReportedMetric,
  sql: FactSql,
  row: Record<string, unknown>,
): MetricRecord<Record<string, unknown>> {
  const output: Record<string, unknown> = {};
  for (const field of Object.keys(sql.fields)) output[field] = plain(row[`o_${field}`]);
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

/** The files below `dir` whose names end in `suffix`, sorted (none when it does not exist; `.` folders skipped). */
function filesBelow(dir: string, suffix: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith(suffix) && !f.split(sep).some((part) => part.startsWith('.')))
      .sort()
      .map((f) => join(dir, f));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
