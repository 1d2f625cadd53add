import { configSchema } from '../../src/config/config';
import { jsonLogger } from '../../src/log/logger';
import { startLocalCollector } from '../../src/server/server';
import { storedRecords } from '../support/stored-records';
import { tempDir } from '../support/temp';
import { example, examplesOf, signedDelivery } from '../support/webhooks';

const SECRET = 'local-collector-secret';

/** Real payloads of every trigger of this branch's metrics, made to match where the example alone does not. */
function deliveries(): [string, Record<string, unknown>][] {
  const job = examplesOf('workflow_job', 'completed')[0] as { workflow_job: { steps: { name: string }[] } };
  job.workflow_job.steps[6]!.name = 'Run yarn test';
  const incident = example('issues', 'labeled') as {
    label: { name: string };
    issue: { labels: { name: string }[] };
  };
  incident.label.name = 'incident';
  incident.issue.labels = [incident.label];
  const success = examplesOf('deployment_status', 'created').find(
    (p) => (p.deployment_status as { state: string }).state === 'success',
  )!;
  const run = examplesOf('workflow_run', 'completed').find(
    (p) => (p.workflow_run as { path?: string }).path,
  )!;
  return [
    ['workflow_run', run],
    ['workflow_job', job as unknown as Record<string, unknown>],
    ['deployment', example('deployment', 'created')],
    ['deployment_status', success],
    ['issues', incident as unknown as Record<string, unknown>],
  ];
}

describe('local collector without GITHUB_TOKEN', () => {
  it('writes a record of every metric, partial where the GitHub API is needed', async () => {
    const dir = await tempDir();
    try {
      const config = configSchema.parse({ server: { port: 0, host: '127.0.0.1', dataDir: dir.path } });
      const collector = await startLocalCollector({
        config,
        webhookSecrets: [SECRET],
        logger: jsonLogger({ level: 'error', write: () => {} }),
      });
      for (const [event, payload] of deliveries()) {
        const delivery = await signedDelivery(event, payload, SECRET);
        const response = await fetch(collector.url, {
          method: 'POST',
          headers: delivery.headers,
          body: delivery.body,
        });
        expect(response.status).toBe(202);
      }
      await collector.close();

      const records = await storedRecords(dir.path);
      const status = Object.fromEntries(records.map((r) => [r.metric, r.status]));
      expect(status).toEqual({
        'workflow-run': 'complete',
        'workflow-job': 'complete',
        'test-coverage': 'complete',
        deployment: 'partial',
        'deployment-status': 'partial',
        incident: 'complete',
      });
      for (const record of records.filter((r) => r.status === 'partial')) {
        expect(record.errors[0]?.message).toMatch(/no GitHub token/);
      }
    } finally {
      await dir.remove();
    }
  });
});
