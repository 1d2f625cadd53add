import type { Duck } from '../data/duckdb';
import { DEPLOYMENTS, RESTORES } from './deployments-sql';
import { byScope, distributionOf, distributionSql, keptSql, mondaySql, Scoped } from './scopes-sql';
import { DAY_MS, ratio } from './stats';
import type { WeekRow } from './summarize';
import { type ReportWindow, weekOf, weeksOf } from './window';

/**
 * The weekly rows' delivery and flow columns per scope: deployments, change failure rate and lead time by the
 * week a deployment finished, time to restore by the week an episode started, merged pull requests and
 * cycle time by the week they merged. The CI columns come from src/report/ci.ts.
 */

type WeekFigures = Omit<WeekRow, 'week' | 'ci_runs' | 'ci_run_p50_ms' | 'ci_failure_rate'>;

/** Week (Monday, YYYY-MM-DD) → its figures, per scope; weeks with nothing are absent. */
export type WeekFiguresByWeek = Map<string, Partial<WeekFigures>>;

export async function weeklyRows(
  duck: Duck,
  pullRequests: string,
  withTeams: boolean,
): Promise<Scoped<WeekFiguresByWeek>> {
  const scopes = new Scoped<WeekFiguresByWeek>(() => new Map());
  const slot = (row: Record<string, unknown>): Partial<WeekFigures> => {
    const weeks = scopes.of(row);
    const week = weekOf(Number(row.monday) * DAY_MS);
    let figures = weeks.get(week);
    if (!figures) {
      figures = {};
      weeks.set(week, figures);
    }
    return figures;
  };
  const scope = byScope(withTeams, ['monday']);
  for (const row of await duck.all(
    `SELECT ${scope.select}, monday, count(*) AS deployments, count(*) FILTER (WHERE success) AS successes,
       count(*) FILTER (WHERE NOT success OR incidents > 0 OR reverts > 0) AS failures, ${distributionSql('lead')}
     FROM (SELECT *, ${mondaySql('at_ms')} AS monday, ${keptSql('lead_time_ms', 'lead')} FROM ${DEPLOYMENTS})
     GROUP BY ${scope.groupBy}`,
  )) {
    Object.assign(slot(row), {
      deployments: Number(row.successes),
      change_failure_rate: ratio(Number(row.failures), Number(row.deployments)),
      lead_time_p50_ms: distributionOf(row, 'lead').p50,
    });
  }
  for (const row of await duck.all(
    `SELECT ${scope.select}, monday, ${distributionSql('restore')}
     FROM (SELECT *, ${mondaySql('started_at_ms')} AS monday, ${keptSql('restore_ms', 'restore')} FROM ${RESTORES})
     GROUP BY ${scope.groupBy}`,
  )) {
    slot(row).time_to_restore_p50_ms = distributionOf(row, 'restore').p50;
  }
  for (const row of await duck.all(
    `SELECT ${scope.select}, monday, count(*) AS merged, ${distributionSql('cycle')}
     FROM (SELECT *, ${mondaySql('at_ms')} AS monday, ${keptSql('cycle_ms', 'cycle')} FROM ${pullRequests} WHERE merged)
     GROUP BY ${scope.groupBy}`,
  )) {
    Object.assign(slot(row), {
      prs_merged: Number(row.merged),
      cycle_time_p50_ms: distributionOf(row, 'cycle').p50,
    });
  }
  return scopes;
}

/** Every week of the window, empty weeks included, with the CI columns of `ci` (absent: none). */
export function weeklyOf(
  weeks: WeekFiguresByWeek | undefined,
  ci: Map<string, Pick<WeekRow, 'ci_runs' | 'ci_run_p50_ms' | 'ci_failure_rate'>>,
  window: ReportWindow,
): WeekRow[] {
  return weeksOf(window).map((week) => ({
    week,
    deployments: 0,
    change_failure_rate: null,
    lead_time_p50_ms: null,
    time_to_restore_p50_ms: null,
    prs_merged: 0,
    cycle_time_p50_ms: null,
    ci_runs: 0,
    ci_run_p50_ms: null,
    ci_failure_rate: null,
    ...weeks?.get(week),
    ...ci.get(week),
  }));
}
