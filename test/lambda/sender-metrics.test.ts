import { Metrics } from '@aws-lambda-powertools/metrics';
import { SENDER_METRICS } from '../../lambda/adapters/environment';
import { countingRefusals, refusedItemsMetric } from '../../lambda/adapters/sender-metrics';
import type { SignedEvent } from '../../src/pipeline/types';
import { deployment, pushHarness, signedPush } from '../push/harness';

describe('RefusedItems per sender (Powertools Metrics, EMF)', () => {
  it('counts what the push handler refuses, per authenticated sender, as EMF lines, before queueing', async () => {
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const queued: SignedEvent[] = [];
    try {
      const metrics = new Metrics({
        namespace: SENDER_METRICS.namespace,
        serviceName: SENDER_METRICS.service,
      });
      const enqueue = countingRefusals(async (events) => {
        queued.push(...events);
      }, refusedItemsMetric(metrics));
      // The harness records what the push handler queues; the Lambda sends the same through the wrapper.
      const { send, enqueued, activity } = pushHarness();
      await send(signedPush('deployment', { items: [deployment(), { id: 'a' }, { id: 'b' }] }));
      await send(signedPush('deploy', deployment()));
      await send(signedPush('deployment', deployment(), { secret: 'wrong' }));
      await enqueue([...enqueued, ...activity]);
    } finally {
      write.mockRestore();
    }
    const emf = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.includes('"_aws"'))
      .map((l) => JSON.parse(l));
    // The mixed batch (2 refused items) and the bad kind (1); the unauthenticated request is not a sender's.
    expect(emf.map((m) => [m.Sender, m.RefusedItems])).toEqual([
      ['jenkins', 2],
      ['jenkins', 1],
    ]);
    expect(emf[1]).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: 'GithubTelemetry',
            Dimensions: [expect.arrayContaining(['service', 'Sender'])],
            Metrics: [{ Name: 'RefusedItems', Unit: 'Count' }],
          },
        ],
      },
      service: 'telemetry-webhook',
      Sender: 'jenkins',
      RefusedItems: 1,
    });
    expect(queued.map((e) => e.trigger).sort()).toEqual([
      'push::deployment',
      'sender::refused',
      'sender::refused',
      'sender::unauthenticated',
    ]);
  });

  it('counts a request with some items refused by its refused items', () => {
    const counted: [string, number][] = [];
    const enqueue = countingRefusals(
      async () => undefined,
      (sender, n) => counted.push([sender, n]),
    );
    const { send, activity } = pushHarness();
    return send(signedPush('deployment', { items: [deployment(), { id: 'a' }, { id: 'b' }] })).then(
      async () => {
        await enqueue(activity);
        expect(counted).toEqual([['jenkins', 2]]);
      },
    );
  });
});
