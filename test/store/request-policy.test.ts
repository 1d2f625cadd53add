import { createGitHubClient } from '../../src/github/client';
import { silentLogger } from '../../src/log/logger';
import { StoreUnavailableError } from '../../src/store/types';
import { type StoreWorld, storeWorld, TOKEN, workflowJobRecords } from './support';

// The store's client is `createStoreClient`, built exactly as lambda/adapters/data-store.ts builds it: every
// 403/429 reaches the store's RequestPolicy, which waits on the store's clock or fails before its deadline.
describe('the rate-limit policy, through the production store client', () => {
  let world: StoreWorld;
  afterEach(() => world.close());
  const trees = (w: StoreWorld) => w.fake.requests.filter((r) => r.path.endsWith('/git/trees'));

  it('waits for retry-after of a 429 and pauses every writer of the token', async () => {
    world = await storeWorld();
    const store = world.store();
    await store.verify();
    world.fake.injectFault({ kind: 'too-many-requests', match: (r) => r.path.endsWith('/git/trees') });
    const start = world.clock.now();
    expect((await store.write(await workflowJobRecords(3))).written).toHaveLength(3);
    expect(trees(world).map((r) => r.status)).toEqual([429, 201]);
    expect(world.clock.now() - start).toBeGreaterThanOrEqual(30_000);
  });

  it('waits a minute on a secondary-limit 403 without retry-after', async () => {
    world = await storeWorld();
    const store = world.store();
    await store.verify();
    world.fake.injectFault({ kind: 'secondary-limit-bare', match: (r) => r.path.endsWith('/git/trees') });
    const start = world.clock.now();
    expect((await store.write(await workflowJobRecords(2))).written).toHaveLength(2);
    expect(trees(world).map((r) => r.status)).toEqual([403, 201]);
    expect(world.clock.now() - start).toBeGreaterThanOrEqual(60_000);
  });

  it('takes no wait past the deadline: fails at once, saying how long GitHub asks to wait', async () => {
    world = await storeWorld();
    const store = world.store();
    await store.verify();
    world.fake.injectFault({ kind: 'secondary-limit', match: (r) => r.path.endsWith('/git/trees') });
    const start = world.clock.now();
    const write = store.write(await workflowJobRecords(2), { deadline: start + 20_000 });
    await expect(write).rejects.toThrow(StoreUnavailableError);
    const error = (await write.catch((e: unknown) => e)) as StoreUnavailableError;
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(60_000);
    expect(world.clock.now()).toBeLessThan(start + 20_000);
    expect(trees(world)).toHaveLength(1);
    // The pacer keeps GitHub's pause: the next write without a deadline waits for it and succeeds.
    expect((await store.write(await workflowJobRecords(2))).written).toHaveLength(2);
    expect(world.clock.now()).toBeGreaterThanOrEqual(start + 60_000);
  });

  it('does not wait for the write budget past the deadline', async () => {
    world = await storeWorld();
    const store = world.store({ writesPerMinute: 3, writesPerHour: 3 });
    await store.verify();
    expect((await store.write(await workflowJobRecords(1))).written).toHaveLength(1);
    const start = world.clock.now();
    const second = store.write(await workflowJobRecords(1, { firstId: 7 }), { deadline: start + 60_000 });
    await expect(second).rejects.toThrow(/write budget exhausted/);
    const error = (await second.catch((e: unknown) => e)) as StoreUnavailableError;
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.retryAfterMs).toBeGreaterThan(60_000);
    expect(world.clock.now()).toBe(start);
  });

  it('bounds only the wait before a commit starts: a started commit finishes within the deadline', async () => {
    world = await storeWorld();
    // One write a minute: the tree goes at once, the commit and the ref update wait a minute each.
    const store = world.store({ writesPerMinute: 1, writesPerHour: 450 });
    await store.verify();
    const start = world.clock.now();
    const result = await store.write(await workflowJobRecords(2), {
      deadline: start + 10 * 60_000,
      maxBudgetWaitMs: 5_000,
    });
    expect(result.written).toHaveLength(2);
    expect(trees(world)).toHaveLength(1);
    expect(world.clock.now() - start).toBeGreaterThanOrEqual(120_000);
    // The next commit would wait a minute before its first write: refused at once, with the wait.
    const next = store.write(await workflowJobRecords(1, { firstId: 9 }), {
      deadline: world.clock.now() + 10 * 60_000,
      maxBudgetWaitMs: 5_000,
    });
    const error = (await next.catch((e: unknown) => e)) as StoreUnavailableError;
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.retryAfterMs).toBeGreaterThan(5_000);
  });

  it('the shared client takes no rate-limit wait inside Octokit that ends past its deadline', async () => {
    world = await storeWorld();
    const github = createGitHubClient({
      token: TOKEN,
      baseUrl: world.fake.baseUrl,
      logger: silentLogger,
      deadline: () => Date.now() + 5_000,
    });
    world.fake.injectFault({ kind: 'secondary-limit', times: 5 });
    await expect(
      github.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'telemetry-data' }),
    ).rejects.toMatchObject({ status: 403 });
    // retry-after is 60 s, past the deadline: one request, no retry.
    expect(world.fake.requests).toHaveLength(1);
  });
});
