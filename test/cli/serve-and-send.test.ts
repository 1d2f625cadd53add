import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CLI, serveProcess } from '../support/serve-process';
import { storedRecords } from '../support/stored-records';
import { listFiles, tempDir } from '../support/temp';

const run = promisify(execFile);

describe('telemetry serve + telemetry send (real processes)', () => {
  jest.setTimeout(60_000);

  it('stores a bundled real example sent by `telemetry send`, and drains on SIGINT', async () => {
    const dir = await tempDir();
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      TELEMETRY_DATA_DIR: dir.path,
      TELEMETRY_WEBHOOK_SECRET: 'cli-secret',
    };
    const { child, url } = await serveProcess(env);
    try {
      const sent = await run(process.execPath, [CLI, 'send', 'workflow_job.completed', '--url', url], {
        env: { ...process.env, ...env },
      });
      expect(sent.stdout).toMatch(/^202 [0-9a-f-]{36} \{"outcome":"queued"/);
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      const files = await listFiles(dir.path);
      // One record: its pack in the hour folder, its index entry in the minute folder.
      expect(files).toHaveLength(2);
      expect(files).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^hot\/workflow-job\/2021\/08\/\d{2}\/\d{2}\/[0-9a-f]{16}\.ndjson$/),
          expect.stringMatching(
            /^hot\/workflow-job\/2021\/08\/\d{2}\/\d{2}\/\d{2}\/workflow-job-[0-9a-f]{24}\.idx$/,
          ),
        ]),
      );
      const stored = await storedRecords(dir.path);
      expect(stored.map((r) => [r.metric, r.status])).toEqual([['workflow-job', 'complete']]);
    } finally {
      child.kill('SIGKILL');
      await dir.remove();
    }
  });

  it('generates and prints a secret when none is configured', async () => {
    const dir = await tempDir();
    const { child, stderr } = await serveProcess({
      PORT: '0',
      HOST: '127.0.0.1',
      TELEMETRY_DATA_DIR: dir.path,
      TELEMETRY_WEBHOOK_SECRET: '',
    });
    child.kill('SIGTERM');
    await new Promise((resolve) => child.on('exit', resolve));
    expect(stderr()).toMatch(/export TELEMETRY_WEBHOOK_SECRET=[0-9a-f]{40}/);
    await dir.remove();
  });

  it('explains what is wrong instead of failing with a stack', async () => {
    const failure = await run(process.execPath, [CLI, 'send', 'workflow_job.completed'], {
      env: { ...process.env, TELEMETRY_WEBHOOK_SECRET: '' },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('TELEMETRY_WEBHOOK_SECRET is not set'),
    });
    const badConfig = await run(process.execPath, [CLI, 'config', 'check'], {
      env: { ...process.env, PORT: 'x' },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(badConfig).toMatchObject({ code: 2, stderr: 'telemetry: PORT must be a whole number, got "x"\n' });
  });
});
