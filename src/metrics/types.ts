import type { GitHubClient } from '../github/client';
import type { MetricDraft } from '../pipeline/record';
import type { SignedEvent } from '../pipeline/types';
import type { MetricSettings } from './settings';

/** What a metric gets to work with. Everything external comes through here, so tests can hand in fakes. */
export interface MetricContext {
  /** The one shared GitHub client, or undefined when no token is configured (enrichment is then skipped). */
  github?: GitHubClient;
  settings: MetricSettings;
  now: () => Date;
}

/**
 * A metric is one folder under src/metrics/ exporting one of these, registered in registry.ts.
 * `triggers` lists the triggers it can match (used to acknowledge-and-drop everything else early, and in
 * METRICS.md); `matches` is the full condition; `collect` turns the event into zero or more drafts.
 */
export interface Metric<O = Record<string, unknown>> {
  name: string;
  description: string;
  triggers: readonly string[];
  matches(event: SignedEvent, settings: MetricSettings): boolean;
  collect(event: SignedEvent, ctx: MetricContext): Promise<MetricDraft<O>[]>;
}
