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
});
