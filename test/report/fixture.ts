import type { ReportSettings } from '../../src/report/settings';
import { defaultReportSettings } from '../../src/report/settings';
import { teamsFileSchema } from '../../src/report/teams';
import {
  type DataDir,
  deploymentStatus,
  H,
  incident,
  MIN,
  pullRequest,
  pushDeployment,
  pushIncident,
  workflowJob,
  workflowRun,
} from './dataset';

/*
 * The hand-built dataset. Window: 2026-10-01 → 2026-11-03 inclusive, i.e. [2026-10-01T00:00Z,
 * 2026-11-04T00:00Z) = 34 days. Three repositories: acme/api, acme/web, acme/mono (a monorepo split between
 * teams by workflow path, deployment environment and labels). Durations in the comments are in ms, "M" =
 * millions of ms (3.6M = 1 h).
 */
export const SETTINGS: ReportSettings = {
  ...defaultReportSettings,
  productionEnvironments: ['production', 'prod', '*-production'],
  changeFailureWindowHours: 24,
};

export const TEAMS = teamsFileSchema.parse({
  teams: [
    { name: 'backend', repos: ['acme/api'] },
    { name: 'frontend', repos: ['acme/web'] },
    {
      name: 'frontend',
      repos: ['acme/mono'],
      paths: ['.github/workflows/web-*.yml'],
      environments: ['web-*'],
      labels: ['area/web'],
    },
    { name: 'platform', repos: ['acme/mono'] },
  ],
});

export function writeDataset(data: DataDir): void {
  const api = 'acme/api';
  const web = 'acme/web';
  const mono = 'acme/mono';
  const ds = (repo: string, id: string, status: string, state: string, at: string, more = {}) =>
    data.record(
      'deployment-status',
      status,
      repo,
      at,
      deploymentStatus({
        deployment_id: id,
        status_id: status,
        state,
        environment: 'production',
        status_created_at: at,
        ...more,
      }),
    );

  // ---- GitHub deployments, acme/api (environment production unless said)
  ds(api, '101', '1011', 'in_progress', '2026-10-05T10:00:00Z'); // not an outcome: ignored
  ds(api, '101', '1012', 'success', '2026-10-05T10:10:00Z', { lead: 2 * H, commits: 3 }); // D1 lead 7.2M
  ds(api, '102', '1021', 'success', '2026-10-06T12:00:00Z', { lead: 4 * H, commits: 2 }); // D2 lead 14.4M
  ds(api, '103', '1031', 'failure', '2026-10-07T09:00:00Z'); // D3 failed
  ds(api, '104', '1041', 'success', '2026-10-07T11:00:00Z', { lead: 6 * H, commits: 1 }); // D4 restores D3: 2 h
  ds(api, '105', '1051', 'success', '2026-10-13T08:00:00Z', { lead: null, commits: 0 }); // D5 no commits
  ds(api, '106', '1061', 'success', '2026-10-14T08:00:00Z', { lead: 24 * H, commits: 4 }); // D6, then incident I1
  ds(api, '107', '1071', 'success', '2026-10-14T09:00:00Z', { lead: H, environment: 'staging' }); // not production
  // D8: environment "live" is not a production name, but GitHub's production flag says it is. Revert follows.
  ds(api, '108', '1081', 'success', '2026-10-20T10:00:00Z', {
    lead: 3 * H,
    commits: 2,
    environment: 'live',
    production: true,
  });
  ds(api, '109', '1091', 'success', '2026-10-21T10:00:00Z', { lead: -5 * MIN, commits: 1 }); // D9 clock skew

  // ---- GitHub deployments, acme/web
  ds(web, '201', '2011', 'success', '2026-10-06T15:00:00Z', { lead: 30 * MIN }); // W1 lead 1.8M
  ds(web, '202', '2021', 'failure', '2026-10-08T10:00:00Z'); // W2 failed: episode starts
  ds(web, '203', '2031', 'error', '2026-10-08T11:00:00Z'); // W3 failed again: same episode
  ds(web, '204', '2041', 'success', '2026-10-08T14:00:00Z', { lead: H }); // W4 restores W2: 4 h; lead 3.6M
  ds(web, '205', '2051', 'failure', '2026-10-27T10:00:00Z'); // W5 never restored: unresolved

  // ---- pushed deployments, acme/mono
  data.record(
    'push-deployment',
    'argo:m-1',
    mono,
    '2026-10-09T12:00:00Z',
    pushDeployment({
      id: 'm-1',
      environment: 'web-production',
      service: 'web',
      status: 'success',
      finished_at: '2026-10-09T12:00:00Z',
      lead_time_ms: 90 * MIN,
    }),
  ); // frontend (environment web-*), lead 5.4M
  data.record(
    'push-deployment',
    'argo:m-2',
    mono,
    '2026-10-16T12:00:00Z',
    pushDeployment({
      id: 'm-2',
      environment: 'prod',
      service: 'billing',
      status: 'success',
      finished_at: '2026-10-16T12:00:00Z',
      lead_time_ms: 8 * H,
    }),
  ); // platform, lead 28.8M; incident PD1 names it
  data.record(
    'push-deployment',
    'argo:m-3',
    mono,
    '2026-10-17T12:00:00Z',
    pushDeployment({
      id: 'm-3',
      environment: 'prod',
      service: 'billing',
      status: 'in_progress',
      finished_at: '2026-10-17T12:00:00Z',
      lead_time_ms: null,
    }),
  ); // not an outcome: ignored

  // ---- incidents
  // I1 (acme/api): opened 2 h after D6 → D6 is a change failure; restored in 2.5 h = 9.0M.
  data.record(
    'incident',
    '9001:opened',
    api,
    '2026-10-14T10:00:00Z',
    incident({ issue_id: '9001', event: 'opened', opened_at: '2026-10-14T10:00:00Z', closed_at: null }),
  );
  data.record(
    'incident',
    '9001:closed',
    api,
    '2026-10-14T12:30:00Z',
    incident({
      issue_id: '9001',
      event: 'closed',
      opened_at: '2026-10-14T10:00:00Z',
      closed_at: '2026-10-14T12:30:00Z',
    }),
  );
  // I2 (acme/api): never closed → unresolved; 95 h after D9 → outside the 24 h window, no change failure.
  data.record(
    'incident',
    '9002:opened',
    api,
    '2026-10-25T09:00:00Z',
    incident({ issue_id: '9002', event: 'opened', opened_at: '2026-10-25T09:00:00Z', closed_at: null }),
  );
  // I3 (acme/api): closed 10 min "before" it opened (clock skew): −0.6M, left out; 48 h after D9: no failure.
  data.record(
    'incident',
    '9003:opened',
    api,
    '2026-10-23T10:00:00Z',
    incident({ issue_id: '9003', event: 'opened', opened_at: '2026-10-23T10:00:00Z', closed_at: null }),
  );
  data.record(
    'incident',
    '9003:closed',
    api,
    '2026-10-23T09:50:00Z',
    incident({
      issue_id: '9003',
      event: 'closed',
      opened_at: '2026-10-23T10:00:00Z',
      closed_at: '2026-10-23T09:50:00Z',
    }),
  );
  // PD1 (acme/mono, pushed): names deployment m-2, 48 h after it: linked, so a change failure despite the
  // window; resolved in 1.5 h = 5.4M.
  data.record(
    'push-incident',
    'pagerduty:PD1:opened',
    mono,
    '2026-10-18T12:00:00Z',
    pushIncident({
      id: 'PD1',
      event: 'opened',
      opened_at: '2026-10-18T12:00:00.000Z',
      resolved_at: null,
      deployment_id: 'm-2',
    }),
  );
  data.record(
    'push-incident',
    'pagerduty:PD1:resolved',
    mono,
    '2026-10-18T13:30:00Z',
    pushIncident({
      id: 'PD1',
      event: 'resolved',
      opened_at: '2026-10-18T12:00:00.000Z',
      resolved_at: '2026-10-18T13:30:00.000Z',
      deployment_id: 'm-2',
    }),
  );

  // ---- pull requests (merged unless said); stages in ms
  const pr = (
    repo: string,
    id: string,
    at: string,
    add: number,
    del: number,
    reviews: number,
    s: {
      coding: number | null;
      pickup: number | null;
      review: number | null;
      merge: number | null;
      cycle: number | null;
    },
    more = {},
  ) =>
    data.record(
      'pull-request',
      `${id}:${new Date(at).toISOString()}`,
      repo,
      at,
      pullRequest({
        pull_request_id: id,
        closed_at: at,
        additions: add,
        deletions: del,
        reviews,
        s,
        ...more,
      }),
    );
  pr(api, '301', '2026-10-05T12:00:00Z', 5, 3, 1, {
    coding: 1 * H,
    pickup: 2 * H,
    review: 1 * H,
    merge: 0.5 * H,
    cycle: 4.5 * H,
  }); // P1 size 8
  pr(api, '302', '2026-10-06T12:00:00Z', 120, 30, 2, {
    coding: 10 * H,
    pickup: 1 * H,
    review: 3 * H,
    merge: 1 * H,
    cycle: 15 * H,
  }); // P2 size 150
  pr(api, '303', '2026-10-13T12:00:00Z', 30, 10, 0, {
    coding: 2 * H,
    pickup: null,
    review: null,
    merge: 0.25 * H,
    cycle: 2.25 * H,
  }); // P3 no review
  pr(
    api,
    '304',
    '2026-10-20T15:00:00Z',
    20,
    20,
    1,
    { coding: 0, pickup: 0.5 * H, review: 0, merge: 10 * MIN, cycle: 40 * MIN },
    { title: 'Revert "Add cache"' },
  ); // P4 revert 5 h after D8
  pr(
    api,
    '305',
    '2026-10-15T12:00:00Z',
    10,
    0,
    0,
    { coding: H, pickup: null, review: null, merge: null, cycle: H },
    { outcome: 'closed' },
  ); // P5 closed unmerged
  pr(
    api,
    '306',
    '2026-10-21T12:00:00Z',
    1000,
    200,
    1,
    { coding: H, pickup: H, review: H, merge: H, cycle: 4 * H },
    { title: 'Revert "x"', into_default_branch: false, base_branch: 'release' },
  ); // P6 revert into a release branch: no failure
  pr(
    web,
    '307',
    '2026-10-12T09:00:00Z',
    300,
    100,
    1,
    { coding: 3 * H, pickup: 4 * H, review: 2 * H, merge: H, cycle: 10 * H },
    { title: 'Revert "Broken nav"' },
  ); // P7 revert 91 h after W4: no failure
  pr(
    web,
    '308',
    '2026-10-19T09:00:00Z',
    2,
    2,
    0,
    { coding: 0, pickup: null, review: null, merge: 2 * H, cycle: 2 * H },
    { author: 'dependabot[bot]', author_is_bot: true },
  ); // P8 bot, no review
  pr(web, '309', '2026-10-22T09:00:00Z', 60, 40, 1, {
    coding: -H,
    pickup: H,
    review: H,
    merge: H,
    cycle: 3 * H,
  }); // P9 coding −1 h (skew)
  // P10 (acme/mono, label area/web → frontend): recorded live as partial (no token: no sizes, no review
  // data) and by backfill as complete. Same natural key → same id; the backfill's occurred_at fell on the
  // other side of midnight, so the two files sit in different month folders. The complete one wins.
  const p10 = (status: 'partial' | 'complete', at: string) =>
    data.record(
      'pull-request',
      '310:live-and-backfill',
      mono,
      at,
      pullRequest({
        pull_request_id: '310',
        closed_at: at,
        labels: ['area/web'],
        ...(status === 'complete'
          ? {
              additions: 200,
              deletions: 50,
              reviews: 1,
              s: { coding: 2 * H, pickup: H, review: H, merge: H, cycle: 5 * H },
            }
          : {
              additions: 0,
              deletions: 0,
              reviews: 0,
              s: { coding: null, pickup: null, review: null, merge: null, cycle: null },
            }),
      }),
      { status, collectedBy: status === 'partial' ? 'webhook' : 'backfill' },
    );
  const live = p10('partial', '2026-10-31T23:59:59Z');
  const backfill = p10('complete', '2026-11-01T00:00:01Z');
  if (live.id !== backfill.id || live.path === backfill.path)
    throw new Error('P10 must be one id in two files');

  // ---- workflow runs
  const run = (
    repo: string,
    id: string,
    attempt: number,
    name: string,
    path: string,
    conclusion: string,
    at: string,
    duration: number,
    queue: number | null,
  ) =>
    data.record(
      'workflow-run',
      `${id}:${attempt}`,
      repo,
      at,
      workflowRun({
        run_id: id,
        run_attempt: attempt,
        workflow_name: name,
        workflow_path: path,
        conclusion,
        completed_at: at,
        duration_ms: duration,
        queue_ms: queue,
      }),
    );
  run(api, '5001', 1, 'CI', '.github/workflows/ci.yml', 'failure', '2026-10-05T09:00:00Z', 10 * MIN, 30_000); // R1
  run(api, '5001', 2, 'CI', '.github/workflows/ci.yml', 'success', '2026-10-05T09:30:00Z', 12 * MIN, 60_000); // R2 re-run
  run(api, '5002', 1, 'CI', '.github/workflows/ci.yml', 'success', '2026-10-13T09:00:00Z', 8 * MIN, 20_000); // R3
  run(
    api,
    '5003',
    1,
    'Deploy',
    '.github/workflows/deploy.yml',
    'success',
    '2026-10-14T07:50:00Z',
    20 * MIN,
    null,
  ); // R4 no start time
  run(
    mono,
    '6001',
    1,
    'Web',
    '.github/workflows/web-ci.yml',
    'cancelled',
    '2026-10-20T09:00:00Z',
    5 * MIN,
    10_000,
  ); // R5 frontend
  run(
    mono,
    '6002',
    1,
    'Backend',
    '.github/workflows/backend.yml',
    'timed_out',
    '2026-10-21T09:00:00Z',
    30 * MIN,
    120_000,
  ); // R6 platform
  run(api, '5009', 1, 'CI', '.github/workflows/ci.yml', 'success', '2026-11-10T09:00:00Z', 8 * MIN, 20_000); // after the window

  // ---- workflow jobs
  const job = (
    repo: string,
    id: string,
    runId: string,
    attempt: number,
    workflow: string,
    name: string,
    conclusion: string,
    at: string,
    duration: number,
    queue: number | null,
  ) =>
    data.record(
      'workflow-job',
      `${id}:${attempt}`,
      repo,
      at,
      workflowJob({
        job_id: id,
        run_id: runId,
        run_attempt: attempt,
        workflow_name: workflow,
        job_name: name,
        conclusion,
        completed_at: at,
        duration_ms: duration,
        queue_ms: queue,
      }),
    );
  job(api, '7001', '5001', 1, 'CI', 'test', 'failure', '2026-10-05T08:59:00Z', 5 * MIN, 15_000); // J1
  job(api, '7002', '5001', 2, 'CI', 'test', 'success', '2026-10-05T09:29:00Z', 6 * MIN, 5_000); // J2
  job(api, '7003', '5002', 1, 'CI', 'build', 'success', '2026-10-13T08:59:00Z', 4 * MIN, null); // J3
  job(mono, '7004', '6001', 1, 'Web', 'lint', 'skipped', '2026-10-20T08:59:00Z', 0, 1_000); // J4 frontend (its run's path)
  job(mono, '7005', '6002', 1, 'Backend', 'test', 'timed_out', '2026-10-21T08:59:00Z', 30 * MIN, 100_000); // J5 platform

  // ---- what the report must not count
  data.raw('workflow-job/acme/api/2026/10/not-json.json', '{"id": "workflow-job-1", ');
  data.raw(
    'workflow-job/acme/api/2026/10/no-owner.json',
    JSON.stringify({ id: 'workflow-job-2', schema_version: 1, metric: 'workflow-job' }),
  );
  data.raw(
    'deployment-status/acme/api/2026/10/bad-output.json',
    JSON.stringify({
      id: 'deployment-status-3',
      schema_version: 1,
      metric: 'deployment-status',
      trigger: 't',
      collected_by: 'webhook',
      owner: 'acme',
      repo: 'api',
      occurred_at: '2026-10-10T00:00:00.000Z',
      received_at: '2026-10-10T00:00:00.000Z',
      collected_at: '2026-10-10T00:00:00.000Z',
      status: 'complete',
      errors: [],
      collector_version: '0.1.0',
      output: { deployment_id: 3, state: 'success' },
    }),
  );
  data.raw('_dead-letter/2026/10/event.json', '{"not": "a record"}'); // collector state: skipped
  data.raw(
    'workflow-run/acme/api/2026/08/old.json',
    '{broken but never opened: the month is outside the window',
  );
  data.raw('check-suite/acme/api/2026/10/other.json', '{not a reported metric: never opened');
}
