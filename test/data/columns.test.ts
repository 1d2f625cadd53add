import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ColumnType,
  columnMetrics,
  duckdbType,
  ENVELOPE_COLUMNS,
  type Fields,
  glueType,
  metricColumns,
  OUTPUT_COLUMNS,
} from '../../src/data/columns';
import { openDuck } from '../../src/data/duckdb';
import { writeParquet } from '../../src/data/parquet';
import { recordFromRow } from '../../src/data/rows';
import { metrics } from '../../src/metrics/registry';
import type { MetricRecord } from '../../src/pipeline/types';
import { tempDir } from '../support/temp';

/** Every example record of METRICS.md: the metric tests keep them equal to what real payloads produce. */
function documentedExamples(): MetricRecord[] {
  const text = readFileSync(join(__dirname, '..', '..', 'METRICS.md'), 'utf8');
  const blocks = [
    ...text.matchAll(/<!-- example:([^ ]+) -->\n```json\n([\s\S]*?)\n```\n<!-- \/example:\1 -->/g),
  ];
  return blocks.map((match) => JSON.parse(match[2] as string) as MetricRecord);
}

/** Paths of `value` that no column of `type` holds (a struct's unknown key, a list element's, ...). */
function unmapped(value: unknown, type: ColumnType, path: string): string[] {
  if (value === null || value === undefined || typeof type === 'string') return [];
  if ('struct' in type) return unmappedFields(value as Record<string, unknown>, type.struct, path);
  return (value as unknown[]).flatMap((item, i) => unmapped(item, type.list, `${path}[${i}]`));
}

function unmappedFields(value: Record<string, unknown>, fields: Fields, path: string): string[] {
  return Object.entries(value).flatMap(([key, inner]) => {
    const type = fields[key];
    return type === undefined ? [`${path}.${key}`] : unmapped(inner, type, `${path}.${key}`);
  });
}

/** ISO times written by the collector or taken from payloads, as the millisecond form Parquet gives back. */
function normalizeTimes(value: unknown): unknown {
  if (typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value)) {
    return new Date(value).toISOString();
  }
  if (Array.isArray(value)) return value.map(normalizeTimes);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalizeTimes(v)]));
  }
  return value;
}

describe('typed column declarations', () => {
  const examples = documentedExamples();
  let dir: { path: string; remove: () => Promise<void> };
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(() => dir.remove());

  it('declares columns for every registered metric, and METRICS.md has an example of each', () => {
    const names = [...new Set(metrics.map((m) => m.name))].sort();
    expect(columnMetrics()).toEqual(names);
    expect([...new Set(examples.map((r) => r.metric))].sort()).toEqual(names);
  });

  it('maps every field of every METRICS.md example record to a column', () => {
    expect(examples.length).toBeGreaterThanOrEqual(17);
    for (const record of examples) {
      const { output, ...envelope } = record;
      expect(unmappedFields(envelope, ENVELOPE_COLUMNS, record.metric)).toEqual([]);
      expect(unmappedFields(output, OUTPUT_COLUMNS[record.metric] ?? {}, `${record.metric}.output`)).toEqual(
        [],
      );
    }
  });

  it('writes each example as zstd Parquet that DuckDB reads back as the same record, typed', async () => {
    const duck = await openDuck();
    try {
      for (const [i, record] of examples.entries()) {
        const [file] = await writeParquet(record.metric, [record]);
        const path = join(dir.path, `${i}.parquet`);
        writeFileSync(path, file as Uint8Array);
        const [row] = await duck.all(`SELECT * FROM read_parquet('${path}')`);
        expect(recordFromRow(row as Record<string, unknown>)).toEqual(normalizeTimes(record));
      }
      const codecs = await duck.all(
        `SELECT DISTINCT compression FROM parquet_metadata('${dir.path}/*.parquet')`,
      );
      expect(codecs).toEqual([{ compression: 'ZSTD' }]);
      const [types] = await duck.all(
        `SELECT typeof(occurred_at) AS occurred, typeof(output.duration_ms) AS duration, typeof(output.steps) AS steps
         FROM read_parquet('${dir.path}/0.parquet')`,
      );
      expect(types).toEqual({
        occurred: 'TIMESTAMP',
        duration: 'BIGINT',
        steps: expect.stringMatching(/^STRUCT\(count INTEGER, by_conclusion (VARCHAR|JSON), slowest STRUCT/),
      });
    } finally {
      duck.close();
    }
  });

  it('gives each column its DuckDB and Glue type from the one declaration', () => {
    const columns = metricColumns('workflow-job');
    expect(duckdbType(columns.occurred_at as ColumnType)).toBe('TIMESTAMP');
    expect(glueType(columns.errors as ColumnType)).toBe(
      'array<struct<call:string,status:int,message:string>>',
    );
    expect(glueType((OUTPUT_COLUMNS['workflow-job'] as Fields).steps as ColumnType)).toBe(
      'struct<count:int,by_conclusion:string,slowest:struct<name:string,number:int,duration_ms:bigint>>',
    );
    expect(duckdbType((OUTPUT_COLUMNS['pull-request'] as Fields).labels as ColumnType)).toBe('VARCHAR[]');
  });

  it('keeps an output field that has no column yet in output_extra, so compaction never drops it', async () => {
    const [example] = examples;
    const record = {
      ...example,
      output: { ...(example as MetricRecord).output, added_later: { n: 1 } },
    } as MetricRecord;
    const [file] = await writeParquet(record.metric, [record]);
    const path = join(dir.path, 'extra.parquet');
    writeFileSync(path, file as Uint8Array);
    const duck = await openDuck();
    try {
      const [row] = await duck.all(`SELECT * FROM read_parquet('${path}')`);
      expect(recordFromRow(row as Record<string, unknown>).output.added_later).toEqual({ n: 1 });
    } finally {
      duck.close();
    }
  });

  it('splits a partition into files below the object size limit, ordered by occurred_at', async () => {
    const [example] = examples as [MetricRecord];
    const records = Array.from({ length: 400 }, (_, i) => ({
      ...example,
      id: `${example.metric}-${String(i).padStart(24, '0')}`,
      occurred_at: new Date(Date.UTC(2026, 9, 1) + (400 - i) * 60_000).toISOString(),
    }));
    const files = await writeParquet(example.metric, records, 8_000);
    expect(files.length).toBeGreaterThan(1);
    for (const file of files) expect(file.byteLength).toBeLessThanOrEqual(8_000);
  });
});
