import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { redeliver } from '../../src/jobs/redeliver';
import { jobs } from '../../src/jobs/registry';
import { addDelivery, addHook } from '../fake-github/routes/hooks';
import { type JobWorld, startJobWorld, tempDir } from './setup';

const HOUR = 3_600_000;

describe('redeliver', () => {
  let env: JobWorld;
  beforeEach(async () => {
    env = await startJobWorld();
  });
  afterEach(() => env.stop());

  const at = (hoursAgo: number) =>
    new Date(env.clock.now - hoursAgo * HOUR).toISOString().replace('.000Z', 'Z');

  it('skips guids with an OK delivery and redelivers the failed ones, keeping ids past 2^53 exact', async () => {
    const dir = await tempDir();
    try {
      const hook = addHook(env.world, 'org/acme', '4242');
      addDelivery(hook, { guid: 'g-ok', deliveredAt: at(5), ok: true });
      addDelivery(hook, { guid: 'g-recovered', deliveredAt: at(6), ok: false });
      addDelivery(hook, { guid: 'g-recovered', deliveredAt: at(4), ok: true }); // redelivered by hand
      const lost = addDelivery(hook, { guid: 'g-lost', deliveredAt: at(3), ok: false });
      const lostAgain = addDelivery(hook, { guid: 'g-lost', deliveredAt: at(2), ok: false });
      const other = addDelivery(hook, {
        guid: 'g-other',
        deliveredAt: at(1),
        ok: false,
        event: 'deployment_status',
        action: 'created',
      });
      // 150 more OK deliveries: the listing takes two pages of cursor paging.
      for (let i = 0; i < 150; i += 1)
        addDelivery(hook, { guid: `g-${i}`, deliveredAt: at(7 + i / 100), ok: true });
      expect(BigInt(lostAgain.id)).toBeGreaterThan(2n ** 53n);

      const input = redeliver.input.parse({ org: 'acme', hook: '4242', since: '24h' });
      const result = await redeliver.run(input, env.context(dir.path));
      expect(result.finished).toBe(true);
      expect(result.counts).toMatchObject({ listed: 156, guids: 154, ok: 152, redelivered: 2 });
      // The newest failed delivery of each failed guid, by its exact id.
      expect(hook.attempts.sort()).toEqual([lostAgain.id, other.id].sort());
      expect(hook.attempts).not.toContain(lost.id);

      const state = JSON.parse(
        (await readFile(join(dir.path, '_state/redeliver/org-acme-hook-4242.json'), 'utf8')) as string,
      );
      expect(state.runs[0].redelivered).toEqual(
        expect.arrayContaining([
          { guid: 'g-lost', delivery_id: lostAgain.id, event: 'workflow_job' },
          { guid: 'g-other', delivery_id: other.id, event: 'deployment_status' },
        ]),
      );
      expect(state.attempts['g-lost'].count).toBe(1);

      // Next run: the redeliveries succeeded (new deliveries, same guids): nothing more to do.
      env.clock.now += HOUR;
      const again = await redeliver.run(input, env.context(dir.path));
      expect(again.counts.redelivered).toBe(0);
      // Only what is not older than the cursor: the two redeliveries and the delivery at the cursor.
      expect(again.counts.listed).toBe(3);
      expect(hook.attempts).toHaveLength(2);
    } finally {
      await dir.remove();
    }
  });

  it('retries a guid whose redelivery fails, up to maxAttempts, and never past the 3-day window', async () => {
    const dir = await tempDir();
    try {
      const hook = addHook(env.world, 'repo/acme/api', '77');
      hook.redeliveryStatus = 'failed';
      addDelivery(hook, { guid: 'g-down', deliveredAt: at(1), ok: false });
      addDelivery(hook, { guid: 'g-old', deliveredAt: at(80), ok: false });
      const input = redeliver.input.parse({ repo: 'acme/api', hook: 77, since: '4d', maxAttempts: 2 });

      const first = await redeliver.run(input, env.context(dir.path));
      // g-old is past the 3-day window: not even listed as a candidate.
      expect(first.counts).toMatchObject({ guids: 1, redelivered: 1 });
      env.clock.now += HOUR;
      const second = await redeliver.run(input, env.context(dir.path));
      expect(second.counts).toMatchObject({ redelivered: 1 });
      env.clock.now += HOUR;
      const third = await redeliver.run(input, env.context(dir.path));
      expect(third.counts).toMatchObject({ redelivered: 0, gave_up: 1 });
      expect(hook.attempts).toHaveLength(2);
    } finally {
      await dir.remove();
    }
  });

  it('changes nothing on a dry run', async () => {
    const dir = await tempDir();
    try {
      const hook = addHook(env.world, 'org/acme', '1');
      addDelivery(hook, { guid: 'g', deliveredAt: at(1), ok: false });
      const result = await redeliver.run(
        redeliver.input.parse({ org: 'acme', hook: '1' }),
        env.context(dir.path, { dryRun: true }),
      );
      expect(result.counts.redelivered).toBe(1);
      expect(result.message).toMatch(/would redeliver 1/);
      expect(hook.attempts).toHaveLength(0);
      await expect(readFile(join(dir.path, '_state/redeliver/org-acme-hook-1.json'))).rejects.toThrow();
    } finally {
      await dir.remove();
    }
  });

  it('validates schedule input with messages naming the field', () => {
    const result = redeliver.input.safeParse({ org: 'acme', repo: 'acme/api', hook: 'x1' });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((i) => i.path.join('.'));
    expect(paths).toContain('hook');
    expect(jobs.map((j) => j.name)).toEqual(['backfill', 'redeliver', 'tooling-usage', 'compact']);
  });
});
