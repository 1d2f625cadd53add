import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { addRun } from '../fake-github/routes/listings';
import { type JobWorld, startJobWorld } from '../jobs/setup';
import { CLI } from '../support/serve-process';
import { tempDir } from '../support/temp';

const run = promisify(execFile);

/**
 * The backfill's progress bar as a person at a terminal sees it: the installed bin run in a pseudo-terminal
 * (util-linux `script`), against the fake GitHub.
 */
describe('telemetry backfill in a terminal (real process, pseudo-terminal)', () => {
  jest.setTimeout(60_000);
  let env: JobWorld;
  beforeAll(async () => {
    env = await startJobWorld({ now: new Date().toISOString() });
    env.clock.now = Date.now();
    for (const name of ['api', 'web']) {
      const repo = env.world.addRepo('acme', name);
      addRun(env.world, repo, { createdAt: new Date(Date.now() - 86_400_000).toISOString() });
    }
  });
  afterAll(() => env.stop());

  it('draws a bar whose time left reads "estimating" until a repository is done, never "NF"', async () => {
    const dir = await tempDir();
    try {
      const { stdout } = await run(
        'script',
        ['-qec', `${process.execPath} ${CLI} backfill --org acme --since 30d`, '/dev/null'],
        {
          env: {
            ...process.env,
            GITHUB_TOKEN: 'cli-token',
            GITHUB_API_URL: env.fake.baseUrl,
            TELEMETRY_DATA_DIR: dir.path,
          },
        },
      );
      // Without the terminal's escape sequences (ESC [ … letter).
      const text = stdout.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g'), '');
      expect(text).toMatch(
        /0\/2 repositories \| 0 items \| 0 records \| \d+ requests left \| estimating left/,
      );
      expect(text).toMatch(/2\/2 repositories \| 2 items \| \d+ records \| \d+ requests left \| 0s left/);
      expect(text).not.toMatch(/NF|Infinity|NaN/);
      expect(text).toMatch(/backfill of 2\/2 repositories/);
    } finally {
      await dir.remove();
    }
  });
});
