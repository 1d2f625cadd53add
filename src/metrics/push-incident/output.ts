/**
 * `push-incident`: an incident pushed by another system (X-Telemetry-Event: incident). Natural key:
 * sender + the sender's item id + `opened`|`resolved` state. occurred_at = resolved_at when resolved, else
 * opened_at. Reports treat it like an `incident` record.
 */
export interface PushIncidentOutput {
  sender: string;
  id: string;
  event: 'opened' | 'resolved';
  opened_at: string;
  resolved_at: string | null;
  /** resolved_at − opened_at, in ms; null while unresolved. */
  time_to_restore_ms: number | null;
  severity: string | null;
  title: string | null;
  service: string | null;
  sha: string | null;
  deployment_id: string | null;
  url: string | null;
}
