import { compact, readPartition } from '../../src/data/compact';
import { type StoreWorld, storeWorld, workflowJobRecords } from '../store/support';

class Crash extends Error {}

describe('compaction on the GitHubRepoStore (fake GitHub, real git objects)', () => {
  let world: StoreWorld;
  afterEach(() => world.close());

  const paths = async () => [...(await world.git.files(world.repo, 'main')).keys()].sort();

  it('moves closed days into Parquet in one commit per metric day, and reads them back', async () => {
    world = await storeWorld();
    const store = world.store();
    const records = await workflowJobRecords(6, { months: 2 });
    await store.write(records);
    const commits = (await world.git.log(world.repo, 'main')).length;
    const result = await compact(store, { before: new Date('2026-11-01T00:00:00Z') });
    // One write, two days: two packs (with six index entries, retired with their hot branch).
    expect(result).toMatchObject({ days: 2, records: 6, sources_removed: 2 });
    expect((await world.git.log(world.repo, 'main')).length).toBe(commits + 2);
    const files = await paths();
    expect(files.filter((p) => p.startsWith('data/hot/'))).toEqual([]);
    const partitions = files.filter((p) => p.endsWith('.parquet'));
    expect(partitions).toEqual([
      expect.stringMatching(
        /^data\/parquet\/workflow-job\/year=2026\/month=01\/day=10\/[0-9a-f]{16}-000\.parquet$/,
      ),
      expect.stringMatching(
        /^data\/parquet\/workflow-job\/year=2026\/month=02\/day=10\/[0-9a-f]{16}-000\.parquet$/,
      ),
    ]);
    const read = [];
    for (const path of partitions) read.push(...(await readPartition(store, path.slice('data/'.length))));
    expect(read.map((r) => r.id).sort()).toEqual(records.map((r) => r.id).sort());
    // A second run, from a fresh store (a new Lambda), has nothing to do.
    expect(await compact(world.store(), { before: new Date('2026-11-01T00:00:00Z') })).toMatchObject({
      days: 0,
    });
  });

  it('leaves the branch as it was when it stops before its ref update, and the next run finishes', async () => {
    world = await storeWorld();
    await world.store().write(await workflowJobRecords(3));
    const before = await paths();
    for (const step of ['blob', 'tree', 'commit']) {
      await expect(
        compact(world.store(), {
          before: new Date('2026-11-01T00:00:00Z'),
          onStep: (name) => {
            if (name.startsWith(step)) throw new Crash(step);
          },
        }),
      ).rejects.toThrow(Crash);
      expect(await paths()).toEqual(before);
    }
    await compact(world.store(), { before: new Date('2026-11-01T00:00:00Z') });
    const after = await paths();
    expect(after.filter((p) => p.startsWith('data/hot/'))).toEqual([]);
    expect(after.filter((p) => p.endsWith('.parquet'))).toHaveLength(1);
  });
});
