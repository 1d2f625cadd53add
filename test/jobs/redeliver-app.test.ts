import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configSchema } from '../../src/config/config';
import { redeliver } from '../../src/jobs/redeliver';
import type { JobContext } from '../../src/jobs/types';
import { silentLogger } from '../../src/log/logger';
import { FileStore } from '../../src/store/file-store';
import { installApp } from '../fake-github/routes/app';
import { addDelivery } from '../fake-github/routes/hooks';
import { type AppWorld, startAppWorld } from '../support/github-app';
import { tempDir } from '../support/temp';

const HOUR = 3_600_000;
let w: AppWorld;
beforeAll(async () => {
  w = await startAppWorld();
  installApp(w.app, 'acme');
});
afterAll(() => w.stop());

const at = (hoursAgo: number) => new Date(w.clock.now - hoursAgo * HOUR).toISOString().replace('.000Z', 'Z');

function context(dir: string, source: 'app' | 'token'): JobContext {
  return {
    github: w.client().github,
    store: new FileStore(dir),
    config: configSchema.parse({ githubAuth: { source, owners: ['acme'] } }),
    logger: silentLogger,
    now: () => new Date(w.clock.now),
  };
}

test("the App's hook: failed deliveries redelivered once per guid, authenticated as the App (JWT)", async () => {
  const dir = await tempDir();
  try {
    addDelivery(w.app.hook, { guid: 'ok', deliveredAt: at(5), ok: true, installationId: 1 });
    addDelivery(w.app.hook, { guid: 'lost', deliveredAt: at(4), ok: false, installationId: 1 });
    const newest = addDelivery(w.app.hook, {
      guid: 'lost',
      deliveredAt: at(3),
      ok: false,
      installationId: 1,
    });
    const old = addDelivery(w.app.hook, { guid: 'old', deliveredAt: at(80), ok: false, installationId: 1 });

    const input = redeliver.input.parse({ app: true, since: '3d' });
    expect(redeliver.permissions?.(input)).toEqual({});
    const tokensBefore = w.app.tokensIssued;
    const result = await redeliver.run(input, context(dir.path, 'app'));

    expect(result.counts).toMatchObject({ listed: 3, guids: 2, ok: 1, redelivered: 1 });
    expect(result.message).toMatch(/^App hook: /);
    expect(w.app.hook.attempts).toEqual([newest.id]);
    expect(w.app.hook.attempts).not.toContain(old.id);
    // Only JWT-authenticated requests: no installation token was needed, none was refused.
    expect(w.app.tokensIssued).toBe(tokensBefore);
    expect(w.app.jwtRefusals).toEqual([]);
    expect(w.fake.count('POST', '/app/hook/deliveries/')).toBe(1);

    const state = JSON.parse(await readFile(join(dir.path, '_state/redeliver/app-hook.json'), 'utf8'));
    expect(state.runs[0].redelivered).toEqual([
      { guid: 'lost', delivery_id: newest.id, event: 'workflow_job' },
    ]);

    // The next run sees the successful redelivery (same guid): nothing more to do.
    w.clock.now += HOUR;
    const again = await redeliver.run(input, context(dir.path, 'app'));
    expect(again.counts.redelivered).toBe(0);
  } finally {
    await dir.remove();
  }
});

test('the App hook with token authentication configured fails naming the setting', async () => {
  const dir = await tempDir();
  try {
    const input = redeliver.input.parse({ app: true });
    await expect(redeliver.run(input, context(dir.path, 'token'))).rejects.toThrow('githubAuth.source');
  } finally {
    await dir.remove();
  }
});

test('input: exactly one of org, repo and app; a hook id for organisation and repository hooks', () => {
  expect(redeliver.input.safeParse({ app: true, org: 'acme', hook: 1 }).success).toBe(false);
  expect(redeliver.input.safeParse({ org: 'acme' }).success).toBe(false);
  expect(redeliver.input.safeParse({ org: 'acme', hook: 1 }).success).toBe(true);
  expect(redeliver.permissions?.(redeliver.input.parse({ org: 'acme', hook: 1 }))).toEqual({
    organization_hooks: 'write',
  });
});
