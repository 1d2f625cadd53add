import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DataDir } from '../report/dataset';
import { writeDataset } from '../report/fixture';
import { listFiles, tempDir } from '../support/temp';

const CLI = join(__dirname, '..', '..', 'bin', 'telemetry-cli.cjs');
const run = promisify(execFile);

describe('telemetry compact and telemetry query (real processes)', () => {
  jest.setTimeout(60_000);

  it('answers the same SQL before and after compaction, one row per id, typed output columns', async () => {
    const dir = await tempDir('telemetry-query-');
    try {
      writeDataset(new DataDir(dir.path));
      const env = { ...process.env, TELEMETRY_CONFIG: '', TELEMETRY_DATA_DIR: dir.path };
      const sql = `SELECT metric, count(*) AS n, count(DISTINCT id) AS ids FROM records
                   WHERE metric IN ('pull-request', 'workflow-job', 'deployment-status') GROUP BY metric ORDER BY metric`;
      const query = async (text: string, format = 'json') =>
        (await run(process.execPath, [CLI, 'query', '--format', format, text], { env })).stdout;
      const before = JSON.parse(await query(sql));
      expect(before.length).toBe(3);
      for (const row of before) expect(row.n).toBe(row.ids);

      const compacted = await run(
        process.execPath,
        [CLI, 'compact', '--data', dir.path, '--before', '2026-12-01T00:00:00Z'],
        { env },
      );
      expect(compacted.stdout).toMatch(/^compacted \d+ metric days \(\d+ records, \d+ Parquet files\)/);
      expect(compacted.stderr).toMatch(
        /left in place \(not a valid record\): workflow-job\/acme\/api\/2026\/10\/not-json\.json/,
      );
      expect((await listFiles(dir.path)).filter((p) => p.startsWith('hot/'))).toEqual([]);
      expect(JSON.parse(await query(sql))).toEqual(before);

      // The P10 pull request: a partial live record and a complete backfilled one; the view keeps the complete one.
      const p10 = JSON.parse(
        await query(
          "SELECT status, output.additions AS additions, typeof(output.stages.cycle_ms) AS t FROM pull_request WHERE output.pull_request_id = '310'",
        ),
      );
      expect(p10).toEqual([{ status: 'complete', additions: 200, t: 'BIGINT' }]);
      const csv = await query('SELECT owner, repo FROM workflow_job ORDER BY id LIMIT 1', 'csv');
      expect(csv).toMatch(/^owner,repo\n\w+,\w+\n$/);
      const table = await query("SELECT 'x' AS a", 'table');
      expect(table).toBe('a\n-\nx\n(1 row)\n');
    } finally {
      await dir.remove();
    }
  });

  it('says what is wrong with bad SQL or a missing data directory (exit 2)', async () => {
    const dir = await tempDir('telemetry-query-');
    try {
      const fail = (args: string[]) =>
        run(process.execPath, [CLI, ...args]).catch((error: { code: number; stderr: string }) => error);
      const bad = (await fail(['query', '--data', dir.path, 'SELEC nonsense'])) as {
        code: number;
        stderr: string;
      };
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/query failed: .*syntax error/i);
      const missing = (await fail(['compact', '--data', join(dir.path, 'nope')])) as {
        code: number;
        stderr: string;
      };
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/data directory .*nope does not exist/);
    } finally {
      await dir.remove();
    }
  });
});
