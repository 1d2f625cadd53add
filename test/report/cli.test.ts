import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config/config';
import { silentLogger } from '../../src/log/logger';
import { startLocalCollector } from '../../src/server/server';
import { tempDir } from '../support/temp';
import { example, signedDelivery } from '../support/webhooks';

const CLI = join(__dirname, '..', '..', 'bin', 'telemetry-cli.cjs');
const run = promisify(execFile);

describe('telemetry report (real process)', () => {
  jest.setTimeout(60_000);

  it('reports on what the local collector stored from a real, signed delivery', async () => {
    const dir = await tempDir();
    try {
      // What `npm start` + `telemetry send workflow_job.completed` do, with a real HMAC signature.
      const config = loadConfig({ env: { PORT: '0', HOST: '127.0.0.1', TELEMETRY_DATA_DIR: dir.path } });
      const collector = await startLocalCollector({
        config,
        webhookSecrets: ['s3cret'],
        logger: silentLogger,
      });
      const payload = example('workflow_job', 'completed');
      const delivery = await signedDelivery('workflow_job', payload, 's3cret');
      const answer = await fetch(collector.url, {
        method: 'POST',
        headers: delivery.headers,
        body: delivery.body,
      });
      expect(answer.status).toBe(202);
      await collector.close(); // drains the queue into the FileStore

      // --data defaults to server.dataDir: TELEMETRY_DATA_DIR here.
      const { stdout } = await run(
        process.execPath,
        [CLI, 'report', '--since', '2021-08-01', '--until', '2021-08-31', '--format', 'json'],
        { env: { ...process.env, TELEMETRY_DATA_DIR: dir.path } },
      );
      const report = JSON.parse(stdout);
      expect(Object.keys(report.dora)).toEqual([
        'deployment_frequency',
        'lead_time_for_changes',
        'change_failure_rate',
        'time_to_restore',
      ]);
      expect(report).toHaveProperty('flow');
      expect(report).toHaveProperty('window.since', '2021-08-01T00:00:00.000Z');
      expect(report.records.by_metric['workflow-job']).toBe(1);
      const job = payload.workflow_job as { started_at: string; completed_at: string; conclusion: string };
      expect(report.ci.jobs.count).toBe(1);
      expect(report.ci.jobs.duration.p50).toBe(Date.parse(job.completed_at) - Date.parse(job.started_at));
      expect(report.ci.jobs.by_conclusion).toEqual({ [job.conclusion]: 1 });
      // No deployments: empty DORA figures, no band.
      expect(report.dora.deployment_frequency).toEqual({
        deployments: 0,
        per_day: 0,
        per_week: 0,
        band: null,
      });
    } finally {
      await dir.remove();
    }
  });

  it('prints a table, writes CSV to --out, rejects bad options with a one-line message', async () => {
    const dir = await tempDir();
    try {
      const table = await run(process.execPath, [CLI, 'report', '--data', dir.path]);
      expect(table.stdout).toMatch(/^github-telemetry report {2}\d{4}-\d{2}-\d{2} → /);
      expect(table.stdout).toContain('deployment frequency');

      const out = join(dir.path, 'report.csv');
      await run(process.execPath, [CLI, 'report', '--data', dir.path, '--format', 'csv', '--out', out]);
      expect((await readFile(out, 'utf8')).split('\n')[0]).toBe('scope,name,week,section,figure,value');

      const teams = join(dir.path, 'teams.json');
      await writeFile(teams, JSON.stringify({ teams: [{ name: 'web', repos: [] }] }));
      const failures = await Promise.all(
        [
          ['--since', 'yesterday'],
          ['--format', 'pdf'],
          ['--teams', teams],
          ['--data', join(dir.path, 'missing')],
        ].map((args) =>
          run(process.execPath, [CLI, 'report', '--data', dir.path, ...args]).then(
            () => ({ code: 0, stderr: '' }),
            (error: { code: number; stderr: string }) => error,
          ),
        ),
      );
      expect(failures.map((f) => f.code)).toEqual([2, 2, 2, 2]);
      expect(failures[0]?.stderr).toMatch(/--since "yesterday" is not a duration \(90d, 12w, 24h\), a date/);
      // One line, not the whole help.
      expect(failures[1]?.stderr).toBe(
        "telemetry: option '--format <format>' argument 'pdf' is invalid. Allowed choices are table, json, csv, html. (see --help)\n",
      );
      expect(failures[2]?.stderr).toMatch(/invalid teams file .*teams\.json:\n {2}teams\.0\.repos: /);
      expect(failures[3]?.stderr).toMatch(/data directory .*missing does not exist/);
    } finally {
      await dir.remove();
    }
  });
});
