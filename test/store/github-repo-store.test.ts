import { recordPath, serializeRecord } from '../../src/pipeline/record';
import { type StoreWorld, storeWorld, workflowJobRecords } from './support';

describe('GitHubRepoStore', () => {
  let world: StoreWorld;
  beforeEach(async () => {
    world = await storeWorld();
  });
  afterEach(async () => {
    await world.close();
  });

  it('writes a batch as one commit of three content-creating requests', async () => {
    const records = await workflowJobRecords(25, { months: 2 });
    const before = (await world.git.log(world.repo, 'main')).length;
    const result = await world.store().write(records);
    expect(result.written.sort()).toEqual(records.map((r) => r.id).sort());
    expect(result.unchanged).toEqual([]);
    const log = await world.git.log(world.repo, 'main');
    expect(log.length).toBe(before + 1);
    expect(log[0]?.message).toMatch(/^telemetry: 25 records \(workflow-job 25\)/);
    expect(
      world.fake.contentWrites.map(
        (w) => `${w.method} ${decodeURIComponent(w.path).replace(/.*\/git\//, '')}`,
      ),
    ).toEqual(['POST trees', 'POST commits', 'PATCH refs/heads/main']);
    const stored = await world.records();
    for (const record of records) expect(stored.get(`data/${recordPath(record)}`)).toEqual(record);
    expect((await world.git.files(world.repo, 'main')).get(`data/${recordPath(records[0]!)}`)).toBe(
      serializeRecord(records[0]!),
    );
  });

  it('makes no commit for a batch whose records are all stored already', async () => {
    const records = await workflowJobRecords(10);
    const store = world.store();
    await store.write(records);
    const commits = (await world.git.log(world.repo, 'main')).length;
    const writes = world.fake.contentWrites.length;
    const again = await store.write(records);
    expect(again.written).toEqual([]);
    expect(again.unchanged.sort()).toEqual(records.map((r) => r.id).sort());
    expect((await world.git.log(world.repo, 'main')).length).toBe(commits);
    expect(world.fake.contentWrites.length).toBe(writes);
    // A fresh store (a new Lambda) finds them by listing the folders, not by one read per record.
    const reads = world.fake.requests.length;
    const fresh = await world.store().write(records);
    expect(fresh.written).toEqual([]);
    expect(world.fake.requests.length - reads).toBeLessThan(10);
  });

  it('reads and writes plain files for job cursors', async () => {
    const store = world.store();
    expect(await store.readFile('_state/backfill.json')).toBeUndefined();
    await store.writeFile('_state/backfill.json', '{"cursor":1}\n');
    expect(await store.readFile('_state/backfill.json')).toBe('{"cursor":1}\n');
    expect((await world.git.files(world.repo, 'main')).get('data/_state/backfill.json')).toBe(
      '{"cursor":1}\n',
    );
    const commits = (await world.git.log(world.repo, 'main')).length;
    await store.writeFile('_state/backfill.json', '{"cursor":1}\n');
    expect((await world.git.log(world.repo, 'main')).length).toBe(commits);
    expect((await world.git.log(world.repo, 'main'))[0]?.message).toMatch(
      /^telemetry: update data\/_state\/backfill.json/,
    );
  });
});
