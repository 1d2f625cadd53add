import picomatch from 'picomatch';
import { appendRows, type Duck } from '../data/duckdb';
import { FACT_TABLES } from './fact-tables';
import type { ReportSettings } from './settings';
import { HOUR_MS } from './stats';
import type { TeamResolver } from './teams';
import { teamedTable } from './teams-sql';

/**
 * The links of docs/REPORTS.md "DORA keys", made over all settled facts before any split by team or
 * repository (so a split never breaks a link), as three tables the DORA and weekly figures aggregate:
 *
 * - `report_deployments`: one row per production deployment with an outcome (its latest success/failure
 *   status), its team, and the incidents and reverts attributed to it;
 * - `report_incidents`: one row per incident (its opened and closed/resolved records merged), with its team;
 * - `report_restores`: restore episodes, from incidents and from failed deployments until the next success.
 *
 * Ties in time (two statuses, deployments or episodes at the same millisecond) are broken by the deployment
 * key, so the figures never depend on the order records were read in.
 */

export const DEPLOYMENTS = 'report_deployments';
export const INCIDENTS = 'report_incidents';
export const RESTORES = 'report_restores';

/** Order of deployments in time; the key settles ties (docs: "latest successful deployment"). */
const IN_TIME = 'at_ms, deployment';

export async function linkDeployments(
  duck: Duck,
  settings: ReportSettings,
  teams: TeamResolver,
): Promise<void> {
  await productionDeployments(duck, settings, teams);
  await mergeIncidents(duck, teams);
  await attributeChangeFailures(duck, settings.changeFailureWindowHours * HOUR_MS);
  await restoreEpisodes(duck);
}

/**
 * Groups statuses by deployment, keeps production ones (a status says `production`, or an environment
 * matches `productionEnvironments`: globs decided in JS once per distinct environment), and takes the latest
 * success/failure status as the outcome (a failure wins a tie with a success at the same millisecond).
 */
async function productionDeployments(
  duck: Duck,
  settings: ReportSettings,
  teams: TeamResolver,
): Promise<void> {
  const statuses = FACT_TABLES.deployment.settled;
  const isProductionName = picomatch(settings.productionEnvironments, { nocase: true, dot: true });
  await duck.run(
    'CREATE OR REPLACE TEMP TABLE report_environments (environment VARCHAR, production BOOLEAN)',
  );
  const environments = await duck.all(`SELECT DISTINCT environment FROM ${statuses}`);
  await appendRows(
    duck,
    'report_environments',
    environments
      .filter(({ environment }) => environment !== null)
      .map(({ environment }) => [String(environment), isProductionName(String(environment))]),
  );

  await duck.run(
    `CREATE OR REPLACE TEMP TABLE report_final_statuses AS
     WITH production AS (
       SELECT s.deployment FROM ${statuses} s LEFT JOIN report_environments e USING (environment)
       GROUP BY s.deployment HAVING bool_or(s.production IS TRUE OR e.production IS TRUE))
     SELECT s.deployment, s.owner, s.repo, s.repository, s.environment, s.deployment_id, s.sha, s.service,
            s.state = 'success' AS success, s.at_ms,
            CASE WHEN s.state = 'success' THEN s.lead_time_ms END AS lead_time_ms, s.commit_count
     FROM ${statuses} s SEMI JOIN production p USING (deployment)
     WHERE s.state IN ('success', 'failure', 'error')
     QUALIFY row_number() OVER (PARTITION BY s.deployment
       ORDER BY s.at_ms DESC, s.state = 'success', s.sha, s.environment, s.lead_time_ms, s.commit_count) = 1`,
  );
  const teamed = await teamedTable(duck, teams, 'report_final_statuses', ['environment', 'service']);
  await duck.run(
    `CREATE OR REPLACE TEMP TABLE ${DEPLOYMENTS} AS
     SELECT *, 0 AS incidents, 0 AS reverts FROM ${teamed}`,
  );
}

/**
 * Joins the records of each incident (per repository and incident key): the earliest opening, the labels of
 * all, and the first resolution, service and links by record time. The team is decided on the merged incident.
 */
async function mergeIncidents(duck: Duck, teams: TeamResolver): Promise<void> {
  const first = (column: string) =>
    `first(${column} ORDER BY at_ms, ${column}) FILTER (WHERE ${column} IS NOT NULL) AS ${column}`;
  await duck.run(
    `CREATE OR REPLACE TEMP TABLE report_merged_incidents AS
     SELECT owner, repo, repository, incident, min(opened_at_ms) AS opened_at_ms, ${first('resolved_at_ms')},
            list_distinct(flatten(list(coalesce(labels, []::VARCHAR[])))) AS labels, ${first('service')},
            ${first('linked_sha')}, ${first('linked_deployment_id')}
     FROM ${FACT_TABLES.incident.settled} GROUP BY owner, repo, repository, incident`,
  );
  const teamed = await teamedTable(duck, teams, 'report_merged_incidents', ['labels', 'service']);
  await duck.run(`CREATE OR REPLACE TEMP TABLE ${INCIDENTS} AS SELECT * EXCLUDE (labels) FROM ${teamed}`);
}

/**
 * A successful deployment is a change failure when an incident names it (its deployment id; else the latest
 * success no later than the opening whose sha starts with the incident's, ≥ 7 characters, case-insensitive),
 * or, without such a link, when an incident opens or a revert merges into the default branch within
 * `windowMs` after it in the same repository and it is the latest success there.
 */
async function attributeChangeFailures(duck: Duck, windowMs: number): Promise<void> {
  await duck.run(
    `CREATE OR REPLACE TEMP TABLE report_successes AS
     SELECT deployment, repository, deployment_id, lower(sha) AS sha, at_ms FROM ${DEPLOYMENTS} WHERE success`,
  );
  // The success an ASOF join finds for "latest at or before": one per repository and millisecond, the last in time order.
  await duck.run(
    `CREATE OR REPLACE TEMP TABLE report_latest_successes AS
     SELECT repository, at_ms, deployment FROM report_successes
     QUALIFY row_number() OVER (PARTITION BY repository, at_ms ORDER BY deployment DESC) = 1`,
  );
  const latestBefore = (events: string, at: string) =>
    `SELECT e.n, s.deployment FROM ${events} e
     ASOF JOIN report_latest_successes s ON s.repository = e.repository AND s.at_ms <= e.${at}
     WHERE e.${at} - s.at_ms <= ${windowMs}`;
  await duck.run(
    `CREATE OR REPLACE TEMP TABLE report_incident_links AS
     SELECT row_number() OVER () AS n, repository, opened_at_ms,
            nullif(linked_deployment_id, '') AS linked_deployment_id,
            CASE WHEN length(linked_sha) >= 7 THEN lower(linked_sha) END AS linked_sha
     FROM ${INCIDENTS}`,
  );
  await duck.run(
    `CREATE OR REPLACE TEMP TABLE report_incident_targets AS
     WITH by_id AS (
       SELECT i.n, first(s.deployment ORDER BY s.at_ms, s.deployment) AS deployment
       FROM report_incident_links i JOIN report_successes s
         ON s.repository = i.repository AND s.deployment_id = i.linked_deployment_id
       GROUP BY i.n),
     by_sha AS (
       SELECT i.n, last(s.deployment ORDER BY s.at_ms, s.deployment) AS deployment
       FROM report_incident_links i JOIN report_successes s
         ON s.repository = i.repository AND left(s.sha, 7) = left(i.linked_sha, 7)
       WHERE starts_with(s.sha, i.linked_sha) AND s.at_ms <= i.opened_at_ms
       GROUP BY i.n),
     latest AS (${latestBefore('report_incident_links', 'opened_at_ms')})
     SELECT coalesce(by_id.deployment, by_sha.deployment, latest.deployment) AS deployment, count(*) AS n
     FROM report_incident_links i LEFT JOIN by_id USING (n) LEFT JOIN by_sha USING (n) LEFT JOIN latest USING (n)
     GROUP BY ALL HAVING coalesce(by_id.deployment, by_sha.deployment, latest.deployment) IS NOT NULL`,
  );
  await duck.run(
    `CREATE OR REPLACE TEMP TABLE report_reverts AS
     SELECT row_number() OVER () AS n, repository, at_ms FROM ${FACT_TABLES.pull_request.settled}
     WHERE merged AND revert AND into_default`,
  );
  await duck.run(
    `CREATE OR REPLACE TEMP TABLE report_revert_targets AS
     SELECT deployment, count(*) AS n FROM (${latestBefore('report_reverts', 'at_ms')}) GROUP BY deployment`,
  );
  await duck.run(
    `UPDATE ${DEPLOYMENTS} d SET incidents = t.n FROM report_incident_targets t WHERE t.deployment = d.deployment`,
  );
  await duck.run(
    `UPDATE ${DEPLOYMENTS} d SET reverts = t.n FROM report_revert_targets t WHERE t.deployment = d.deployment`,
  );
}

/**
 * Restore episodes: each incident (resolved − opened; null while open), and per repository and environment
 * each failure that follows a success (or nothing) up to the next success (null without one).
 */
async function restoreEpisodes(duck: Duck): Promise<void> {
  await duck.run(
    `CREATE OR REPLACE TEMP TABLE ${RESTORES} AS
     SELECT 'incident' AS source, repository, team, opened_at_ms AS started_at_ms,
            resolved_at_ms - opened_at_ms AS restore_ms
     FROM ${INCIDENTS}
     UNION ALL
     SELECT 'deployment', repository, team, at_ms, next_success - at_ms FROM (
       SELECT *,
         lag(success) OVER (PARTITION BY repository, environment ORDER BY ${IN_TIME}) AS after_success,
         min(CASE WHEN success THEN at_ms END) OVER (PARTITION BY repository, environment ORDER BY ${IN_TIME}
           ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_success
       FROM ${DEPLOYMENTS})
     WHERE NOT success AND after_success IS NOT FALSE`,
  );
}
