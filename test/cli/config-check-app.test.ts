import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { installApp } from '../fake-github/routes/app';
import { addDelivery } from '../fake-github/routes/hooks';
import { APP_ID, type AppWorld, appKeys, startAppWorld } from '../support/github-app';
import { tempDir } from '../support/temp';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).bin.telemetry);

let w: AppWorld;
let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  w = await startAppWorld();
  dir = await tempDir();
  writeFileSync(join(dir.path, 'app.pem'), appKeys().privateKey);
});
afterAll(async () => {
  await w.stop();
  await dir.remove();
});

/** `telemetry config check` through the installed bin, as a real process, with the App's key in a file. */
async function check(config: unknown, env: Record<string, string> = {}) {
  const file = join(dir.path, 'telemetry.config.json');
  writeFileSync(file, JSON.stringify(config));
  const childEnv = {
    PATH: process.env.PATH ?? '',
    GITHUB_API_URL: w.fake.baseUrl,
    GITHUB_APP_ID: String(APP_ID),
    GITHUB_APP_PRIVATE_KEY_FILE: join(dir.path, 'app.pem'),
    ...env,
  };
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, 'config', 'check', '--file', file], {
      env: childEnv,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const everything = {
  metadata: 'read',
  actions: 'read',
  checks: 'read',
  contents: 'write',
  deployments: 'read',
  issues: 'read',
  pull_requests: 'read',
} as const;
const events = [
  'check_suite',
  'create',
  'deployment',
  'deployment_status',
  'issues',
  'pull_request',
  'workflow_job',
  'workflow_run',
];
const config = {
  githubAuth: { source: 'app', data: 'app', owners: ['acme'] },
  dataRepository: { owner: 'acme-data', name: 'telemetry' },
  schedules: [{ name: 'nightly', cron: 'cron(0 3 * * ? *)', job: 'backfill', input: { org: 'globex' } }],
};

test('config check names exactly what is missing: an owner without the App, a permission and who needs it', async () => {
  const { pull_requests: _notGranted, ...withoutPulls } = everything;
  installApp(w.app, 'acme', { permissions: withoutPulls, events });
  installApp(w.app, 'acme-data', { permissions: { metadata: 'read', contents: 'read' } });
  const result = await check(config);
  expect(result.code).toBe(2);
  const lines = result.stderr.split('\n');
  expect(lines).toContainEqual(expect.stringMatching(/not installed on "globex"/));
  const pulls = lines.find((l) => l.includes('"acme" lacks pull_requests: read'));
  expect(pulls).toContain('metric pull-request (read)');
  expect(pulls).toContain('job backfill (schedule nightly) (read)');
  expect(lines).toContainEqual(
    expect.stringMatching(/"acme-data" lacks contents: write, needed by the data repository/),
  );
  expect(lines.filter((l) => l.includes('lacks'))).toHaveLength(2);
  // The configuration itself is still printed (stdout), and the key is nowhere.
  expect(JSON.parse(result.stdout).githubAuth.source).toBe('app');
  const keyLine = appKeys().privateKey.split('\n')[1] as string;
  expect(result.stdout + result.stderr).not.toContain(keyLine);
});

test('config check passes when every installation grants what the metrics and jobs need', async () => {
  w.app.installations.length = 0;
  installApp(w.app, 'acme', { permissions: { ...everything }, events });
  installApp(w.app, 'globex', { permissions: { ...everything }, events });
  installApp(w.app, 'acme-data', { permissions: { metadata: 'read', contents: 'write' } });
  const result = await check(config);
  expect(result.stderr).toContain('installed on "globex" with every permission and event needed');
  expect(result.code).toBe(0);
});

test('a JWT GitHub does not accept (another App id) fails authentication, naming the cause', async () => {
  const result = await check(config, { GITHUB_APP_ID: String(APP_ID + 1) });
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/cannot authenticate \(401/);
});

test('App credentials missing: the variables to set are named', async () => {
  const result = await check(config, { GITHUB_APP_ID: '', GITHUB_APP_PRIVATE_KEY_FILE: '' });
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY');
});

test('telemetry redeliver --app (the installed bin) redelivers the App hook with the App credentials of the environment', async () => {
  const failed = addDelivery(w.app.hook, {
    guid: 'cli-lost',
    deliveredAt: new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ok: false,
  });
  const file = join(dir.path, 'redeliver.config.json');
  writeFileSync(file, JSON.stringify({ githubAuth: { source: 'app', owners: ['acme'] } }));
  const { stdout } = await run(
    process.execPath,
    [BIN, 'redeliver', '--app', '--since', '24h', '--json', '--data', join(dir.path, 'data')],
    {
      env: {
        PATH: process.env.PATH ?? '',
        TELEMETRY_CONFIG: file,
        GITHUB_API_URL: w.fake.baseUrl,
        GITHUB_APP_ID: String(APP_ID),
        GITHUB_APP_PRIVATE_KEY: appKeys().privateKey.replace(/\n/g, '\\n'), // escaped, as in a .env file
      },
    },
  );
  expect(JSON.parse(stdout)).toMatchObject({ job: 'redeliver', counts: { redelivered: 1 } });
  expect(w.app.hook.attempts).toContain(failed.id);
});
