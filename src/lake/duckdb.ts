import { join } from 'node:path';
import { duckdbType, ENVELOPE_COLUMNS, metricColumns } from '../data/columns';
import { sqlString } from '../data/duckdb';
import { metricPrefix } from './layout';
import { type LakeTable, lakeTables } from './tables';
import { viewSql } from './views';

/**
 * DuckDB statements that give a lake (a local directory with the lake's layout, or `s3://bucket` where
 * DuckDB's httpfs extension and AWS credentials are at hand) the tables and views Athena has: one
 * `<metric>_records` table per metric over its Parquet files, with `dt` from the record's day, then the
 * very `CREATE VIEW` statements the stack saves as Athena named queries, and `telemetry query`'s `records`.
 */
export function lakeViewStatements(
  location: string,
  metricsWithFiles: ReadonlySet<string>,
  tables: readonly LakeTable[] = lakeTables(),
): string[] {
  const statements: string[] = [];
  for (const table of tables) {
    statements.push(
      `CREATE OR REPLACE VIEW "${table.name}" AS ${tableSource(location, table, metricsWithFiles)}`,
    );
    statements.push(viewSql(table));
  }
  // `telemetry query`'s `records` view too (DuckDB only: Athena has the per-metric views).
  const envelope = Object.keys(ENVELOPE_COLUMNS)
    .map((c) => `"${c}"`)
    .join(', ');
  statements.push(
    `CREATE OR REPLACE VIEW records AS ${tables
      .map((t) => `SELECT ${envelope}, to_json(output)::VARCHAR AS output FROM "${t.view}"`)
      .join(' UNION ALL ')}`,
  );
  return statements;
}

function tableSource(location: string, table: LakeTable, metricsWithFiles: ReadonlySet<string>): string {
  if (!metricsWithFiles.has(table.metric)) {
    const empty = Object.entries(metricColumns(table.metric))
      .map(([name, type]) => `NULL::${duckdbType(type)} AS "${name}"`)
      .join(', ');
    return `SELECT ${empty}, NULL::VARCHAR AS dt WHERE false`;
  }
  const prefix = metricPrefix(table.metric);
  const glob = location.startsWith('s3://')
    ? `${location.replace(/\/+$/, '')}/${prefix}*/*.parquet`
    : join(location, ...prefix.split('/').filter(Boolean), '*', '*.parquet');
  // The `metric=` folder would clash with the `metric` column as a Hive partition: `dt` is the record's day.
  // Every column cast to its declared type, as `telemetry query` types its views (DuckDB reads the writer's
  // JSON columns as its JSON type otherwise).
  const columns = Object.entries(metricColumns(table.metric))
    .map(([name, type]) => `CAST("${name}" AS ${duckdbType(type)}) AS "${name}"`)
    .join(', ');
  return `SELECT ${columns}, strftime(occurred_at, '%Y-%m-%d') AS dt FROM read_parquet(${sqlString(glob)}, hive_partitioning = false, union_by_name = true)`;
}
