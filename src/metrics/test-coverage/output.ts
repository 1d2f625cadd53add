import type { JobStep } from '../workflow-job';

/**
 * `test-coverage`: one record per completed workflow job attempt whose workflow name, job name or step names
 * indicate tests. Natural key: job id + run attempt (a re-run is a new record). occurred_at = the job's completed_at.
 */

/** A step whose name matched a test pattern: the same fields as every step of the workflow-job metric. */
export type TestStep = JobStep;

export interface TestCoverageOutput {
  job_id: string;
  run_id: string;
  run_attempt: number;
  workflow_name: string | null;
  job_name: string;
  /** The job's own conclusion. */
  conclusion: string | null;
  head_branch: string | null;
  head_sha: string;
  started_at: string;
  completed_at: string;
  /** completed_at − started_at of the whole job, in ms. */
  duration_ms: number;
  /** The workflow's name matched a test pattern ("Tests", "Test the application"). */
  workflow_matched: boolean;
  /** The job name itself matched a test pattern. */
  job_matched: boolean;
  /** The configured patterns that matched the workflow name, the job name or a step name, in configuration order. */
  matched_patterns: string[];
  /** Steps whose names match a test pattern, in step order. */
  test_steps: TestStep[];
  /** Test steps by outcome: skipped and cancelled are never counted as failed. */
  passed: number;
  /** conclusion failure or timed_out. */
  failed: number;
  skipped: number;
  cancelled: number;
  /** Sum of the test steps' duration_ms, in ms (0 when there are none). */
  test_duration_ms: number;
}
