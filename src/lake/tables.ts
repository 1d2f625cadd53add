import { columnMetrics, glueType, metricColumns, tableName } from '../data/columns';

/** A Glue table over one metric's Parquet files: its columns are the metric's typed declaration. */
export interface LakeTable {
  metric: string;
  /** Glue table name: the metric's SQL name with `_records` (the view without the suffix keeps one row per id). */
  name: string;
  /** The view over the table, named as `telemetry query` names it. */
  view: string;
  columns: { name: string; type: string }[];
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
