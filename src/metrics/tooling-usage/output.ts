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
  /**
   * Every configured tool configuration file (`metrics.toolConfigFiles`, by default the documentation
   * skeleton's `deven-skeleton-install.config.json`), found or not. Empty for pushes.
   */
  config_files: ToolConfigFile[];
}

export interface ToolConfigFile {
  path: string;
  /** The tool it configures: the key of its version in `tools`. */
  tool: string;
  /** The file exists at the snapshot's commit. */
  present: boolean;
  /** The file is a JSON object; null when absent. */
  parsable: boolean | null;
  /** Its `versionField`; null when absent, not parsable, or without that field. */
  version: string | null;
}
