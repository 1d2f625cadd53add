import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deployment, pipelineRun } from '../push/harness';
import { CLI, serveProcess } from '../support/serve-process';
import { storedRecords } from '../support/stored-records';
import { listFiles, tempDir } from '../support/temp';

const run = promisify(execFile);

describe('npm start accepts pushes; telemetry send --kind signs and sends them (real processes)', () => {
  jest.setTimeout(60_000);

  it('stores a deployment sent by `telemetry send --kind deployment --sender jenkins FILE`', async () => {
    const dir = await tempDir();
    const now = new Date().toISOString();
    const file = join(dir.path, 'deployment.json');
    await writeFile(
      file,
      JSON.stringify({ items: [deployment({ started_at: now, finished_at: now }), { id: 'x' }] }),
    );
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      TELEMETRY_DATA_DIR: join(dir.path, 'data'),
      TELEMETRY_WEBHOOK_SECRET: 'unused',
      // A rotation in progress: the CLI signs with the last (new) secret, the server accepts both.
      TELEMETRY_SENDER_SECRETS: 'jenkins=old-secret,jenkins=new-secret',
    };
    const { child, url } = await serveProcess(env);
    try {
      const sent = await run(
        process.execPath,
        [CLI, 'send', '--kind', 'deployment', '--sender', 'jenkins', file, '--url', url],
        { env: { ...process.env, TELEMETRY_SENDER_SECRETS: 'jenkins=new-secret' } },
      );
      const [status, ...rest] = sent.stdout.trim().split(' ');
      expect(status).toBe('202');
      expect(JSON.parse(rest.join(' ')).results).toEqual([
        { index: 0, id: 'deploy-4711' },
        { index: 1, errors: expect.any(Array) },
      ]);
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      const files = await listFiles(join(dir.path, 'data'));
      // The refused second item is kept in the sender's refused-request log, never among the records.
      expect(files).toHaveLength(3);
      expect(files).toEqual(
        expect.arrayContaining([
          '_state/senders/jenkins.json',
          expect.stringMatching(/^hot\/push-deployment\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/[0-9a-f]{16}\.ndjson$/),
          expect.stringMatching(
            /^hot\/push-deployment\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/\d{2}\/push-deployment-[0-9a-f]{24}\.idx$/,
          ),
        ]),
      );
      const stored = await storedRecords(join(dir.path, 'data'));
      expect(stored.map((r) => [r.metric, r.output.sender, r.output.id])).toEqual([
        ['push-deployment', 'jenkins', 'deploy-4711'],
      ]);
    } finally {
      child.kill('SIGKILL');
      await dir.remove();
    }
  });

  it('`telemetry send --kind pipeline-run`: a start and an end of one run become one record', async () => {
    const dir = await tempDir();
    const started = new Date(Date.now() - 5 * 60_000).toISOString();
    const ended = new Date().toISOString();
    const start = join(dir.path, 'start.json');
    const end = join(dir.path, 'end.json');
    await writeFile(
      start,
      JSON.stringify(
        pipelineRun({
          status: 'in_progress',
          queued_at: started,
          started_at: started,
          finished_at: undefined,
        }),
      ),
    );
    await writeFile(
      end,
      JSON.stringify(pipelineRun({ queued_at: started, started_at: started, finished_at: ended })),
    );
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      TELEMETRY_DATA_DIR: join(dir.path, 'data'),
      TELEMETRY_WEBHOOK_SECRET: 'unused',
      TELEMETRY_SENDER_SECRETS: 'jenkins=run-secret',
    };
    const { child, url } = await serveProcess(env);
    try {
      for (const file of [end, start]) {
        const sent = await run(
          process.execPath,
          [CLI, 'send', '--kind', 'pipeline-run', '--sender', 'jenkins', file, '--url', url],
          { env: { ...process.env, TELEMETRY_SENDER_SECRETS: 'jenkins=run-secret' } },
        );
        expect(sent.stdout).toMatch(/^202 /);
      }
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      const files = await listFiles(join(dir.path, 'data'));
      // The end arrived first; the start sent after it changed nothing: one pack, one index entry.
      expect(files).toHaveLength(2);
      expect(files).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^hot\/pipeline-run\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/[0-9a-f]{16}\.ndjson$/),
          expect.stringMatching(
            /^hot\/pipeline-run\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/\d{2}\/pipeline-run-[0-9a-f]{24}\.idx$/,
          ),
        ]),
      );
      const [record, ...more] = await storedRecords(join(dir.path, 'data'));
      expect(more).toEqual([]);
      expect(record?.output).toMatchObject({
        status: 'success',
        duration_ms: Date.parse(ended) - Date.parse(started),
      });
    } finally {
      child.kill('SIGKILL');
      await dir.remove();
    }
  });

  it('explains a missing sender secret, a bad kind and a bad TELEMETRY_SENDER_SECRETS (exit 2)', async () => {
    const fail = (args: string[], env: Record<string, string>) =>
      run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } }).catch(
        (error: { code: number; stderr: string }) => error,
      );
    expect(
      await fail(['send', '--kind', 'deployment', '--sender', 'jenkins', 'x.json'], {
        TELEMETRY_SENDER_SECRETS: 'gitlab=s',
      }),
    ).toMatchObject({
      code: 2,
      stderr: 'telemetry: TELEMETRY_SENDER_SECRETS has no secret for sender jenkins\n',
    });
    expect(await fail(['send', '--kind', 'deploy', '--sender', 'jenkins', 'x.json'], {})).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        '--kind must be one of deployment, incident, tooling-usage, custom-metric, pipeline-run, retract',
      ),
    });
    expect(await fail(['serve'], { PORT: '0', TELEMETRY_SENDER_SECRETS: 'jenkins' })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('TELEMETRY_SENDER_SECRETS entry 1 must be name=secret'),
    });
  });
});
