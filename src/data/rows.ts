import type { MetricRecord } from '../pipeline/types';
import { type ColumnType, ENVELOPE_COLUMNS, EXTRA_COLUMN, metricColumns, OUTPUT_COLUMNS } from './columns';
import { columnRow } from './parquet';

/**
 * Turns one partition row, as DuckDB hands it to JS (`bigint` for BIGINT, `Date` for TIMESTAMP, objects
 * and arrays for STRUCT and LIST), back into the record it was written from: times as ISO-8601 text, JSON
 * columns parsed, `output_extra` merged into `output`, and `delivery_id` and `revision` absent when null.
 */
export function recordFromRow(
  row: Record<string, unknown>,
  /** DuckDB hands JSON columns over as text; hyparquet parses them already. */
  json: 'text' | 'parsed' = 'text',
): MetricRecord<Record<string, unknown>> {
  const record: Record<string, unknown> = {};
  const from = (value: unknown, type: ColumnType) => fromColumnValue(value, type, json);
  for (const [name, type] of Object.entries(ENVELOPE_COLUMNS)) {
    const value = from(row[name], type);
    if ((name === 'delivery_id' || name === 'revision') && value === null) continue;
    record[name] = value;
  }
  const metric = String(record.metric);
  const declared = OUTPUT_COLUMNS[metric] ?? {};
  const output = from(row.output, { struct: declared }) as Record<string, unknown> | null;
  const extra = from(row[EXTRA_COLUMN], 'json') as Record<string, unknown> | null;
  record.output = { ...(output ?? {}), ...(extra ?? {}) };
  record.errors = ((record.errors as unknown[] | null) ?? []).map((error) => {
    const { status, ...rest } = error as { status: number | null; call: string; message: string };
    return status === null ? rest : { ...rest, status };
  });
  return record as unknown as MetricRecord<Record<string, unknown>>;
}

export function fromColumnValue(value: unknown, type: ColumnType, json: 'text' | 'parsed' = 'text'): unknown {
  if (value === null || value === undefined) return null;
  if (typeof type === 'string') {
    switch (type) {
      case 'json':
        return json === 'text' ? JSON.parse(String(value)) : value;
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
    for (const [field, t] of Object.entries(type.struct))
      out[field] = fromColumnValue(object[field], t, json);
    return out;
  }
  return (value as unknown[]).map((item) => fromColumnValue(item, type.list, json));
}

/** A record as a partition gives it back: the same values, times in millisecond ISO form. */
export function normalizeRecord<O>(record: MetricRecord<O>): MetricRecord<Record<string, unknown>> {
  return recordFromRow(columnRow(record as MetricRecord<unknown>, metricColumns(record.metric)), 'parsed');
}
