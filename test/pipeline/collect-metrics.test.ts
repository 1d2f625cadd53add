import type { Metric } from '../../src/metrics/types';
import { shared } from '../../src/metrics/types';
import { collectMetrics } from '../../src/pipeline/collect-metrics';
import { testContext } from '../support/collect';
import { example, signedEventFrom } from '../support/webhooks';

const event = signedEventFrom('workflow_job', example('workflow_job', 'completed'));
const metric = (name: string, collect: Metric['collect'], triggers = ['github::workflow_job']): Metric => ({
  name,
  description: name,
  triggers,
  permissions: { actions: 'read' },
  matches: () => true,
  collect,
});
const draft = (key: string) => ({
  naturalKey: key,
  owner: 'o',
  repo: 'r',
  occurredAt: '2026-01-01T00:00:00Z',
  output: {},
});

describe('collectMetrics', () => {
  it('runs every metric whose trigger (or trigger prefix) matches, and only those', async () => {
    const result = await collectMetrics(
      event,
      [
        metric('a', async () => [draft('1')]),
        metric('b', async () => [draft('2'), draft('3')], ['github::workflow_job.completed']),
        metric('c', async () => [draft('4')], ['github::check_suite']),
      ],
      testContext(),
    );
    expect(result.records.map((r) => r.metric)).toEqual(['a', 'b', 'b']);
    expect(result.failures).toEqual([]);
  });

  it("keeps other metrics' records when one metric throws, and reports the failure", async () => {
    const result = await collectMetrics(
      event,
      [
        metric('boom', async () => Promise.reject(new Error('GitHub is down'))),
        metric('fine', async () => [draft('1')]),
      ],
      testContext(),
    );
    expect(result.records.map((r) => r.metric)).toEqual(['fine']);
    expect(result.failures).toEqual([expect.objectContaining({ metric: 'boom', message: 'GitHub is down' })]);
  });

  it('shares one computation per event between metrics (memo), and a fresh one per event', async () => {
    let reads = 0;
    const read = (ctx: Parameters<Metric['collect']>[1]) =>
      shared(ctx, 'pr-data', async () => {
        reads += 1;
        return 'data';
      });
    const metrics = [
      metric('x', async (_e, ctx) => [draft(await read(ctx))]),
      metric('y', async (_e, ctx) => [draft(await read(ctx))]),
    ];
    await collectMetrics(event, metrics, testContext());
    expect(reads).toBe(1);
    await collectMetrics(event, metrics, testContext());
    expect(reads).toBe(2);
  });
});
