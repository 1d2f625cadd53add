/**
 * `custom-metric`: a number another system measured (X-Telemetry-Event: custom-metric). Natural key: sender +
 * the sender's item id. occurred_at = observed_at. Items without a repository are stored under owner `_`,
 * repo `_`.
 */
export interface CustomMetricOutput {
  sender: string;
  /** The sender's own id for this observation. */
  id: string;
  /** The sender's metric name, e.g. `build.cache_hit_ratio`. */
  name: string;
  value: number;
  unit: string;
  observed_at: string;
  /** "owner/name", or null when the value belongs to no repository. */
  repository: string | null;
  /** String labels, keys sorted; `{}` when none. */
  dimensions: Record<string, string>;
}
