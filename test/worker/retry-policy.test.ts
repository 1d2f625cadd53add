import { decideRetry } from '../../src/worker/retry-policy';

const settings = { maxReceiveCount: 5, retentionMs: 4 * 86_400_000 };
const MIN = 60_000;

describe('decideRetry: transient failures never reach the dead-letter queue', () => {
  it('backs off 1, 2, 4, 8 minutes through the visibility, then requeues at the receive SQS would dead-letter', () => {
    const decisions = [1, 2, 3, 4, 5].map((receiveCount) =>
      decideRetry({ receiveCount, ageMs: 0 }, settings),
    );
    expect(decisions).toEqual([
      { action: 'retry', delayMs: 1 * MIN },
      { action: 'retry', delayMs: 2 * MIN },
      { action: 'retry', delayMs: 4 * MIN },
      { action: 'retry', delayMs: 8 * MIN },
      { action: 'requeue', delayMs: 15 * MIN },
    ]);
  });

  it("keeps the longest backoff on later copies, and takes GitHub's or the budget's wait when known", () => {
    expect(decideRetry({ receiveCount: 1, requeues: 1, ageMs: 0 }, settings)).toEqual({
      action: 'retry',
      delayMs: 15 * MIN,
    });
    expect(decideRetry({ receiveCount: 1, ageMs: 0, retryAfterMs: 90_000 }, settings)).toEqual({
      action: 'retry',
      delayMs: 90_000,
    });
    // A known wait is taken as it is (at least a second), never later than 15 minutes; an unknown one is
    // at least 30 s.
    expect(decideRetry({ receiveCount: 1, ageMs: 0, retryAfterMs: 7_200 }, settings)).toMatchObject({
      delayMs: 7_200,
    });
    expect(decideRetry({ receiveCount: 1, ageMs: 0, retryAfterMs: 1 }, settings)).toMatchObject({
      delayMs: 1_000,
    });
    expect(decideRetry({ receiveCount: 2, ageMs: 0, retryAfterMs: 3_600_000 }, settings)).toMatchObject({
      delayMs: 15 * MIN,
    });
  });

  it('parks only an event that failed for longer than the queue keeps messages', () => {
    expect(decideRetry({ receiveCount: 3, ageMs: 4 * 86_400_000 + 1 }, settings)).toMatchObject({
      action: 'park',
    });
    expect(decideRetry({ receiveCount: 5, ageMs: 3 * 86_400_000 }, settings)).toMatchObject({
      action: 'requeue',
    });
  });
});
