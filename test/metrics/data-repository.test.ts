import { configSchema } from '../../src/config/config';
import { backfill } from '../../src/jobs/backfill';
import { toolingUsage } from '../../src/jobs/tooling-usage';
import { jsonLogger } from '../../src/log/logger';
import type { MetricRecord } from '../../src/pipeline/types';
import { startLocalCollector } from '../../src/server/server';
import { addRun } from '../fake-github/routes/listings';
import { startJobWorld } from '../jobs/setup';
import { collectAll, testContext } from '../support/collect';
import { storedRecords } from '../support/stored-records';
import { tempDir } from '../support/temp';
import { examplesOf, signedDelivery, signedEventFrom } from '../support/webhooks';

const SECRET = 'data-repository-secret';
const DATA = { owner: 'acme', name: 'telemetry-data' };
const DAY = 86_400_000;

/** A real completed workflow job, as the data repository's own workflow (or another repository's) sends it. */
function jobFrom(owner: string, name: string): Record<string, unknown> {
  const payload = examplesOf('workflow_job', 'completed')[0] as {
    repository: { name: string; full_name: string; owner: { login: string } };
  };
  payload.repository.owner.login = owner;
  payload.repository.name = name;
  payload.repository.full_name = `${owner}/${name}`;
  return payload as unknown as Record<string, unknown>;
}

async function records(dir: string): Promise<MetricRecord[]> {
  return storedRecords(dir);
}

describe('events from the data repository itself make no record (R9)', () => {
  it('the configured data repository joins metrics.ignoredRepositories, once, next to the configured ones', () => {
    const config = configSchema.parse({
      dataRepository: DATA,
      metrics: { ignoredRepositories: ['acme/sandbox'] },
    });
    expect(config.metrics.ignoredRepositories).toEqual(['acme/sandbox', 'acme/telemetry-data']);
    // The functions parse the parsed configuration again (TELEMETRY_CONFIG_JSON): nothing is added twice.
    expect(configSchema.parse(config).metrics.ignoredRepositories).toEqual(
      config.metrics.ignoredRepositories,
    );
    expect(configSchema.parse({}).metrics.ignoredRepositories).toEqual([]);
    expect(configSchema.safeParse({ metrics: { ignoredRepositories: ['no-owner'] } }).success).toBe(false);
  });

  it('any metric, any letter case: nothing from the data repository, the rest as before', async () => {
    const settings = configSchema.parse({ dataRepository: DATA }).metrics;
    const ctx = testContext({ settings });
    expect(await collectAll(signedEventFrom('workflow_job', jobFrom('Acme', 'Telemetry-Data')), ctx)).toEqual(
      [],
    );
    const other = await collectAll(signedEventFrom('workflow_job', jobFrom('acme', 'api')), ctx);
    expect(other.map((r) => r.metric)).toEqual(['workflow-job']);
  });

  it('through the local collector: 202 for GitHub, no record, one log line saying why', async () => {
    const dir = await tempDir();
    const lines: string[] = [];
    try {
      const config = configSchema.parse({
        server: { port: 0, host: '127.0.0.1', dataDir: dir.path },
        dataRepository: DATA,
      });
      const collector = await startLocalCollector({
        config,
        webhookSecrets: [SECRET],
        logger: jsonLogger({ level: 'info', write: (line) => lines.push(line) }),
      });
      for (const payload of [jobFrom('acme', 'telemetry-data'), jobFrom('acme', 'api')]) {
        const delivery = await signedDelivery('workflow_job', payload, SECRET);
        const response = await fetch(collector.url, {
          method: 'POST',
          headers: delivery.headers,
          body: delivery.body,
        });
        expect(response.status).toBe(202);
      }
      await collector.close();
      const stored = await records(dir.path);
      expect(stored.map((r) => `${r.metric} ${r.owner}/${r.repo}`)).toEqual(['workflow-job acme/api']);
      const skipped = lines.map((l) => JSON.parse(l)).filter((l) => l.message === 'event skipped');
      expect(skipped).toHaveLength(1);
      expect(skipped[0].reason).toContain('acme/telemetry-data');
    } finally {
      await dir.remove();
    }
  });

  it('backfills and scheduled snapshots of an organisation spend no request on the data repository', async () => {
    const env = await startJobWorld();
    const dir = await tempDir();
    try {
      for (const name of ['api', DATA.name]) {
        const repo = env.world.addRepo(DATA.owner, name);
        addRun(env.world, repo, { createdAt: new Date(env.clock.now - 2 * DAY).toISOString() });
      }
      const config = configSchema.parse({ dataRepository: DATA });
      const context = { ...env.context(dir.path), config };
      const result = await backfill.run(backfill.input.parse({ org: DATA.owner, since: '7d' }), context);
      expect(result.counts.repositories).toBe(1);
      await toolingUsage.run(toolingUsage.input.parse({ org: DATA.owner }), context);
      const stored = await records(dir.path);
      expect(stored.length).toBeGreaterThan(1);
      expect(new Set(stored.map((r) => `${r.owner}/${r.repo}`))).toEqual(new Set(['acme/api']));
      expect(env.fake.requests.filter((r) => r.path.includes(`/${DATA.name}`))).toEqual([]);
    } finally {
      await dir.remove();
      await env.stop();
    }
  });
});
