/**
 * `push-deployment`: a deployment pushed by another system (X-Telemetry-Event: deployment). Natural key:
 * sender + the sender's item id + status (one record per reported status, as GitHub has one deployment-status
 * record per status; a resend of the same report never duplicates). occurred_at = finished_at. Reports treat it like a `deployment-status`
 * record: `status` success/failure/error count as deployments and failures.
 */
export interface PushDeploymentOutput {
  sender: string;
  /** The sender's own id for the deployment. */
  id: string;
  environment: string;
  sha: string;
  status: 'success' | 'failure' | 'error' | 'in_progress' | 'cancelled';
  started_at: string | null;
  finished_at: string;
  /** finished_at − started_at, in ms. */
  duration_ms: number | null;
  service: string | null;
  version: string | null;
  url: string | null;
  pull_requests: number[];
  /** Lead time for changes when it could be computed (first shipped commit → finished_at), in ms. */
  lead_time_ms: number | null;
  first_commit_at: string | null;
}
