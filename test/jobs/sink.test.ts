import { configSchema } from '../../src/config/config';
import { RecordSink } from '../../src/jobs/sink';
import { silentLogger } from '../../src/log/logger';
import { workflowJob } from '../../src/metrics/workflow-job';
import type { MetricRecord } from '../../src/pipeline/types';
import type { Store } from '../../src/store/types';
import { example } from '../support/webhooks';

/** A store that keeps what it is given, to read the records back. */
function memoryStore(): Store & { records: MetricRecord[] } {
  const records: MetricRecord[] = [];
  return {
    records,
    async write(batch) {
      records.push(...batch);
      return { written: batch.map((r) => r.id), unchanged: [] };
    },
    async readFile() {
      return undefined;
    },
    async writeFile() {},
  };
}

describe('RecordSink', () => {
  it('keeps ids Octokit parsed as BigInt exact, as decimal strings', async () => {
    const store = memoryStore();
    const sink = new RecordSink({
      store,
      metrics: [workflowJob],
      context: { settings: configSchema.parse({}).metrics, now: () => new Date('2026-11-20T12:00:00Z') },
      logger: silentLogger,
      collectedBy: 'backfill',
    });
    const payload = example('workflow_job', 'completed');
    const job = payload.workflow_job as Record<string, unknown>;
    job.id = 2n ** 60n + 7n;
    await sink.emit('workflow_job', payload, 'backfill-job-1');
    await sink.flush();
    expect(store.records).toHaveLength(1);
    expect(store.records[0]).toMatchObject({
      collected_by: 'backfill',
      delivery_id: 'backfill-job-1',
      output: { job_id: '1152921504606846983' },
    });
  });

  it('drops what no metric collects, as the webhook does, and says which triggers it collects', async () => {
    const store = memoryStore();
    const sink = new RecordSink({
      store,
      metrics: [workflowJob],
      context: { settings: configSchema.parse({}).metrics, now: () => new Date() },
      logger: silentLogger,
      collectedBy: 'backfill',
    });
    expect(sink.collects('github::workflow_job.completed')).toBe(true);
    expect(sink.collects('github::pull_request.closed')).toBe(false);
    await sink.emit('workflow_job', example('workflow_job', 'in_progress'), 'backfill-job-2');
    await sink.flush();
    expect(sink.counts).toMatchObject({ events: 1, ignored: 1, records: 0 });
    expect(store.records).toHaveLength(0);
  });
});
