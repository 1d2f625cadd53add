import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';

/** DuckDB's memory limit for reports and queries unless `TELEMETRY_DUCKDB_MEMORY` says otherwise. */
export const DEFAULT_MEMORY_LIMIT = '1GB';

export interface Duck {
  /** Runs SQL and returns every row as plain JS values (bigint, Date, objects, arrays). */
  all(sql: string): Promise<Record<string, unknown>[]>;
  /** Runs SQL and returns the column names and the rows as JSON-safe values (big integers as text). */
  table(sql: string): Promise<{ columns: string[]; rows: Record<string, unknown>[] }>;
  run(sql: string): Promise<void>;
  /** Runs SQL and hands the rows over chunk by chunk (plain JS values), never all at once. */
  each(sql: string, onRows: (rows: Record<string, unknown>[]) => void): Promise<void>;
  /** An appender that writes rows into a table (much faster than INSERT statements). */
  appender(table: string): Promise<DuckDBAppender>;
  close(): void;
}

/**
 * An embedded, in-memory DuckDB for reading (reports, `telemetry query`). `@duckdb/node-api` is a 70 MB
 * native module: it is imported here, lazily, and only by readers, so the server and the Lambdas never
 * load it.
 */
export async function openDuck(
  options: { memoryLimit?: string; threads?: number; tempDirectory?: string } = {},
): Promise<Duck> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const memoryLimit = options.memoryLimit ?? process.env.TELEMETRY_DUCKDB_MEMORY ?? DEFAULT_MEMORY_LIMIT;
  const instance = await DuckDBInstance.create(':memory:', {
    memory_limit: memoryLimit,
    threads: String(options.threads ?? 2),
    // Hand memory freed in bulk back to the system at 32 MB rather than 512 MB: the 10M report's peak RSS
    // went from 1,000 MB to 870 MB at the same speed (a percentile's values and a JSON reader's buffers are
    // freed in bulk, and kept by the allocator for reuse until then).
    allocator_bulk_deallocation_flush_threshold: '32MB',
    ...(options.tempDirectory ? { temp_directory: options.tempDirectory } : {}),
  });
  const connection: DuckDBConnection = await instance.connect();
  return {
    async all(sql) {
      const result = await connection.runAndReadAll(sql);
      return result.getRowObjectsJS() as Record<string, unknown>[];
    },
    async table(sql) {
      const result = await connection.runAndReadAll(sql);
      return { columns: result.columnNames(), rows: result.getRowObjectsJson() as Record<string, unknown>[] };
    },
    async run(sql) {
      await connection.run(sql);
    },
    async each(sql, onRows) {
      const result = await connection.stream(sql);
      for await (const rows of result.yieldRowObjectJs()) onRows(rows as Record<string, unknown>[]);
    },
    appender(table) {
      return connection.createAppender(table);
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** A SQL string literal. */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A cell for `appendRows`: text, a number, a boolean, NULL, or a list of text. */
export type Cell = string | number | boolean | null | readonly string[];

/**
 * Appends rows with DuckDB's appender (much faster than INSERT), each cell by its column's declared type:
 * a JS number may go to an INTEGER or a DOUBLE column, a list to a VARCHAR[] one (typed, since an empty list
 * has no element to take its type from).
 */
export async function appendRows(
  duck: Duck,
  table: string,
  rows: Iterable<readonly Cell[]>,
  /** The table's column types, when the caller knows them (else looked up: a few milliseconds). */
  columnTypes?: readonly string[],
): Promise<void> {
  const types =
    columnTypes ??
    (
      await duck.all(
        `SELECT data_type FROM duckdb_columns() WHERE table_name = ${sqlString(table)} ORDER BY column_index`,
      )
    ).map((r) => String(r.data_type));
  const { LIST, listValue, VARCHAR } = await import('@duckdb/node-api');
  const appender = await duck.appender(table);
  for (const row of rows) {
    row.forEach((cell, i) => {
      if (cell === null) appender.appendNull();
      else if (Array.isArray(cell)) appender.appendList(listValue([...cell]), LIST(VARCHAR));
      else if (typeof cell === 'string') appender.appendVarchar(cell);
      else if (typeof cell === 'boolean') appender.appendBoolean(cell);
      else if (types[i] === 'INTEGER') appender.appendInteger(cell as number);
      else appender.appendDouble(cell as number);
    });
    appender.endRow();
  }
  appender.closeSync();
}
