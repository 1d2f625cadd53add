import type { GitHubClient } from '../github/client';
import type { AppPermissions } from '../github/permissions';
import type { MetricDraft } from '../pipeline/record';
import type { SignedEvent } from '../pipeline/types';
import type { MetricSettings } from './settings';

/** What a metric gets to work with. Everything external comes through here, so tests can hand in fakes. */
export interface MetricContext {
  /** The one shared GitHub client, or undefined when no token is configured (enrichment is then skipped). */
  github?: GitHubClient;
  settings: MetricSettings;
  now: () => Date;
  /**
   * Per-event memo, fresh for every event: several metrics of one event that need the same API data (the
   * pull-request metrics all read the same commits, files and reviews) share one read through `shared()`.
   */
  memo?: Map<string, Promise<unknown>>;
}

/** Computes `fn` once per event and key; later calls in the same event get the same promise. */
export function shared<T>(ctx: MetricContext, key: string, fn: () => Promise<T>): Promise<T> {
  if (!ctx.memo) return fn();
  let value = ctx.memo.get(key) as Promise<T> | undefined;
  if (!value) {
    value = fn();
    ctx.memo.set(key, value);
  }
  return value;
}

/**
 * A metric is one folder under src/metrics/ exporting one of these, registered in registry.ts.
 * `triggers` lists the triggers it can match (used to acknowledge-and-drop everything else early, and in
 * METRICS.md); `matches`, when present, adds conditions beyond the trigger; `collect` turns the event into
 * zero or more drafts.
 */
export interface Metric<O = Record<string, unknown>> {
  name: string;
  description: string;
  triggers: readonly string[];
  /**
   * The GitHub App permissions it needs: to receive its triggers' events (src/github/permissions.ts,
   * EVENT_PERMISSIONS) and for every API call it makes. `{}` for pushes from other systems.
   */
  permissions: AppPermissions;
  /** Conditions beyond the trigger (a tag that is a version, an incident label); absent: every event of a trigger. */
  matches?(event: SignedEvent, settings: MetricSettings): boolean;
  collect(event: SignedEvent, ctx: MetricContext): Promise<MetricDraft<O>[]>;
}
