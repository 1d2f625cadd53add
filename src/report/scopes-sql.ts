import { type Distribution, ratio } from './stats';

/**
 * What every figure query shares: the scopes a report splits into (the whole report, each repository, each
 * team) and the SQL of a distribution and of a failure rate, so one query per figure yields every scope at
 * once and the numbers are those `Distribution` and `ratio` in src/report/stats.ts define.
 */

export type ScopeKind = 'all' | 'repo' | 'team';

/**
 * Grouping by scope in one pass over rows with `repository` and `team` columns: `select` names each result
 * row's scope (`scope_kind`, `scope`), `groupBy` makes one group per scope (and per `extra` key: a week, a
 * source), and ends the query (it carries a HAVING). GROUPING SETS read the rows once instead of once per kind
 * of scope. Over rows with `owner` and `repo`, `byOwnerAndRepo` groups by those and names the repository once
 * per group rather than once per row (`owner || '/' || repo` over 4.5M jobs: 30 ms a query).
 */
export function byScope(
  withTeams: boolean,
  extra: readonly string[] = [],
  byOwnerAndRepo = false,
): { select: string; groupBy: string } {
  const [key, repository] = byOwnerAndRepo
    ? [['owner', 'repo'], "owner || '/' || repo"]
    : [['repository'], 'repository'];
  const sets = [[...extra], [...key, ...extra]];
  if (withTeams) sets.push(['team', ...extra]);
  const team = withTeams ? "WHEN grouping(team) = 0 THEN 'team'" : '';
  const teamScope = withTeams ? 'WHEN grouping(team) = 0 THEN team' : '';
  return {
    select: `CASE WHEN grouping(${key[0]}) = 0 THEN 'repo' ${team} ELSE 'all' END AS scope_kind,
      coalesce(CASE WHEN grouping(${key[0]}) = 0 THEN ${repository} ${teamScope} END, '') AS scope`,
    // The grand total `()` yields a row even over no rows at all: a scope without rows has no row.
    groupBy: `GROUPING SETS (${sets.map((set) => `(${set.join(', ')})`).join(', ')}) HAVING count(*) > 0`,
  };
}

/** A figure's value per scope, made on first use; `all` always exists. */
export class Scoped<T> {
  readonly all: T;
  readonly by_repo = new Map<string, T>();
  readonly by_team = new Map<string, T>();

  constructor(private readonly make: () => T) {
    this.all = make();
  }

  /** The value of a result row's scope (`scope_kind`, `scope`), created empty when first seen. */
  of(row: Record<string, unknown>): T {
    const kind = String(row.scope_kind) as ScopeKind;
    if (kind === 'all') return this.all;
    const map = kind === 'repo' ? this.by_repo : this.by_team;
    const key = String(row.scope);
    let value = map.get(key);
    if (value === undefined) {
      value = this.make();
      map.set(key, value);
    }
    return value;
  }

  /** The value of one repository or team, if that scope had rows. */
  get(kind: 'repo' | 'team', scope: string): T | undefined {
    return (kind === 'repo' ? this.by_repo : this.by_team).get(scope);
  }
}

/** Conclusions that count as failed runs or jobs; `success` is the only passing one (stats: `ratio`). */
const FAILED = "('failure', 'timed_out', 'startup_failure')";

/**
 * A distribution is made in two steps so each value is looked at once: `keptSql` projects the expression `v`
 * into `<name>_kept` (the non-negative values; nulls stay null) and `<name>_negative`, and
 * `distributionSql` aggregates those into `<name>_count`, `_q` ([p50, p90]: `quantile_cont` is the
 * inclusive percentile, linear interpolation between closest ranks), `_mean` and `_negative`.
 */
export function keptSql(v: string, name: string): string {
  return `CASE WHEN ${v} >= 0 THEN ${v} END AS ${name}_kept, ${v} < 0 AS ${name}_negative`;
}

export function distributionSql(name: string): string {
  return `count(${name}_kept) AS ${name}_count, quantile_cont(${name}_kept, [0.5, 0.9]) AS ${name}_q,
    avg(${name}_kept) AS ${name}_mean, count_if(${name}_negative) AS ${name}_negative`;
}

/** The p50 of a `distributionSql` aggregate, rounded as a `Distribution`'s (for ordering top lists in SQL). */
export const p50Sql = (name: string): string => `round(${name}_q[1])`;
export const p90Sql = (name: string): string => `round(${name}_q[2])`;

/** Failed and decided (failed or passed) counts of a `conclusion` column: `<name>_failed`, `_decided`. */
export function failureSql(name: string, conclusion = 'conclusion'): string {
  return `count(*) FILTER (WHERE ${conclusion} IN ${FAILED}) AS ${name}_failed,
    count(*) FILTER (WHERE ${conclusion} IN ${FAILED} OR ${conclusion} = 'success') AS ${name}_decided`;
}

export const num = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);

/** Reads the columns of `distributionSql` back as a `Distribution` (p50, p90 and mean rounded with Math.round). */
export function distributionOf(row: Record<string, unknown> | undefined, name: string): Distribution {
  const count = Number(row?.[`${name}_count`] ?? 0);
  const quantiles = (row?.[`${name}_q`] as (number | null)[] | null | undefined) ?? [];
  const rounded = (v: unknown) => {
    const value = num(v);
    return count === 0 || value === null ? null : Math.round(value);
  };
  return {
    count,
    p50: rounded(quantiles[0]),
    p90: rounded(quantiles[1]),
    mean: rounded(row?.[`${name}_mean`]),
    excluded_negative: Number(row?.[`${name}_negative`] ?? 0),
  };
}

export const failureOf = (row: Record<string, unknown>, name: string): number | null =>
  ratio(Number(row[`${name}_failed`]), Number(row[`${name}_decided`]));

/** The Monday (days since 1970-01-01) of the week holding the epoch-ms expression `ms`, as `weekOf()`. */
export function mondaySql(ms: string): string {
  // 1970-01-01 was a Thursday: (day + 3) % 7 is 0 on Mondays; the double modulo keeps days before 1970 right.
  return `(floor(${ms} / 86400000) - (((floor(${ms} / 86400000) + 3) % 7) + 7) % 7)`;
}
