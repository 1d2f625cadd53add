/**
 * `incident`: issues carrying an incident label (configurable, default `incident`), one record when opened
 * (or labelled) and one when closed. Natural key: issue id + `opened` | `closed`. occurred_at = opened_at for
 * `opened`, closed_at for `closed`.
 */
export interface IncidentOutput {
  issue_id: string;
  number: number;
  title: string;
  event: 'opened' | 'closed';
  labels: string[];
  /** Severity from a `severity:<x>` / `sev<n>` label, else null. */
  severity: string | null;
  opened_at: string;
  closed_at: string | null;
  /** closed_at − opened_at, in ms (time to restore); null while open. */
  time_to_restore_ms: number | null;
  /** Best effort: a 7-40 hex sha or a deployment id named in the title/body (documented in METRICS.md). */
  linked_sha: string | null;
  linked_deployment_id: string | null;
  url: string | null;
}
