import { execFile } from 'node:child_process';
import { mkdir, readFile, symlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI, serveProcess } from '../support/serve-process';
import { tempDir } from '../support/temp';

const exec = promisify(execFile);
const README = join(__dirname, '..', '..', 'README.md');

/** The ```sh blocks of the README section whose heading is `heading`, in order. */
async function shellBlocks(heading: string): Promise<string[]> {
  const text = await readFile(README, 'utf8');
  const start = text.indexOf(`\n## ${heading}\n`);
  expect(start).toBeGreaterThan(0);
  const end = text.indexOf('\n## ', start + 4);
  const section = text.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

/**
 * The output a block promises: its comment lines that start at the beginning of a line (`# 202 …`), in order;
 * `…` stands for anything. Spaces are compared collapsed (the tables align with runs of spaces).
 */
function expectOutput(block: string, stdout: string): void {
  const squash = (line: string) => line.replace(/\s+/g, ' ').trim();
  const expected = block
    .split('\n')
    .filter((line) => line.startsWith('# '))
    .map((line) => squash(line.slice(2)))
    .filter((line) => line !== '…');
  const actual = stdout.split('\n').map(squash);
  let at = 0;
  for (const line of expected) {
    const pattern = new RegExp(
      `^${line
        // `0b5f…` abbreviates an id: any id.
        .replace(/[0-9a-f]*…/g, '…')
        .split('…')
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    const found = actual.findIndex((a, i) => i >= at && pattern.test(a));
    if (found === -1) throw new Error(`README promises\n  ${line}\nbut the output was\n${stdout}`);
    at = found + 1;
  }
}

/** A block cut before its first `find telemetry-data` (run once the collector has stored), which must promise a hot file. */
function splitAtFind(block: string): [string, string] {
  const at = block.indexOf('find telemetry-data');
  expect(at).toBeGreaterThan(0);
  const find = block.slice(at);
  expect(find).toMatch(/^# telemetry-data\/hot\//m);
  return [block.slice(0, at), find];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The README's blocks run as written, by bash, in a fresh directory where `npx telemetry` is this project's
 * installed bin (node_modules/.bin/telemetry), against `npm start` (the same process: `telemetry serve`).
 * Only a port of its own is set (PORT, which `npm start` and `telemetry send` both read), so the test never
 * collides with a collector already on 3000.
 */
describe('README.md runs as written (bash, the installed bin, real processes)', () => {
  jest.setTimeout(120_000);

  async function workspace() {
    const dir = await tempDir('telemetry-readme-');
    await mkdir(join(dir.path, 'node_modules', '.bin'), { recursive: true });
    await symlink(CLI, join(dir.path, 'node_modules', '.bin', 'telemetry'));
    const port = String(await freePort());
    const env = {
      ...process.env,
      PORT: port,
      HOST: '127.0.0.1',
      TELEMETRY_WEBHOOK_SECRET: '',
      GITHUB_TOKEN: '',
    };
    delete (env as Record<string, string | undefined>).TELEMETRY_SENDER_SECRETS;
    delete (env as Record<string, string | undefined>).TELEMETRY_DATA_DIR;
    const bash = (script: string, extra: Record<string, string> = {}) =>
      exec('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir.path, env: { ...env, ...extra } });
    return { dir, env, port, bash };
  }

  it('quick start: the secret npm start prints, the first event, a non-empty report', async () => {
    const { dir, env, bash } = await workspace();
    const serve = await serveProcess(env as Record<string, string>, [], dir.path);
    try {
      const secret = /export TELEMETRY_WEBHOOK_SECRET=([0-9a-f]+)/.exec(serve.stderr())?.[1] as string;
      expect(secret).toMatch(/^[0-9a-f]{40}$/);
      const [send, report] = await shellBlocks('Send your first event');
      const [sendPart, findPart] = splitAtFind(send as string);
      const sent = await bash(sendPart.replace('<the secret npm start printed>', secret));
      expectOutput(sendPart, sent.stdout);
      // The collector stores within moments (an in-memory queue): stop it, which drains the queue.
      const exited = new Promise((resolve) => serve.child.on('exit', resolve));
      serve.child.kill('SIGINT');
      await exited;
      const found = await bash(findPart);
      expectOutput(findPart, found.stdout);

      const reported = await bash(report as string);
      expectOutput(report as string, reported.stdout);
      const page = await readFile(join(dir.path, 'report.html'), 'utf8');
      const data = JSON.parse(
        /<script id="report-data" type="application\/json">(.*?)<\/script>/s.exec(page)?.[1] as string,
      );
      expect(data.records.used).toBeGreaterThan(0);
    } finally {
      serve.child.kill('SIGKILL');
      await dir.remove();
    }
  });

  it('pushes from other systems: one secret for both shells, the record the README shows', async () => {
    const { dir, env, bash } = await workspace();
    const [first, second] = await shellBlocks('Pushes from other systems');
    // Shell 1 up to `npm start`, then `npm start` itself with the environment shell 1 exported.
    const [before] = (first as string).split('npm start');
    await bash(before as string);
    const secret = (await readFile(join(dir.path, 'jenkins.secret'), 'utf8')).trim();
    const serve = await serveProcess(
      { ...(env as Record<string, string>), TELEMETRY_SENDER_SECRETS: `jenkins=${secret}` },
      [],
      dir.path,
    );
    try {
      const [sendPart, findPart] = splitAtFind(second as string);
      const sent = await bash(sendPart);
      expectOutput(sendPart, sent.stdout);
      const exited = new Promise((resolve) => serve.child.on('exit', resolve));
      serve.child.kill('SIGINT');
      await exited;
      const found = await bash(findPart);
      expectOutput(findPart, found.stdout);
    } finally {
      serve.child.kill('SIGKILL');
      await dir.remove();
    }
  });
});
