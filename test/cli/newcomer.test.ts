import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI, serveProcess } from '../support/serve-process';
import { listFiles, tempDir } from '../support/temp';

const run = promisify(execFile);

/** Runs the installed bin; resolves with its exit code and output whether it succeeds or not. */
async function telemetry(
  args: string[],
  env: Record<string, string> = {},
  cwd?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      ...(cwd ? { cwd } : {}),
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A mistake a user can make is one line saying what to do, and exit code 2. */
function expectOneLineError(result: { code: number; stderr: string }, message: RegExp): void {
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/^telemetry: [^\n]+\n$/m);
  const line = result.stderr.split('\n').find((l) => l.startsWith('telemetry: '));
  expect(line).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe('what a newcomer runs (the installed bin, real processes)', () => {
  jest.setTimeout(60_000);

  it('answers 2xx to any event GitHub sends, and logs why a queued delivery made no record', async () => {
    const dir = await tempDir();
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      TELEMETRY_DATA_DIR: dir.path,
      TELEMETRY_WEBHOOK_SECRET: 'newcomer-secret',
    };
    const serve = await serveProcess(env);
    try {
      const send = (name: string) => telemetry(['send', name, '--url', serve.url], env);
      // Digits in the event name (projects_v2_item): acknowledged, not a failed delivery.
      const projects = await send('projects_v2_item.created');
      expect(projects.code).toBe(0);
      expect(projects.stdout).toMatch(
        /^202 [0-9a-f-]{36} \{"outcome":"ignored","message":"projects_v2_item.created is not collected"/,
      );
      // An issue without an incident label: queued (the incident metric listens to issues), no record, and the
      // collector's log says why.
      const issue = await send('issues.opened');
      expect(issue.stdout).toMatch(/^202 [0-9a-f-]{36} \{"outcome":"queued"/);
      const exited = new Promise((resolve) => serve.child.on('exit', resolve));
      serve.child.kill('SIGINT');
      await exited;
      const noRecord = serve
        .stdout()
        .split('\n')
        .filter((line) => line.includes('"message":"no record"'))
        .map((line) => JSON.parse(line));
      expect(noRecord).toEqual([
        expect.objectContaining({
          level: 'info',
          trigger: 'github::issues.opened',
          reason:
            'incident: its conditions beyond the trigger are not met (METRICS.md); incident needs one of the labels incident (metrics.incidentLabels)',
        }),
      ]);
      expect(await listFiles(dir.path)).toEqual([]);
    } finally {
      serve.child.kill('SIGKILL');
      await dir.remove();
    }
  });

  it('send --list marks which bundled examples make records', async () => {
    const list = await telemetry(['send', '--list']);
    expect(list.code).toBe(0);
    const lines = list.stdout.split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(/^workflow_job\.completed +recorded by workflow-job$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^issues\.opened +queued, no record: this payload does not meet the conditions of incident$/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^projects_v2_item\.created +not collected \(answered 202, no record\)$/),
    );
  });

  it('a port in use is one line saying what to do', async () => {
    const dir = await tempDir();
    const env = { PORT: '0', HOST: '127.0.0.1', TELEMETRY_DATA_DIR: dir.path, TELEMETRY_WEBHOOK_SECRET: 's' };
    const first = await serveProcess(env);
    try {
      const port = new URL(first.url).port;
      const second = await telemetry(['serve'], { ...env, PORT: port });
      expectOneLineError(
        second,
        new RegExp(
          `^telemetry: port ${port} is already in use \\(another collector\\?\\): stop it, or choose another port with --port ${Number(port) + 1} \\(or PORT=${Number(port) + 1}\\)$`,
        ),
      );
    } finally {
      first.child.kill('SIGKILL');
      await dir.remove();
    }
  });

  it('--store github without dataRepository is one line naming the file to edit', async () => {
    const dir = await tempDir();
    try {
      const result = await telemetry(
        ['serve', '--store', 'github'],
        { PORT: '0', TELEMETRY_DATA_DIR: join(dir.path, 'data'), GITHUB_TOKEN: 'ghp_example' },
        dir.path,
      );
      expectOneLineError(
        result,
        /^telemetry: --store github needs dataRepository \(\{ "owner", "name" \}\) in \.\/telemetry\.config\.json; without --store github records go to .+\/data$/,
      );
    } finally {
      await dir.remove();
    }
  });

  it('config check says which file it read', async () => {
    const dir = await tempDir();
    try {
      const none = await telemetry(['config', 'check'], { TELEMETRY_CONFIG: '' }, dir.path);
      expect(none.code).toBe(0);
      expect(none.stderr).toBe(
        'no configuration file (neither TELEMETRY_CONFIG nor ./telemetry.config.json): defaults, then the environment\n',
      );
      expect(JSON.parse(none.stdout)).toHaveProperty('instance', 'default');

      const file = join(dir.path, 'telemetry.config.json');
      await writeFile(file, JSON.stringify({ instance: 'acme' }));
      const read = await telemetry(['config', 'check'], { TELEMETRY_CONFIG: '' }, dir.path);
      expect(read.stderr).toBe(`configuration read from ${file}, then the environment\n`);
      expect(JSON.parse(read.stdout)).toHaveProperty('instance', 'acme');
    } finally {
      await dir.remove();
    }
  });
});
