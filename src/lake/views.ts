import type { LakeTable } from './tables';

/**
 * The view of one metric: one row per record id, the better record (complete beats partial; among equals
 * the first collected, as the data repository keeps the first file), with the columns of `telemetry
 * query`'s view of the metric. The window is over the id alone, not the day: a few metrics can place one
 * id on two days (docs/DATA.md, "Deduplicate by id"), so a filter on `dt` belongs on the `_records` table.
 *
 * Plain SQL both engines read the same way: Athena (a saved named query in the workgroup, run once) and
 * DuckDB (`lakeViewStatements` runs the same statement over a local copy of the files).
 */
export function viewSql(table: LakeTable): string {
  const columns = table.columns.map((c) => quote(c.name)).join(', ');
  return [
    `CREATE OR REPLACE VIEW ${quote(table.view)} AS`,
    `SELECT ${columns}`,
    'FROM (',
    `  SELECT ${columns},`,
    '    row_number() OVER (',
    '      PARTITION BY id',
    "      ORDER BY CASE WHEN status = 'complete' THEN 0 ELSE 1 END, collected_at, received_at",
    '    ) AS record_rank',
    `  FROM ${quote(table.name)}`,
    ')',
    'WHERE record_rank = 1',
  ].join('\n');
}

/** A SQL identifier (every declared name is lower-case letters, digits and underscores already). */
function quote(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a SQL name: ${JSON.stringify(name)}`);
  return `"${name}"`;
}
