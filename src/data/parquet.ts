import type { SchemaElement } from 'hyparquet-writer';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { MetricRecord } from '../pipeline/types';
import { COLLECTOR_VERSION } from '../version';
import { type ColumnType, EXTRA_COLUMN, type Fields, metricColumns, OUTPUT_COLUMNS } from './columns';
import { zstdCompressor } from './zstd';

/**
 * GitHub recommends objects of at most 1 MB in a repository: a partition is split into files below this,
 * each file one row group ordered by `occurred_at`.
 */
export const MAX_FILE_BYTES = 1_000_000;

/** Rows tried per file before halving (about 30 bytes a record compressed: well under 1 MB). */
const ROWS_PER_FILE = 20_000;

/**
 * Writes one metric's records as Parquet (zstd), typed columns from `src/data/columns.ts`, sorted by
 * `occurred_at` then `id`. Returns one or more files, each below `maxBytes` unless a single record is
 * bigger. Pure JS + WASM: it runs in a Lambda as well as in the CLI.
 */
export async function writeParquet(
  metric: string,
  records: readonly MetricRecord<unknown>[],
  maxBytes = MAX_FILE_BYTES,
): Promise<Uint8Array[]> {
  const columns = metricColumns(metric);
  const compress = await zstdCompressor();
  const sorted = [...records].sort(byOccurredAt);
  const files: Uint8Array[] = [];
  const write = (rows: MetricRecord<unknown>[]): void => {
    const buffer = new Uint8Array(
      parquetWriteBuffer({
        columnData: Object.entries(columns).map(([name, type]) => ({
          name,
          data: rows.map((record) => toColumnValue(columnValue(record, name, metric), type, name)),
        })),
        schema: parquetSchema(columns),
        codec: 'ZSTD',
        compressors: { ZSTD: compress },
        rowGroupSize: rows.length,
        kvMetadata: [{ key: 'telemetry.metric', value: metric }],
        createdBy: `github-telemetry ${COLLECTOR_VERSION}`,
      }),
    );
    if (buffer.byteLength > maxBytes && rows.length > 1) {
      const half = Math.ceil(rows.length / 2);
      write(rows.slice(0, half));
      write(rows.slice(half));
      return;
    }
    files.push(buffer);
  };
  for (let start = 0; start < sorted.length; start += ROWS_PER_FILE) {
    write(sorted.slice(start, start + ROWS_PER_FILE));
  }
  return files;
}

function byOccurredAt(a: MetricRecord<unknown>, b: MetricRecord<unknown>): number {
  const at = Date.parse(a.occurred_at) - Date.parse(b.occurred_at);
  if (at !== 0) return at;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function columnValue(record: MetricRecord<unknown>, column: string, metric: string): unknown {
  if (column === EXTRA_COLUMN) return extraFields(record.output, OUTPUT_COLUMNS[metric] ?? {});
  return (record as unknown as Record<string, unknown>)[column];
}

/** One record as the writer's row: a value per column (Date, bigint, objects), `output_extra` split off. */
export function columnRow(record: MetricRecord<unknown>, columns: Fields): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [name, type] of Object.entries(columns)) {
    row[name] = toColumnValue(columnValue(record, name, record.metric), type, name);
  }
  return row;
}

/** Output fields without a declared column, as one object (null when there are none). */
function extraFields(output: unknown, declared: Fields): Record<string, unknown> | null {
  if (!output || typeof output !== 'object') return null;
  const extra: Record<string, unknown> = {};
  let any = false;
  for (const [key, value] of Object.entries(output)) {
    if (key in declared) continue;
    extra[key] = value;
    any = true;
  }
  return any ? extra : null;
}

/** The Parquet schema (root + depth-first elements) of a column list. */
export function parquetSchema(columns: Fields): SchemaElement[] {
  const elements: SchemaElement[] = [{ name: 'root', num_children: Object.keys(columns).length }];
  for (const [name, type] of Object.entries(columns)) elements.push(...schemaElements(name, type));
  return elements;
}

function schemaElements(name: string, type: ColumnType): SchemaElement[] {
  if (typeof type === 'string') {
    const optional = { name, repetition_type: 'OPTIONAL' } as const;
    switch (type) {
      case 'string':
        return [{ ...optional, type: 'BYTE_ARRAY', converted_type: 'UTF8' }];
      case 'json':
        return [{ ...optional, type: 'BYTE_ARRAY', converted_type: 'JSON' }];
      case 'int':
        return [{ ...optional, type: 'INT32' }];
      case 'ms':
        return [{ ...optional, type: 'INT64' }];
      case 'double':
        return [{ ...optional, type: 'DOUBLE' }];
      case 'boolean':
        return [{ ...optional, type: 'BOOLEAN' }];
      case 'timestamp':
        return [{ ...optional, type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' }];
    }
  }
  if ('struct' in type) {
    const fields = Object.entries(type.struct);
    return [
      { name, repetition_type: 'OPTIONAL', num_children: fields.length },
      ...fields.flatMap(([field, t]) => schemaElements(field, t)),
    ];
  }
  return [
    { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    ...schemaElements('element', type.list),
  ];
}

/** A record's JSON value as the writer wants it for a column type; `path` names the field in errors. */
export function toColumnValue(value: unknown, type: ColumnType, path: string): unknown {
  if (value === null || value === undefined) return null;
  if (typeof type === 'string') {
    switch (type) {
      case 'string':
        if (typeof value !== 'string') throw new TypeError(`${path}: expected a string, got ${typeof value}`);
        return value;
      case 'json':
        // The writer serializes JSON columns itself.
        return value;
      case 'int':
        return expectNumber(value, path);
      case 'ms':
        return BigInt(Math.round(expectNumber(value, path)));
      case 'double':
        return expectNumber(value, path);
      case 'boolean':
        if (typeof value !== 'boolean')
          throw new TypeError(`${path}: expected a boolean, got ${typeof value}`);
        return value;
      case 'timestamp': {
        const at = typeof value === 'string' ? Date.parse(value) : Number.NaN;
        if (Number.isNaN(at)) throw new TypeError(`${path}: expected an ISO-8601 time, got ${String(value)}`);
        return new Date(at);
      }
    }
  }
  if ('struct' in type) {
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new TypeError(`${path}: expected an object`);
    }
    const object = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [field, t] of Object.entries(type.struct)) {
      out[field] = toColumnValue(object[field], t, `${path}.${field}`);
    }
    return out;
  }
  if (!Array.isArray(value)) throw new TypeError(`${path}: expected an array`);
  return value.map((item, i) => toColumnValue(item, type.list, `${path}[${i}]`));
}

function expectNumber(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`${path}: expected a number, got ${String(value)}`);
  }
  return value;
}
