import type { Duck } from '../data/duckdb';
import { FACT_TABLES } from './fact-tables';
import {
  byScope,
  distributionOf,
  distributionSql,
  failureOf,
  failureSql,
  keptSql,
  Scoped,
} from './scopes-sql';
import type { SourceRow } from './summarize';
import type { TeamResolver } from './teams';
import { teamedTable } from './teams-sql';

/**
 * The rows of `ci.by_source` for pushed pipeline runs (Jenkins, GitLab CI, …: `pipeline-run` records), per
 * scope: runs, duration p50/p90 and failure rate per sender. A run still queued or in progress has no
 * outcome yet: CI health counts finished runs, as GitHub's. The GitHub Actions row comes from src/report/ci.ts.
 */

/** Finished pushed runs with their team (the team rules read only the repository of a pipeline run). */
export async function finishedPipelineRuns(duck: Duck, teams: TeamResolver): Promise<string> {
  await duck.run(
    `CREATE OR REPLACE TEMP TABLE report_pipeline_runs AS SELECT * FROM ${FACT_TABLES.pipeline_run.settled}
     WHERE coalesce(conclusion, '') NOT IN ('queued', 'in_progress')`,
  );
  return teamedTable(duck, teams, 'report_pipeline_runs', []);
}

export async function pipelineSourceRows(
  duck: Duck,
  pipelineRuns: string,
  withTeams: boolean,
): Promise<Scoped<SourceRow[]>> {
  const scopes = new Scoped<SourceRow[]>(() => []);
  const scope = byScope(withTeams, ['source']);
  for (const row of await duck.all(
    `SELECT ${scope.select}, source, count(*) AS runs, ${distributionSql('duration')}, ${failureSql('f')}
     FROM (SELECT *, ${keptSql('duration_ms', 'duration')} FROM ${pipelineRuns}) GROUP BY ${scope.groupBy}`,
  )) {
    const duration = distributionOf(row, 'duration');
    scopes.of(row).push({
      source: String(row.source),
      runs: Number(row.runs),
      p50_ms: duration.p50,
      p90_ms: duration.p90,
      failure_rate: failureOf(row, 'f'),
    });
  }
  // Senders in the order the report has always listed them (localeCompare, which SQL collations do not match).
  for (const rows of [scopes.all, ...scopes.by_repo.values(), ...scopes.by_team.values()])
    rows.sort((a, b) => a.source.localeCompare(b.source));
  return scopes;
}
