import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI, serveProcess } from '../support/serve-process';
import { tempDir } from '../support/temp';
import { example } from '../support/webhooks';

const run = promisify(execFile);

/**
 * The README's quick start as a newcomer runs it, without a GITHUB_TOKEN: `npm start`, `telemetry send`
 * of bundled examples, then the reports it shows (the installed bin, real processes).
 */
describe('the quick start (real processes, no GITHUB_TOKEN)', () => {
  jest.setTimeout(90_000);

  it('gives a non-empty report for the bundled examples, says when a window is empty and when reviews are unknown', async () => {
    const dir = await tempDir();
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      TELEMETRY_DATA_DIR: join(dir.path, 'telemetry-data'),
      TELEMETRY_WEBHOOK_SECRET: 'quick-start',
      GITHUB_TOKEN: '',
    };
    const cli = (args: string[]) =>
      run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, cwd: dir.path });
    const serve = await serveProcess(env);
    try {
      await cli(['send', 'workflow_job.completed', '--url', serve.url]);
      // A merged pull request (the bundled closed one, merged as most are): without a token its reviews and
      // commits cannot be read, so the record is partial.
      const merged = { ...example('pull_request', 'closed') };
      merged.pull_request = { ...(merged.pull_request as object), merged: true };
      const file = join(dir.path, 'merged.json');
      await writeFile(file, JSON.stringify(merged));
      await cli(['send', file, '--event', 'pull_request', '--url', serve.url]);
      const exited = new Promise((resolve) => serve.child.on('exit', resolve));
      serve.child.kill('SIGINT');
      await exited;

      // A window that holds the examples (2019 to 2021), as the README's quick start uses.
      const html = join(dir.path, 'report.html');
      const written = await cli([
        'report',
        '--since',
        '2019-01-01',
        '--until',
        '2021-12-31',
        '--format',
        'html',
        '--out',
        html,
      ]);
      const page = await readFile(html, 'utf8');
      const data = JSON.parse(
        /<script id="report-data" type="application\/json">(.*?)<\/script>/s.exec(page)?.[1] as string,
      );
      expect(data.records.by_metric).toMatchObject({ 'workflow-job': 1, 'pull-request': 1 });
      expect(data.scopes.all.summary.ci.jobs.count).toBe(1);
      expect(data.scopes.all.summary.flow.merged).toBe(1);
      expect(data.scopes.all.summary.flow.merged_without_review).toEqual({
        count: 0,
        rate: null,
        unknown: 1,
      });
      // The page says a token was missing, and the card reads "unknown", not "0 of 1".
      expect(page).toContain(
        '<p class="notice">1 of 1 merged pull requests were recorded without their reviews and commits (partial records: no GITHUB_TOKEN when they were collected',
      );
      expect(page).toContain("'unknown'");
      expect(written.stderr).toContain('note: 1 of 1 merged pull requests were recorded without');
      expect(written.stderr).not.toContain('No records between');

      const table = await cli(['report', '--since', '2019-01-01', '--until', '2021-12-31']);
      expect(table.stdout).toMatch(/merged without review +unknown +0\/0 known, 1 unknown/);

      // The default window (the last 90 days) holds none of them: the report says so and how to choose one.
      const empty = await cli(['report', '--format', 'html', '--out', join(dir.path, 'empty.html')]);
      expect(empty.stderr).toMatch(
        /^note: No records between \d{4}-\d{2}-\d{2} and \d{4}-\d{2}-\d{2}\. Records count by when they happened \(occurred_at\), not when they were collected: choose the window with --since and --until \(the bundled examples of `telemetry send` happened between 2019 and 2021: --since 2019-01-01 --until 2021-12-31\)\.$/m,
      );
      expect(await readFile(join(dir.path, 'empty.html'), 'utf8')).toContain(
        '<p class="notice">No records between',
      );

      // --since takes the ages the backfill takes.
      const recent = await cli(['report', '--since', '24h', '--format', 'json']);
      const window = JSON.parse(recent.stdout).window;
      expect(Date.parse(window.until) - Date.parse(window.since)).toBe(24 * 3_600_000);
    } finally {
      serve.child.kill('SIGKILL');
      await dir.remove();
    }
  });
});
