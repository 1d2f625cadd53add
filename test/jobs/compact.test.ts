import { compactJob } from '../../src/jobs/compact';
import { findJob } from '../../src/jobs/registry';
import type { Store } from '../../src/store/types';
import { DataDir, pullRequest } from '../report/dataset';
import { listFiles } from '../support/temp';
import { type JobWorld, startJobWorld, tempDir } from './setup';

describe('job compact', () => {
  let env: JobWorld;
  beforeAll(async () => {
    env = await startJobWorld({ now: '2026-10-13T06:00:00Z' });
  });
  afterAll(() => env.stop());

  it('is registered, and compacts the days that ended data.compactGraceHours (48) before now', async () => {
    expect(findJob('compact')).toBe(compactJob);
    const dir = await tempDir();
    try {
      const data = new DataDir(dir.path);
      for (const [id, at] of [
        ['1', '2026-10-10T12:00:00Z'], // ended 2026-10-11: 43 h before now, compacted
        ['2', '2026-10-11T12:00:00Z'], // ended 2026-10-12: 30 h before now, within the grace: stays hot
      ] as const) {
        data.record(
          'pull-request',
          id,
          'acme/api',
          at,
          pullRequest({
            pull_request_id: id,
            closed_at: at,
            additions: 1,
            deletions: 1,
            reviews: 1,
            s: { coding: 1, pickup: 1, review: 1, merge: 1, cycle: 4 },
          }),
        );
      }
      const summary = await compactJob.run(compactJob.input.parse({}), env.context(dir.path));
      expect(summary).toMatchObject({
        job: 'compact',
        finished: true,
        counts: { days: 1, records: 1, sources_removed: 1 },
      });
      expect(summary.message).toContain('before 2026-10-11T06:00:00.000Z');
      const files = await listFiles(dir.path);
      expect(files.filter((p) => p.startsWith('parquet/'))).toEqual([
        expect.stringMatching(/^parquet\/pull-request\/year=2026\/month=10\/day=10\//),
      ]);
      // Day 11 stays hot: its pack and its index entry.
      expect(files.filter((p) => p.startsWith('hot/'))).toEqual([
        expect.stringMatching(/^hot\/pull-request\/2026\/10\/11\/12\/\d\d\/.*\.idx$/),
        expect.stringMatching(/^hot\/pull-request\/2026\/10\/11\/12\/[0-9a-f]{16}\.ndjson$/),
      ]);

      const input = compactJob.input.parse({ before: '2026-10-13T00:00:00Z' });
      expect((await compactJob.run(input, env.context(dir.path, { dryRun: true }))).message).toMatch(
        /dry run/,
      );
      expect((await compactJob.run(input, env.context(dir.path))).counts).toMatchObject({ days: 1 });
      expect((await listFiles(dir.path)).filter((p) => p.startsWith('hot/'))).toEqual([]);
    } finally {
      await dir.remove();
    }
  });

  it('says so, without failing, on a store that cannot list and replace files', async () => {
    const store: Store = {
      write: async () => ({ written: [], unchanged: [] }),
      readFile: async () => undefined,
      writeFile: async () => {},
    };
    const summary = await compactJob.run(compactJob.input.parse({}), {
      ...env.context('/nonexistent'),
      store,
    });
    expect(summary.message).toMatch(/cannot list and replace files/);
    expect(compactJob.input.safeParse({ before: 'yesterday' }).success).toBe(false);
  });
});
