import type { PIPELINE_STATUSES } from '../../push/kinds';

/**
 * `pipeline-run`: a run of another system's pipeline (X-Telemetry-Event: pipeline-run). Natural key: sender +
 * the sender's run id, so the report sent when the run starts and the one sent when it ends are one record:
 * the envelope's `revision` (the report's latest time, then the status's rank) makes the later report win.
 * occurred_at = started_at, or finished_at for a run reported only when it ended.
 */
export interface PipelineRunOutput {
  sender: string;
  /** The sender's own id for the run. */
  id: string;
  /** `owner/name`. */
  repository: string;
  pipeline: string;
  status: (typeof PIPELINE_STATUSES)[number];
  /** True for success, failure, cancelled, skipped and timed_out. */
  final: boolean;
  branch: string | null;
  sha: string | null;
  actor: string | null;
  url: string | null;
  queued_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  /** finished_at − started_at, in ms. */
  duration_ms: number | null;
  /** started_at − queued_at, in ms. */
  queue_ms: number | null;
}
