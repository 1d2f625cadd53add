import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../config/config';
import { compact } from '../../data/compact';
import { openDuck, sqlString } from '../../data/duckdb';
import { loadFileTables, viewStatements } from '../../data/views';
import { compactBefore } from '../../jobs/compact';
import { LakeLocationError, lakeQueryStatements } from '../../lake/query';
import { FileStore } from '../../store/file-store';
import type { CompactOptions, QueryFormat, QueryOptions } from '../commands/data';
import { existingDataDirectory } from '../data-directory';
import { CliError } from '../errors';

function dataDirectory(data: string | undefined): string {
  return existingDataDirectory(data ?? loadConfig().server.dataDir);
}

/** `telemetry compact`: closed days of hot record files into Parquet partitions. */
export async function compactAction(options: CompactOptions): Promise<void> {
  const dir = dataDirectory(options.data);
  if (options.before !== undefined && Number.isNaN(Date.parse(options.before))) {
    throw new CliError(`--before ${options.before} is not an ISO-8601 time`);
  }
  const config = loadConfig();
  const before = compactBefore(
    options.before ? { before: new Date(options.before).toISOString() } : {},
    new Date(),
    config.data.compactGraceHours,
  );
  const result = await compact(new FileStore(dir), { before });
  process.stdout.write(
    `compacted ${result.days} metric days (${result.records} records, ${result.files_written} Parquet files) before ${before.toISOString()}; ${result.sources_removed} record files moved\n`,
  );
  for (const path of result.skipped) process.stderr.write(`left in place (not a valid record): ${path}\n`);
}

/** `telemetry query`: SQL over the data directory's views, or the lake's. */
export async function queryAction(sql: string, options: QueryOptions): Promise<void> {
  if (options.lake !== undefined) {
    const lake = await lakeQueryStatements(options.lake).catch((error: unknown) => {
      throw error instanceof LakeLocationError ? new CliError(error.message) : error;
    });
    process.stdout.write(await runQuery(lake.location, sql, options.format, lake.statements));
    return;
  }
  const dir = dataDirectory(options.data);
  process.stdout.write(await runQuery(dir, sql, options.format));
}

/** Runs `sql` with the views of `dir` defined, and renders the answer. */
export async function runQuery(
  dir: string,
  sql: string,
  format: QueryFormat,
  /** The views to define first: the lake's (`--lake`); by default the data directory's. */
  statements?: readonly string[],
): Promise<string> {
  // Loaded record files can outgrow DuckDB's memory limit: it spills to a temporary folder of its own.
  const spill = await mkdtemp(join(tmpdir(), 'telemetry-query-'));
  const duck = await openDuck({ tempDirectory: spill });
  try {
    // A syntax error is told before any record file is loaded (that can take many seconds).
    const [parsed] = await duck.all(`SELECT json_serialize_sql(${sqlString(sql)}) AS tree`);
    const tree = JSON.parse(String(parsed?.tree)) as {
      error: boolean;
      error_type?: string;
      error_message?: string;
    };
    if (tree.error && tree.error_type === 'parser')
      throw new CliError(`query failed: Parser Error: ${tree.error_message}`);
    const views = statements ?? viewStatements(dir, await loadFileTables(duck, dir, sql));
    for (const statement of views) await duck.run(statement);
    let answer: { columns: string[]; rows: Record<string, unknown>[] };
    try {
      answer = await duck.table(sql);
    } catch (error) {
      throw new CliError(`query failed: ${(error as Error).message}`);
    }
    return render(answer, format);
  } finally {
    duck.close();
    await rm(spill, { recursive: true, force: true });
  }
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function render(answer: { columns: string[]; rows: Record<string, unknown>[] }, format: QueryFormat): string {
  const { columns, rows } = answer;
  if (format === 'json') return `${JSON.stringify(rows, null, 2)}\n`;
  if (format === 'csv') {
    const quote = (text: string) => (/[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
    // A cell starting with = + - @ is text, not a formula, when the file is opened in a spreadsheet.
    const safe = (text: string) => (/^[=+\-@\t\r]/.test(text) ? `'${text}` : text);
    return [
      columns.map(quote).join(','),
      ...rows.map((row) => columns.map((c) => quote(safe(cell(row[c])))).join(',')),
    ]
      .map((line) => `${line}\n`)
      .join('');
  }
  const table = [columns, ...rows.map((row) => columns.map((c) => cell(row[c])))];
  const widths = columns.map((_, i) => Math.max(...table.map((line) => (line[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((text, i) => text.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[line(columns), line(widths.map((w) => '-'.repeat(w))), ...table.slice(1).map(line)].join('\n')}\n(${rows.length} row${rows.length === 1 ? '' : 's'})\n`;
}
