import { parsePayload } from '../../github/payloads';
import { durationMs, toUtcIso } from '../../time';
import type { MetricSettings } from '../settings';
import type { Metric } from '../types';
import { jobStep, workflowJobPayload } from '../workflow-job';
import type { TestCoverageOutput, TestStep } from './output';

export type { TestCoverageOutput, TestStep } from './output';

const matchers = new Map<string, RegExp>();

/**
 * A pattern matches as a whole word, case-insensitively, a word being delimited by anything but a letter or
 * digit: `test` matches "npm test", "test:unit", "unit_test", "e2e-test", never "latest" or "attest" (the
 * earlier collector's bug); "Run tests" is matched by the pattern `tests`. Patterns are literal words, not
 * regular expressions, so a configured `c++` means exactly that text.
 */
function matcher(pattern: string): RegExp {
  let regex = matchers.get(pattern);
  if (!regex) {
    const escaped = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    regex = new RegExp(`(?<![A-Za-z0-9])${escaped}(?![A-Za-z0-9])`, 'i');
    matchers.set(pattern, regex);
  }
  return regex;
}

/** The configured test patterns found in `name`, in configuration order. */
export function testPatternsIn(name: string, patterns: readonly string[]): string[] {
  return patterns.filter((pattern) => matcher(pattern).test(name));
}

function isTestJob(payload: Record<string, unknown>, settings: MetricSettings): boolean {
  const job = payload.workflow_job as
    | { name?: unknown; workflow_name?: unknown; steps?: { name?: unknown }[] }
    | undefined;
  if (!job) return false;
  const names = [
    job.workflow_name,
    job.name,
    ...(Array.isArray(job.steps) ? job.steps.map((s) => s?.name) : []),
  ];
  return names.some((n) => typeof n === 'string' && testPatternsIn(n, settings.testNamePatterns).length > 0);
}

const FAILED = new Set(['failure', 'timed_out']);

export const testCoverage: Metric<TestCoverageOutput> = {
  name: 'test-coverage',
  description:
    'Completed workflow jobs that run tests (by workflow, job or step name): each test step with its conclusion and duration.',
  triggers: ['github::workflow_job.completed'],
  permissions: { actions: 'read' },
  matches: (event, settings) =>
    event.trigger === 'github::workflow_job.completed' && isTestJob(event.payload, settings),
  async collect(event, ctx) {
    const { workflow_job: job, repository } = parsePayload(
      workflowJobPayload,
      event.payload,
      'workflow_job payload',
    );
    const patterns = ctx.settings.testNamePatterns;
    const jobPatterns = testPatternsIn(job.name, patterns);
    const workflowPatterns = job.workflow_name ? testPatternsIn(job.workflow_name, patterns) : [];
    const matched = new Set([...workflowPatterns, ...jobPatterns]);
    const testSteps: TestStep[] = [];
    for (const step of job.steps) {
      const stepPatterns = testPatternsIn(step.name, patterns);
      if (stepPatterns.length === 0) continue;
      for (const p of stepPatterns) matched.add(p);
      testSteps.push(jobStep(step));
    }
    if (matched.size === 0) return [];
    const count = (test: (conclusion: string | null) => boolean) =>
      testSteps.filter((s) => test(s.conclusion)).length;
    const completedAt = job.completed_at ?? job.started_at;
    return [
      {
        naturalKey: `${job.id}:${job.run_attempt}`,
        owner: repository.owner.login,
        repo: repository.name,
        occurredAt: completedAt,
        output: {
          job_id: job.id,
          run_id: job.run_id,
          run_attempt: job.run_attempt,
          workflow_name: job.workflow_name ?? null,
          job_name: job.name,
          conclusion: job.conclusion,
          head_branch: job.head_branch ?? null,
          head_sha: job.head_sha,
          started_at: toUtcIso(job.started_at),
          completed_at: toUtcIso(completedAt),
          duration_ms: durationMs(job.started_at, completedAt) ?? 0,
          workflow_matched: workflowPatterns.length > 0,
          job_matched: jobPatterns.length > 0,
          matched_patterns: patterns.filter((p) => matched.has(p)),
          test_steps: testSteps,
          passed: count((c) => c === 'success'),
          failed: count((c) => c !== null && FAILED.has(c)),
          skipped: count((c) => c === 'skipped'),
          cancelled: count((c) => c === 'cancelled'),
          test_duration_ms: testSteps.reduce((sum, s) => sum + (s.duration_ms ?? 0), 0),
        },
      },
    ];
  },
};
