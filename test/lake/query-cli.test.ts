import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DirectoryObjects } from '../../src/lake/directory-objects';
import { LakeStore } from '../../src/lake/store';
import type { MetricRecord } from '../../src/pipeline/types';
import { FileStore } from '../../src/store/file-store';
import { collectAll } from '../support/collect';
import { tempDir } from '../support/temp';
import { examplesOf, signedEventFrom } from '../support/webhooks';

const CLI = join(__dirname, '..', '..', 'bin', 'telemetry-cli.cjs');
const run = promisify(execFile);

/** Records from real payloads: completed workflow jobs and closed pull requests (three metrics). */
async function realRecords(): Promise<MetricRecord[]> {
  const records: MetricRecord[] = [];
  for (const payload of [
    ...examplesOf('workflow_job', 'completed'),
    ...examplesOf('pull_request', 'closed'),
  ]) {
    const event = typeof payload.workflow_job === 'object' ? 'workflow_job' : 'pull_request';
    records.push(...(await collectAll(signedEventFrom(event, payload))));
  }
  // Two payloads describe the same job with different conclusions, collected at the same (test) instant: a
  // tie the data directory breaks by write order and the views by nothing they can see. Keep the first.
  const seen = new Set<string>();
  return records.filter((r) => !seen.has(r.id) && seen.add(r.id));
}

describe('telemetry query --lake (a real process)', () => {
  jest.setTimeout(60_000);

  it('answers the same SQL over the lake as over a data directory holding the same records', async () => {
    const dir = await tempDir('telemetry-lake-query-');
    try {
      const records = await realRecords();
      expect([...new Set(records.map((r) => r.metric))].sort()).toEqual([
        'code-review-involvement',
        'pull-request',
        'workflow-job',
      ]);
      await new FileStore(join(dir.path, 'data')).write(records);
      // The lake gets them in two overlapping batches (a redelivery): the views keep one row per id.
      const lake = new LakeStore({ objects: new DirectoryObjects(join(dir.path, 'lake')) });
      await lake.write(records.slice(0, 3));
      await lake.write(records.slice(1));

      const env = { ...process.env, TELEMETRY_CONFIG: '' };
      const query = async (where: string[], sql: string) =>
        JSON.parse(
          (await run(process.execPath, [CLI, 'query', ...where, '--format', 'json', sql], { env })).stdout,
        );
      // The analyst query docs/DATA.md shows for DuckDB, verbatim.
      const documented = /```sql\n(SELECT repo, count\(\*\) AS failed, quantile_cont[\s\S]*?)```/.exec(
        readFileSync(join(__dirname, '..', '..', 'docs', 'DATA.md'), 'utf8'),
      )?.[1] as string;
      expect(documented).toContain('FROM workflow_job');
      // Verbatim it binds on the lake (no November 2026 rows here); from 2021 on it finds the example jobs.
      expect(await query(['--lake', join(dir.path, 'lake')], documented)).toEqual([]);
      for (const sql of [
        documented.replace("'2026-11-01'", "'2021-01-01'"),
        'SELECT id, status, owner, repo, occurred_at, output.conclusion, output.duration_ms FROM workflow_job UNION ALL SELECT id, status, owner, repo, occurred_at, output.outcome, output.number FROM pull_request ORDER BY id',
        "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_name IN ('workflow_job', 'pull_request', 'records') ORDER BY table_name, ordinal_position",
        'SELECT metric, count(*) AS n, count(DISTINCT id) AS ids, max(length(output)) AS longest FROM records GROUP BY metric ORDER BY metric',
      ]) {
        const fromLake = await query(['--lake', join(dir.path, 'lake')], sql);
        expect(fromLake.length).toBeGreaterThan(0);
        expect(fromLake).toEqual(await query(['--data', join(dir.path, 'data')], sql));
      }
      const missing = run(process.execPath, [CLI, 'query', '--lake', join(dir.path, 'nowhere'), 'SELECT 1'], {
        env,
      });
      await expect(missing).rejects.toMatchObject({
        stderr: expect.stringContaining(`lake directory ${join(dir.path, 'nowhere')} does not exist`),
      });
    } finally {
      await dir.remove();
    }
  });
});
