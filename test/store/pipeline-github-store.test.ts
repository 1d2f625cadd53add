import { silentLogger } from '../../src/log/logger';
import { metrics } from '../../src/metrics/registry';
import { defaultMetricSettings } from '../../src/metrics/settings';
import { collectMetrics } from '../../src/pipeline/collect-metrics';
import type { SignedEvent } from '../../src/pipeline/types';
import { type DeadLetter, MemoryQueue } from '../../src/queue/memory-queue';
import { processBatch } from '../../src/worker/process-batch';
import { examplesOf, signedEventFrom } from '../support/webhooks';
import { type StoreWorld, seeded, storeWorld } from './support';

/** Real workflow_job and check_suite deliveries with distinct ids. */
function events(count: number): SignedEvent[] {
  const jobs = examplesOf('workflow_job', 'completed');
  const suites = examplesOf('check_suite', 'completed');
  return Array.from({ length: count }, (_, i) => {
    const isJob = i % 5 !== 0;
    // biome-ignore lint/suspicious/noExplicitAny: REST payloads edited field by field
    const payload = structuredClone((isJob ? jobs : suites)[i % 2]) as Record<string, any>;
    if (isJob) payload.workflow_job.id = 70_000_000 + i;
    else payload.check_suite.id = 80_000_000 + i;
    return signedEventFrom(isJob ? 'workflow_job' : 'check_suite', payload, { deliveryId: `d-${i}` });
  });
}

describe('queue → processBatch → GitHubRepoStore under faults', () => {
  let world: StoreWorld;
  afterEach(async () => {
    await world.close();
  });

  it('stores every record exactly once although requests fail, answers get lost and the branch races', async () => {
    world = await storeWorld({ random: seeded(7) });
    const store = world.store({
      requestTimeoutMs: 300,
      maxAttempts: 2,
      maxConflictRetries: 0,
      random: seeded(8),
    });
    const always = Number.POSITIVE_INFINITY;
    world.fake.injectFault({ kind: '502', probability: 0.1, times: always });
    world.fake.injectFault({ kind: 'lost-response', probability: 0.05, times: always });
    world.git.injectRace({ probability: 0.3, times: always });

    const parked: DeadLetter[] = [];
    const failedWrites: number[] = [];
    const queue = new MemoryQueue({
      logger: silentLogger,
      batchSize: 40,
      maxAttempts: 10,
      retryDelayMs: 10,
      deadLetter: async (letter) => {
        parked.push(letter);
      },
      process: async (batch) => {
        const outcome = await processBatch(batch, {
          metrics,
          store,
          logger: silentLogger,
          context: { settings: defaultMetricSettings, now: () => new Date(world.clock.now()) },
        });
        if (outcome.failed.length === batch.length) failedWrites.push(batch.length);
        return outcome;
      },
    });
    const sent = events(200);
    await queue.send(sent);
    await queue.drain();

    const expected = new Set<string>();
    for (const event of sent)
      for (const record of (
        await collectMetrics(event, metrics, { settings: defaultMetricSettings, now: () => new Date() })
      ).records)
        expected.add(record.id);
    const stored = [...(await world.records()).values()].map((r) => r.id);
    expect(parked).toEqual([]);
    // The faults were strong enough to fail whole writes, which the queue then retried.
    expect(failedWrites.length).toBeGreaterThan(0);
    expect(new Set(stored)).toEqual(expected);
    expect(stored).toHaveLength(expected.size);
    // No file was committed twice.
    const writes = await world.git.writesPerPath(world.repo, 'main', 'data/');
    expect([...writes.values()].every((n) => n === 1)).toBe(true);
  });
});
