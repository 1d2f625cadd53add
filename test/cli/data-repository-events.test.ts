import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type FakeGitData, gitRoutes } from '../fake-github/routes/git';
import { FakeGitHub } from '../fake-github/server';
import { expectOneWorkflowJobStored } from '../store/support';
import { CLI, serveProcess } from '../support/serve-process';
import { tempDir } from '../support/temp';
import { example } from '../support/webhooks';

const run = promisify(execFile);

/**
 * Issue #16, R9: with `--store github`, a workflow job of the data repository itself (the collector's own
 * commits trigger its workflows) was committed into that repository. Now it makes no record and no commit.
 */
describe('telemetry serve --store github: the data repository’s own events (real process)', () => {
  jest.setTimeout(60_000);

  it('commits the other repository’s job and nothing of the data repository’s', async () => {
    const dir = await tempDir();
    const fake = new FakeGitHub();
    const git: FakeGitData = gitRoutes(fake);
    await git.createRepo('acme', 'telemetry-data');
    await fake.start();
    const config = join(dir.path, 'telemetry.config.json');
    await writeFile(
      config,
      JSON.stringify({ dataRepository: { owner: 'acme', name: 'telemetry-data', path: 'data' } }),
    );
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      TELEMETRY_CONFIG: config,
      TELEMETRY_WEBHOOK_SECRET: 'cli-secret',
      GITHUB_API_URL: fake.baseUrl,
      DATA_REPOSITORY_TOKEN: 'ghp_data-token',
      GITHUB_TOKEN: '',
    };
    // The real completed job, once from the data repository (a workflow its own commits started), once from
    // another repository of the organisation.
    const files: string[] = [];
    for (const [name, jobId] of [
      ['telemetry-data', 1001],
      ['api', 1002],
    ] as const) {
      const payload = example('workflow_job', 'completed') as {
        workflow_job: { id: number };
        repository: { name: string; full_name: string; owner: { login: string } };
      };
      payload.workflow_job.id = jobId;
      payload.repository.owner.login = 'acme';
      payload.repository.name = name;
      payload.repository.full_name = `acme/${name}`;
      const file = join(dir.path, `${name}.json`);
      await writeFile(file, JSON.stringify(payload));
      files.push(file);
    }
    const { child, url } = await serveProcess(env, ['--store', 'github']);
    try {
      for (const file of files) {
        const sent = await run(
          process.execPath,
          [CLI, 'send', file, '--event', 'workflow_job', '--url', url],
          { env: { ...process.env, ...env } },
        );
        expect(sent.stdout).toMatch(/^202 /);
      }
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      await expectOneWorkflowJobStored(git);
    } finally {
      child.kill('SIGKILL');
      await fake.stop();
      await dir.remove();
    }
  });
});
