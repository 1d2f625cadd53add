import { columnMetrics, tableName } from '../../src/data/columns';
import { openDuck } from '../../src/data/duckdb';
import { loadFileTables, viewStatements } from '../../src/data/views';
import { serializeRecord } from '../../src/pipeline/record';
import { DataDir, pullRequest, unorderedVersions } from '../report/dataset';
import { writeDataset } from '../report/fixture';
import { tempDir } from '../support/temp';

/**
 * `telemetry query`'s views over record files read two ways: lazily by DuckDB (`read_text` over a glob, as
 * the DuckDB CLI would) and from the tables `loadFileTables` fills with the report's file loader. The report's
 * hand-built dataset (hot files, first-layout files, a file that is not JSON, partial and complete versions)
 * plus a custom metric of no repository (owner `_`, a folder name the report's listing would skip), and
 * packs of several records: a record made complete in a second pack, a line that is not JSON among valid
 * ones, and a hot file written before packs beside them.
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
    const at = '2026-10-20T08:00:00Z';
    const stages = { coding: 1, pickup: 1, review: 1, merge: 1, cycle: 4 };
    const pr = (id: string, status: 'complete' | 'partial') =>
      data.build(
        'pull-request',
        `packed-${id}`,
        'acme/api',
        at,
        pullRequest({
          pull_request_id: id,
          closed_at: at,
          additions: 1,
          deletions: 1,
          reviews: 1,
          s: stages,
        }),
        { status },
      );
    data.pack([pr('a', 'complete'), pr('b', 'partial')]);
    data.pack([pr('b', 'complete')]);
    data.raw(
      'hot/pull-request/2026/10/20/08/00000000000000bad.ndjson',
      `${serializeRecord(pr('c', 'complete'))}{"id": "cut off\n`,
    );
    const old = pr('d', 'complete');
    data.raw(`hot/pull-request/2026/10/20/0800/${old.id}.json`, serializeRecord(old));
    packed = [old.id, ...['a', 'b', 'c'].map((id) => pr(id, 'complete').id)];
    // Two ids each left in two packs as {partial, revision b} and {complete, revision a} (a crash, or two
    // concurrent writes), the partial one's pack first in path order for `e`, last for `f`.
    unordered = ['e', 'f'].map((id, i) => {
      const { partial, complete } = unorderedVersions(
        (status, salt) => ({ ...pr(id, status), delivery_id: `unordered-${salt}` }),
        i === 0,
      );
      data.pack([partial]);
      data.pack([complete]);
      return complete.id;
    });
  });
  let packed: string[];
  let unordered: string[];
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

  it('reads every line of every pack and the older hot files, the better record of an id in two packs', async () => {
    const sql = `SELECT id, status FROM pull_request WHERE id IN (${packed.map((id) => `'${id}'`).join(', ')}) ORDER BY id`;
    const expected = [...packed].sort().map((id) => ({ id, status: 'complete' }));
    expect((await everything(false, sql)).rows).toEqual(expected);
    expect((await everything(true, sql)).rows).toEqual(expected);
  });

  it('keeps the complete version of an id in two packs as {partial, b} and {complete, a}, as compaction does', async () => {
    const sql = `SELECT id, status, revision FROM pull_request WHERE id IN (${unordered.map((id) => `'${id}'`).join(', ')}) ORDER BY id`;
    const expected = [...unordered].sort().map((id) => ({ id, status: 'complete', revision: 'a' }));
    expect((await everything(false, sql)).rows).toEqual(expected);
    expect((await everything(true, sql)).rows).toEqual(expected);
  });

  it('loads only the metrics the SQL names', async () => {
    expect(
      (await everything(true, "SELECT count(*) FROM pull_request WHERE status = 'partial'")).loaded,
    ).toEqual(['pull-request']);
    expect((await everything(true, 'SELECT 1 AS one')).loaded).toEqual([]);
  });
});
