import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { addRun } from '../fake-github/routes/listings';
import { type JobWorld, startJobWorld } from '../jobs/setup';
import { CLI } from '../support/serve-process';
import { tempDir } from '../support/temp';

const run = promisify(execFile);

/** The job commands as a newcomer runs them: the installed bin, a real process, against the fake GitHub. */
describe('telemetry backfill / redeliver: mistakes and progress (real processes)', () => {
  jest.setTimeout(60_000);
  let env: JobWorld;
  beforeAll(async () => {
    env = await startJobWorld({ now: new Date().toISOString() });
    env.clock.now = Date.now();
    const repo = env.world.addRepo('acme', 'api');
    for (let i = 0; i < 3; i += 1)
      addRun(env.world, repo, { createdAt: new Date(Date.now() - (i + 1) * 86_400_000).toISOString() });
  });
  afterAll(() => env.stop());

  async function telemetry(args: string[], dir: string) {
    try {
      const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
        env: {
          ...process.env,
          GITHUB_TOKEN: 'cli-token',
          GITHUB_API_URL: env.fake.baseUrl,
          TELEMETRY_DATA_DIR: dir,
        },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it('redeliver with a wrong hook id: one request (a 404 is not retried), one line saying what to check, exit 2', async () => {
    const dir = await tempDir();
    try {
      const before = env.fake.requests.length;
      const result = await telemetry(['redeliver', '--org', 'acme', '--hook', '123'], dir.path);
      expect(env.fake.requests.slice(before).map((r) => `${r.status} ${r.method} ${r.path}`)).toEqual([
        '404 GET /orgs/acme/hooks/123/deliveries',
      ]);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        "telemetry: GitHub answered 404 to GET /orgs/acme/hooks/123/deliveries: no hook 123 on organisation acme, or GITHUB_TOKEN may not read its deliveries (admin:org_hook; a repository hook: admin:repo_hook): check --hook, the number at the end of the webhook's settings URL\n",
      );
    } finally {
      await dir.remove();
    }
  });

  it('backfill of an unknown organisation is an error, not a success with 0 repositories', async () => {
    const dir = await tempDir();
    try {
      const result = await telemetry(['backfill', '--org', 'nobody-here'], dir.path);
      expect(result.code).toBe(2);
      const lines = result.stderr.split('\n').filter((l) => l.startsWith('telemetry: '));
      expect(lines).toEqual([
        "telemetry: GitHub answered 404 to GET /orgs/nobody-here/repos: there is no organisation nobody-here, or GITHUB_TOKEN cannot see it: check --org (a user's repositories: --repo owner/name)",
      ]);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stdout).toBe('');
    } finally {
      await dir.remove();
    }
  });

  it('outside a terminal, backfill writes its progress as JSON lines on stderr (counts, rate, ETA)', async () => {
    const dir = await tempDir();
    try {
      const result = await telemetry(['backfill', '--org', 'acme', '--since', '30d'], dir.path);
      expect(result.code).toBe(0);
      const lines = result.stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      const progress = lines.filter((l) => l.progress === 'backfill');
      // The first update (repositories selected, none done) and the last one (all done).
      expect(progress.length).toBeGreaterThanOrEqual(2);
      expect(progress[0]).toMatchObject({ phase: 'repositories', done: 0, total: 1, eta_s: null });
      expect(progress.at(-1)).toMatchObject({ done: 1, total: 1, eta_s: 0, items: 3 });
      for (const line of progress) {
        expect(Object.keys(line)).toEqual([
          'progress',
          'phase',
          'done',
          'total',
          'items',
          'records',
          'requests_left',
          'elapsed_s',
          'items_per_s',
          'records_per_s',
          'eta_s',
        ]);
      }
      expect(progress.at(-1).records).toBeGreaterThan(0);
      expect(progress.at(-1).records_per_s).toBeGreaterThan(0);
      // Without --verbose, no step logs.
      expect(lines.filter((l) => l.level === 'info')).toEqual([]);
      expect(result.stdout).toMatch(/^backfill of 1\/1 repositories/);
    } finally {
      await dir.remove();
    }
  });

  it('--verbose logs every step as JSON lines on stderr', async () => {
    const dir = await tempDir();
    try {
      const result = await telemetry(['backfill', '--org', 'acme', '--since', '30d', '--verbose'], dir.path);
      expect(result.code).toBe(0);
      const lines = result.stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      const steps = lines.filter((l) => l.level === 'info').map((l) => `${l.message} ${l.kind ?? ''}`.trim());
      expect(steps).toEqual(
        expect.arrayContaining([
          'backfill: repositories selected',
          'backfill: read runs',
          'backfill: read pulls',
          'backfill: repository done',
        ]),
      );
    } finally {
      await dir.remove();
    }
  });
});
