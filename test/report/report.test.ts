import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderCsv } from '../../src/report/format/csv';
import { renderTable } from '../../src/report/format/table';
import { buildReport, type Report } from '../../src/report/report';
import { TeamResolver } from '../../src/report/teams';
import { parseWindow } from '../../src/report/window';
import { tempDir } from '../support/temp';
import { DataDir, pullRequest, unorderedVersions } from './dataset';
import { SETTINGS, TEAMS, writeDataset } from './fixture';

/* The dataset, with the arithmetic of every figure, is in fixture.ts; expected figures are below. */
describe('telemetry report on a hand-built dataset', () => {
  let report: Report;
  let byTeam: Report;
  let root: { path: string; remove: () => Promise<void> };
  const window = parseWindow('2026-10-01', '2026-11-03');

  beforeAll(async () => {
    root = await tempDir('telemetry-report-');
    writeDataset(new DataDir(root.path));
    report = await buildReport({
      dataDir: root.path,
      window,
      settings: SETTINGS,
      now: Date.parse('2026-11-04T08:00:00Z'),
    });
    byTeam = await buildReport({
      dataDir: root.path,
      window,
      settings: SETTINGS,
      teams: new TeamResolver(TEAMS),
    });
  });
  afterAll(() => root.remove());

  it('reads the window 2026-10-01 → 2026-11-03 as 34 whole days', () => {
    expect(report.window).toEqual({
      since: '2026-10-01T00:00:00.000Z',
      until: '2026-11-04T00:00:00.000Z',
      days: 34,
    });
  });

  it('accounts for every file: used, duplicate, invalid, outside the window; skips _ folders and old months', () => {
    // used: deployment-status 15 (D1 twice, D2-D9 8, W1-W5 5), push-deployment 3, incident 5, push-incident 2,
    // pull-request 10 (P10 once), workflow-run 6, workflow-job 5 = 46.
    expect(report.records.by_metric).toEqual({
      'deployment-status': 15,
      'push-deployment': 3,
      incident: 5,
      'push-incident': 2,
      'pull-request': 10,
      'workflow-run': 6,
      'workflow-job': 5,
      'pipeline-run': 0,
    });
    expect(report.records.used).toBe(46);
    expect(report.records.duplicates).toBe(1); // P10's second file
    expect(report.records.invalid).toBe(3);
    expect(report.records.outside_window).toBe(1); // R 5009 on 2026-11-10 (its month overlaps the window)
    // 46 + 1 duplicate + 3 invalid + 1 outside; the 2026/08 file, check-suite and _dead-letter never opened.
    expect(report.records.files).toBe(51);
    expect(report.warnings).toEqual([
      expect.stringMatching(
        /^deployment-status\/acme\/api\/2026\/10\/bad-output\.json: invalid deployment-status output: output\.deployment_id/,
      ),
      expect.stringMatching(/^workflow-job\/acme\/api\/2026\/10\/no-owner\.json: invalid record envelope/),
      expect.stringMatching(/^workflow-job\/acme\/api\/2026\/10\/not-json\.json: not valid JSON/),
    ]);
  });

  it('deployment frequency: successful production deployments per day and week', () => {
    // Production outcomes: api D1 D2 D4 D5 D6 D8 D9 success (7), D3 failure (D7 is staging); web W1 W4
    // success (2), W2 W3 W5 failure; mono m-1 m-2 success (2), m-3 in progress. Successes: 7 + 2 + 2 = 11.
    // 11 / 34 days = 0.32353 per day; × 7 = 2.26471 per week; ≥ 1/7 per day (once a week) → high.
    expect(report.dora.deployment_frequency).toEqual({
      deployments: 11,
      per_day: 0.3235,
      per_week: 2.2647,
      band: 'high',
    });
  });

  it('lead time for changes: median and p90, negative (skew) and missing left out', () => {
    // Lead times of the 11 successes: D1 7.2M, D2 14.4M, D4 21.6M, D5 none (no commits), D6 86.4M, D8 10.8M,
    // D9 −0.3M (skew, left out), W1 1.8M, W4 3.6M, m-1 5.4M, m-2 28.8M.
    // Sorted (9): 1.8 3.6 5.4 7.2 10.8 14.4 21.6 28.8 86.4. p50 = #5 = 10.8M.
    // p90 at rank (9−1)·0.9 = 7.2: 28.8 + 0.2·(86.4 − 28.8) = 40.32M. mean = 180/9 = 20M. 3 h < 1 day → elite.
    expect(report.dora.lead_time_for_changes).toEqual({
      count: 9,
      p50: 10_800_000,
      p90: 40_320_000,
      mean: 20_000_000,
      excluded_negative: 1,
      without_lead_time: 1,
      band: 'elite',
    });
  });

  it('change failure rate: failed deployments plus those followed by an incident or a revert', () => {
    // Outcomes: 11 successes + 4 failures (D3, W2, W3, W5) = 15.
    // Followed by an incident: D6 (I1 2 h later), m-2 (PD1 names it, 48 h later) = 2. I2 and I3 come > 24 h
    // after D9 and name nothing. Followed by a revert: D8 (P4 5 h later) = 1; P6 targets a release
    // branch, P7 comes 91 h after W4. (4 + 2 + 1) / 15 = 0.46667 → above 15 % → low.
    expect(report.dora.change_failure_rate).toEqual({
      deployments: 15,
      change_failures: 7,
      failed: 4,
      followed_by_incident: 2,
      followed_by_revert: 1,
      rate: 0.4667,
      band: 'low',
    });
  });

  it('time to restore: incidents opened → resolved, failed deployment → next success', () => {
    // Incidents: I1 9.0M, PD1 5.4M, I3 −0.6M (skew, left out), I2 unresolved.
    // Deployments: D3 → D4 2 h = 7.2M; W2 (and W3) → W4 4 h = 14.4M; W5 unresolved.
    // Sorted (4): 5.4 7.2 9.0 14.4. p50 at rank 1.5: 7.2 + 0.5·1.8 = 8.1M; p90 at 2.7: 9.0 + 0.7·5.4 =
    // 12.78M; mean 36/4 = 9M. 2 h 15 min < 1 day → high.
    expect(report.dora.time_to_restore).toEqual({
      count: 4,
      p50: 8_100_000,
      p90: 12_780_000,
      mean: 9_000_000,
      excluded_negative: 1,
      // incidents 5.4, 9.0: p50 7.2M, p90 5.4 + 0.9·3.6 = 8.64M, mean 7.2M
      from_incidents: { count: 2, p50: 7_200_000, p90: 8_640_000, mean: 7_200_000, excluded_negative: 1 },
      // deployments 7.2, 14.4: p50 10.8M, p90 7.2 + 0.9·7.2 = 13.68M, mean 10.8M
      from_deployments: {
        count: 2,
        p50: 10_800_000,
        p90: 13_680_000,
        mean: 10_800_000,
        excluded_negative: 0,
      },
      unresolved: 2,
      band: 'high',
    });
  });

  it('flow: cycle time and stages of merged pull requests, size, merged without review', () => {
    // Merged: P1 P2 P3 P4 P6 P7 P8 P9 P10 (9); P5 closed unmerged; P8 by a bot.
    const f = report.flow;
    expect([f.merged, f.closed_unmerged, f.merged_by_bots]).toEqual([9, 1, 1]);
    // cycle: 16.2 54 8.1 2.4 14.4 36 7.2 10.8 18 → sorted 2.4 7.2 8.1 10.8 14.4 16.2 18 36 54; p50 #5 = 14.4M;
    // p90 at 7.2: 36 + 0.2·18 = 39.6M; mean 167.1/9 = 18.5667M.
    expect(f.cycle_time).toEqual({
      count: 9,
      p50: 14_400_000,
      p90: 39_600_000,
      mean: 18_566_667,
      excluded_negative: 0,
    });
    // coding: 3.6 36 7.2 0 3.6 10.8 0 −3.6 (skew) 7.2 → 0 0 3.6 3.6 7.2 7.2 10.8 36; p50 at 3.5: 5.4M;
    // p90 at 6.3: 10.8 + 0.3·25.2 = 18.36M; mean 68.4/8 = 8.55M.
    expect(f.stages.coding).toEqual({
      count: 8,
      p50: 5_400_000,
      p90: 18_360_000,
      mean: 8_550_000,
      excluded_negative: 1,
    });
    // pickup (P3, P8 none): 7.2 3.6 1.8 3.6 14.4 3.6 3.6 → 1.8 3.6 3.6 3.6 3.6 7.2 14.4; p50 #4 = 3.6M;
    // p90 at 5.4: 7.2 + 0.4·7.2 = 10.08M; mean 37.8/7 = 5.4M.
    expect(f.stages.pickup).toEqual({
      count: 7,
      p50: 3_600_000,
      p90: 10_080_000,
      mean: 5_400_000,
      excluded_negative: 0,
    });
    // review: 3.6 10.8 0 3.6 7.2 3.6 3.6 → 0 3.6 3.6 3.6 3.6 7.2 10.8; p50 3.6M; p90 7.2 + 0.4·3.6 = 8.64M;
    // mean 32.4/7 = 4.628571M.
    expect(f.stages.review).toEqual({
      count: 7,
      p50: 3_600_000,
      p90: 8_640_000,
      mean: 4_628_571,
      excluded_negative: 0,
    });
    // merge: 1.8 3.6 0.9 0.6 3.6 3.6 7.2 3.6 3.6 → 0.6 0.9 1.8 3.6 3.6 3.6 3.6 3.6 7.2; p50 3.6M;
    // p90 at 7.2: 3.6 + 0.2·3.6 = 4.32M; mean 28.5/9 = 3.166667M.
    expect(f.stages.merge).toEqual({
      count: 9,
      p50: 3_600_000,
      p90: 4_320_000,
      mean: 3_166_667,
      excluded_negative: 0,
    });
    // size (additions + deletions): 8 150 40 40 1200 400 4 100 250 (P10's complete record, not 0) →
    // 4 8 40 40 100 150 250 400 1200; p50 100; p90 at 7.2: 400 + 0.2·800 = 560; mean 2192/9 = 243.56.
    // Buckets: XS (< 10) 4 8; S (10–49) 40 40; M (50–249) 100 150; L (250–999) 250 400; XL 1200.
    expect(f.size).toEqual({
      count: 9,
      p50: 100,
      p90: 560,
      mean: 244,
      excluded_negative: 0,
      buckets: { XS: 2, S: 2, M: 2, L: 2, XL: 1 },
    });
    // P3 and P8 (P10's partial record would have made it 3). 2/9 = 0.2222.
    expect(f.merged_without_review).toEqual({ count: 2, rate: 0.2222, unknown: 0 });
  });

  it('CI: run and job durations, queue, failure and re-run rates, slowest workflows and jobs', () => {
    const { runs, jobs } = report.ci;
    // Runs R1-R6: 10 12 8 20 5 30 min → 300 480 600 720 1200 1800 s·1000; p50 at 2.5: 660000; p90 at 4.5:
    // 1200000 + 0.5·600000 = 1500000; mean 5100000/6 = 850000.
    expect(runs.count).toBe(6);
    expect(runs.duration).toEqual({
      count: 6,
      p50: 660_000,
      p90: 1_500_000,
      mean: 850_000,
      excluded_negative: 0,
    });
    // Queue (R4 none): 10 20 30 60 120 s; p50 30000; p90 at 3.6: 60000 + 0.6·60000 = 96000; mean 48000.
    expect(runs.queue).toEqual({ count: 5, p50: 30_000, p90: 96_000, mean: 48_000, excluded_negative: 0 });
    // Failed: R1 failure, R6 timed_out; decided: those + R2 R3 R4 success (R5 cancelled excluded): 2/5.
    expect(runs.failure_rate).toBe(0.4);
    // Distinct runs: api 5001 (attempt 2), 5002, 5003, mono 6001, 6002 → 1/5.
    expect(runs.rerun_rate).toBe(0.2);
    expect(runs.by_conclusion).toEqual({ failure: 1, success: 3, cancelled: 1, timed_out: 1 });
    // Jobs J1-J5: 0 240 300 360 1800 s; p50 300000; p90 at 3.6: 360000 + 0.6·1440000 = 1224000; mean
    // 2700000/5 = 540000. Queue (J3 none): 1 5 15 100 s; p50 at 1.5: 10000; p90 at 2.7: 15000 + 0.7·85000 =
    // 74500; mean 30250. Failed J1, J5 of decided J1 J2 J3 J5 (J4 skipped): 2/4.
    expect(jobs).toEqual({
      count: 5,
      duration: { count: 5, p50: 300_000, p90: 1_224_000, mean: 540_000, excluded_negative: 0 },
      queue: { count: 4, p50: 10_000, p90: 74_500, mean: 30_250, excluded_negative: 0 },
      failure_rate: 0.5,
      by_conclusion: { failure: 1, success: 2, skipped: 1, timed_out: 1 },
    });
    // By workflow file, slowest p50 first: backend 1800000; deploy 1200000; ci.yml R1 R2 R3 480 600 720 s →
    // p50 600000, p90 at 1.8: 600000 + 0.8·120000 = 696000, failures 1/3; web-ci 300000 (cancelled: no rate).
    expect(report.ci.slowest_workflows).toEqual([
      {
        repository: 'acme/mono',
        workflow: '.github/workflows/backend.yml',
        runs: 1,
        p50_ms: 1_800_000,
        p90_ms: 1_800_000,
        failure_rate: 1,
      },
      {
        repository: 'acme/api',
        workflow: '.github/workflows/deploy.yml',
        runs: 1,
        p50_ms: 1_200_000,
        p90_ms: 1_200_000,
        failure_rate: 0,
      },
      {
        repository: 'acme/api',
        workflow: '.github/workflows/ci.yml',
        runs: 3,
        p50_ms: 600_000,
        p90_ms: 696_000,
        failure_rate: 0.3333,
      },
      {
        repository: 'acme/mono',
        workflow: '.github/workflows/web-ci.yml',
        runs: 1,
        p50_ms: 300_000,
        p90_ms: 300_000,
        failure_rate: null,
      },
    ]);
    // Jobs by workflow + name: CI/test J1 J2 300 360 s → p50 330000, p90 300000 + 0.9·60000 = 354000.
    expect(report.ci.slowest_jobs).toEqual([
      {
        repository: 'acme/mono',
        workflow: 'Backend',
        job: 'test',
        jobs: 1,
        p50_ms: 1_800_000,
        p90_ms: 1_800_000,
        failure_rate: 1,
      },
      {
        repository: 'acme/api',
        workflow: 'CI',
        job: 'test',
        jobs: 2,
        p50_ms: 330_000,
        p90_ms: 354_000,
        failure_rate: 0.5,
      },
      {
        repository: 'acme/api',
        workflow: 'CI',
        job: 'build',
        jobs: 1,
        p50_ms: 240_000,
        p90_ms: 240_000,
        failure_rate: 0,
      },
      {
        repository: 'acme/mono',
        workflow: 'Web',
        job: 'lint',
        jobs: 1,
        p50_ms: 0,
        p90_ms: 0,
        failure_rate: null,
      },
    ]);
  });

  it('weekly trends: one row per week (Monday), empty weeks included', () => {
    expect(report.weekly.map((w) => w.week)).toEqual([
      '2026-09-28',
      '2026-10-05',
      '2026-10-12',
      '2026-10-19',
      '2026-10-26',
      '2026-11-02',
    ]);
    // Week of 10-05: successes D1 D2 D4 W1 W4 m-1 = 6; outcomes + D3 W2 W3 = 9, failures 3 → 0.3333.
    // Lead times 7.2 14.4 21.6 1.8 3.6 5.4 → sorted 1.8 3.6 5.4 7.2 14.4 21.6; p50 (5.4 + 7.2)/2 = 6.3M.
    // Restores starting that week: D3 → D4 7.2M, W2 → W4 14.4M → p50 10.8M. PRs merged P1 P2: cycle 16.2 54
    // → p50 35.1M. Runs R1 R2: 10 12 min → p50 660000; failures 1/2.
    expect(report.weekly[1]).toEqual({
      week: '2026-10-05',
      deployments: 6,
      change_failure_rate: 0.3333,
      lead_time_p50_ms: 6_300_000,
      time_to_restore_p50_ms: 10_800_000,
      prs_merged: 2,
      cycle_time_p50_ms: 35_100_000,
      ci_runs: 2,
      ci_run_p50_ms: 660_000,
      ci_failure_rate: 0.5,
    });
    expect(report.weekly[0]).toMatchObject({
      deployments: 0,
      change_failure_rate: null,
      prs_merged: 0,
      ci_runs: 0,
    });
    // Week of 10-26: W5 failed (1/1); P10 merged 11-01 00:00:01 (Sunday) → 1 PR, cycle 18M.
    expect(report.weekly[4]).toMatchObject({
      deployments: 0,
      change_failure_rate: 1,
      prs_merged: 1,
      cycle_time_p50_ms: 18_000_000,
    });
  });

  it('splits every figure by team: repositories, and monorepo paths, environments and labels', () => {
    expect(Object.keys(byTeam.by_team)).toEqual(['backend', 'frontend', 'platform']);
    const { backend, frontend, platform } = byTeam.by_team as Record<string, Report>;
    // backend = acme/api: outcomes D1-D6, D8, D9 = 8; failures D3 + D6 (incident) + D8 (revert) = 3/8.
    expect(backend?.dora.change_failure_rate).toMatchObject({
      deployments: 8,
      change_failures: 3,
      rate: 0.375,
    });
    expect(backend?.dora.deployment_frequency.deployments).toBe(7);
    // restores: I1 9.0M, D3 → D4 7.2M → p50 8.1M; I2 unresolved; I3 skew.
    expect(backend?.dora.time_to_restore).toMatchObject({
      count: 2,
      p50: 8_100_000,
      unresolved: 1,
      excluded_negative: 1,
    });
    // frontend = acme/web + mono's web-production deployment m-1, P10 (area/web), run R5 and its job J4.
    // outcomes W1-W5 + m-1 = 6, failed W2 W3 W5 → 0.5. Successes W1 W4 m-1: leads 1.8 3.6 5.4 → p50 3.6M.
    expect(frontend?.dora.change_failure_rate).toMatchObject({
      deployments: 6,
      change_failures: 3,
      rate: 0.5,
    });
    expect(frontend?.dora.lead_time_for_changes).toMatchObject({ count: 3, p50: 3_600_000 });
    expect(frontend?.flow.merged).toBe(4); // P7 P8 P9 P10
    expect(frontend?.ci.runs.count).toBe(1); // R5 (.github/workflows/web-ci.yml)
    expect(frontend?.ci.jobs.count).toBe(1); // J4, through its run's workflow path
    // platform = the rest of acme/mono: m-2 (followed by PD1) → 1/1; PD1 5.4M; R6 + J5.
    expect(platform?.dora.change_failure_rate).toMatchObject({ deployments: 1, change_failures: 1, rate: 1 });
    expect(platform?.dora.time_to_restore).toMatchObject({ count: 1, p50: 5_400_000 });
    expect([platform?.ci.runs.count, platform?.ci.jobs.count, platform?.flow.merged]).toEqual([1, 1, 0]);
    // The split adds up to the whole.
    const sum = (pick: (r: Report) => number) =>
      [backend, frontend, platform].reduce((n, t) => n + pick(t as Report), 0);
    expect(sum((t) => t.dora.change_failure_rate.deployments)).toBe(15);
    expect(sum((t) => t.flow.merged + t.flow.closed_unmerged)).toBe(10);
    expect(sum((t) => t.ci.jobs.count)).toBe(5);
  });

  it('splits by repository', () => {
    expect(Object.keys(report.by_repo)).toEqual(['acme/api', 'acme/mono', 'acme/web']);
    expect(report.by_repo['acme/web']?.dora.deployment_frequency.deployments).toBe(2);
    expect(report.by_repo['acme/mono']?.dora.lead_time_for_changes).toMatchObject({
      count: 2,
      p50: 17_100_000,
    }); // (5.4 + 28.8)/2
  });

  it('--repo keeps only matching repositories, before any file is read', async () => {
    const only = await buildReport({ dataDir: root.path, window, settings: SETTINGS, repos: ['web'] });
    expect(Object.keys(only.by_repo)).toEqual(['acme/web']);
    expect(only.dora.change_failure_rate).toMatchObject({ deployments: 5, failed: 3 });
    expect(only.records.invalid).toBe(0); // the invalid files live in acme/api
  });

  it('an empty window gives empty figures, not errors', async () => {
    const empty = await buildReport({
      dataDir: root.path,
      window: parseWindow('2025-01-01', '2025-01-31'),
      settings: SETTINGS,
    });
    expect(empty.records.files).toBe(0);
    expect(empty.dora.deployment_frequency).toEqual({ deployments: 0, per_day: 0, per_week: 0, band: null });
    expect(empty.dora.lead_time_for_changes).toMatchObject({ count: 0, p50: null, p90: null, band: null });
    expect(empty.dora.change_failure_rate).toMatchObject({ deployments: 0, rate: null, band: null });
    expect(empty.dora.time_to_restore).toMatchObject({ count: 0, p50: null, unresolved: 0, band: null });
    expect(empty.flow.cycle_time.p50).toBeNull();
    expect(empty.ci.runs.failure_rate).toBeNull();
    expect(empty.weekly).toHaveLength(5);
  });

  it('reads a git clone of the data repository (records under a folder, .git and README beside them)', async () => {
    // The data repository as GitHubRepoStore writes it with dataRepository.path = "records": a real git
    // repository, committed and cloned with git itself.
    const origin = await tempDir('telemetry-data-repo-');
    const clone = await tempDir('telemetry-data-clone-');
    try {
      const git = (cwd: string, ...args: string[]) =>
        execFileSync(
          'git',
          ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', ...args],
          { cwd, stdio: 'pipe' },
        );
      git(origin.path, 'init', '-q');
      mkdirSync(join(origin.path, 'records'));
      writeDataset(new DataDir(join(origin.path, 'records')));
      writeFileSync(join(origin.path, 'README.md'), '# telemetry data\n');
      git(origin.path, 'add', '-A');
      git(origin.path, 'commit', '-q', '-m', 'records');
      git(clone.path, 'clone', '-q', origin.path, 'data');
      const fromClone = await buildReport({
        dataDir: join(clone.path, 'data', 'records'),
        window,
        settings: SETTINGS,
        now: Date.parse('2026-11-04T08:00:00Z'),
      });
      expect({ ...fromClone, data_dir: '' }).toEqual({ ...report, data_dir: '' });
      // Pointed at the clone's root, the records folder is not a metric: nothing is read, nothing breaks.
      expect(
        (await buildReport({ dataDir: join(clone.path, 'data'), window, settings: SETTINGS })).records.files,
      ).toBe(0);
    } finally {
      await origin.remove();
      await clone.remove();
    }
  });

  it('renders the same figures as a table and as tidy CSV', () => {
    const table = renderTable(byTeam);
    expect(table).toMatch(/^change failure rate +46\.7% +7\/15: 4 failed, 2 incident, 1 revert +low$/m);
    expect(table).toMatch(
      /^lead time for changes +p50 3h 0m, p90 11h 12m +9 deployments; 1 without lead time; 1 negative \(clock skew\) left out +elite$/m,
    );
    expect(table).toMatch(/^backend +1\.44 +4h 0m +37\.5% +2h 15m +5 +4h 0m +4 +25%$/m); // 7 deployments × 7 / 34 days
    expect(table).toContain('workflow-job/acme/api/2026/10/not-json.json: not valid JSON');

    const rows = renderCsv(byTeam).trimEnd().split('\n');
    expect(rows[0]).toBe('scope,name,week,section,figure,value');
    expect(rows).toContain('all,,,dora,change_failure_rate.rate,0.4667');
    expect(rows).toContain('all,,,dora,lead_time_for_changes.band,elite');
    expect(rows).toContain('all,,,ci,slowest_workflows[0].workflow,.github/workflows/backend.yml');
    expect(rows).toContain('team,frontend,,dora,change_failure_rate.rate,0.5');
    expect(rows).toContain('repo,acme/web,,flow,merged,3');
    expect(rows).toContain('all,,2026-10-05,weekly,lead_time_p50_ms,6300000');
    expect(rows).toContain('all,,2026-09-28,weekly,change_failure_rate,'); // null → empty cell
  });

  it('CSV cells that a spreadsheet would run as a formula are defused', () => {
    const evil = {
      ...report,
      by_team: {},
      by_repo: {},
      ci: {
        ...report.ci,
        slowest_workflows: [{ ...report.ci.slowest_workflows[0], workflow: '=HYPERLINK("x","y")' }],
      },
    } as Report;
    expect(renderCsv(evil)).toContain('all,,,ci,slowest_workflows[0].workflow,"\'=HYPERLINK(""x"",""y"")"');
  });

  it('a missing data directory is a clear error', async () => {
    await expect(buildReport({ dataDir: `${root.path}/nope`, window, settings: SETTINGS })).rejects.toThrow(
      /data directory .*nope does not exist/,
    );
  });
});

describe('merged without review, with partial records', () => {
  it('leaves a pull request whose reviews could not be read out of the rate and counts it apart', async () => {
    const root = await tempDir('telemetry-report-partial-');
    const data = new DataDir(root.path);
    const stages = { coding: 1, pickup: 1, review: 1, merge: 1, cycle: 4 };
    const at = '2026-10-10T12:00:00Z';
    // One reviewed, one merged without review, one partial (reviews: null, first_review_at: null).
    for (const [id, reviews, status] of [
      ['1', 2, 'complete'],
      ['2', 0, 'complete'],
      ['3', null, 'partial'],
    ] as const) {
      data.record(
        'pull-request',
        `${id}:${at}`,
        'acme/api',
        at,
        pullRequest({ pull_request_id: id, closed_at: at, additions: 1, deletions: 1, reviews, s: stages }),
        { status },
      );
    }
    const report = await buildReport({
      dataDir: root.path,
      window: parseWindow('2026-10-01', '2026-10-31'),
      settings: SETTINGS,
    });
    // 1 of the 2 merged pull requests with known reviews was merged without review: rate 1/2.
    expect(report.flow.merged_without_review).toEqual({ count: 1, rate: 0.5, unknown: 1 });
    await root.remove();
  });
});

describe('hot packs', () => {
  it('reads every line of every pack and the older per-record hot files; one record per id, the better wins; a bad line is a warning with its pack and line', async () => {
    const root = await tempDir('telemetry-report-packs-');
    const data = new DataDir(root.path);
    const stages = { coding: 1, pickup: 1, review: 1, merge: 1, cycle: 4 };
    const pr = (id: string, at: string, reviews: number | null, status: 'complete' | 'partial') =>
      data.build(
        'pull-request',
        `${id}:${at}`,
        'acme/api',
        at,
        pullRequest({ pull_request_id: id, closed_at: at, additions: 1, deletions: 1, reviews, s: stages }),
        { status },
      );
    const at = '2026-10-10T12:00:00Z';
    // One write of three records (one pack), the partial one made complete by a later write (a second pack
    // of the same hour folder): 1 and 3 reviewed, 2 merged without review once complete.
    const [first] = data.pack([
      pr('1', at, 2, 'complete'),
      pr('2', at, null, 'partial'),
      pr('3', at, 1, 'complete'),
    ]);
    const [second] = data.pack([pr('2', at, 0, 'complete')]);
    expect(first).not.toBe(second);
    expect(first?.slice(0, first.lastIndexOf('/'))).toBe(second?.slice(0, second.lastIndexOf('/')));
    // A pack with a line that is not JSON and one that is not a valid record between valid ones.
    const valid = data.build(
      'pull-request',
      `4:${at}`,
      'acme/api',
      at,
      pullRequest({ pull_request_id: '4', closed_at: at, additions: 1, deletions: 1, reviews: 1, s: stages }),
    );
    const bad = 'hot/pull-request/2026/10/10/12/0123456789abcdef.ndjson';
    data.raw(
      bad,
      [JSON.stringify(valid), '{"id": "cut', JSON.stringify({ ...valid, id: 'x', owner: '' }), ''].join('\n'),
    );
    // A hot file written before packs, one record per file, beside the packs.
    const old = pr('5', at, 0, 'complete');
    data.raw(`hot/pull-request/2026/10/10/1200/${old.id}.json`, JSON.stringify(old));

    const report = await buildReport({
      dataDir: root.path,
      window: parseWindow('2026-10-01', '2026-10-31'),
      settings: SETTINGS,
    });
    expect(report.records.by_metric['pull-request']).toBe(5);
    expect(report.records.duplicates).toBe(1);
    expect(report.records.invalid).toBe(2);
    expect(report.warnings).toEqual([
      expect.stringMatching(new RegExp(`^${bad}:2: not valid JSON`)),
      expect.stringMatching(new RegExp(`^${bad}:3: invalid record envelope: owner`)),
    ]);
    // 2 (complete now) and 5 merged without review, 1, 3, 4 reviewed.
    expect(report.flow.merged_without_review).toEqual({ count: 2, rate: 0.4, unknown: 0 });
    await root.remove();
  });
});

describe('an id left in two packs as {partial, revision b} and {complete, revision a}', () => {
  it('keeps the complete one, as compaction does, whichever pack is met first', async () => {
    for (const partialFirst of [true, false]) {
      const root = await tempDir('telemetry-report-unordered-');
      const data = new DataDir(root.path);
      const stages = { coding: 1, pickup: 1, review: 1, merge: 1, cycle: 4 };
      const at = '2026-10-10T12:00:00Z';
      const pr = (id: string, reviews: number | null, status: 'complete' | 'partial') =>
        data.build(
          'pull-request',
          `${id}:${at}`,
          'acme/api',
          at,
          pullRequest({ pull_request_id: id, closed_at: at, additions: 1, deletions: 1, reviews, s: stages }),
          { status },
        );
      // 1 reviewed; 2 merged without review once complete (revision a), unknown while partial (revision b).
      data.pack([pr('1', 2, 'complete')]);
      const { partial, complete } = unorderedVersions(
        (status, salt) => ({
          ...pr('2', status === 'complete' ? 0 : null, status),
          delivery_id: `unordered-${salt}`,
        }),
        partialFirst,
      );
      data.pack([partial]);
      data.pack([complete]);
      const report = await buildReport({
        dataDir: root.path,
        window: parseWindow('2026-10-01', '2026-10-31'),
        settings: SETTINGS,
      });
      expect(report.records.by_metric['pull-request']).toBe(2);
      expect(report.records.duplicates).toBe(1);
      expect(report.flow.merged_without_review).toEqual({ count: 1, rate: 0.5, unknown: 0 });
      await root.remove();
    }
  });
});
