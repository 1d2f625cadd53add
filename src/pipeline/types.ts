/** Where an event entered the collector. */
export type EventSource = 'github' | 'push' | 'schedule';

/** How a record was collected; written into the record as `collected_by`. */
export type CollectedBy = 'webhook' | 'backfill' | 'push' | 'schedule';

/** An HTTP delivery as it arrived: header names lower-cased, body as the raw bytes that were signed. */
export interface RawEvent {
  headers: Readonly<Record<string, string | undefined>>;
  body: Buffer;
  receivedAt: string;
}

/**
 * An identified event, ready for `collectMetrics`. It is plain JSON so it can cross a queue (SQS) unchanged.
 * `trigger` is `github::<event>[.<action>]`, `push::<kind>` or `schedule::<job>`.
 */
export interface SignedEvent {
  trigger: string;
  source: EventSource;
  event: string;
  action?: string;
  /** X-GitHub-Delivery (a GUID), or the sender's own id for pushes: always a string. */
  deliveryId: string;
  receivedAt: string;
  collectedBy: CollectedBy;
  /** For pushes: the authenticated sender name. */
  sender?: string;
  payload: Record<string, unknown>;
}

/** One failed enrichment call, as written into a partial record. */
export interface RecordError {
  /** The call that failed, e.g. `GET /repos/{owner}/{repo}/pulls/{pull_number}/commits`. */
  call: string;
  /** HTTP status when there was one (404/403: the token cannot see the repository). */
  status?: number;
  message: string;
}

/** `retracted`: a tombstone, written when the sender retracted the item (docs/DATA.md). */
export type RecordStatus = 'complete' | 'partial' | 'retracted';

/** The record envelope of docs/DATA.md. */
export interface MetricRecord<O = Record<string, unknown>> {
  id: string;
  schema_version: number;
  metric: string;
  trigger: string;
  collected_by: CollectedBy;
  delivery_id?: string;
  owner: string;
  repo: string;
  occurred_at: string;
  received_at: string;
  collected_at: string;
  status: RecordStatus;
  errors: RecordError[];
  collector_version: string;
  /** Set by metrics whose entity is reported more than once (pipeline-run): the later report sorts higher. */
  revision?: string;
  output: O;
}
