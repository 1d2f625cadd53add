import { join } from 'node:path';
import { type Duck, openDuck } from '../../src/data/duckdb';
import { createCiTables, settleCi } from '../../src/report/ci';
import {
  appendRetracted,
  createFactTables,
  definePartitionRows,
  hashPartitionRows,
  settleFacts,
} from '../../src/report/fact-tables';
import { TeamResolver } from '../../src/report/teams';
import { tempDir } from '../support/temp';

/*
 * Settling (one row per id, better record wins) where duplicates really come from: an id in a partition
 * (tier 0) and in hot records (tier 1; first-layout files read by SQL are tier 2), and an id in two
 * partition days (docs/DATA.md: the time that places a record can change between two ways of collecting
 * it, and a compaction stopped halfway leaves a day's two generations). Most tests insert every version
 * into the tables, partition rows (tier 0) included, to check the ranking alone; those marked "in place"
 * read partition rows from a real Parquet file through the view the reader defines (`definePartitionRows`).
 */
const DAY = 86_400_000;
const D1 = Date.parse('2026-10-01T12:00:00Z');
const D2 = D1 + DAY;

/** id, revision, complete, tier, at_ms, duration_ms (the duration tells the versions apart). */
type Version = [string, string | null, boolean, number, number, number];

const values = (versions: Version[], cells: (v: Version) => string) =>
  versions
    .map((v) => `('${v[0]}', ${v[1] === null ? 'NULL' : `'${v[1]}'`}, ${v[2]}, ${v[3]}, ${cells(v)})`)
    .join(', ');

// `x`: two partition days (the later one the best: the highest revision, complete) and two hot versions
// (one of the same revision but partial, one of a lower revision). `y`: a partition row beaten by a hot one
// of a higher revision. `w`: the same version in two partition days, the earlier one kept. `z`: once.
// `gone`: a partition row and a hot version, retracted.
const VERSIONS: Version[] = [
  ['x', null, false, 0, D1, 1],
  ['x', '2', true, 0, D2, 2],
  ['x', '1', true, 1, D2, 3],
  ['x', '2', false, 2, D2, 4],
  ['y', '1', true, 0, D1, 5],
  ['y', '2', true, 1, D1, 6],
  ['w', null, true, 0, D2, 7],
  ['w', null, true, 0, D1, 8],
  ['z', null, true, 0, D1, 9],
  ['gone', null, true, 0, D1, 10],
  ['gone', '3', true, 1, D1, 11],
];
const KEPT = [
  { duration_ms: 2, at_ms: D2 },
  { duration_ms: 6, at_ms: D1 },
  { duration_ms: 8, at_ms: D1 },
  { duration_ms: 9, at_ms: D1 },
];

async function withDuck<T>(f: (duck: Duck) => Promise<T>, retracted = ['gone']): Promise<T> {
  const duck = await openDuck({ memoryLimit: '256MB' });
  try {
    await createFactTables(duck);
    await createCiTables(duck);
    await appendRetracted(duck, retracted);
    return await f(duck);
  } finally {
    duck.close();
  }
}

describe('settling partitions and hot records', () => {
  it('keeps the best version of an id in a partition, two partition days and two hot versions', async () => {
    await withDuck(async (duck) => {
      await duck.run(
        `INSERT INTO pipeline_run_src VALUES ${values(
          VERSIONS,
          (v) => `'pipeline-run', 'acme', 'api', ${v[4]}, 'jenkins', 'build', 'success', 0, ${v[5]}`,
        )}`,
      );
      const counts = await settleFacts(duck);
      expect(counts).toEqual({
        by_metric: { 'pipeline-run': 4 },
        duplicates: 5,
        retracted: 2,
        partition_rows: 7,
      });
      expect(await duck.all('SELECT duration_ms, at_ms FROM pipeline_runs ORDER BY duration_ms')).toEqual(
        KEPT,
      );
    });
  });

  it('does the same for workflow jobs, which take their run’s workflow file', async () => {
    await withDuck(async (duck) => {
      await duck.run(
        `INSERT INTO ci_job_src VALUES ${values(
          VERSIONS,
          (v) => `'acme', 'api', ${v[4]}, '${v[0]}-run', 'build', 'test', 'success', 0, ${v[5]}`,
        )}`,
      );
      await duck.run(
        `INSERT INTO ci_run_src VALUES ('r-x', NULL, true, 0, 'acme', 'api', ${D1}, 'x-run', 1, '1', 'build',
           '.github/workflows/build.yml', 'success', 0, 1)`,
      );
      // Path rules: the teams that need a job's workflow file.
      const teams = new TeamResolver({ teams: [{ name: 'ci', repos: ['acme/*'], paths: ['**/build.yml'] }] });
      const counts = await settleCi(duck, teams);
      expect(counts).toEqual({
        by_metric: { 'workflow-job': 4, 'workflow-run': 1 },
        duplicates: 5,
        retracted: 2,
        partition_rows: 8,
      });
      expect(
        await duck.all('SELECT duration_ms, at_ms, path, repository FROM ci_jobs ORDER BY duration_ms'),
      ).toEqual(
        KEPT.map((k, i) => ({
          ...k,
          path: i === 0 ? '.github/workflows/build.yml' : null,
          repository: 'acme/api',
        })),
      );
    });
  });

  it('keeps {complete, revision a} over {partial, revision b} (status first, then revision), in any row order', async () => {
    // `u`: the partial one of a higher revision inserted first; `v`: last; `t`: the complete one in a partition
    // (tier 0), the partial one hot. Every reader orders standings the same way (`compareStanding`).
    const versions: Version[] = [
      ['u', 'b', false, 1, D1, 1],
      ['u', 'a', true, 1, D1, 2],
      ['v', 'a', true, 1, D1, 3],
      ['v', 'b', false, 1, D1, 4],
      ['t', 'a', true, 0, D1, 5],
      ['t', 'b', false, 1, D1, 6],
    ];
    await withDuck(async (duck) => {
      await duck.run(
        `INSERT INTO pipeline_run_src VALUES ${values(
          versions,
          (v) => `'pipeline-run', 'acme', 'api', ${v[4]}, 'jenkins', 'build', 'success', 0, ${v[5]}`,
        )}`,
      );
      await duck.run(
        `INSERT INTO ci_run_src VALUES ${values(
          versions,
          (v) =>
            `'acme', 'api', ${v[4]}, '${v[0]}-run', 1, '1', 'build', '.github/workflows/build.yml', 'success', 0, ${v[5]}`,
        )}`,
      );
      expect(await settleFacts(duck)).toMatchObject({ by_metric: { 'pipeline-run': 3 }, duplicates: 3 });
      expect(await settleCi(duck, new TeamResolver())).toMatchObject({
        by_metric: { 'workflow-run': 3 },
        duplicates: 3,
      });
      const kept = [{ duration_ms: 2 }, { duration_ms: 3 }, { duration_ms: 5 }];
      expect(await duck.all('SELECT duration_ms FROM pipeline_runs ORDER BY duration_ms')).toEqual(kept);
      expect(await duck.all('SELECT duration_ms FROM ci_runs ORDER BY duration_ms')).toEqual(kept);
    });
  });

  it('in place: the versions of an id with several join the table, a nameless job takes its run’s file', async () => {
    // A real Parquet file of jobs, read through the view as the reader defines it (`definePartitionRows`):
    // `p1` alone; `p2` beaten by a hot version of a higher revision; `gone` retracted; `p3` has no workflow
    // name and takes its run's workflow file (no teams, so no other job looks one up).
    const dir = await tempDir('telemetry-settle-');
    const file = join(dir.path, 'jobs.parquet');
    await withDuck(async (duck) => {
      await duck.run(
        `COPY (SELECT * FROM (VALUES
           ('p1', NULL, 'x-run', 'build', 1),
           ('p2', '1', 'x-run', 'build', 2),
           ('gone', NULL, 'x-run', 'build', 3),
           ('p3', NULL, 'x-run', NULL, 4)) t(id, revision, run_id, workflow, duration_ms))
         TO '${file}' (FORMAT parquet)`,
      );
      await hashPartitionRows(duck, 'ci_job_src', `read_parquet('${file}')`);
      await definePartitionRows(duck, 'ci_job_src', [
        {
          values: {
            id: 'id',
            revision: 'revision',
            complete: 'true',
            tier: '0',
            owner: "'acme'",
            repo: "'api'",
            at_ms: String(D1),
            run_id: 'run_id',
            workflow: 'workflow',
            job_name: "'test'",
            conclusion: "'success'",
            queue_ms: '0',
            duration_ms: 'duration_ms',
          },
          from: `read_parquet('${file}')`,
        },
      ]);
      await duck.run(
        `INSERT INTO ci_job_src VALUES ${values(
          [['p2', '2', true, 1, D2, 5]],
          (v) => `'acme', 'api', ${v[4]}, 'x-run', 'build', 'test', 'success', 0, ${v[5]}`,
        )}`,
      );
      await duck.run(
        `INSERT INTO ci_run_src VALUES ('r-x', NULL, true, 0, 'acme', 'api', ${D1}, 'x-run', 1, '1', 'build',
           '.github/workflows/build.yml', 'success', 0, 1)`,
      );
      expect(await settleCi(duck, new TeamResolver())).toEqual({
        by_metric: { 'workflow-job': 3, 'workflow-run': 1 },
        duplicates: 1,
        retracted: 1,
        partition_rows: 5, // the four jobs of the file and the run (tier 0)
      });
      expect(await duck.all('SELECT duration_ms, workflow, path FROM ci_jobs ORDER BY duration_ms')).toEqual([
        { duration_ms: 1, workflow: 'build', path: null },
        { duration_ms: 4, workflow: null, path: '.github/workflows/build.yml' },
        { duration_ms: 5, workflow: 'build', path: null },
      ]);
    }).finally(dir.remove);
  });

  it('in place: an id in two partition files is settled with nothing retracted; the others stay in the files', async () => {
    // Two Parquet files of pipeline runs (two partition days): `a` in both (the later one complete, of a
    // higher revision), `b` and `c` once; one hot version of `c` of a lower revision.
    const dir = await tempDir('telemetry-settle-');
    const day = (name: string) => join(dir.path, `${name}.parquet`);
    await withDuck(async (duck) => {
      await duck.run(
        `COPY (SELECT * FROM (VALUES ('a', NULL, 'partial', 1), ('b', NULL, 'complete', 2))
           t(id, revision, status, duration_ms)) TO '${day('d1')}' (FORMAT parquet)`,
      );
      await duck.run(
        `COPY (SELECT * FROM (VALUES ('a', '2', 'complete', 3), ('c', '2', 'complete', 4))
           t(id, revision, status, duration_ms)) TO '${day('d2')}' (FORMAT parquet)`,
      );
      const from = `read_parquet(['${day('d1')}', '${day('d2')}'])`;
      await hashPartitionRows(duck, 'pipeline_run_src', from);
      await definePartitionRows(duck, 'pipeline_run_src', [
        {
          values: {
            id: 'id',
            revision: 'revision',
            complete: "status = 'complete'",
            tier: '0',
            metric: "'pipeline-run'",
            owner: "'acme'",
            repo: "'api'",
            at_ms: String(D1),
            source: "'jenkins'",
            pipeline: "'build'",
            conclusion: "'success'",
            queue_ms: '0',
            duration_ms: 'duration_ms',
          },
          from,
        },
      ]);
      await duck.run(
        `INSERT INTO pipeline_run_src VALUES ${values(
          [['c', '1', true, 1, D2, 5]],
          (v) => `'pipeline-run', 'acme', 'api', ${v[4]}, 'jenkins', 'build', 'success', 0, ${v[5]}`,
        )}`,
      );
      expect(await settleFacts(duck)).toEqual({
        by_metric: { 'pipeline-run': 3 },
        duplicates: 2,
        retracted: 0,
        partition_rows: 4,
      });
      expect(await duck.all('SELECT duration_ms FROM pipeline_runs ORDER BY duration_ms')).toEqual([
        { duration_ms: 2 },
        { duration_ms: 3 },
        { duration_ms: 4 },
      ]);
      // The partition versions of `a` (both) and `c` joined the table; `b` is read from its file.
      expect(await duck.all('SELECT count(*)::INTEGER AS n FROM pipeline_run_src_moved')).toEqual([{ n: 3 }]);
    }, []).finally(dir.remove);
  });

  it('counts settled partitions (no id twice, none retracted)', async () => {
    const duck = await openDuck({ memoryLimit: '256MB' });
    try {
      await createFactTables(duck);
      await duck.run(
        `INSERT INTO deployment_src (id, revision, complete, tier, metric, owner, repo, at_ms)
         VALUES ('a', NULL, true, 0, 'deployment-status', 'acme', 'api', ${D1}),
                ('b', NULL, true, 0, 'deployment-status', 'acme', 'api', ${D2}),
                ('c', NULL, true, 1, 'push-deployment', 'acme', 'api', ${D2})`,
      );
      expect(await settleFacts(duck)).toEqual({
        by_metric: { 'deployment-status': 2, 'push-deployment': 1 },
        duplicates: 0,
        retracted: 0,
        partition_rows: 2,
      });
      expect(await duck.all('SELECT count(*)::INTEGER AS n FROM deployment_statuses')).toEqual([{ n: 3 }]);
    } finally {
      duck.close();
    }
  });
});
