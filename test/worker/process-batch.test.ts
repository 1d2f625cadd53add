import { silentLogger } from '../../src/log/logger';
import { metrics } from '../../src/metrics/registry';
import { defaultMetricSettings } from '../../src/metrics/settings';
import { collectMetrics } from '../../src/pipeline/collect-metrics';
import { recordPath } from '../../src/pipeline/record';
import type { MetricRecord, SignedEvent } from '../../src/pipeline/types';
import { WritePacer } from '../../src/store/write-pacer';
import { processBatch } from '../../src/worker/process-batch';
import { type StoreWorld, storeWorld } from '../store/support';
import { examplesOf, signedEventFrom } from '../support/webhooks';

function jobEvents(n: number, name?: (i: number) => string | undefined): SignedEvent[] {
  return Array.from({ length: n }, (_, i) => {
    // biome-ignore lint/suspicious/noExplicitAny: a REST payload edited field by field
    const payload = structuredClone(examplesOf('workflow_job', 'completed')[0]) as Record<string, any>;
    payload.workflow_job.id = 6_000_000 + i;
    const renamed = name?.(i);
    if (renamed !== undefined) payload.workflow_job.name = renamed;
    return signedEventFrom('workflow_job', payload, { deliveryId: `d-${i}` });
  });
}

const deps = (world: StoreWorld, store = world.store()) => ({
  metrics,
  store,
  logger: silentLogger,
  context: { settings: defaultMetricSettings, now: () => new Date(world.clock.now()) },
});

describe('processBatch: only the bad event is parked', () => {
  let world: StoreWorld;
  afterEach(() => world.close());

  it('isolates the event whose records GitHub refuses (bisection); every other event is stored at once', async () => {
    world = await storeWorld();
    const events = jobEvents(16);
    // The record path of event 11 (the real metric's output): GitHub refuses any tree holding it.
    const { records } = await collectMetrics(events[11] as SignedEvent, metrics, deps(world).context);
    const poisonPath = recordPath(records[0] as MetricRecord);
    world.fake.injectFault({
      kind: 'unprocessable',
      times: Number.POSITIVE_INFINITY,
      match: (r) => r.path.endsWith('/git/trees') && JSON.stringify(r.body).includes(poisonPath),
    });
    const outcome = await processBatch(events, deps(world));
    expect(outcome.failed).toEqual([
      { index: 11, deliveryId: 'd-11', reason: expect.stringMatching(/refused/), permanent: true },
    ]);
    expect(outcome.written).toBe(15);
    expect((await world.records()).size).toBe(15);
  });

  it('when GitHub refuses every event alone, the events are not to blame: all are retried, none parked', async () => {
    world = await storeWorld();
    world.fake.injectFault({
      kind: 'unprocessable',
      times: Number.POSITIVE_INFINITY,
      match: (r) => r.path.endsWith('/git/trees'),
    });
    const outcome = await processBatch(jobEvents(4), deps(world));
    expect(outcome.failed).toHaveLength(4);
    expect(outcome.failed.every((f) => !f.permanent)).toBe(true);
  });

  it('parks the event whose record the store can never hold, storing the others', async () => {
    world = await storeWorld();
    const events = jobEvents(5, (i) => (i === 2 ? 'x'.repeat(60_000) : undefined));
    const outcome = await processBatch(events, deps(world, world.store({ maxTreeBytes: 50_000 })));
    expect(outcome.failed).toEqual([
      { index: 2, deliveryId: 'd-2', reason: expect.stringMatching(/cannot be stored/), permanent: true },
    ]);
    expect((await world.records()).size).toBe(4);
  });

  it('fails every event as transient when GitHub is down: nothing parked, nothing bisected', async () => {
    world = await storeWorld();
    const store = world.store({ maxAttempts: 2 });
    await store.verify();
    world.fake.injectFault({ kind: '502', times: Number.POSITIVE_INFINITY });
    const outcome = await processBatch(jobEvents(8), deps(world, store));
    expect(outcome.failed).toHaveLength(8);
    expect(outcome.failed.every((f) => !f.permanent && /did not answer/.test(f.reason))).toBe(true);
    const trees = world.fake.requests.filter((r) => r.path.endsWith('/git/trees'));
    expect(trees.length).toBeLessThanOrEqual(2);
  });

  it('a batch split across commits: when the budget stops the second, the events of the first are acknowledged', async () => {
    world = await storeWorld();
    const pacer = new WritePacer({ perMinute: 60, perHour: 450, burst: 10, clock: world.clock });
    // Tree requests of about two records each, three per commit: the batch needs three commits.
    const store = world.store({ pacer, maxTreeBytes: 12_000, maxTreesPerCommit: 3 });
    await store.verify();
    // Seven writes left: the first commit (three trees, the commit, the ref) goes, the second would wait.
    await pacer.reserve(3, 0);
    const start = world.clock.now();
    const events = jobEvents(16);
    const outcome = await processBatch(events, { ...deps(world, store), maxBudgetWaitMs: 0 });
    expect(world.clock.now()).toBe(start);
    const trees = world.fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/git/trees'));
    expect(trees).toHaveLength(3);
    const stored = await world.records();
    expect(stored.size).toBeGreaterThan(0);
    expect(outcome.failed.length + stored.size).toBe(16);
    expect(outcome.failed.every((f) => !f.permanent && (f.retryAfterMs ?? 0) > 0)).toBe(true);
    expect(outcome.written).toBe(stored.size);
    // The events acknowledged are exactly those whose record is in the branch.
    for (const [index, event] of events.entries()) {
      const { records } = await collectMetrics(event, metrics, deps(world).context);
      const inBranch = stored.has(`data/${recordPath(records[0] as MetricRecord)}`);
      expect(outcome.failed.some((f) => f.index === index)).toBe(!inBranch);
    }
  });
});
