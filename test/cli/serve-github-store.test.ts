import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type FakeGitData, gitRoutes } from '../fake-github/routes/git';
import { FakeGitHub } from '../fake-github/server';
import { expectOneWorkflowJobStored } from '../store/support';
import { CLI, serveProcess } from '../support/serve-process';
import { tempDir } from '../support/temp';

const run = promisify(execFile);

describe('telemetry serve --store github (real process, fake GitHub)', () => {
  jest.setTimeout(60_000);
  let fake: FakeGitHub;
  let git: FakeGitData;
  let dir: { path: string; remove: () => Promise<void> };
  let env: Record<string, string>;

  beforeEach(async () => {
    dir = await tempDir();
    fake = new FakeGitHub();
    git = gitRoutes(fake);
    await git.createRepo('acme', 'telemetry-data');
    await fake.start();
    const config = join(dir.path, 'telemetry.config.json');
    await writeFile(
      config,
      JSON.stringify({ dataRepository: { owner: 'acme', name: 'telemetry-data', path: 'data' } }),
    );
    env = {
      PORT: '0',
      HOST: '127.0.0.1',
      TELEMETRY_CONFIG: config,
      TELEMETRY_WEBHOOK_SECRET: 'cli-secret',
      GITHUB_API_URL: fake.baseUrl,
      DATA_REPOSITORY_TOKEN: 'ghp_data-token',
      GITHUB_TOKEN: '',
    };
  });
  afterEach(async () => {
    await fake.stop();
    await dir.remove();
  });

  it('commits what `telemetry send` delivers to the data repository', async () => {
    const { child, url } = await serveProcess(env, ['--store', 'github']);
    try {
      const sent = await run(process.execPath, [CLI, 'send', 'workflow_job.completed', '--url', url], {
        env: { ...process.env, ...env },
      });
      expect(sent.stdout).toMatch(/^202 /);
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      await expectOneWorkflowJobStored(git);
      expect(fake.requests.every((r) => r.path.startsWith('/repos/acme/telemetry-data'))).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses to start, saying why, when the data repository is missing', async () => {
    await writeFile(
      env.TELEMETRY_CONFIG as string,
      JSON.stringify({ dataRepository: { owner: 'acme', name: 'missing' } }),
    );
    const failure = await run(process.execPath, [CLI, 'serve', '--store', 'github'], {
      env: { ...process.env, ...env },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 2 });
    expect((failure as { stderr: string }).stderr).toMatch(/data repository acme\/missing does not exist/);
    expect((failure as { stderr: string }).stderr).not.toMatch(/ghp_data-token/);
  });
});
