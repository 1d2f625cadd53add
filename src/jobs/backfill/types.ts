import { z } from 'zod';
import { isoTime } from '../../github/payloads';
import type { MetricSettings } from '../../metrics/settings';
import type { ListingContext } from '../listing';
import type { Repository } from '../repositories';
import type { RecordSink } from '../sink';

/** The time span a run covers, ms since the epoch. `openEnded`: no `--until`, so cursors are read and saved. */
export interface Window {
  since: number;
  until: number;
  openEnded: boolean;
}

/**
 * What a kind remembers per repository in `_state/backfill/<owner>/<repo>/<kind>.json`.
 * - `since`: the start of the window this state covers; a run with an earlier `--since` reads again from it.
 * - `cursor`: everything whose listing time (updated_at or created_at) is at or before it was collected.
 * - `done`: intervals above the cursor already collected by a run that stopped early (budget), skipped on resume.
 * - `etag`/`etag_url`: the first page's ETag, sent as If-None-Match when the same listing is read again.
 * - `pending`: entities seen but not finished (runs in progress, deployments without a final status),
 *   fetched again by id next time, so the cursor never waits for them.
 */
export const kindStateSchema = z.looseObject({
  since: isoTime,
  cursor: isoTime,
  done: z.array(z.object({ after: isoTime, up_to: isoTime })).default([]),
  etag: z.string().nullable().default(null),
  etag_url: z.string().nullable().default(null),
  pending: z.array(z.object({ id: z.string(), created_at: isoTime })).default([]),
  /** tags: tag name → the date it was dated by (see the tags kind). */
  tags: z.record(z.string(), isoTime).default({}),
  /** incidents: label → cursor. */
  labels: z.record(z.string(), isoTime).default({}),
});
export type KindState = z.infer<typeof kindStateSchema>;

export interface KindContext extends ListingContext {
  sink: RecordSink;
  settings: MetricSettings;
  now: () => Date;
  /** Items of one page collected at once (each may cost requests of its own). */
  concurrency: number;
  /** Called once per listed item (progress). */
  onItem: () => void;
}

export interface KindResult {
  state: KindState;
  /** True when the kind stopped early (budget or abort); `state` says where to resume. */
  stopped: boolean;
}

export interface BackfillKind {
  name: string;
  /** The triggers of the deliveries it reconstructs: a kind no metric collects is skipped, costing nothing. */
  triggers: readonly string[];
  run(repo: Repository, window: Window, state: KindState | undefined, ctx: KindContext): Promise<KindResult>;
}

export function emptyState(since: number): KindState {
  const start = new Date(since - 1).toISOString();
  return {
    since: new Date(since).toISOString(),
    cursor: start,
    done: [],
    etag: null,
    etag_url: null,
    pending: [],
    tags: {},
    labels: {},
  };
}
