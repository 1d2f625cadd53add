import { columnMetrics, tableName } from '../../src/data/columns';
import { openDuck } from '../../src/data/duckdb';
import { loadFileTables, viewStatements } from '../../src/data/views';
import { serializeRecord } from '../../src/pipeline/record';
import { DataDir } from '../report/dataset';
import { writeDataset } from '../report/fixture';
import { tempDir } from '../support/temp';

/**
 * `telemetry query`'s views over record files read two ways: lazily by DuckDB (`read_text` over a glob, as
 * the DuckDB CLI would) and from the tables `loadFileTables` fills with the report's file loader. The report's
 * hand-built dataset (hot files, first-layout files, a file that is not JSON, partial and complete versions)
 * plus a custom metric of no repository (owner `_`, a folder name the report's listing would skip).
 */
describe('query views over loaded record files', () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeAll(async () => {
    dir = await tempDir();
    const data = new DataDir(dir.path);
    writeDataset(data);
    const custom = {
      id: 'custom-metric-0001',
      schema_version: 1,
      metric: 'custom-metric',
      trigger: 'push::custom-metric',
      collected_by: 'push',
      delivery_id: 'd-1',
      owner: '_',
      repo: '_',
      occurred_at: '2026-10-05T10:00:00.000Z',
      received_at: '2026-10-05T10:00:01.000Z',
      collected_at: '2026-10-05T10:00:01.000Z',
      status: 'complete',
      errors: [],
      collector_version: '0.1.0',
      output: { name: 'nightly.size', value: 42, unit: 'MB', dimensions: {} },
    };
    data.raw('custom-metric/_/_/2026/10/custom-metric-0001.json', serializeRecord(custom as never));
  });
  afterAll(() => dir.remove());

  const everything = async (loaded: boolean, sql: string) => {
    const duck = await openDuck();
    try {
      const files = loaded ? await loadFileTables(duck, dir.path, sql) : new Map();
      for (const statement of viewStatements(dir.path, files)) await duck.run(statement);
      return { rows: (await duck.table(sql)).rows, loaded: [...files.keys()].sort() };
    } finally {
      duck.close();
    }
  };

  it('gives every view the same rows either way', async () => {
    for (const metric of columnMetrics()) {
      const sql = `SELECT * FROM ${tableName(metric)} ORDER BY id`;
      const lazy = await everything(false, sql);
      const loaded = await everything(true, sql);
      expect(loaded.loaded).toEqual([metric]);
      expect(loaded.rows).toEqual(lazy.rows);
    }
    const records = 'SELECT * FROM records ORDER BY metric, id';
    const all = await everything(true, records);
    expect(all.loaded).toEqual([...columnMetrics()].sort());
    expect(all.rows).toEqual((await everything(false, records)).rows);
    expect(all.rows.filter((r) => r.metric === 'custom-metric')).toHaveLength(1);
    expect(all.rows.length).toBeGreaterThan(20);
  });

  it('loads only the metrics the SQL names', async () => {
    expect(
      (await everything(true, "SELECT count(*) FROM pull_request WHERE status = 'partial'")).loaded,
    ).toEqual(['pull-request']);
    expect((await everything(true, 'SELECT 1 AS one')).loaded).toEqual([]);
  });
});
