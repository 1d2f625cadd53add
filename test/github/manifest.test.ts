import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { configSchema } from '../../src/config/config';
import { appManifest, appRequirements } from '../../src/github/manifest';
import { EVENT_PERMISSIONS } from '../../src/github/permissions';
import { jobs } from '../../src/jobs/registry';
import { metrics } from '../../src/metrics/registry';
import { openapi } from '../fake-github/openapi-check';
import { tempDir } from '../support/temp';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
/** The `telemetry` command as package.json installs it. */
const BIN = join(ROOT, JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).bin.telemetry);

const WEBHOOK = 'https://telemetry.example.com/telemetry';
const schedules = [
  { name: 'nightly', cron: 'cron(0 3 * * ? *)', job: 'backfill', input: { org: 'acme' } },
  { name: 'snapshot', cron: 'cron(0 4 * * ? *)', job: 'tooling-usage', input: { org: 'acme' } },
  { name: 'recover', cron: 'rate(1 hour)', job: 'redeliver', input: { app: true } },
];

/** The expectation, built from the registries by hand: each metric's declaration, each scheduled job's. */
function expectedPermissions(config: ReturnType<typeof configSchema.parse>): Record<string, string> {
  const sets: Record<string, string>[] = [{ metadata: 'read' }];
  for (const metric of metrics) sets.push({ ...metric.permissions });
  for (const schedule of config.schedules) {
    const job = jobs.find((j) => j.name === schedule.job);
    if (job?.permissions) sets.push({ ...job.permissions(job.input.parse(schedule.input)) });
  }
  if (config.githubAuth.data === 'app') sets.push({ contents: 'write' });
  const out: Record<string, string> = {};
  for (const set of sets)
    for (const [name, access] of Object.entries(set)) if (out[name] !== 'write') out[name] = access;
  return out;
}

const collectedEvents = () =>
  [
    ...new Set(
      metrics.flatMap((m) =>
        m.triggers.filter((t) => t.startsWith('github::')).map((t) => t.slice(8).split('.')[0] as string),
      ),
    ),
  ].sort();

describe('the App manifest is derived from the registries', () => {
  test('same App reads and writes: the union of every metric and scheduled job, read-only but contents: write', () => {
    const config = configSchema.parse({ githubAuth: { source: 'app', data: 'app' }, schedules });
    const manifest = appManifest(config, { role: 'source', webhookUrl: WEBHOOK });
    expect(manifest.default_permissions).toEqual(expectedPermissions(config));
    expect(manifest.default_events).toEqual(collectedEvents());
    expect(manifest.hook_attributes).toEqual({ url: WEBHOOK, active: true });
    const writes = Object.entries(manifest.default_permissions).filter(([, access]) => access !== 'read');
    expect(writes).toEqual([['contents', 'write']]);
  });

  test('a token writes the data repository: nothing but reads', () => {
    const config = configSchema.parse({ githubAuth: { source: 'app', data: 'token' }, schedules });
    const manifest = appManifest(config, { role: 'source', webhookUrl: WEBHOOK });
    expect(manifest.default_permissions).toEqual(expectedPermissions(config));
    expect(new Set(Object.values(manifest.default_permissions))).toEqual(new Set(['read']));
  });

  test('a second App for the data repository: contents: write and metadata, no events, no hook', () => {
    const config = configSchema.parse({ githubAuth: { source: 'app', data: 'data-app' }, schedules });
    const manifest = appManifest(config, { role: 'data', url: 'https://github.com/acme/telemetry-data' });
    expect(manifest.default_permissions).toEqual({ contents: 'write', metadata: 'read' });
    expect(manifest.default_events).toEqual([]);
    expect(manifest.hook_attributes).toBeUndefined();
    // …and the source App then asks for no write at all.
    const source = appManifest(config, { role: 'source', webhookUrl: WEBHOOK });
    expect(source.default_permissions.contents).toBe('read');
  });

  test('every collected event is covered by a declared permission of the metric it triggers', () => {
    for (const metric of metrics) {
      for (const trigger of metric.triggers.filter((t) => t.startsWith('github::'))) {
        const event = trigger.slice(8).split('.')[0] as string;
        const permission = EVENT_PERMISSIONS[event];
        expect({ metric: metric.name, event, permission }).toEqual({
          metric: metric.name,
          event,
          permission: expect.any(String),
        });
        expect({ metric: metric.name, access: metric.permissions[permission as string] }).toEqual({
          metric: metric.name,
          access: expect.stringMatching(/^(read|write)$/),
        });
      }
    }
  });

  test('every permission is one GitHub knows, at an access it offers (@octokit/openapi app-permissions)', () => {
    const known = openapi().components.schemas['app-permissions'].properties as Record<
      string,
      { enum: string[] }
    >;
    const config = configSchema.parse({
      githubAuth: { source: 'app', data: 'app' },
      schedules: [
        ...schedules,
        { name: 'org-hook', cron: 'rate(1 hour)', job: 'redeliver', input: { org: 'acme', hook: 1 } },
      ],
    });
    const { permissions, neededBy } = appRequirements(config, 'source');
    for (const [name, access] of Object.entries(permissions)) {
      expect({ name, offered: known[name]?.enum.includes(access) }).toEqual({ name, offered: true });
    }
    // Redelivering an organisation hook is the one thing that needs a hook write; it is named.
    expect(permissions.organization_hooks).toBe('write');
    expect(neededBy.organization_hooks).toEqual(['job redeliver (schedule org-hook) (write)']);
  });

  test('the source App needs the collector URL for its webhook', () => {
    expect(() => appManifest(configSchema.parse({}), { role: 'source' })).toThrow('--webhook-url');
  });
});

describe('telemetry app manifest (the installed bin, as a process)', () => {
  test('--help describes the command', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'app', 'manifest', '--help']);
    expect(stdout).toContain('Usage: telemetry app manifest');
    expect(stdout).toContain('--webhook-url <url>');
    expect(stdout).toContain('--role <role>');
  });

  test('prints the manifest of the configuration file; a missing webhook URL is a usage error (exit 2)', async () => {
    const dir = await tempDir();
    try {
      const file = join(dir.path, 'telemetry.config.json');
      const raw = { instance: 'prod', githubAuth: { source: 'app', data: 'app' }, schedules };
      writeFileSync(file, JSON.stringify(raw));
      const { stdout } = await run(process.execPath, [
        BIN,
        'app',
        'manifest',
        '--file',
        file,
        '--webhook-url',
        WEBHOOK,
      ]);
      const printed = JSON.parse(stdout);
      expect(printed).toEqual(appManifest(configSchema.parse(raw), { role: 'source', webhookUrl: WEBHOOK }));
      expect(printed.name).toBe('telemetry-prod');

      const failed = await run(process.execPath, [BIN, 'app', 'manifest', '--file', file]).catch((e) => e);
      expect(failed.code).toBe(2);
      expect(failed.stderr).toContain('--webhook-url');
    } finally {
      await dir.remove();
    }
  });
});
