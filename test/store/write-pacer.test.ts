import { WriteBudgetExhausted, WritePacer } from '../../src/store/write-pacer';
import { virtualClock } from './support';

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** The most send times of `times` inside any window of `width` ms. */
function peak(times: number[], width: number): number {
  let best = 0;
  let start = 0;
  for (let end = 0; end < times.length; end += 1) {
    while ((times[end] as number) - (times[start] as number) >= width) start += 1;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

describe('WritePacer', () => {
  it('holds writes back so that no minute or hour window exceeds its budget, over three simulated hours', async () => {
    const clock = virtualClock();
    const pacer = new WritePacer({ perMinute: 60, perHour: 450, clock });
    const times: number[] = [];
    for (let i = 0; i < 1500; i += 1) {
      await pacer.acquire();
      times.push(clock.now());
    }
    expect(peak(times, MINUTE)).toBeLessThanOrEqual(60);
    expect(peak(times, HOUR)).toBeLessThanOrEqual(450);
    // Held back, not refused: all 1,500 went out, at the budget's pace (1,500 / 450 per hour ≈ 3.3 h).
    expect((times.at(-1) as number) - (times[0] as number)).toBeGreaterThan(3 * HOUR);
    expect((times.at(-1) as number) - (times[0] as number)).toBeLessThan(3.5 * HOUR);
  });

  it('spreads a steady flow over the hour instead of spending the hour in minutes', async () => {
    const clock = virtualClock();
    const pacer = new WritePacer({ perMinute: 60, perHour: 450, burst: 30, clock });
    const times: number[] = [];
    for (let i = 0; i < 200; i += 1) {
      await pacer.acquire();
      times.push(clock.now());
    }
    // The first 30 go at once (the burst), the rest every 8 s (3,600 s / 450).
    expect(times.slice(0, 30).every((t) => t === times[0])).toBe(true);
    const gaps = times.slice(31).map((t, i) => t - (times[30 + i] as number));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(7_999);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(8_001);
  });

  it('is prompt when quiet: a write after a pause goes out at once', async () => {
    const clock = virtualClock();
    const pacer = new WritePacer({ perMinute: 60, perHour: 450, clock });
    for (let i = 0; i < 40; i += 1) await pacer.acquire();
    clock.advance(HOUR);
    const before = clock.now();
    await pacer.acquire();
    expect(clock.now()).toBe(before);
  });

  it('pauses every writer until the time GitHub named', async () => {
    const clock = virtualClock();
    const pacer = new WritePacer({ perMinute: 60, perHour: 450, clock });
    const until = clock.now() + 90_000;
    pacer.pauseUntil(until);
    await pacer.acquire();
    expect(clock.now()).toBeGreaterThanOrEqual(until);
  });

  it('refuses with a retriable error rather than wait longer than maxWaitMs', async () => {
    const clock = virtualClock();
    const pacer = new WritePacer({ perMinute: 5, perHour: 10, burst: 5, clock, maxWaitMs: 10 * MINUTE });
    for (let i = 0; i < 10; i += 1) await pacer.acquire();
    await expect(pacer.acquire()).rejects.toBeInstanceOf(WriteBudgetExhausted);
    expect(pacer.usedLastHour).toBe(10);
  });

  it("takes a commit's writes in one turn, or refuses at once with the wait and takes none of them", async () => {
    const clock = virtualClock();
    const pacer = new WritePacer({ perMinute: 60, perHour: 450, burst: 10, clock });
    const start = clock.now();
    await pacer.reserve(4, 0);
    await pacer.reserve(4, 0);
    expect(pacer.usedLastHour).toBe(8);
    expect(clock.now()).toBe(start);
    // Two writes left in the bucket: a commit of four is refused without waiting and spends nothing.
    const refused = (await pacer.reserve(4, 0).catch((e: unknown) => e)) as WriteBudgetExhausted;
    expect(refused).toBeInstanceOf(WriteBudgetExhausted);
    // Two more tokens at 450 an hour: 16 s.
    expect(refused.waitMs).toBe(16_000);
    expect(pacer.usedLastHour).toBe(8);
    expect(clock.now()).toBe(start);
    await clock.sleep(refused.waitMs);
    await pacer.reserve(4, 0);
    expect(pacer.usedLastHour).toBe(12);
    expect(() => pacer.reserve(11)).toThrow(/1 to 10/);
  });

  it('takes back the writes of a reservation that were never sent', async () => {
    const clock = virtualClock();
    const pacer = new WritePacer({ perMinute: 60, perHour: 450, burst: 6, clock });
    await pacer.reserve(6, 0);
    pacer.refund(4);
    expect(pacer.usedLastHour).toBe(2);
    await pacer.reserve(4, 0);
    expect(pacer.usedLastHour).toBe(6);
  });

  it('a reservation respects the minute window as a whole: it waits until all of it fits', async () => {
    const clock = virtualClock();
    const pacer = new WritePacer({ perMinute: 5, perHour: 450, burst: 5, clock });
    const start = clock.now();
    await pacer.reserve(3);
    await clock.sleep(10_000);
    await pacer.reserve(2);
    // Five in the minute: three more fit once the first three (sent at start) leave the window.
    await pacer.reserve(3);
    expect(clock.now() - start).toBeGreaterThanOrEqual(MINUTE);
  });

  it('serves concurrent callers one at a time, in order', async () => {
    const clock = virtualClock();
    const pacer = new WritePacer({ perMinute: 2, perHour: 100, burst: 2, clock });
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3, 4].map((i) => pacer.acquire().then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('resumes from writes a previous process made: a restart does not get a fresh hour', async () => {
    const clock = virtualClock();
    const pacer = new WritePacer({ perMinute: 60, perHour: 450, clock });
    const start = clock.now();
    // 450 writes in the last 50 minutes, spread evenly.
    pacer.seed(Array.from({ length: 450 }, (_, i) => start - 3_000_000 + Math.floor((i * 3_000_000) / 450)));
    expect(pacer.usedLastHour).toBe(450);
    await pacer.acquire();
    // The oldest of them leaves the hour 10 minutes from now.
    expect(clock.now() - start).toBeGreaterThanOrEqual(600_000);
  });

  it("counts another writer's burst without a debt of minutes: the next write waits one refill step", async () => {
    const clock = virtualClock();
    const pacer = new WritePacer({ perMinute: 80, perHour: 500, burst: 30, clock });
    // This writer spends its burst; a second one spent its own in the same seconds (the ledger reads it).
    for (let i = 0; i < 30; i += 1) await pacer.acquire();
    const start = clock.now();
    pacer.seed(Array.from({ length: 30 }, () => start));
    expect(pacer.usedLastHour).toBe(60);
    await pacer.acquire(10_000);
    // One refill step (3,600 s / 500 = 7.2 s), not the 216 s that repaying 30 writes would take.
    expect(clock.now() - start).toBeLessThanOrEqual(7_200);
    // GitHub's windows still count both writers: 80 a minute at most.
    for (let i = 0; i < 19; i += 1) await pacer.acquire();
    const times: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      await pacer.acquire();
      times.push(clock.now());
    }
    expect(pacer.usedLastHour).toBe(85);
    expect((times.at(-1) as number) - start).toBeGreaterThanOrEqual(60_000);
  });
});
