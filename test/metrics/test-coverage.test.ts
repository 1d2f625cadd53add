import { defaultMetricSettings } from '../../src/metrics/settings';
import { type TestCoverageOutput, testPatternsIn } from '../../src/metrics/test-coverage';
import { expectDocumentedExample } from '../support/metrics-doc';
import { examplesOf, signedEventFrom } from '../support/webhooks';
import { collectRecords } from './collect';

type Step = { name: string; conclusion: string | null; started_at?: string; completed_at?: string };
type JobPayload = { workflow_job: { name: string; run_attempt: number; steps: Step[] } };

/** The real failing "linters" job, whose steps are renamed into a test job: yarn test, e2e, integration. */
function testJob(): JobPayload {
  const payload = examplesOf('workflow_job', 'completed')[0] as unknown as JobPayload;
  const steps = payload.workflow_job.steps;
  steps[5]!.name = 'Run yarn test'; // success, 10 s
  steps[6]!.name = 'Run e2e tests'; // success, 2 s
  steps[7]!.name = 'Run integration tests'; // failure, 1 s
  steps[8]!.name = 'Run unit tests (coverage)'; // skipped
  return payload;
}

const collect = (payload: unknown, settings = {}) =>
  collectRecords<TestCoverageOutput>(
    signedEventFrom('workflow_job', payload as Record<string, unknown>),
    'test-coverage',
    { settings },
  );

describe('test name patterns', () => {
  const patterns = defaultMetricSettings.testNamePatterns;
  it.each([
    ['npm test', ['test']],
    ['Run Tests', ['tests']],
    ['test:unit', ['test', 'unit']],
    ['unit_test', ['test', 'unit']],
    ['e2e-chrome', ['e2e']],
    ['Integration testing', ['testing', 'integration']],
    ['pytest -q', ['pytest']],
    ['Run cypress', ['cypress']],
    ['npx playwright test --project=chromium', ['test', 'playwright']],
    ['Puppeteer smoke', ['puppeteer']],
    ['selenium-grid', ['selenium']],
    ['yarn mocha', ['mocha']],
    ['karma start jasmine.conf.js', ['jasmine']],
    ['npx ava', ['ava']],
    ['vitest run', ['vitest']],
  ])('"%s" is a test (%j)', (name, expected) => {
    expect(testPatternsIn(name, patterns)).toEqual(expected);
  });
  it.each([
    'ubuntu-latest',
    'Run latest build',
    'Attest build provenance',
    'attestation',
    'contest',
    'Lint',
    'Set up Java',
    'Cypres dashboard login',
  ])('"%s" is not a test', (name) => {
    expect(testPatternsIn(name, patterns)).toEqual([]);
  });
});

describe('test-coverage', () => {
  it('records each test step with its conclusion and duration; skipped is not failed', async () => {
    const [record] = await collect(testJob());
    expect(record?.output).toMatchObject({
      job_id: '289782451',
      run_attempt: 1,
      job_name: 'linters',
      conclusion: 'failure',
      job_matched: false,
      matched_patterns: ['test', 'tests', 'e2e', 'unit', 'integration'],
      passed: 2,
      failed: 1,
      skipped: 1,
      cancelled: 0,
      test_duration_ms: 10_000 + 2_000 + 1_000 + 0,
      duration_ms: 198_000,
    });
    expect(record?.output.test_steps.map((s) => [s.number, s.name, s.conclusion, s.duration_ms])).toEqual([
      [6, 'Run yarn test', 'success', 10_000],
      [7, 'Run e2e tests', 'success', 2_000],
      [8, 'Run integration tests', 'failure', 1_000],
      [14, 'Run unit tests (coverage)', 'skipped', 0],
    ]);
    expectDocumentedExample(record!);
  });

  it('ignores real jobs without tests, and "latest" / "attest" names', async () => {
    for (const payload of examplesOf('workflow_job', 'completed')) {
      expect(await collect(payload)).toEqual([]);
    }
    const attest = examplesOf('workflow_job', 'completed')[0] as unknown as JobPayload;
    attest.workflow_job.name = 'Attest build provenance';
    attest.workflow_job.steps[6]!.name = 'Download latest artifacts';
    attest.workflow_job.steps[7]!.name = 'Attest';
    expect(await collect(attest)).toEqual([]);
  });

  it('records a job whose name alone says tests', async () => {
    const payload = examplesOf('workflow_job', 'completed')[1] as unknown as JobPayload;
    payload.workflow_job.name = 'Unit';
    const [record] = await collect(payload);
    expect(record?.output).toMatchObject({
      job_matched: true,
      matched_patterns: ['unit'],
      test_steps: [],
      passed: 0,
      failed: 0,
      conclusion: 'success',
    });
  });

  it('records a job whose workflow alone says tests (steps named after nothing)', async () => {
    // The real "CodeQL" workflow's job, in a repository whose workflow is called "Test the application" and
    // whose job is "build": before, only the job and step names were looked at, so this was no test job.
    const payload = examplesOf('workflow_job', 'completed')[1] as unknown as JobPayload & {
      workflow_job: { workflow_name: string };
    };
    payload.workflow_job.workflow_name = 'Test the application';
    payload.workflow_job.name = 'build';
    const [record] = await collect(payload);
    expect(record?.output).toMatchObject({
      workflow_name: 'Test the application',
      workflow_matched: true,
      job_matched: false,
      matched_patterns: ['test'],
      test_steps: [],
    });
    payload.workflow_job.workflow_name = 'Tests';
    const [tests] = await collect(payload);
    expect(tests?.output).toMatchObject({ workflow_matched: true, matched_patterns: ['tests'] });
  });

  it('counts a failing "Run cypress" step as a failure with the default patterns', async () => {
    // The real failing job: its failing step renamed as an end-to-end suite runs in many repositories.
    const payload = examplesOf('workflow_job', 'completed')[0] as unknown as JobPayload;
    payload.workflow_job.steps[7]!.name = 'Run cypress';
    const [record] = await collect(payload);
    expect(record?.output).toMatchObject({ matched_patterns: ['cypress'], failed: 1, passed: 0 });
    expect(record?.output.test_steps.map((s) => [s.name, s.conclusion])).toEqual([
      ['Run cypress', 'failure'],
    ]);
  });

  it('uses the configured patterns', async () => {
    const payload = examplesOf('workflow_job', 'completed')[1] as unknown as JobPayload;
    // "Run Bundle Audit" is no test by default; with `audit` configured it is.
    expect(await collect(payload)).toEqual([]);
    const [record] = await collect(payload, { testNamePatterns: ['audit'] });
    expect(record?.output.test_steps.map((s) => s.name)).toEqual(['Run Bundle Audit']);
  });

  it('makes a re-run (attempt 2) a distinct record', async () => {
    const first = testJob();
    const second = testJob();
    second.workflow_job.run_attempt = 2;
    const [a] = await collect(first);
    const [b] = await collect(second);
    expect(a?.id).toMatch(/^test-coverage-/);
    expect(b?.id).not.toBe(a?.id);
  });
});
