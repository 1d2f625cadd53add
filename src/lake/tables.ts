import { type ColumnType, columnMetrics, metricColumns, tableName } from '../data/columns';

/** A Glue table over one metric's Parquet files: its columns are the metric's typed declaration. */
export interface LakeTable {
  metric: string;
  /** Glue table name: the metric's SQL name with `_records` (the view without the suffix keeps one row per id). */
  name: string;
  /** The view over the table, named as `telemetry query` names it. */
  view: string;
  columns: { name: string; type: string }[];
}

/**
 * The Glue (Hive DDL) type of a declared column: the same shapes the Parquet writer produces, so Athena
 * reads every file without a cast. `json` columns are text; `ms` durations 64-bit; `timestamp` a UTC instant.
 */
export function glueType(type: ColumnType): string {
  if (typeof type === 'string') {
    switch (type) {
      case 'string':
      case 'json':
        return 'string';
      case 'int':
        return 'int';
      case 'ms':
        return 'bigint';
      case 'double':
        return 'double';
      case 'boolean':
        return 'boolean';
      case 'timestamp':
        return 'timestamp';
    }
  }
  if ('struct' in type) {
    return `struct<${Object.entries(type.struct)
      .map(([name, t]) => `${name}:${glueType(t)}`)
      .join(',')}>`;
  }
  return `array<${glueType(type.list)}>`;
}

/** One table per metric with declared columns, derived from `src/data/columns.ts` (never written twice). */
export function lakeTables(): LakeTable[] {
  return columnMetrics().map((metric) => ({
    metric,
    name: `${tableName(metric)}_records`,
    view: tableName(metric),
    columns: Object.entries(metricColumns(metric)).map(([name, type]) => ({ name, type: glueType(type) })),
  }));
}
