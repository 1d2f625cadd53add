import type { Duck } from '../data/duckdb';
import { FACT_TABLES } from './fact-tables';
import { byScope, distributionOf, distributionSql, keptSql, Scoped } from './scopes-sql';
import { ratio } from './stats';
import { type FlowFigures, SIZE_BUCKETS, type SizeBucket } from './summarize';
import type { TeamResolver } from './teams';
import { teamedTable } from './teams-sql';

/**
 * Pull-request flow (docs/REPORTS.md "Flow") per scope in one query over the settled pull requests: counts,
 * the cycle-time and stage distributions, sizes and their buckets, and merges without review, all over
 * merged pull requests except `closed_unmerged`.
 */

type Row = Record<string, unknown>;

const STAGES = ['cycle', 'coding', 'pickup', 'review', 'merge'] as const;

/** The settled pull requests with their team (labels are what the team rules may read). */
export function teamedPullRequests(duck: Duck, teams: TeamResolver): Promise<string> {
  return teamedTable(duck, teams, FACT_TABLES.pull_request.settled, ['labels']);
}

/** One row of counts and distributions per scope (`{}` before its row is read). */
export async function flowRows(duck: Duck, pullRequests: string, withTeams: boolean): Promise<Scoped<Row>> {
  const scopes = new Scoped<Row>(() => ({}));
  // Bucket bounds are exclusive upper bounds; the last (XL) takes everything else.
  const buckets = SIZE_BUCKETS.map(([name, below], i) => {
    const lower = i === 0 ? '' : `AND size >= ${SIZE_BUCKETS[i - 1]?.[1]}`;
    const upper = Number.isFinite(below) ? `AND size < ${below}` : '';
    return `count(*) FILTER (WHERE merged ${upper} ${lower}) AS bucket_${name}`;
  });
  const scope = byScope(withTeams, [], true);
  // The stage and size distributions are those of merged pull requests (a value of another is NULL: neither
  // kept nor negative), in the same pass as the counts. A percentile holds every value of its group until the
  // query ends, beyond DuckDB's limit: six here, over the pull requests (1.5M at 10M records: 115 MB).
  const distributions: [string, string][] = [
    ...STAGES.map((stage): [string, string] => [stage, `${stage}_ms`]),
    ['size', 'size'],
  ];
  const kept = distributions.map(([name, column]) => keptSql(`CASE WHEN merged THEN ${column} END`, name));
  for (const row of await duck.all(
    `SELECT ${scope.select}, count(*) AS prs, count(*) FILTER (WHERE merged) AS merged,
       count(*) FILTER (WHERE merged AND bot) AS merged_by_bots,
       count(*) FILTER (WHERE merged AND reviewed = false) AS unreviewed,
       count(*) FILTER (WHERE merged AND reviewed IS NULL) AS review_unknown, ${buckets.join(', ')},
       ${distributions.map(([name]) => distributionSql(name)).join(', ')}
     FROM (SELECT *, ${kept.join(', ')} FROM ${pullRequests}) GROUP BY ${scope.groupBy}`,
  )) {
    Object.assign(scopes.of(row), row);
  }
  return scopes;
}

export function flowOf(row: Row | undefined): FlowFigures {
  const count = (column: string) => Number(row?.[column] ?? 0);
  const merged = count('merged');
  const unknown = count('review_unknown');
  const unreviewed = count('unreviewed');
  return {
    merged,
    closed_unmerged: count('prs') - merged,
    merged_by_bots: count('merged_by_bots'),
    cycle_time: distributionOf(row, 'cycle'),
    stages: {
      coding: distributionOf(row, 'coding'),
      pickup: distributionOf(row, 'pickup'),
      review: distributionOf(row, 'review'),
      merge: distributionOf(row, 'merge'),
    },
    size: {
      ...distributionOf(row, 'size'),
      buckets: Object.fromEntries(SIZE_BUCKETS.map(([name]) => [name, count(`bucket_${name}`)])) as Record<
        SizeBucket,
        number
      >,
    },
    merged_without_review: { count: unreviewed, rate: ratio(unreviewed, merged - unknown), unknown },
  };
}
