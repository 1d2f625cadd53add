import { silentLogger } from '../../src/log/logger';
import type { SignedEvent } from '../../src/pipeline/types';
import { type DeadLetter, MemoryQueue, QueueFullError, StoreOutageError } from '../../src/queue/memory-queue';
import type { BatchOutcome } from '../../src/worker/process-batch';

const event = (id: string): SignedEvent => ({
  trigger: 'github::workflow_job.completed',
  source: 'github',
  event: 'workflow_job',
  deliveryId: id,
  receivedAt: '2026-11-01T12:00:00.000Z',
  collectedBy: 'webhook',
  payload: {},
});
const ok = (n: number): BatchOutcome => ({ records: n, written: n, unchanged: 0, failed: [] });

describe('MemoryQueue', () => {
  it('batches events that arrive together and drains to empty', async () => {
    const batches: string[][] = [];
    const queue = new MemoryQueue({
      logger: silentLogger,
      batchSize: 50,
      process: async (events) => {
        batches.push(events.map((e) => e.deliveryId));
        return ok(events.length);
      },
      deadLetter: async () => {},
    });
    await Promise.all(Array.from({ length: 120 }, (_, i) => queue.send([event(String(i))])));
    await queue.drain();
    expect(batches.map((b) => b.length)).toEqual([50, 50, 20]);
    expect(batches.flat()).toEqual(Array.from({ length: 120 }, (_, i) => String(i)));
    expect(queue.size).toBe(0);
  });

  it('retries a failed event with backoff, then dead-letters it after maxAttempts; others are not held up', async () => {
    const attempts = new Map<string, number>();
    const letters: DeadLetter[] = [];
    const queue = new MemoryQueue({
      logger: silentLogger,
      maxAttempts: 3,
      retryDelayMs: 1,
      process: async (events) => {
        const failed = events.flatMap((e, index) => {
          attempts.set(e.deliveryId, (attempts.get(e.deliveryId) ?? 0) + 1);
          return e.deliveryId === 'bad'
            ? [{ index, deliveryId: e.deliveryId, reason: 'GitHub is down', permanent: false }]
            : [];
        });
        return { ...ok(events.length), failed };
      },
      deadLetter: async (letter) => {
        letters.push(letter);
      },
    });
    await queue.send([event('good'), event('bad')]);
    await queue.drain();
    expect(attempts.get('good')).toBe(1);
    expect(attempts.get('bad')).toBe(3);
    expect(letters).toEqual([{ event: event('bad'), reason: 'GitHub is down', attempts: 3 }]);
  });

  it('dead-letters a permanent failure at once, and a thrown batch counts as a failure of every event', async () => {
    const letters: string[] = [];
    let calls = 0;
    const queue = new MemoryQueue({
      logger: silentLogger,
      maxAttempts: 2,
      retryDelayMs: 1,
      process: async (events) => {
        calls += 1;
        if (events.some((e) => e.deliveryId === 'boom')) throw new Error('disk full');
        return {
          ...ok(1),
          failed: [{ index: 0, deliveryId: 'shape', reason: 'bad payload', permanent: true }],
        };
      },
      deadLetter: async (letter) => {
        letters.push(`${letter.event.deliveryId}:${letter.attempts}:${letter.reason}`);
      },
    });
    await queue.send([event('shape')]);
    await queue.drain();
    await queue.send([event('boom')]);
    await queue.drain();
    expect(letters).toEqual(['shape:1:bad payload', 'boom:2:disk full']);
    expect(calls).toBe(3);
  });

  it('keeps an event it could not park and tries again, instead of losing it', async () => {
    let parkTries = 0;
    const queue = new MemoryQueue({
      logger: silentLogger,
      maxAttempts: 1,
      retryDelayMs: 1,
      process: async (events) => ({
        ...ok(0),
        failed: events.map((e, index) => ({ index, deliveryId: e.deliveryId, reason: 'x', permanent: true })),
      }),
      deadLetter: async () => {
        parkTries += 1;
        if (parkTries < 3) throw new Error('EACCES');
      },
    });
    await queue.send([event('e')]);
    await queue.drain();
    expect(parkTries).toBe(3);
  });

  it('refuses events beyond maxPending instead of growing without bound', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const queue = new MemoryQueue({
      logger: silentLogger,
      maxPending: 3,
      process: async (events) => {
        await gate;
        return ok(events.length);
      },
      deadLetter: async () => {},
    });
    await queue.send([event('1'), event('2'), event('3')]);
    await expect(queue.send([event('4')])).rejects.toBeInstanceOf(QueueFullError);
    release();
    await queue.drain();
    await queue.send([event('4')]);
    await queue.drain();
  });

  it('drain() waits for a dead-letter write still running (it used to resolve before it, so serve could exit)', async () => {
    let parked = false;
    const queue = new MemoryQueue({
      logger: silentLogger,
      process: async (events) => ({
        ...ok(0),
        failed: events.map((e, index) => ({ index, deliveryId: e.deliveryId, reason: 'x', permanent: true })),
      }),
      deadLetter: async () => {
        await new Promise((r) => setTimeout(r, 50));
        parked = true;
      },
    });
    await queue.send([event('slow-letter')]);
    await new Promise((r) => setImmediate(r));
    await queue.drain();
    expect(parked).toBe(true);
  });

  it('bounds memory in bytes: a delivery that would pass maxBytes is refused with a Retry-After', async () => {
    const queue = new MemoryQueue({
      logger: silentLogger,
      maxBytes: 4000,
      process: () => new Promise<BatchOutcome>(() => {}),
      deadLetter: async () => {},
    });
    const big = { ...event('big'), payload: { blob: 'x'.repeat(3000) } };
    await queue.send([big]);
    expect(queue.bytes).toBeGreaterThan(3000);
    const refused = await queue.send([{ ...big, deliveryId: 'big-2' }]).catch((e) => e);
    expect(refused).toBeInstanceOf(QueueFullError);
    expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    await queue.send([event('small')]);
    expect(queue.size).toBe(2);
  });

  it('one push sender cannot take more than its share from GitHub deliveries', async () => {
    const queue = new MemoryQueue({
      logger: silentLogger,
      maxPending: 8,
      senderShare: 0.25,
      process: () => new Promise<BatchOutcome>(() => {}),
      deadLetter: async () => {},
    });
    const pushed = (sender: string, id: string): SignedEvent => ({
      ...event(id),
      trigger: 'push::deployment',
      source: 'push',
      event: 'deployment',
      collectedBy: 'push',
      sender,
    });
    await queue.send([pushed('noisy', 'n1'), pushed('noisy', 'n2')]);
    await expect(queue.send([pushed('noisy', 'n3')])).rejects.toThrow(
      'the queue share of sender noisy is full',
    );
    await queue.send([pushed('other', 'o1'), pushed('other', 'o2')]);
    // Pushes together hold at most half: a third sender waits too, GitHub deliveries do not.
    await expect(queue.send([pushed('third', 't1')])).rejects.toThrow('the queue share of pushes is full');
    await queue.send([event('g1'), event('g2'), event('g3'), event('g4')]);
    expect(queue.size).toBe(8);
    await expect(queue.send([event('g5')])).rejects.toBeInstanceOf(QueueFullError);
  });

  it('while the store is down: new events are refused (503), queued ones are retried and never dead-lettered', async () => {
    let down: string | undefined;
    let stored = 0;
    const letters: string[] = [];
    const queue = new MemoryQueue({
      logger: silentLogger,
      maxAttempts: 2,
      retryDelayMs: 1,
      maxRetryDelayMs: 5,
      outage: () => down,
      process: async (events) => {
        if (down) {
          return {
            ...ok(0),
            failed: events.map((e, index) => ({
              index,
              deliveryId: e.deliveryId,
              reason: down as string,
              permanent: false,
            })),
          };
        }
        stored += events.length;
        return ok(events.length);
      },
      deadLetter: async (letter) => {
        letters.push(letter.event.deliveryId);
      },
    });
    down = 'store cannot write: ENOSPC';
    await expect(queue.send([event('late')])).rejects.toBeInstanceOf(StoreOutageError);
    down = undefined;
    await queue.send([event('kept')]);
    down = 'store cannot write: ENOSPC';
    await new Promise((r) => setTimeout(r, 100));
    expect(letters).toEqual([]);
    expect(queue.size).toBe(1);
    down = undefined;
    await queue.drain();
    expect(stored).toBe(1);
    expect(letters).toEqual([]);
  });

  it('drain(timeout) gives up after the timeout and stops (SIGTERM must not wait forever)', async () => {
    const queue = new MemoryQueue({
      logger: silentLogger,
      process: () => new Promise<BatchOutcome>(() => {}),
      deadLetter: async () => {},
    });
    await queue.send([event('stuck')]);
    expect(await queue.drain(20)).toBe(false);
    await expect(queue.send([event('after')])).rejects.toBeInstanceOf(QueueFullError);
  });

  it('processes batches concurrently, but never two copies of one delivery at once', async () => {
    let active = 0;
    let most = 0;
    const inFlight = new Set<string>();
    const overlaps: string[] = [];
    const queue = new MemoryQueue({
      logger: silentLogger,
      batchSize: 2,
      concurrency: 3,
      process: async (events) => {
        active += 1;
        most = Math.max(most, active);
        // Within one batch a repeat is fine (the store keeps the better record); across batches it is not.
        const own = new Set(events.map((e) => e.deliveryId));
        for (const id of own) if (inFlight.has(id)) overlaps.push(id);
        for (const id of own) inFlight.add(id);
        await new Promise((r) => setTimeout(r, 10));
        for (const id of own) inFlight.delete(id);
        active -= 1;
        return ok(events.length);
      },
      deadLetter: async () => {},
    });
    // A redelivery (same id) right behind its first copy, among others.
    const ids = ['a', 'a', 'b', 'c', 'a', 'd', 'e', 'f', 'g', 'h'];
    await queue.send(ids.map((id) => event(id)));
    await queue.drain();
    expect(queue.counters.stored).toBe(ids.length);
    expect(overlaps).toEqual([]);
    expect(most).toBeGreaterThan(1);
  });
});
