import { appendRows, type Duck, sqlString } from '../data/duckdb';
import { createSourceTable, type Settled, settledRows, settleTable } from './fact-tables';
import type { WorkflowJobFact, WorkflowRunFact } from './facts';
import {
  byScope,
  distributionOf,
  distributionSql,
  failureOf,
  failureSql,
  keptSql,
  mondaySql,
  p50Sql,
  p90Sql,
} from './scopes-sql';
import { DAY_MS, type Distribution, ratio } from './stats';
import type { CiFigures, JobRow, SourceRow, WorkflowRow } from './summarize';
import { GITHUB_ACTIONS_SOURCE } from './summarize';
import type { TeamResolver } from './teams';
import { weekOf } from './window';

/**
 * CI health (workflow runs and jobs: most of an organisation's records) computed by DuckDB: the facts are
 * rows of two tables (`ci_run_src`, `ci_job_src`: record files inserted by SQL by src/report/read.ts, the
 * few files judged in JS appended) and of their partition views (rows read in place from the Parquet
 * files, `definePartitionRows`), one row per id is kept (better record wins,
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

const RUN_COLUMNS = `id VARCHAR, revision VARCHAR, complete BOOLEAN, tier UTINYINT, owner VARCHAR, repo VARCHAR, at_ms DOUBLE,
  run_id VARCHAR, attempt INTEGER, workflow_id VARCHAR, workflow VARCHAR, path VARCHAR, conclusion VARCHAR,
  queue_ms DOUBLE, duration_ms DOUBLE`;
const JOB_COLUMNS = `id VARCHAR, revision VARCHAR, complete BOOLEAN, tier UTINYINT, owner VARCHAR, repo VARCHAR, at_ms DOUBLE,
  run_id VARCHAR, workflow VARCHAR, job_name VARCHAR, conclusion VARCHAR, queue_ms DOUBLE, duration_ms DOUBLE`;

export async function createCiTables(duck: Duck): Promise<void> {
  await createSourceTable(duck, 'ci_run_src', RUN_COLUMNS);
  await createSourceTable(duck, 'ci_job_src', JOB_COLUMNS);
}

/** Appends the facts of files judged in JS (tier 1: a partition row wins a tie). */
export async function appendFileFacts(
  duck: Duck,
  runs: readonly CiOffer<WorkflowRunFact>[],
  jobs: readonly CiOffer<WorkflowJobFact>[],
): Promise<void> {
  await appendRows(
    duck,
    'ci_run_src',
    (function* () {
      for (const { id, revision, complete, fact: f } of runs)
        yield [
          id,
          revision,
          complete,
          1,
          f.owner,
          f.repo,
          f.at,
          f.runId,
          f.attempt,
          f.workflowId,
          f.workflow,
        ].concat([f.path, f.conclusion, f.queueMs, f.durationMs]);
    })(),
  );
  await appendRows(
    duck,
    'ci_job_src',
    (function* () {
      for (const { id, revision, complete, fact: f } of jobs)
        yield [id, revision, complete, 1, f.owner, f.repo, f.at, f.runId, f.workflow, f.jobName].concat([
          f.conclusion,
          f.queueMs,
          f.durationMs,
        ]);
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
 * Keeps one row per id (better record wins: complete over partial, then higher revision, then partitions
 * first: `settleTable`),
 * leaves retracted ids out, gives every row its team, and returns the counts.
 */
export async function settleCi(duck: Duck, teams: TeamResolver): Promise<CiCounts> {
  const counts: CiCounts = { by_metric: {}, duplicates: 0, retracted: 0, partition_rows: 0 };
  const settle = async (metric: string, src: string): Promise<Settled> => {
    const settled = await settleTable(duck, { src, metric: sqlString(metric) });
    for (const c of settled.counts) {
      counts.retracted += c.retracted;
      counts.duplicates += c.duplicates;
      counts.partition_rows += c.partition_rows;
      counts.by_metric[metric] = c.distinct;
    }
    return settled;
  };
  const runs = await settle('workflow-run', 'ci_run_src');
  await duck.run(
    `CREATE OR REPLACE TEMP VIEW ci_runs AS
     SELECT owner, repo, owner || '/' || repo AS repository, at_ms, run_id, attempt, workflow_id, workflow, path,
       conclusion, queue_ms, duration_ms
     FROM ${settledRows('ci_run_src', runs)}`,
  );
  const jobs = await settle('workflow-job', 'ci_job_src');
  // Jobs inherit their run's workflow file: a team's path rules (`paths`) name workflow files, and a job has
  // none; without path rules a job needs it only as its top-list name when it has no workflow name, and only
  // those jobs' runs are looked up (none when every job has one). Hot jobs take it in place (`path`, added to
  // their table); partition rows through a join in the view.
  const byPath = teams.uses('paths');
  const needed = (workflow: string) => (byPath ? '' : `AND ${workflow} IS NULL`);
  const allJobs = `(SELECT owner, repo, run_id, workflow FROM ci_job_src
    UNION ALL SELECT owner, repo, run_id, workflow FROM ${jobs.parts})`;
  const [{ nameless }] = (await duck.all(
    `SELECT count(*) FILTER (WHERE workflow IS NULL) AS nameless FROM ${allJobs}`,
  )) as [{ nameless: bigint }];
  const lookUp = byPath || Number(nameless) > 0;
  await duck.run(
    `CREATE OR REPLACE TEMP TABLE ci_job_paths AS
     SELECT owner, repo, run_id, max(path) AS path FROM ci_runs r
     WHERE ${lookUp} AND path IS NOT NULL AND EXISTS (
       SELECT 1 FROM ${allJobs} j
       WHERE j.owner = r.owner AND j.repo = r.repo AND j.run_id = r.run_id ${needed('j.workflow')})
     GROUP BY ALL`,
  );
  await duck.run('ALTER TABLE ci_job_src ADD COLUMN path VARCHAR');
  await duck.run(
    `UPDATE ci_job_src j SET path = p.path FROM ci_job_paths p
     WHERE p.owner = j.owner AND p.repo = j.repo AND p.run_id = j.run_id ${needed('j.workflow')}`,
  );
  const columns = (path: string) =>
    `owner, repo, owner || '/' || repo AS repository, at_ms, workflow, ${path} AS path, job_name, conclusion,
     queue_ms, duration_ms`;
  const partitionJobs = lookUp
    ? `SELECT ${columns(byPath ? 'p.path' : 'CASE WHEN workflow IS NULL THEN p.path END')}
       FROM ${jobs.parts} j LEFT JOIN ci_job_paths p USING (owner, repo, run_id)`
    : `SELECT ${columns('NULL')} FROM ${jobs.parts}`;
  await duck.run(
    `CREATE OR REPLACE TEMP VIEW ci_jobs AS
     SELECT ${columns('path')} FROM ci_job_src UNION ALL ${partitionJobs}`,
  );
  // Teams: each distinct (repository, workflow file) once through the teams file's rules.
  await duck.run(
    'CREATE OR REPLACE TEMP TABLE ci_teams (owner VARCHAR, repo VARCHAR, path VARCHAR, team VARCHAR)',
  );
  if (!teams.enabled) return counts;
  const subjects = await duck.all(
    'SELECT DISTINCT owner, repo, path FROM (SELECT owner, repo, path FROM ci_runs UNION ALL SELECT owner, repo, path FROM ci_jobs)',
  );
  await appendRows(
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

/**
 * `ci_runs` / `ci_jobs` as views with what every figure reads: the team (with teams), the kept (non-negative)
 * durations and queue times of `distributionSql`, and the week. Views, not tables: each figure reads them once.
 */
async function createScopedViews(duck: Duck, withTeams: boolean): Promise<void> {
  for (const table of ['ci_runs', 'ci_jobs']) {
    const team = withTeams
      ? `coalesce(m.team, '') AS team FROM ${table} t LEFT JOIN ci_teams m
         ON m.owner = t.owner AND m.repo = t.repo AND m.path IS NOT DISTINCT FROM t.path`
      : `'' AS team FROM ${table} t`;
    await duck.run(
      `CREATE OR REPLACE TEMP VIEW ${table}_scoped AS
       SELECT t.*, ${keptSql('t.duration_ms', 'duration')}, ${keptSql('t.queue_ms', 'queue')},
              ${mondaySql('t.at_ms')} AS monday, ${team}`,
    );
  }
}

/**
 * The items of a top list (workflows, jobs: `item_repository` + `keys`) with their count, duration and failure
 * rate, per scope. An item belongs to one repository, so its figures are the same in the whole report and in
 * its repository: computed once and listed under both; with teams, once more per team (a repository's runs
 * may belong to several).
 */
function itemsByScope(source: string, keys: readonly string[], withTeams: boolean): string {
  const item = ['item_repository', ...keys].join(', ');
  const groupBy = withTeams ? `GROUPING SETS ((${item}), (team, ${item}))` : item;
  const team = withTeams ? 'grouping(team) = 0 AS by_team, team' : "false AS by_team, '' AS team";
  return `(WITH items AS MATERIALIZED (
      SELECT ${team}, ${item}, count(*) AS n, ${distributionSql('duration')}, ${failureSql('f')}
      FROM ${source} GROUP BY ${groupBy})
    SELECT 'all' AS scope_kind, '' AS scope, * FROM items WHERE NOT by_team
    UNION ALL SELECT 'repo', item_repository, * FROM items WHERE NOT by_team
    UNION ALL SELECT 'team', team, * FROM items WHERE by_team)`;
}

export async function ciFigures(duck: Duck, topListSize: number, withTeams: boolean): Promise<CiResult> {
  await createScopedViews(duck, withTeams);
  const runs = 'ci_runs_scoped';
  const jobs = 'ci_jobs_scoped';
  const scope = byScope(withTeams, [], true);
  const result: CiResult = { all: emptyScope(), by_repo: new Map(), by_team: new Map() };
  const scopeOf = (row: Record<string, unknown>): CiScope => {
    const kind = String(row.scope_kind);
    if (kind === 'all') return result.all;
    const map = kind === 'repo' ? result.by_repo : result.by_team;
    const key = String(row.scope);
    let value = map.get(key);
    if (!value) {
      value = emptyScope();
      map.set(key, value);
    }
    return value;
  };

  // Durations and queue times of runs in one pass: each percentile holds its values until the query ends,
  // beyond DuckDB's memory limit (2M runs: 32 MB each for the whole report and the repositories).
  for (const row of await duck.all(
    `SELECT ${scope.select}, count(*) AS n, ${distributionSql('duration')}, ${distributionSql('queue')},
       ${failureSql('f')}, ${BY_CONCLUSION}
     FROM ${runs} GROUP BY ${scope.groupBy}`,
  )) {
    const figures = scopeOf(row);
    const duration = distributionOf(row, 'duration');
    figures.ci.runs = {
      count: Number(row.n),
      duration,
      queue: distributionOf(row, 'queue'),
      failure_rate: failureOf(row, 'f'),
      rerun_rate: null,
      by_conclusion: byConclusionOf(row),
    };
    figures.source = {
      source: GITHUB_ACTIONS_SOURCE,
      runs: Number(row.n),
      p50_ms: duration.p50,
      p90_ms: duration.p90,
      failure_rate: figures.ci.runs.failure_rate,
    };
  }
  // A run is its repository and run id: counted once per scope even if its attempts fall in different teams.
  const reruns = [
    `SELECT ${byScope(false).select}, count(*) FILTER (WHERE attempts > 1) AS rerun, count(*) AS distinct_runs
     FROM (SELECT repository, run_id, max(attempt) AS attempts FROM ci_runs GROUP BY ALL)
     GROUP BY ${byScope(false).groupBy}`,
  ];
  if (withTeams)
    reruns.push(
      `SELECT 'team' AS scope_kind, team AS scope, count(*) FILTER (WHERE attempts > 1) AS rerun,
         count(*) AS distinct_runs
       FROM (SELECT team, repository, run_id, max(attempt) AS attempts FROM ${runs} GROUP BY ALL) GROUP BY team`,
    );
  for (const sql of reruns)
    for (const row of await duck.all(sql))
      scopeOf(row).ci.runs.rerun_rate = ratio(Number(row.rerun), Number(row.distinct_runs));
  // Jobs' queue times in a pass of their own: both distributions of 4.5M jobs at once took the report's peak
  // RSS past 1 GB.
  const jobQueues = new Map<string, Distribution>();
  for (const row of await duck.all(
    `SELECT ${scope.select}, ${distributionSql('queue')} FROM ${jobs} GROUP BY ${scope.groupBy}`,
  ))
    jobQueues.set(`${row.scope_kind}\n${row.scope}`, distributionOf(row, 'queue'));
  for (const row of await duck.all(
    `SELECT ${scope.select}, count(*) AS n, ${distributionSql('duration')}, ${failureSql('f')}, ${BY_CONCLUSION}
     FROM ${jobs} GROUP BY ${scope.groupBy}`,
  )) {
    scopeOf(row).ci.jobs = {
      count: Number(row.n),
      duration: distributionOf(row, 'duration'),
      queue: jobQueues.get(`${row.scope_kind}\n${row.scope}`) ?? distributionOf(undefined, 'queue'),
      failure_rate: failureOf(row, 'f'),
      by_conclusion: byConclusionOf(row),
    };
  }

  // Top lists: the slowest by rounded p50, then p90 (none last), then repository and name.
  const slowestOrder = `coalesce(${p50Sql('duration')}, -1) DESC, coalesce(${p90Sql('duration')}, -1) DESC, item_repository, name`;
  const slowest = `QUALIFY row_number() OVER (PARTITION BY scope_kind, scope ORDER BY ${slowestOrder}) <= ${topListSize}
    ORDER BY scope_kind, scope, ${slowestOrder}`;
  for (const row of await duck.all(
    `SELECT * FROM ${itemsByScope(
      `(SELECT *, repository AS item_repository, coalesce(path, workflow, workflow_id) AS name FROM ${runs})`,
      ['name'],
      withTeams,
    )} ${slowest}`,
  )) {
    const duration = distributionOf(row, 'duration');
    const item: WorkflowRow = {
      repository: String(row.item_repository),
      workflow: String(row.name),
      runs: Number(row.n),
      p50_ms: duration.p50,
      p90_ms: duration.p90,
      failure_rate: failureOf(row, 'f'),
    };
    scopeOf(row).ci.slowest_workflows.push(item);
  }
  // `name` (job, then workflow) orders ties; made after grouping, once per job rather than once per row.
  for (const row of await duck.all(
    `SELECT * FROM (SELECT *, job_name || chr(10) || workflow_key AS name FROM ${itemsByScope(
      `(SELECT *, repository AS item_repository, coalesce(workflow, path, '') AS workflow_key FROM ${jobs})`,
      ['workflow_key', 'job_name'],
      withTeams,
    )}) ${slowest}`,
  )) {
    const duration = distributionOf(row, 'duration');
    const item: JobRow = {
      repository: String(row.item_repository),
      workflow: String(row.workflow_key),
      job: String(row.job_name),
      jobs: Number(row.n),
      p50_ms: duration.p50,
      p90_ms: duration.p90,
      failure_rate: failureOf(row, 'f'),
    };
    scopeOf(row).ci.slowest_jobs.push(item);
  }

  const byWeek = byScope(withTeams, ['monday'], true);
  for (const row of await duck.all(
    `SELECT ${byWeek.select}, monday, count(*) AS n, ${distributionSql('duration')}, ${failureSql('f')}
     FROM ${runs} GROUP BY ${byWeek.groupBy}`,
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

/**
 * Runs or jobs by conclusion (`none` for none), counted in the pass that computes their durations rather than
 * in a pass of its own over every job (a histogram per scope: a few conclusions).
 */
const BY_CONCLUSION = "map_entries(histogram(coalesce(conclusion, 'none'))) AS by_conclusion";

/** The histogram as `by_conclusion` lists it: the most frequent first, then by name. */
function byConclusionOf(row: Record<string, unknown>): Record<string, number> {
  const entries = ((row.by_conclusion ?? []) as { key: string; value: bigint | number }[]).map(
    ({ key, value }) => [String(key), Number(value)] as const,
  );
  entries.sort(([a, m], [b, n]) => n - m || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
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
