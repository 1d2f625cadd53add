/**
 * `tooling-usage`: what tooling a repository uses. Two sources make the same metric: a repository snapshot
 * read through the GitHub API (scheduled job) and pushes from other systems (X-Telemetry-Event:
 * tooling-usage). Natural key: repository + source (+ sender for pushes) + UTC day, so there is at most one
 * snapshot per repository, source and day. occurred_at = the snapshot time.
 */
export interface ToolingUsageOutput {
  source: 'repository-snapshot' | 'push';
  /** The pushing system's sender name; null for snapshots. */
  sender: string | null;
  /** Commit the snapshot was read at (null for pushes that do not say). */
  sha: string | null;
  /**
   * Tool → version, e.g. `{"npm:jest": "30.5.2", "node": "20.19", "actions:actions/checkout": "v4",
   * "docker:node": "20-alpine"}`; `"*"` when the tool is present without a version.
   */
  tools: Record<string, string>;
  /** Files the snapshot read, with their kind (package.json, workflow, Dockerfile, ...). Empty for pushes. */
  files: { path: string; kind: string }[];
}
