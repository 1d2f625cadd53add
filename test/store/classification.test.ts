import type { MetricRecord } from '../../src/pipeline/types';
import { StoreRefusedError, StoreUnavailableError } from '../../src/store/types';
import { type StoreWorld, storeWorld, workflowJobRecords } from './support';

describe('GitHubRepoStore: failure classification', () => {
  let world: StoreWorld;
  afterEach(() => world.close());
  const treeRequests = (w: StoreWorld) =>
    w.fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/git/trees'));

  it('a 5xx on a tree request fails as unavailable and never shrinks the tree', async () => {
    world = await storeWorld();
    const store = world.store({ maxAttempts: 2 });
    const records = await workflowJobRecords(40, { months: 2 });
    world.fake.injectFault({ kind: '502', times: 2, match: (r) => r.path.endsWith('/git/trees') });
    await expect(store.write(records)).rejects.toThrow(StoreUnavailableError);
    const failed = treeRequests(world);
    expect(failed.map((r) => r.status)).toEqual([502, 502]);
    // The commit and the ref update it had reserved were never sent: only the two attempts count.
    expect(store.pacer.usedLastHour).toBe(2);
    // The retry sends the same single tree request: the size was not taken for the cause.
    expect((await store.write(records)).written).toHaveLength(40);
    const after = treeRequests(world).slice(2);
    expect(after.map((r) => r.status)).toEqual([201]);
    expect(after[0]?.bytes).toBe(failed[0]?.bytes);
  });

  it('GitHub\'s "too large" shrinks the tree, and the size grows back after 20 commits', async () => {
    world = await storeWorld();
    const store = world.store();
    const batch = (first: number) => workflowJobRecords(40, { firstId: first });
    world.fake.injectFault({ kind: 'too-large', match: (r) => r.path.endsWith('/git/trees') });
    expect((await store.write(await batch(1_000_000))).written).toHaveLength(40);
    const first = treeRequests(world);
    expect(first[0]?.status).toBe(422);
    expect(first.length).toBeGreaterThanOrEqual(3);
    expect(first.slice(1).every((r) => r.status === 201)).toBe(true);
    // 19 more commits at the smaller size (20 in all: the first batch was one commit of several chained tree
    // requests), then a batch of the same size goes in one request.
    for (let i = 0; i < 19; i += 1)
      await store.write(await workflowJobRecords(1, { firstId: 2_000_000 + i }));
    const before = treeRequests(world).length;
    expect((await store.write(await batch(3_000_000))).written).toHaveLength(40);
    expect(
      treeRequests(world)
        .slice(before)
        .map((r) => r.status),
    ).toEqual([201]);
  });

  it('a record GitHub cannot build alone is refused for good, not retried as unavailable', async () => {
    world = await storeWorld();
    const store = world.store();
    world.fake.injectFault({ kind: 'too-large', times: 10, match: (r) => r.path.endsWith('/git/trees') });
    await expect(store.write(await workflowJobRecords(1))).rejects.toThrow(StoreRefusedError);
  });

  it('a failing budget sync (an optional read) does not fail the write', async () => {
    world = await storeWorld();
    const store = world.store({ budgetSyncMs: 0 });
    await store.verify();
    world.fake.injectFault({
      kind: '500',
      times: 1000,
      match: (r) => r.path === '/repos/acme/telemetry-data/commits',
    });
    expect((await store.write(await workflowJobRecords(3))).written).toHaveLength(3);
  });

  it('rejects a record larger than a tree request before any request, and stores the rest', async () => {
    world = await storeWorld();
    const store = world.store({ maxTreeBytes: 50_000 });
    const [big, ...rest] = await workflowJobRecords(4);
    const huge = { ...big, output: { ...big?.output, name: 'x'.repeat(60_000) } } as MetricRecord;
    const result = await store.write([huge, ...rest]);
    expect(result.rejected).toEqual([
      { id: huge.id, reason: expect.stringMatching(/larger than the largest tree request/) },
    ]);
    expect(result.written).toHaveLength(3);
    expect((await world.records()).size).toBe(3);
  });
});
