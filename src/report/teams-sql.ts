import type { Duck } from '../data/duckdb';
import { sqlString } from '../data/duckdb';
import { NO_TEAM, type TeamResolver, type TeamSubject } from './teams';

/**
 * Teams for rows that stay in DuckDB. The teams file's rules are globs (picomatch) tried in order, which SQL
 * cannot evaluate faithfully; but a report has few distinct subjects (repositories × environments, services
 * or label sets), so each distinct subject goes once through `TeamResolver.teamOf` in JS into a small
 * mapping table, joined back in SQL, as src/report/ci.ts does for workflow files.
 */

/** A record's attribute the team rules may look at, by the selector that reads it. */
export type TeamAttribute = 'environment' | 'service' | 'labels';

const SELECTOR = { environment: 'environments', service: 'services', labels: 'labels' } as const;

/**
 * SQL of an attribute as it is compared: a label list as the sorted set of its labels (a rule matches when
 * any label does, so order and repeats do not matter, and fewer distinct lists reach JS).
 */
function keySql(attribute: TeamAttribute, alias: string): string {
  return attribute === 'labels'
    ? `list_sort(list_distinct(coalesce(${alias}.labels, []::VARCHAR[])))`
    : `${alias}.${attribute}`;
}

/**
 * `table` (with `owner`, `repo` and the given attributes) plus a `team` column: the name of a new table
 * (`<table>_teamed`), made once because every figure reads it three times (src/report/scopes-sql.ts). Only
 * the attributes some rule reads are part of the subject; without a teams file every row is in NO_TEAM and
 * a view does.
 */
export async function teamedTable(
  duck: Duck,
  teams: TeamResolver,
  table: string,
  attributes: readonly TeamAttribute[],
): Promise<string> {
  const teamed = `${table}_teamed`;
  // A view without teams, a table with them: whichever an earlier report on this DuckDB left goes first.
  await duck.run(`DROP VIEW IF EXISTS ${teamed}`);
  await duck.run(`DROP TABLE IF EXISTS ${teamed}`);
  if (!teams.enabled) {
    await duck.run(
      `CREATE OR REPLACE TEMP VIEW ${teamed} AS SELECT *, ${sqlString(NO_TEAM)} AS team FROM ${table}`,
    );
    return teamed;
  }
  const used = attributes.filter((attribute) => teams.uses(SELECTOR[attribute]));
  const mapping = `${table}_teams`;
  const keys = used.map((attribute) => `${keySql(attribute, 't')} AS ${attribute}`);
  await duck.run(
    `CREATE OR REPLACE TEMP TABLE ${mapping} AS
     SELECT DISTINCT t.owner, t.repo${keys.map((k) => `, ${k}`).join('')}, NULL::VARCHAR AS team FROM ${table} t`,
  );
  const subjects = await duck.all(`SELECT * FROM ${mapping}`);
  await duck.run(`DELETE FROM ${mapping}`);
  const { LIST, listValue, VARCHAR } = await import('@duckdb/node-api');
  const appender = await duck.appender(mapping);
  for (const row of subjects) {
    const subject: TeamSubject = { owner: String(row.owner), repo: String(row.repo) };
    if ('environment' in row) subject.environment = row.environment as string | null;
    if ('service' in row) subject.service = row.service as string | null;
    if ('labels' in row) subject.labels = row.labels as string[];
    appender.appendVarchar(subject.owner);
    appender.appendVarchar(subject.repo);
    for (const attribute of used) {
      const value = row[attribute] as string | string[] | null;
      if (value === null) appender.appendNull();
      else if (Array.isArray(value)) appender.appendList(listValue(value), LIST(VARCHAR));
      else appender.appendVarchar(value);
    }
    appender.appendVarchar(teams.teamOf(subject));
    appender.endRow();
  }
  appender.closeSync();
  const on = ['owner', 'repo', ...used].map(
    (column) =>
      `m.${column} IS NOT DISTINCT FROM ${column === 'owner' || column === 'repo' ? `t.${column}` : keySql(column as TeamAttribute, 't')}`,
  );
  await duck.run(
    `CREATE OR REPLACE TEMP TABLE ${teamed} AS SELECT t.*, coalesce(m.team, ${sqlString(NO_TEAM)}) AS team
     FROM ${table} t LEFT JOIN ${mapping} m ON ${on.join(' AND ')}`,
  );
  return teamed;
}
