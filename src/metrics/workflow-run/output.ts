/**
 * `workflow-run`: one record per completed workflow run attempt. Natural key: run id + run attempt.
 * occurred_at = updated_at of the completed run.
 */
export interface WorkflowRunOutput {
  run_id: string;
  run_attempt: number;
  run_number: number;
  workflow_id: string;
  workflow_name: string | null;
  /** e.g. .github/workflows/ci.yml */
  workflow_path: string | null;
  /** Triggering event: push, pull_request, schedule, workflow_dispatch, ... */
  event: string;
  conclusion: string | null;
  head_branch: string | null;
  head_sha: string;
  actor: string | null;
  triggering_actor: string | null;
  created_at: string;
  run_started_at: string | null;
  completed_at: string;
  /** run_started_at − created_at, in ms. */
  queue_ms: number | null;
  /** completed_at − run_started_at (or created_at), in ms. */
  duration_ms: number;
  pull_requests: number[];
}
