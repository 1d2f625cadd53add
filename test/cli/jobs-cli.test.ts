import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { addDelivery, addHook } from '../fake-github/routes/hooks';
import { addRun, addTag } from '../fake-github/routes/listings';
import { type JobWorld, startJobWorld } from '../jobs/setup';
import { storedRecords } from '../support/stored-records';
import { listFiles, tempDir } from '../support/temp';

const CLI = join(__dirname, '..', '..', 'bin', 'telemetry-cli.cjs');
const run = promisify(execFile);

/** The CLI as a real process against the fake GitHub (its clock is the real one: the CLI's is). */
describe('telemetry backfill / redeliver / job run (real processes)', () => {
  jest.setTimeout(60_000);
  let env: JobWorld;
  beforeAll(async () => {
    env = await startJobWorld({ now: new Date().toISOString() });
    env.clock.now = Date.now();
    const repo = env.world.addRepo('acme', 'api');
    for (let i = 0; i < 5; i += 1)
      addRun(env.world, repo, { createdAt: new Date(Date.now() - (i + 1) * 86_400_000).toISOString() });
    addTag(env.world, repo, 'v3.0.0', new Date(Date.now() - 2 * 86_400_000).toISOString());
    const hook = addHook(env.world, 'org/acme', '9001');
    addDelivery(hook, { guid: 'g1', deliveredAt: new Date(Date.now() - 3_600_000).toISOString(), ok: false });
  });
  afterAll(() => env.stop());

  const cliEnv = (dir: string) => ({
    ...process.env,
    GITHUB_TOKEN: 'cli-token',
    GITHUB_API_URL: env.fake.baseUrl,
    TELEMETRY_DATA_DIR: dir,
  });

  it('backfills an organisation, then a second run finds nothing new; a dry run writes nothing', async () => {
    const dir = await tempDir();
    try {
      const dry = await run(
        process.execPath,
        [CLI, 'backfill', '--org', 'acme', '--since', '30d', '--dry-run', '--json'],
        { env: cliEnv(dir.path) },
      );
      expect(JSON.parse(dry.stdout).counts.records).toBeGreaterThan(10);
      expect(await listFiles(dir.path)).toEqual([]);

      const first = await run(
        process.execPath,
        [CLI, 'backfill', '--org', 'acme', '--since', '30d', '--json'],
        { env: cliEnv(dir.path) },
      );
      const summary = JSON.parse(first.stdout);
      expect(summary).toMatchObject({ job: 'backfill', finished: true });
      // 5 runs: 5 workflow-run, 10 workflow-job, 5 test-coverage; one semantic-version tag.
      expect(summary.counts.written).toBe(21);
      const files = await listFiles(dir.path);
      // One cursor per kind: pulls, runs, deployments, tags, incidents.
      expect(files.filter((f) => f.startsWith('_state/backfill/acme/api/'))).toHaveLength(5);

      const second = await run(process.execPath, [CLI, 'backfill', '--org', 'acme', '--since', '30d'], {
        env: cliEnv(dir.path),
      });
      expect(second.stdout).toMatch(/0 stored new/);
    } finally {
      await dir.remove();
    }
  });

  it('redelivers from the CLI, and runs a configured schedule like the schedule Lambda', async () => {
    const dir = await tempDir();
    try {
      const out = await run(
        process.execPath,
        [CLI, 'redeliver', '--org', 'acme', '--hook', '9001', '--json'],
        { env: cliEnv(dir.path) },
      );
      expect(JSON.parse(out.stdout).counts.redelivered).toBe(1);

      const config = join(dir.path, 'telemetry.config.json');
      await writeFile(
        config,
        JSON.stringify({
          schedules: [
            {
              name: 'nightly-backfill',
              cron: 'cron(0 3 * * ? *)',
              job: 'backfill',
              input: { org: 'acme', since: '30d', kinds: ['tags'] },
            },
          ],
        }),
      );
      const scheduled = await run(
        process.execPath,
        [CLI, 'job', 'run', '--schedule', 'nightly-backfill', '--json'],
        {
          env: { ...cliEnv(dir.path), TELEMETRY_CONFIG: config },
        },
      );
      expect(JSON.parse(scheduled.stdout).counts.written).toBe(1);
      const records = await storedRecords(dir.path, 'hot/release-versions/');
      expect(records.map((r) => r.collected_by)).toEqual(['backfill']);
    } finally {
      await dir.remove();
    }
  });

  it('refuses bad input with a message naming the option or field', async () => {
    const dir = await tempDir();
    try {
      const bad = run(process.execPath, [CLI, 'backfill', '--org', 'acme', '--since', 'yesterday'], {
        env: cliEnv(dir.path),
      });
      await expect(bad).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/since: an age/) });
      const config = join(dir.path, 'bad.json');
      await writeFile(
        config,
        JSON.stringify({
          schedules: [{ name: 'x', cron: 'rate(1 day)', job: 'redeliver', input: { org: 'acme' } }],
        }),
      );
      const check = run(process.execPath, [CLI, 'config', 'check', '--file', config], {
        env: cliEnv(dir.path),
      });
      await expect(check).rejects.toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/schedules\.0 \(x\): job redeliver: invalid input: hook/),
      });
    } finally {
      await dir.remove();
    }
  });
});
