import { type Distribution, ratio } from './stats';

/**
 * What every figure query shares: the scopes a report splits into (the whole report, each repository, each
 * team) and the SQL of a distribution and of a failure rate, so one query per figure yields every scope at
 * once and the numbers are those `Distribution` and `ratio` in src/report/stats.ts define.
 */

export type ScopeKind = 'all' | 'repo' | 'team';

/**
 * The rows of `table` (a table or a subquery with `repository` and `team` columns) once per scope they belong
 * to, as `scope_kind` / `scope`: grouping by those two gives every scope in one pass.
 */
export function scopedSql(table: string, withTeams: boolean): string {
  const parts = [
    `SELECT 'all' AS scope_kind, '' AS scope, * FROM ${table}`,
    `SELECT 'repo' AS scope_kind, repository AS scope, * FROM ${table}`,
  ];
  if (withTeams) parts.push(`SELECT 'team' AS scope_kind, team AS scope, * FROM ${table}`);
  return `(${parts.join(' UNION ALL ')})`;
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
 * The columns a `Distribution` is made of, for the non-negative values of the expression `v` (nulls ignored,
 * negatives counted apart): `<name>_count`, `_p50`, `_p90`, `_mean`, `_negative`. `quantile_cont` is the
 * inclusive percentile (linear interpolation between closest ranks).
 */
export function distributionSql(v: string, name: string): string {
  return `count(${v}) FILTER (WHERE ${v} >= 0) AS ${name}_count,
    quantile_cont(${v}, 0.5) FILTER (WHERE ${v} >= 0) AS ${name}_p50,
    quantile_cont(${v}, 0.9) FILTER (WHERE ${v} >= 0) AS ${name}_p90,
    avg(${v}) FILTER (WHERE ${v} >= 0) AS ${name}_mean,
    count(${v}) FILTER (WHERE ${v} < 0) AS ${name}_negative`;
}

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
  const value = (key: string) => {
    const v = num(row?.[`${name}_${key}`]);
    return count === 0 || v === null ? null : Math.round(v);
  };
  return {
    count,
    p50: value('p50'),
    p90: value('p90'),
    mean: value('mean'),
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
