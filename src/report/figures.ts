import type { Duck } from '../data/duckdb';
import { type CiScope, ciFigures, emptyScope } from './ci';
import { linkDeployments } from './deployments-sql';
import { doraOf, doraRows } from './dora-sql';
import { flowOf, flowRows, teamedPullRequests } from './flow-sql';
import { finishedPipelineRuns, pipelineSourceRows } from './pipeline-runs-sql';
import type { ReportSettings } from './settings';
import type { Summary } from './summarize';
import { NO_TEAM, type TeamResolver } from './teams';
import { weeklyOf, weeklyRows } from './weekly-sql';
import type { ReportWindow } from './window';

/**
 * Every figure of the report, computed by DuckDB over the settled fact tables (src/report/fact-tables.ts)
 * and the CI tables (src/report/ci.ts): the links between records are made once over everything
 * (src/report/deployments-sql.ts), then each figure is one query that yields the whole report, every
 * repository and every team at once. Only a few hundred result rows come back to JS.
 */
export interface ReportFigures {
  all: Summary;
  /** Each team's figures: the teams file's teams in order, then NO_TEAM when anything is left; empty without teams. */
  by_team: Record<string, Summary>;
  /** Each repository's figures (`owner/repo`, sorted). */
  by_repo: Record<string, Summary>;
}

export async function reportFigures(
  duck: Duck,
  options: { settings: ReportSettings; window: ReportWindow; teams: TeamResolver },
): Promise<ReportFigures> {
  const { settings, window, teams } = options;
  const withTeams = teams.enabled;
  await linkDeployments(duck, settings, teams);
  const pullRequests = await teamedPullRequests(duck, teams);
  const pipelineRuns = await finishedPipelineRuns(duck, teams);
  const dora = await doraRows(duck, withTeams);
  const flow = await flowRows(duck, pullRequests, withTeams);
  const sources = await pipelineSourceRows(duck, pipelineRuns, withTeams);
  const weekly = await weeklyRows(duck, pullRequests, withTeams);
  const ci = await ciFigures(duck, settings.topListSize, withTeams);

  const summary = (kind: 'all' | 'repo' | 'team', scope: string): Summary => {
    const pick = <T>(scoped: { all: T; get(kind: 'repo' | 'team', scope: string): T | undefined }) =>
      kind === 'all' ? scoped.all : scoped.get(kind, scope);
    const ciScope: CiScope =
      (kind === 'all' ? ci.all : (kind === 'repo' ? ci.by_repo : ci.by_team).get(scope)) ?? emptyScope();
    return {
      dora: doraOf(pick(dora), window),
      flow: flowOf(pick(flow)),
      ci: {
        jobs: ciScope.ci.jobs,
        runs: ciScope.ci.runs,
        // GitHub Actions first, then each pushing system.
        by_source: [...(ciScope.source ? [ciScope.source] : []), ...(pick(sources) ?? [])],
        slowest_workflows: ciScope.ci.slowest_workflows,
        slowest_jobs: ciScope.ci.slowest_jobs,
      },
      weekly: weeklyOf(pick(weekly), ciScope.weekly, window),
    };
  };

  const by_team: Record<string, Summary> = {};
  if (withTeams) {
    for (const team of [...teams.names, NO_TEAM]) {
      const seen =
        ci.by_team.has(team) || [dora, flow, sources, weekly].some((scoped) => scoped.by_team.has(team));
      if (team === NO_TEAM && !seen) continue;
      by_team[team] = summary('team', team);
    }
  }
  const repositories = new Set([
    ...dora.by_repo.keys(),
    ...flow.by_repo.keys(),
    ...sources.by_repo.keys(),
    ...weekly.by_repo.keys(),
    ...ci.by_repo.keys(),
  ]);
  const by_repo: Record<string, Summary> = {};
  for (const repository of [...repositories].sort()) by_repo[repository] = summary('repo', repository);
  return { all: summary('all', ''), by_team, by_repo };
}
