import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TOMBSTONE_ROOT } from '../pipeline/record';
import {
  columnMetrics,
  duckdbType,
  ENVELOPE_COLUMNS,
  EXTRA_COLUMN,
  metricColumns,
  tableName,
} from './columns';
import { sqlString } from './duckdb';
import { HOT_ROOT, PARTITION_ROOT } from './layout';

/** The envelope columns, in order, then `output` and `output_extra`: every metric view's columns. */
const VIEW_COLUMNS = [...Object.keys(ENVELOPE_COLUMNS), 'output', EXTRA_COLUMN]
  .map((c) => `"${c}"`)
  .join(', ');

/** `read_parquet(...)` over one metric's partition files (no Hive columns: the record is the row). */
export function partitionSource(root: string, metric: string): string {
  const glob = join(root, PARTITION_ROOT, metric, '**', '*.parquet');
  return `read_parquet(${sqlString(glob)}, union_by_name = true, hive_partitioning = false)`;
}

/**
 * Record files matching `glob` as rows typed by the metric's column declaration: each file is read as text
 * and cast to the record's struct, so a file that is not JSON, or not a record, becomes no row instead of
 * failing the query (DuckDB's `read_json` cannot skip a malformed pretty-printed file).
 */
function jsonSource(glob: string, metric: string): string {
  const fields = Object.entries(metricColumns(metric))
    .filter(([name]) => name !== EXTRA_COLUMN)
    .map(([name, type]) => `"${name}" ${duckdbType(type)}`)
    .join(', ');
  return `(SELECT unnest(r), NULL::VARCHAR AS "${EXTRA_COLUMN}" FROM (SELECT TRY_CAST(TRY_CAST(content AS JSON) AS STRUCT(${fields})) AS r FROM read_text(${sqlString(glob)})) WHERE r IS NOT NULL)`;
}

/** Record files that are not JSON are skipped by `ignore_errors`; files that are not records of `metric`, here. */
function validRows(metric: string): string {
  return `WHERE id IS NOT NULL AND metric = ${sqlString(metric)} AND occurred_at IS NOT NULL AND status IN ('complete', 'partial')`;
}

/** Whether `dir` has a file ending in `suffix` anywhere below it. */
function hasFiles(dir: string, suffix: string): boolean {
  try {
    return readdirSync(dir, { recursive: true }).some((name) => String(name).endsWith(suffix));
  } catch {
    return false;
  }
}

/**
 * The SQL that creates one view per metric (`workflow_job`, `pull_request`, …: envelope columns, `output`
 * as a typed struct, `output_extra`) over partitions, hot record files and first-layout files alike, one
 * row per id (better record wins: higher revision, complete before partial, then partitions before hot
 * files; ids with a tombstone left out), and a
 * `records` view with every metric's envelope and `output` as JSON text.
 */
export function viewStatements(root: string): string[] {
  const statements: string[] = [];
  const recordParts: string[] = [];
  for (const metric of columnMetrics()) {
    const sources: string[] = [];
    if (hasFiles(join(root, PARTITION_ROOT, metric), '.parquet')) {
      sources.push(`SELECT ${VIEW_COLUMNS}, 0 AS tier_ FROM ${partitionSource(root, metric)}`);
    }
    if (hasFiles(join(root, HOT_ROOT, metric), '.json')) {
      const glob = join(root, HOT_ROOT, metric, '*', '*', '*', '*', '*.json');
      sources.push(
        `SELECT ${VIEW_COLUMNS}, 1 AS tier_ FROM ${jsonSource(glob, metric)} ${validRows(metric)}`,
      );
    }
    if (hasFiles(join(root, metric), '.json')) {
      const glob = join(root, metric, '*', '*', '*', '*', '*.json');
      sources.push(
        `SELECT ${VIEW_COLUMNS}, 2 AS tier_ FROM ${jsonSource(glob, metric)} ${validRows(metric)}`,
      );
    }
    const view = `"${tableName(metric)}"`;
    if (sources.length === 0) {
      const empty = Object.entries(metricColumns(metric))
        .map(([name, type]) => `NULL::${duckdbType(type)} AS "${name}"`)
        .join(', ');
      statements.push(`CREATE OR REPLACE VIEW ${view} AS SELECT ${empty} WHERE false`);
    } else {
      // Ids with a tombstone (a sender retracted the item, docs/DATA.md) are left out whatever their tier.
      const tombstones = join(root, TOMBSTONE_ROOT, metric);
      const retracted = hasFiles(tombstones, '.json')
        ? `WHERE id NOT IN (SELECT json_extract_string(content, '$.id') FROM read_text(${sqlString(join(tombstones, '*', '*', '*.json'))})
             WHERE json_extract_string(content, '$.status') = 'retracted' AND json_extract_string(content, '$.metric') = ${sqlString(metric)})`
        : '';
      // Better record wins: a higher revision (a pipeline run's end over its start), complete over partial,
      // then partitions before hot files.
      statements.push(
        `CREATE OR REPLACE VIEW ${view} AS SELECT ${VIEW_COLUMNS} FROM (${sources.join(' UNION ALL ')}) ${retracted}
         QUALIFY row_number() OVER (PARTITION BY id ORDER BY coalesce(revision, '') DESC, (status = 'complete') DESC, tier_) = 1`,
      );
    }
    const envelope = Object.keys(ENVELOPE_COLUMNS)
      .map((c) => `"${c}"`)
      .join(', ');
    recordParts.push(`SELECT ${envelope}, to_json(output)::VARCHAR AS output FROM ${view}`);
  }
  statements.push(`CREATE OR REPLACE VIEW records AS ${recordParts.join(' UNION ALL ')}`);
  return statements;
}
