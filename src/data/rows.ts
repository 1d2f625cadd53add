import type { MetricRecord } from '../pipeline/types';
import { type ColumnType, ENVELOPE_COLUMNS, EXTRA_COLUMN, OUTPUT_COLUMNS } from './columns';

/**
 * Turns one partition row, as DuckDB hands it to JS (`bigint` for BIGINT, `Date` for TIMESTAMP, objects
 * and arrays for STRUCT and LIST), back into the record it was written from: times as ISO-8601 text, JSON
 * columns parsed, `output_extra` merged into `output`, and `delivery_id` absent when null.
 */
export function recordFromRow(row: Record<string, unknown>): MetricRecord<Record<string, unknown>> {
  const record: Record<string, unknown> = {};
  for (const [name, type] of Object.entries(ENVELOPE_COLUMNS)) {
    const value = fromColumnValue(row[name], type);
    if (name === 'delivery_id' && value === null) continue;
    record[name] = value;
  }
  const metric = String(record.metric);
  const declared = OUTPUT_COLUMNS[metric] ?? {};
  const output = fromColumnValue(row.output, { struct: declared }) as Record<string, unknown> | null;
  const extra = fromColumnValue(row[EXTRA_COLUMN], 'json') as Record<string, unknown> | null;
  record.output = { ...(output ?? {}), ...(extra ?? {}) };
  record.errors = ((record.errors as unknown[] | null) ?? []).map((error) => {
    const { status, ...rest } = error as { status: number | null; call: string; message: string };
    return status === null ? rest : { ...rest, status };
  });
  return record as unknown as MetricRecord<Record<string, unknown>>;
}

export function fromColumnValue(value: unknown, type: ColumnType): unknown {
  if (value === null || value === undefined) return null;
  if (typeof type === 'string') {
    switch (type) {
      case 'json':
        return JSON.parse(String(value));
      case 'ms':
      case 'int':
      case 'double':
        return Number(value);
      case 'timestamp':
        return (value instanceof Date ? value : new Date(String(value))).toISOString();
      default:
        return value;
    }
  }
  if ('struct' in type) {
    const object = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [field, t] of Object.entries(type.struct)) out[field] = fromColumnValue(object[field], t);
    return out;
  }
  return (value as unknown[]).map((item) => fromColumnValue(item, type.list));
}
