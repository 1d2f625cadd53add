import { appendRows, type Cell, type Duck, sqlString } from '../data/duckdb';
import type { DeploymentStatusFact, Fact, IncidentFact, PipelineRunFact, PullRequestFact } from './facts';

/**
 * The report's facts as DuckDB tables, so every figure is a query and no record has to live in JS.
 *
 * The reader (src/report/read.ts) fills the `*_src` tables with every version of every record file it
 * reads: hot and first-layout files by SQL or, for files and partition rows it has to judge one by one,
 * through `appendFacts` (tier 1; first-layout files read by SQL are tier 2, so a hot file wins a tie); the
 * partition rows (tier 0) stay in their files, read by the views `partsOf` names (`definePartitionRows`).
 * `settleFacts` then keeps one row per id, better record wins (complete over partial, then the higher
 * revision: `compareStanding` of src/pipeline/record.ts; then a partition row over a file, then the earlier
 * one), leaves retracted ids out, and
 * names the settled tables the figures are computed from (src/report/figures.ts and the *-sql.ts modules it calls).
 * Times are epoch milliseconds as DOUBLE, like the CI tables of src/report/ci.ts.
 */

/** Columns every source table starts with: the record's standing and its envelope. */
const ENVELOPE = `id VARCHAR, revision VARCHAR, complete BOOLEAN, tier UTINYINT, metric VARCHAR,
  owner VARCHAR, repo VARCHAR, at_ms DOUBLE`;

/** The fact columns of each kind (src/report/facts.ts: the same fields, snake_case). */
export const FACT_COLUMNS = {
  /** deployment-status and push-deployment; `at_ms` is the status's (or finish) time. */
  deployment: `deployment VARCHAR, deployment_id VARCHAR, state VARCHAR, environment VARCHAR, production BOOLEAN,
    sha VARCHAR, service VARCHAR, lead_time_ms DOUBLE, commit_count INTEGER`,
  /** incident and push-incident: one row per record (opened / closed); merged per `incident` later. */
  incident: `incident VARCHAR, opened_at_ms DOUBLE, resolved_at_ms DOUBLE, labels VARCHAR[], service VARCHAR,
    linked_sha VARCHAR, linked_deployment_id VARCHAR`,
  /** pull-request; `at_ms` is merged_at for merged ones, occurred_at otherwise. */
  pull_request: `merged BOOLEAN, revert BOOLEAN, into_default BOOLEAN, bot BOOLEAN, labels VARCHAR[],
    reviewed BOOLEAN, size DOUBLE, coding_ms DOUBLE, pickup_ms DOUBLE, review_ms DOUBLE, merge_ms DOUBLE,
    cycle_ms DOUBLE`,
  /** pipeline-run (pushed): every run, queued and in progress included (the figures keep finished ones). */
  pipeline_run: `source VARCHAR, pipeline VARCHAR, conclusion VARCHAR, queue_ms DOUBLE, duration_ms DOUBLE`,
} as const;

export type FactKind = keyof typeof FACT_COLUMNS;

/** Source table (every version read) and settled table (one row per id) of each kind. */
export const FACT_TABLES: Record<FactKind, { src: string; settled: string }> = {
  deployment: { src: 'deployment_src', settled: 'deployment_statuses' },
  incident: { src: 'incident_src', settled: 'incident_records' },
  pull_request: { src: 'pull_request_src', settled: 'pull_requests' },
  pipeline_run: { src: 'pipeline_run_src', settled: 'pipeline_runs' },
};

/** Ids a sender retracted (tombstones): no version of them is counted. */
export const RETRACTED_TABLE = 'retracted_ids';

const KINDS = Object.keys(FACT_COLUMNS) as FactKind[];

export async function createFactTables(duck: Duck): Promise<void> {
  for (const kind of KINDS)
    await createSourceTable(duck, FACT_TABLES[kind].src, `${ENVELOPE}, ${FACT_COLUMNS[kind]}`);
  await duck.run(`CREATE OR REPLACE TEMP TABLE ${RETRACTED_TABLE} (id VARCHAR)`);
}

/** A fact read in JS (a file judged one by one) with its standing. */
export interface FactOffer {
  id: string;
  revision: string | null;
  complete: boolean;
  metric: string;
  fact: Exclude<Fact, { kind: 'workflow-job' | 'workflow-run' }>;
}

/** Appends facts read in JS (tier 1) to their source tables. */
export async function appendFacts(duck: Duck, offers: readonly FactOffer[]): Promise<void> {
  const byKind: Record<FactKind, Cell[][]> = {
    deployment: [],
    incident: [],
    pull_request: [],
    pipeline_run: [],
  };
  for (const { id, revision, complete, metric, fact } of offers) {
    const envelope: Cell[] = [id, revision, complete, 1, metric, fact.owner, fact.repo, fact.at];
    switch (fact.kind) {
      case 'deployment':
        byKind.deployment.push([...envelope, ...deploymentCells(fact)]);
        break;
      case 'incident':
        byKind.incident.push([...envelope, ...incidentCells(fact)]);
        break;
      case 'pull-request':
        byKind.pull_request.push([...envelope, ...pullRequestCells(fact)]);
        break;
      case 'pipeline-run':
        byKind.pipeline_run.push([...envelope, ...pipelineRunCells(fact)]);
        break;
    }
  }
  for (const kind of KINDS) await appendRows(duck, FACT_TABLES[kind].src, byKind[kind]);
}

/**
 * The partition rows of a source table (`<src>_parts`): a view that every query needing them reads in place
 * from the Parquet files, never copied into DuckDB's memory. At 10 million records the copies were 9.2
 * million rows beyond the report's 384 MB memory limit, spilled to disk and read back (3.4 s to copy them
 * in). It has the source table's columns.
 */
export const partsOf = (src: string): string => `${src}_parts`;

/** A source table and its partition rows' view, empty until `definePartitionRows`. */
export async function createSourceTable(duck: Duck, src: string, columns: string): Promise<void> {
  await duck.run(`CREATE OR REPLACE TEMP TABLE ${src} (${columns})`);
  await duck.run(`CREATE OR REPLACE TEMP TABLE ${hashesOf(src)} (h UBIGINT)`);
  await definePartitionRows(duck, src, []);
}

/** The 64-bit hashes of the ids of a source table's partition rows (`hashPartitionRows`), for settling. */
const hashesOf = (src: string): string => `${src}_parts_hashes`;

/**
 * Records the hashes of the ids of partition rows (`from`: a FROM clause over rows with `id`, the rows the
 * view of `src` will hold) and returns how many rows: the reader counts its partition rows in the same pass,
 * and settling finds the ids with several versions without reading the partitions again.
 */
export async function hashPartitionRows(duck: Duck, src: string, from: string): Promise<number> {
  const [inserted] = await duck.all(`INSERT INTO ${hashesOf(src)} SELECT hash(id) FROM ${from}`);
  // DuckDB answers an INSERT with one row: the count of rows inserted.
  return Number(inserted?.Count ?? 0);
}

/** Partition rows of one metric: each source column's SQL (missing ones are NULL) over `from`. */
export interface PartitionRows {
  values: Record<string, string>;
  from: string;
}

/**
 * Defines the view of `src`'s partition rows as the union of `parts`, each column cast to the source table's
 * type, in its order; `where` (an SQL condition over the columns of `p`) keeps some of them.
 */
export async function definePartitionRows(
  duck: Duck,
  src: string,
  parts: readonly PartitionRows[],
  where?: string,
): Promise<void> {
  const columns = await duck.all(
    `SELECT column_name AS name, data_type AS type FROM duckdb_columns()
     WHERE table_name = ${sqlString(src)} ORDER BY column_index`,
  );
  const select = (values: Record<string, string>, from: string) =>
    `SELECT ${columns
      .map(({ name, type }) => `CAST(${values[String(name)] ?? 'NULL'} AS ${type}) AS "${name}"`)
      .join(', ')} ${from}`;
  // Its columns named one by one, so that they stay the same when the table's change (`settleTable`).
  const selects =
    parts.length > 0
      ? parts.map((part) => select(part.values, `FROM ${part.from}`))
      : [select({}, 'WHERE false')];
  await duck.run(
    `CREATE OR REPLACE TEMP VIEW ${partsOf(src)} AS
     SELECT * FROM (${selects.join(' UNION ALL ')}) p ${where ? `WHERE ${where}` : ''}`,
  );
}

/** Appends retracted ids. */
export async function appendRetracted(duck: Duck, ids: Iterable<string>): Promise<void> {
  await appendRows(
    duck,
    RETRACTED_TABLE,
    [...ids].map((id) => [id]),
  );
}

const deploymentCells = (f: DeploymentStatusFact): Cell[] => [
  f.deployment,
  f.deploymentId,
  f.state,
  f.environment,
  f.production,
  f.sha,
  f.service,
  f.leadTimeMs,
  f.commitCount,
];
const incidentCells = (f: IncidentFact): Cell[] => [
  f.incident,
  f.openedAt,
  f.resolvedAt,
  f.labels,
  f.service,
  f.linkedSha,
  f.linkedDeploymentId,
];
const pullRequestCells = (f: PullRequestFact): Cell[] => [
  f.merged,
  f.revert,
  f.intoDefault,
  f.bot,
  f.labels,
  f.reviewed,
  f.size,
  f.coding,
  f.pickup,
  f.review,
  f.merge,
  f.cycle,
];
const pipelineRunCells = (f: PipelineRunFact): Cell[] => [
  f.source,
  f.pipeline,
  f.conclusion,
  f.queueMs,
  f.durationMs,
];

/** What `records` (docs/REPORTS.md) says of the settled facts. */
export interface FactCounts {
  /** Distinct ids kept, by metric. */
  by_metric: Record<string, number>;
  /** Versions beyond the first of an id (live + backfill, redelivery). */
  duplicates: number;
  /** Versions left out because their id was retracted. */
  retracted: number;
  /** Rows that came from partitions (tier 0). */
  partition_rows: number;
}

/** What settling one source table counted, for one metric. */
export interface SettledCounts {
  metric: string;
  /** Versions left out because their id was retracted. */
  retracted: number;
  /** Versions beyond the first of an id. */
  duplicates: number;
  /** Distinct ids kept. */
  distinct: number;
  /** Rows that came from partitions (tier 0). */
  partition_rows: number;
}

/**
 * Settles the source table `src` and its partition rows (`partsOf(src)`) to one row per id (better record
 * wins: complete over partial, then the higher revision, the total order `compareStanding` of
 * src/pipeline/record.ts that compaction and `telemetry senders` use too; then the lower tier; between equals
 * the earlier one, as hot files are met in path order, which is time order), retracted ids left out; `metric`
 * is the SQL of a row's metric. Most ids have one version, and a window over every row costs memory the
 * report does not have at 10 million rows: the ids with several versions are found first, by grouping the
 * 64-bit hashes of every id (a collision only adds candidates: versions are ranked by id), and only their
 * versions are ranked: the partition rows among them and those of retracted ids are copied into the table
 * (few: late records for a compacted period), the partition view leaves them out by id, and the versions
 * that lose are deleted from the table.
 *
 * That first pass covers partition rows too, on purpose: partitions do not hold each id once. One id can
 * stand in two partition days (the time that places a record can change between two ways of collecting
 * it, docs/DATA.md "Deduplicate by id") and a compaction stopped halfway leaves a day's two generations, so
 * candidates taken from the hot tier alone (a semi-join of the partition rows against the hot ids) would
 * miss duplicates. The partition ids' hashes come from the reader's pass that counts the valid rows
 * (`hashPartitionRows`); grouping 10 million hashes costs about 0.65 s here, on both threads (one thread
 * was needed while the partitions' rows filled the tables; the report's peak RSS now stays below 900 MB).
 * Once settled, the standing columns are dropped from the table: the figures' percentiles, which DuckDB
 * holds beyond its memory limit, get their memory. The settled rows are the table's and the partition rows
 * kept (`settledRows`).
 */
export async function settleTable(duck: Duck, options: { src: string; metric: string }): Promise<Settled> {
  const { src, metric } = options;
  const parts = partsOf(src);
  const retracted = `(SELECT id FROM ${RETRACTED_TABLE})`;
  await duck.run(
    `CREATE OR REPLACE TEMP TABLE settle_hashes AS
     SELECT h, bool_or(in_parts) AS in_parts
     FROM (SELECT hash(id) AS h, false AS in_parts FROM ${src} UNION ALL SELECT h, true FROM ${hashesOf(src)})
     GROUP BY h HAVING count(*) > 1`,
  );
  const multi = 'hash(id) IN (SELECT h FROM settle_hashes)';
  // The partition versions of those ids (and of hash collisions, and retracted ids) join the table, where
  // versions are ranked; the view leaves them out by id.
  // Retracted ids are few, and most are not in partitions: only those whose hash is there are looked for.
  await duck.run(
    `CREATE OR REPLACE TEMP TABLE settle_contested AS
     SELECT h FROM settle_hashes WHERE in_parts
     UNION SELECT hash(id) FROM ${RETRACTED_TABLE} WHERE hash(id) IN (SELECT h FROM ${hashesOf(src)})`,
  );
  const [{ contested }] = (await duck.all('SELECT count(*) AS contested FROM settle_contested')) as [
    { contested: bigint },
  ];
  let kept = parts;
  if (Number(contested) > 0) {
    const moved = `${src}_moved`;
    await duck.run(
      `CREATE OR REPLACE TEMP TABLE ${moved} AS SELECT * FROM ${parts}
       WHERE hash(id) IN (SELECT h FROM settle_contested)`,
    );
    await duck.run(`INSERT INTO ${src} SELECT * FROM ${moved}`);
    kept = `(SELECT * FROM ${parts} WHERE id NOT IN (SELECT id FROM ${moved}))`;
  }
  // The table's versions (flagged), then the partition rows left in the view: one version of an id each.
  const flagged = `(SELECT *, id IN ${retracted} AS retracted_, ${multi} AS multi_ FROM ${src})`;
  const rows = await duck.all(
    `SELECT metric, sum(retracted) AS retracted, sum(kept) AS kept, sum(distinct_ids) AS distinct_ids,
       sum(partition_rows) AS partition_rows
     FROM (
       SELECT ${metric} AS metric,
         count(*) FILTER (WHERE retracted_) AS retracted,
         count(*) FILTER (WHERE NOT retracted_) AS kept,
         count(*) FILTER (WHERE NOT retracted_ AND NOT multi_)
           + count(DISTINCT id) FILTER (WHERE NOT retracted_ AND multi_) AS distinct_ids,
         count(*) FILTER (WHERE tier = 0) AS partition_rows
       FROM ${flagged} GROUP BY ALL
       UNION ALL
       SELECT ${metric} AS metric, 0 AS retracted, count(*) AS kept, count(*) AS distinct_ids,
         count(*) AS partition_rows
       FROM ${kept} GROUP BY ALL)
     GROUP BY metric`,
  );
  // Settled in place: the versions that lose are deleted (few: retracted ids and all but the best version of
  // an id with several) and the settled rows are a view of what is left. Copying every row into a new
  // table instead took 4.7 s of the 6.4 s settling 10 million rows took.
  await duck.run(
    `DELETE FROM ${src} WHERE id IN ${retracted} OR rowid IN (
     SELECT rowid FROM ${src} WHERE ${multi}
     QUALIFY row_number() OVER (PARTITION BY id
       ORDER BY complete DESC, coalesce(revision, '') DESC, tier, at_ms) > 1)`,
  );
  // The standing has done its work: dropped, its memory goes to the figures' percentiles.
  for (const column of STANDING) await duck.run(`ALTER TABLE ${src} DROP COLUMN ${column}`);
  await duck.run('DROP TABLE settle_hashes');
  await duck.run('DROP TABLE settle_contested');
  await duck.run(`DROP TABLE ${hashesOf(src)}`);
  return {
    counts: rows.map((row) => {
      const r = row as Record<string, bigint | string>;
      return {
        metric: String(r.metric),
        retracted: Number(r.retracted),
        duplicates: Number(r.kept) - Number(r.distinct_ids),
        distinct: Number(r.distinct_ids),
        partition_rows: Number(r.partition_rows),
      };
    }),
    parts: `(SELECT * EXCLUDE (${STANDING.join(', ')}) FROM ${kept})`,
  };
}

/** The columns of a version's standing, which settling reads and then drops. */
const STANDING = ['id', 'revision', 'complete', 'tier'];

/** What settling a source table gives: its counts, and its partition rows that are kept. */
export interface Settled {
  counts: SettledCounts[];
  /** The partition rows kept (a FROM clause), with the source table's columns once settled. */
  parts: string;
}

/** A settled source table's rows: its own, then its partition rows kept (a FROM clause). */
export function settledRows(src: string, settled: Settled): string {
  return `(SELECT * FROM ${src} UNION ALL SELECT * FROM ${settled.parts})`;
}

/**
 * One row per id in each settled table (`FACT_TABLES[kind].settled`: the source columns without the
 * standing, plus `repository` = owner/repo: views of the settled source tables), retracted ids left out.
 */
export async function settleFacts(duck: Duck): Promise<FactCounts> {
  const counts: FactCounts = { by_metric: {}, duplicates: 0, retracted: 0, partition_rows: 0 };
  for (const kind of KINDS) {
    const { src, settled } = FACT_TABLES[kind];
    const rows = await settleTable(duck, { src, metric: 'metric' });
    await duck.run(
      `CREATE OR REPLACE TEMP VIEW ${settled} AS
       SELECT *, owner || '/' || repo AS repository FROM ${settledRows(src, rows)}`,
    );
    for (const c of rows.counts) {
      counts.retracted += c.retracted;
      counts.duplicates += c.duplicates;
      counts.partition_rows += c.partition_rows;
      counts.by_metric[c.metric] = c.distinct;
    }
  }
  return counts;
}
