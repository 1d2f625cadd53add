import { crashLoad } from '../../bench/support/crash';
import { example, signedDelivery } from '../support/webhooks';

/**
 * SIGKILL at any instant loses no acknowledged delivery and duplicates no record: the real collector
 * (`telemetry serve`, a process of its own) is killed twice while deliveries stream in over 8 connections,
 * restarted on the same data directory each time, and every delivery is sent until it is acknowledged.
 * The bench (`npm run bench -- crash`) runs the same at 5,000 deliveries and 5 kills.
 */
describe('crash safety of the local collector (real processes, SIGKILL)', () => {
  jest.setTimeout(120_000);

  it('every acknowledged delivery is stored exactly once after two SIGKILLs and restarts', async () => {
    const base = example('workflow_job', 'completed');
    const deliveries = await Promise.all(
      Array.from({ length: 240 }, async (_, i) => {
        const payload = structuredClone(base);
        const jobId = 30_000_000 + i;
        (payload.workflow_job as { id: number }).id = jobId;
        return { jobId: String(jobId), ...(await signedDelivery('workflow_job', payload, 'crash-secret')) };
      }),
    );
    const result = await crashLoad({
      name: 'crash-test',
      env: { TELEMETRY_WEBHOOK_SECRET: 'crash-secret' },
      deliveries,
      concurrency: 8,
      killAt: [60, 150],
    });
    expect(result).toMatchObject({
      acknowledged: 240,
      stored: 240,
      acknowledged_lost: 0,
      duplicates: 0,
      unindexed: 0,
      clean_exit: true,
    });
  });
});
