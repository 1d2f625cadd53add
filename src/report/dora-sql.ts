import type { Duck } from '../data/duckdb';
import { changeFailureRateBand, deploymentFrequencyBand, leadTimeBand, timeToRestoreBand } from './bands';
import { DEPLOYMENTS, RESTORES } from './deployments-sql';
import { byScope, distributionOf, distributionSql, keptSql, Scoped } from './scopes-sql';
import { ratio } from './stats';
import type { DoraFigures } from './summarize';
import { type ReportWindow, windowDays } from './window';

/**
 * The four DORA keys of docs/REPORTS.md per scope, aggregated over the linked deployments and restore
 * episodes of src/report/deployments-sql.ts: one query over deployments, one over episodes.
 */

type Row = Record<string, unknown>;

/** What the queries return for one scope; a scope without deployments or episodes has no rows. */
export interface DoraRows {
  deployments?: Row;
  /** Restore episodes by source (`incident`, `deployment`) and over both (`all`). */
  restores: Record<string, Row>;
}

export async function doraRows(duck: Duck, withTeams: boolean): Promise<Scoped<DoraRows>> {
  const scopes = new Scoped<DoraRows>(() => ({ restores: {} }));
  const scope = byScope(withTeams);
  for (const row of await duck.all(
    `SELECT ${scope.select}, count(*) AS deployments, count(*) FILTER (WHERE success) AS successes,
       count(*) FILTER (WHERE success AND lead_time_ms IS NULL) AS without_lead_time,
       count(*) FILTER (WHERE success AND incidents > 0) AS followed_by_incident,
       count(*) FILTER (WHERE success AND reverts > 0) AS followed_by_revert,
       count(*) FILTER (WHERE success AND (incidents > 0 OR reverts > 0)) AS followed,
       ${distributionSql('lead')}
     FROM (SELECT *, ${keptSql('lead_time_ms', 'lead')} FROM ${DEPLOYMENTS}) GROUP BY ${scope.groupBy}`,
  )) {
    scopes.of(row).deployments = row;
  }
  // Each source alone and both together (`all`).
  const restoreScope = byScope(withTeams, ['source']);
  const both = byScope(withTeams);
  for (const [select, groupBy] of [
    [`${restoreScope.select}, source`, restoreScope.groupBy],
    [`${both.select}, 'all' AS source`, both.groupBy],
  ]) {
    for (const row of await duck.all(
      `SELECT ${select}, count(*) FILTER (WHERE restore_ms IS NULL) AS unresolved, ${distributionSql('restore')}
       FROM (SELECT *, ${keptSql('restore_ms', 'restore')} FROM ${RESTORES}) GROUP BY ${groupBy}`,
    )) {
      scopes.of(row).restores[String(row.source)] = row;
    }
  }
  return scopes;
}

const count = (row: Row | undefined, column: string): number => Number(row?.[column] ?? 0);

export function doraOf(rows: DoraRows | undefined, window: ReportWindow): DoraFigures {
  const d = rows?.deployments;
  const successes = count(d, 'successes');
  const deployments = count(d, 'deployments');
  const perDay = successes / windowDays(window);
  const lead = distributionOf(d, 'lead');
  const failed = deployments - successes;
  const changeFailures = failed + count(d, 'followed');
  const rate = ratio(changeFailures, deployments);
  const restore = distributionOf(rows?.restores.all, 'restore');
  return {
    deployment_frequency: {
      deployments: successes,
      per_day: round(perDay, 4),
      per_week: round(perDay * 7, 4),
      band: deploymentFrequencyBand(successes > 0 ? perDay : null),
    },
    lead_time_for_changes: {
      ...lead,
      without_lead_time: count(d, 'without_lead_time'),
      band: leadTimeBand(lead.p50),
    },
    change_failure_rate: {
      deployments,
      change_failures: changeFailures,
      failed,
      followed_by_incident: count(d, 'followed_by_incident'),
      followed_by_revert: count(d, 'followed_by_revert'),
      rate,
      band: changeFailureRateBand(rate),
    },
    time_to_restore: {
      ...restore,
      from_incidents: distributionOf(rows?.restores.incident, 'restore'),
      from_deployments: distributionOf(rows?.restores.deployment, 'restore'),
      unresolved: count(rows?.restores.all, 'unresolved'),
      band: timeToRestoreBand(restore.p50),
    },
  };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
