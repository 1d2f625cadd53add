import type { Duck } from '../data/duckdb';
import { sqlString } from '../data/duckdb';
import { settleTable } from './fact-tables';
import type { WorkflowJobFact, WorkflowRunFact } from './facts';
import { DAY_MS, type Distribution, ratio } from './stats';
import type { CiFigures, JobRow, SourceRow, WorkflowRow } from './summarize';
import { GITHUB_ACTIONS_SOURCE } from './summarize';
import type { TeamResolver } from './teams';
import { weekOf } from './window';

/**
 * CI health (workflow runs and jobs: most of an organisation's records) computed by DuckDB: the facts are
 * rows of two tables (`ci_run_src`, `ci_job_src`: partition rows and record files inserted by SQL by
 * src/report/read.ts, the few files judged in JS appended), one row per id is kept (better record wins,
 * `settleTable` of src/report/fact-tables.ts, retracted ids left out),
 * and every figure of docs/REPORTS.md "CI health" is an aggregate over them, for the whole report, each
 * repository and each team in one pass. The definitions are those of src/report/summarize.ts: durations
 * as `distribution()` (negatives counted and left out, p50/p90 interpolated, rounded), rates as `ratio()`.
 */

export const CI_METRICS = ['workflow-job', 'workflow-run'] as const;

/** What a file judged in JS contributes: its fact and its standing. */
export interface CiOffer<F> {
  id: string;
  revision: string | null;
  complete: boolean;
  fact: F;
}

const RUN_COLUMNS = `id VARCHAR, revision VARCHAR, complete BOOLEAN, tier INTEGER, owner VARCHAR, repo VARCHAR, at_ms DOUBLE,
  run_id VARCHAR, attempt INTEGER, workflow_id VARCHAR, workflow VARCHAR, path VARCHAR, conclusion VARCHAR,
  queue_ms DOUBLE, duration_ms DOUBLE`;
const JOB_COLUMNS = `id VARCHAR, revision VARCHAR, complete BOOLEAN, tier INTEGER, owner VARCHAR, repo VARCHAR, at_ms DOUBLE,
  run_id VARCHAR, workflow VARCHAR, job_name VARCHAR, conclusion VARCHAR, queue_ms DOUBLE, duration_ms DOUBLE`;

export async function createCiTables(duck: Duck): Promise<void> {
  await duck.run(`CREATE OR REPLACE TEMP TABLE ci_run_src (${RUN_COLUMNS})`);
  await duck.run(`CREATE OR REPLACE TEMP TABLE ci_job_src (${JOB_COLUMNS})`);
}

type Cell = string | number | boolean | null;

async function append(duck: Duck, table: string, rows: Iterable<Cell[]>): Promise<void> {
  const appender = await duck.appender(table);
  for (const row of rows) {
    for (const cell of row) {
      if (cell === null) appender.appendNull();
      else if (typeof cell === 'string') appender.appendVarchar(cell);
      else if (typeof cell === 'boolean') appender.appendBoolean(cell);
      else if (Number.isInteger(cell) && Math.abs(cell) < 2 ** 31) appender.appendInteger(cell);
      else appender.appendDouble(cell);
    }
    appender.endRow();
  }
  appender.closeSync();
}

/** Appends the facts of files judged in JS (tier 1: a partition row wins a tie). */
export async function appendFileFacts(
  duck: Duck,
  runs: readonly CiOffer<WorkflowRunFact>[],
  jobs: readonly CiOffer<WorkflowJobFact>[],
): Promise<void> {
  await append(
    duck,
    'ci_run_src',
    (function* () {
      for (const { id, revision, complete, fact: f } of runs)
        yield [id, revision, complete, 1, f.owner, f.repo, f.at, f.runId, f.attempt, f.workflowId, f.workflow]
          .concat([f.path, f.conclusion, f.queueMs, f.durationMs])
          .map((v, i) => (i === 6 || i >= 13 ? (v === null ? null : Number(v)) : v)) as Cell[];
    })(),
  );
  await append(
    duck,
    'ci_job_src',
    (function* () {
      for (const { id, revision, complete, fact: f } of jobs)
        yield [id, revision, complete, 1, f.owner, f.repo, f.at, f.runId, f.workflow, f.jobName]
          .concat([f.conclusion, f.queueMs, f.durationMs])
          .map((v, i) => (i === 6 || i >= 11 ? (v === null ? null : Number(v)) : v)) as Cell[];
    })(),
  );
}

/** Counts for `records` (docs/REPORTS.md): distinct ids, extra versions, versions left out by a retraction. */
export interface CiCounts {
  by_metric: Record<string, number>;
  duplicates: number;
  retracted: number;
  partition_rows: number;
}

/**
 * Keeps one row per id (better record wins: higher revision, complete over partial, partitions first),
 * leaves retracted ids out, gives every row its team, and returns the counts.
 */
export async function settleCi(duck: Duck, teams: TeamResolver): Promise<CiCounts> {
  const counts: CiCounts = { by_metric: {}, duplicates: 0, retracted: 0, partition_rows: 0 };
  const settle = async (metric: string, src: string, target: string, columns: string) => {
    for (const c of await settleTable(duck, { src, target, columns, metric: sqlString(metric) })) {
      counts.retracted += c.retracted;
      counts.duplicates += c.duplicates;
      counts.partition_rows += c.partition_rows;
      counts.by_metric[metric] = c.distinct;
    }
    await duck.run(`DROP TABLE ${src}`);
  };
  await settle(
    'workflow-run',
    'ci_run_src',
    'ci_runs',
    `owner, repo, owner || '/' || repo AS repository, at_ms, run_id, attempt, workflow_id, workflow, path,
     conclusion, queue_ms, duration_ms`,
  );
  await settle(
    'workflow-job',
    'ci_job_src',
    'ci_job_settled',
    'owner, repo, at_ms, run_id, workflow, job_name, conclusion, queue_ms, duration_ms',
  );
  // Jobs inherit their run's workflow file (for team path rules), as in src/report/derive.ts.
  await duck.run(
    `CREATE OR REPLACE TEMP TABLE ci_jobs AS
     WITH p AS (SELECT owner, repo, run_id, max(path) AS path FROM ci_runs GROUP BY ALL)
     SELECT j.owner, j.repo, j.owner || '/' || j.repo AS repository, j.at_ms, j.run_id, j.workflow, p.path,
            j.job_name, j.conclusion, j.queue_ms, j.duration_ms
     FROM ci_job_settled j LEFT JOIN p ON p.owner = j.owner AND p.repo = j.repo AND p.run_id = j.run_id`,
  );
  await duck.run('DROP TABLE ci_job_settled');
  // Teams: each distinct (repository, workflow file) once through the teams file's rules.
  await duck.run(
    'CREATE OR REPLACE TEMP TABLE ci_teams (owner VARCHAR, repo VARCHAR, path VARCHAR, team VARCHAR)',
  );
  const subjects = await duck.all(
    'SELECT DISTINCT owner, repo, path FROM (SELECT owner, repo, path FROM ci_runs UNION ALL SELECT owner, repo, path FROM ci_jobs)',
  );
  await append(
    duck,
    'ci_teams',
    subjects.map((s) => {
      const subject = {
        owner: String(s.owner),
        repo: String(s.repo),
        path: (s.path as string | null) ?? null,
      };
      return [subject.owner, subject.repo, subject.path, teams.teamOf(subject)];
    }),
  );
  return counts;
}

/** CI figures of one scope (the whole report, a repository or a team), without pushed pipelines. */
export interface CiScope {
  ci: Omit<CiFigures, 'by_source'>;
  /** The GitHub Actions row of `by_source`; null without runs. */
  source: SourceRow | null;
  /** Week (Monday) → ci_runs, ci_run_p50_ms, ci_failure_rate. */
  weekly: Map<string, { ci_runs: number; ci_run_p50_ms: number | null; ci_failure_rate: number | null }>;
}

export interface CiResult {
  all: CiScope;
  by_repo: Map<string, CiScope>;
  by_team: Map<string, CiScope>;
}

const FAILED = "('failure', 'timed_out', 'startup_failure')";

/** The columns `distribution()` is made of, for the non-negative values of `v`. */
function distributionSql(v: string, name: string): string {
  return `count(${v}) FILTER (WHERE ${v} >= 0) AS ${name}_count,
    quantile_cont(${v}, 0.5) FILTER (WHERE ${v} >= 0) AS ${name}_p50,
    quantile_cont(${v}, 0.9) FILTER (WHERE ${v} >= 0) AS ${name}_p90,
    avg(${v}) FILTER (WHERE ${v} >= 0) AS ${name}_mean,
    count(${v}) FILTER (WHERE ${v} < 0) AS ${name}_negative`;
}

function failureSql(name: string): string {
  return `count(*) FILTER (WHERE conclusion IN ${FAILED}) AS ${name}_failed,
    count(*) FILTER (WHERE conclusion IN ${FAILED} OR conclusion = 'success') AS ${name}_decided`;
}

const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function distributionOf(row: Record<string, unknown>, name: string): Distribution {
  const count = Number(row[`${name}_count`]);
  const value = (key: string) => {
    const v = num(row[`${name}_${key}`]);
    return count === 0 || v === null ? null : Math.round(v);
  };
  return {
    count,
    p50: value('p50'),
    p90: value('p90'),
    mean: value('mean'),
    excluded_negative: Number(row[`${name}_negative`]),
  };
}

const failureOf = (row: Record<string, unknown>, name: string) =>
  ratio(Number(row[`${name}_failed`]), Number(row[`${name}_decided`]));

/** `scope_kind` / `scope` for the whole report, each repository and (with teams) each team. */
function scoped(table: string, withTeams: boolean): string {
  const teamed = `(SELECT t.*, coalesce(m.team, '') AS team FROM ${table} t LEFT JOIN ci_teams m
    ON m.owner = t.owner AND m.repo = t.repo AND m.path IS NOT DISTINCT FROM t.path)`;
  const parts = [
    `SELECT 'all' AS scope_kind, '' AS scope, * FROM ${teamed}`,
    `SELECT 'repo' AS scope_kind, repository AS scope, * FROM ${teamed}`,
  ];
  if (withTeams) parts.push(`SELECT 'team' AS scope_kind, team AS scope, * FROM ${teamed}`);
  return `(${parts.join(' UNION ALL ')})`;
}

export async function ciFigures(duck: Duck, topListSize: number, withTeams: boolean): Promise<CiResult> {
  const runs = scoped('ci_runs', withTeams);
  const jobs = scoped('ci_jobs', withTeams);
  const result: CiResult = { all: emptyScope(), by_repo: new Map(), by_team: new Map() };
  const scopeOf = (row: Record<string, unknown>): CiScope => {
    const kind = String(row.scope_kind);
    if (kind === 'all') return result.all;
    const map = kind === 'repo' ? result.by_repo : result.by_team;
    const key = String(row.scope);
    let scope = map.get(key);
    if (!scope) {
      scope = emptyScope();
      map.set(key, scope);
    }
    return scope;
  };

  for (const row of await duck.all(
    `SELECT scope_kind, scope, count(*) AS n, ${distributionSql('duration_ms', 'duration')},
       ${distributionSql('queue_ms', 'queue')}, ${failureSql('f')}
     FROM ${runs} GROUP BY ALL`,
  )) {
    const scope = scopeOf(row);
    const duration = distributionOf(row, 'duration');
    scope.ci.runs = {
      count: Number(row.n),
      duration,
      queue: distributionOf(row, 'queue'),
      failure_rate: failureOf(row, 'f'),
      rerun_rate: null,
      by_conclusion: {},
    };
    scope.source = {
      source: GITHUB_ACTIONS_SOURCE,
      runs: Number(row.n),
      p50_ms: duration.p50,
      p90_ms: duration.p90,
      failure_rate: scope.ci.runs.failure_rate,
    };
  }
  for (const row of await duck.all(
    `SELECT scope_kind, scope, count(*) FILTER (WHERE attempts > 1) AS rerun, count(*) AS distinct_runs
     FROM (SELECT scope_kind, scope, repository, run_id, max(attempt) AS attempts FROM ${runs} GROUP BY ALL)
     GROUP BY ALL`,
  )) {
    scopeOf(row).ci.runs.rerun_rate = ratio(Number(row.rerun), Number(row.distinct_runs));
  }
  for (const row of await duck.all(
    `SELECT scope_kind, scope, count(*) AS n, ${distributionSql('duration_ms', 'duration')},
       ${distributionSql('queue_ms', 'queue')}, ${failureSql('f')}
     FROM ${jobs} GROUP BY ALL`,
  )) {
    scopeOf(row).ci.jobs = {
      count: Number(row.n),
      duration: distributionOf(row, 'duration'),
      queue: distributionOf(row, 'queue'),
      failure_rate: failureOf(row, 'f'),
      by_conclusion: {},
    };
  }
  for (const [table, list] of [
    [runs, 'runs'],
    [jobs, 'jobs'],
  ] as const) {
    for (const row of await duck.all(
      `SELECT scope_kind, scope, coalesce(conclusion, 'none') AS conclusion, count(*) AS n
       FROM ${table} GROUP BY ALL ORDER BY scope_kind, scope, n DESC, conclusion`,
    )) {
      scopeOf(row).ci[list].by_conclusion[String(row.conclusion)] = Number(row.n);
    }
  }

  const slowest = `QUALIFY row_number() OVER (PARTITION BY scope_kind, scope
      ORDER BY coalesce(round(duration_p50), -1) DESC, coalesce(round(duration_p90), -1) DESC, repository, name) <= ${topListSize}`;
  for (const row of await duck.all(
    `SELECT * FROM (SELECT scope_kind, scope, repository, coalesce(path, workflow, workflow_id) AS name, count(*) AS n,
       ${distributionSql('duration_ms', 'duration')}, ${failureSql('f')}
     FROM ${runs} GROUP BY ALL) ${slowest} ORDER BY scope_kind, scope, coalesce(round(duration_p50), -1) DESC,
       coalesce(round(duration_p90), -1) DESC, repository, name`,
  )) {
    const duration = distributionOf(row, 'duration');
    const item: WorkflowRow = {
      repository: String(row.repository),
      workflow: String(row.name),
      runs: Number(row.n),
      p50_ms: duration.p50,
      p90_ms: duration.p90,
      failure_rate: failureOf(row, 'f'),
    };
    scopeOf(row).ci.slowest_workflows.push(item);
  }
  for (const row of await duck.all(
    `SELECT * FROM (SELECT scope_kind, scope, repository, coalesce(workflow, path, '') AS workflow_key, job_name,
       job_name || chr(10) || coalesce(workflow, path, '') AS name, count(*) AS n,
       ${distributionSql('duration_ms', 'duration')}, ${failureSql('f')}
     FROM ${jobs} GROUP BY ALL) ${slowest} ORDER BY scope_kind, scope, coalesce(round(duration_p50), -1) DESC,
       coalesce(round(duration_p90), -1) DESC, repository, name`,
  )) {
    const duration = distributionOf(row, 'duration');
    const item: JobRow = {
      repository: String(row.repository),
      workflow: String(row.workflow_key),
      job: String(row.job_name),
      jobs: Number(row.n),
      p50_ms: duration.p50,
      p90_ms: duration.p90,
      failure_rate: failureOf(row, 'f'),
    };
    scopeOf(row).ci.slowest_jobs.push(item);
  }

  for (const row of await duck.all(
    `SELECT scope_kind, scope, day - (((day + 3) % 7) + 7) % 7 AS monday, count(*) AS n,
       ${distributionSql('duration_ms', 'duration')}, ${failureSql('f')}
     FROM (SELECT *, floor(at_ms / ${DAY_MS}) AS day FROM ${runs})
     GROUP BY scope_kind, scope, monday`,
  )) {
    // `monday`: the week's first day (days since 1970), as weekOf() counts it.
    const week = weekOf(Number(row.monday) * DAY_MS);
    scopeOf(row).weekly.set(week, {
      ci_runs: Number(row.n),
      ci_run_p50_ms: distributionOf(row, 'duration').p50,
      ci_failure_rate: failureOf(row, 'f'),
    });
  }
  return result;
}

const emptyDistribution = (): Distribution => ({
  count: 0,
  p50: null,
  p90: null,
  mean: null,
  excluded_negative: 0,
});

export function emptyScope(): CiScope {
  return {
    ci: {
      jobs: {
        count: 0,
        duration: emptyDistribution(),
        queue: emptyDistribution(),
        failure_rate: null,
        by_conclusion: {},
      },
      runs: {
        count: 0,
        duration: emptyDistribution(),
        queue: emptyDistribution(),
        failure_rate: null,
        rerun_rate: null,
        by_conclusion: {},
      },
      slowest_workflows: [],
      slowest_jobs: [],
    },
    source: null,
    weekly: new Map(),
  };
}
