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
import { type Duck, sqlString } from './duckdb';
import { HOT_ROOT, PACK_SUFFIX, PARTITION_ROOT } from './layout';
import { loadRecordFiles, recordFilesIn } from './record-files';

/** The envelope columns, in order, then `output` and `output_extra`: every metric view's columns. */
const VIEW_COLUMNS = [...Object.keys(ENVELOPE_COLUMNS), 'output', EXTRA_COLUMN]
  .map((c) => `"${c}"`)
  .join(', ');

/**
 * `read_parquet(...)` over one metric's partition files (no Hive columns: the record is the row): those
 * `files` name, or else every file its glob finds when a query runs.
 */
export function partitionSource(root: string, metric: string, files?: readonly string[]): string {
  const source = files
    ? `[${files.map(sqlString).join(', ')}]`
    : sqlString(join(root, PARTITION_ROOT, metric, '**', '*.parquet'));
  return `read_parquet(${source}, union_by_name = true, hive_partitioning = false)`;
}

/** A metric's record struct (its columns but `output_extra`): what a record file is cast to. */
function recordStruct(metric: string): string {
  const fields = Object.entries(metricColumns(metric))
    .filter(([name]) => name !== EXTRA_COLUMN)
    .map(([name, type]) => `"${name}" ${duckdbType(type)}`)
    .join(', ');
  return `STRUCT(${fields})`;
}

/**
 * Record files as rows typed by the metric's column declaration: each file's text cast to the record's
 * struct, so a file that is not JSON, or not a record, becomes no row instead of failing the query (DuckDB's
 * `read_json` cannot skip a malformed pretty-printed file). Read from a table `loadFileTables` filled, or
 * else (lazily, as the DuckDB CLI would) from `glob`.
 */
function jsonSource(glob: string, metric: string, table: string | undefined): string {
  const parsed = table
    ? `SELECT r FROM ${table}`
    : `SELECT TRY_CAST(TRY_CAST(content AS JSON) AS ${recordStruct(metric)}) AS r FROM read_text(${sqlString(glob)})`;
  return parsedRows(parsed);
}

/**
 * Hot packs read lazily: `read_ndjson_objects` gives each line as JSON (a line that is not JSON is skipped
 * by `ignore_errors`), cast to the record's struct like a record file's text.
 */
function packSource(glob: string, metric: string): string {
  return parsedRows(
    `SELECT TRY_CAST(json AS ${recordStruct(metric)}) AS r FROM read_ndjson_objects(${sqlString(glob)}, ignore_errors = true)`,
  );
}

function parsedRows(parsed: string): string {
  return `(SELECT unnest(r), NULL::VARCHAR AS "${EXTRA_COLUMN}" FROM (${parsed}) WHERE r IS NOT NULL)`;
}

/** Tables holding the parsed record files of a metric (`loadFileTables`), by tier. */
export interface FileTables {
  hot?: string;
  legacy?: string;
}

/**
 * Loads the hot and first-layout record files of each metric whose view `sql` names (every metric for the
 * `records` view) into tables, read by Node and parsed by DuckDB in chunks (src/data/record-files.ts): the
 * views then read those instead of `read_text` over a glob, which opens the files one after another (a
 * count over 450,000 hot workflow-job files: 40.7 s through the glob, 11.5 s loaded, the whole command). Metrics the query does not
 * name keep their lazy views. For `viewStatements`.
 */
export async function loadFileTables(
  duck: Duck,
  root: string,
  sql: string,
): Promise<Map<string, FileTables>> {
  const named = (name: string) => new RegExp(`\\b${name}\\b`, 'i').test(sql);
  const loaded = new Map<string, FileTables>();
  for (const metric of columnMetrics()) {
    if (!named(tableName(metric)) && !named('records')) continue;
    const tables: FileTables = {};
    for (const [tier, folder] of [
      ['hot', join(root, HOT_ROOT, metric)],
      ['legacy', join(root, metric)],
    ] as const) {
      if (recordFilesIn(folder, 5, /^\./).next().done) continue;
      const table = `files_${tableName(metric)}_${tier}`;
      const type = recordStruct(metric);
      await duck.run(`CREATE OR REPLACE TEMP TABLE ${table} (filename VARCHAR, r ${type})`);
      // Both layouts are five folders deep: <yyyy>/<mm>/<dd>/<hh>/<hash>.ndjson (packs, split into lines),
      // <yyyy>/<mm>/<dd>/<hhmm>/<id>.json (hot files written before packs) and <owner>/<repo>/<yyyy>/<mm>/
      // (an owner `_` is a custom metric's "no repository"; only `.` folders, git's, are skipped). Index
      // entries, a folder deeper, are never read.
      await loadRecordFiles(duck, { target: table, type, paths: recordFilesIn(folder, 5, /^\./) });
      tables[tier] = table;
    }
    loaded.set(metric, tables);
  }
  return loaded;
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
 * Whether a metric's hot or first-layout folder holds a record file named `*<suffix>`: a walk five folders
 * deep that stops at the first, never listing the minute folders of index entries (one per record).
 */
function hasRecordFiles(dir: string, suffix: string): boolean {
  for (const path of recordFilesIn(dir, 5, /^\./)) if (path.endsWith(suffix)) return true;
  return false;
}

/**
 * The SQL that creates one view per metric (`workflow_job`, `pull_request`, …: envelope columns, `output`
 * as a typed struct, `output_extra`) over partitions, hot record files and first-layout files alike, one
 * row per id (better record wins: complete before partial, then the higher revision, `compareStanding` of
 * src/pipeline/record.ts; then partitions before hot records; a record in two packs is one id like any other; ids with a tombstone left out), and a
 * `records` view with every metric's envelope and `output` as JSON text.
 */
export function viewStatements(root: string, files: ReadonlyMap<string, FileTables> = new Map()): string[] {
  const statements: string[] = [];
  const recordParts: string[] = [];
  for (const metric of columnMetrics()) {
    const sources: string[] = [];
    if (hasFiles(join(root, PARTITION_ROOT, metric), '.parquet')) {
      sources.push(`SELECT ${VIEW_COLUMNS}, 0 AS tier_ FROM ${partitionSource(root, metric)}`);
    }
    const loaded = files.get(metric);
    const hot = join(root, HOT_ROOT, metric);
    if (loaded?.hot) {
      sources.push(
        `SELECT ${VIEW_COLUMNS}, 1 AS tier_ FROM ${jsonSource('', metric, loaded.hot)} ${validRows(metric)}`,
      );
    } else if (!loaded) {
      // Packs (every line a record), and hot files written before packs when a data directory has any.
      if (hasRecordFiles(hot, PACK_SUFFIX)) {
        const glob = join(hot, '*', '*', '*', '*', `*${PACK_SUFFIX}`);
        sources.push(
          `SELECT ${VIEW_COLUMNS}, 1 AS tier_ FROM ${packSource(glob, metric)} ${validRows(metric)}`,
        );
      }
      if (hasRecordFiles(hot, '.json')) {
        const glob = join(hot, '*', '*', '*', '*', '*.json');
        sources.push(
          `SELECT ${VIEW_COLUMNS}, 1 AS tier_ FROM ${jsonSource(glob, metric, undefined)} ${validRows(metric)}`,
        );
      }
    }
    if (loaded ? loaded.legacy : hasRecordFiles(join(root, metric), '.json')) {
      const glob = join(root, metric, '*', '*', '*', '*', '*.json');
      sources.push(
        `SELECT ${VIEW_COLUMNS}, 2 AS tier_ FROM ${jsonSource(glob, metric, loaded?.legacy)} ${validRows(metric)}`,
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
      // Better record wins, in the order every reader uses (`compareStanding`): complete over partial, then a
      // higher revision (a pipeline run's end over its start), then partitions before hot files.
      statements.push(
        `CREATE OR REPLACE VIEW ${view} AS SELECT ${VIEW_COLUMNS} FROM (${sources.join(' UNION ALL ')}) ${retracted}
         QUALIFY row_number() OVER (PARTITION BY id ORDER BY (status = 'complete') DESC, coalesce(revision, '') DESC, tier_) = 1`,
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
