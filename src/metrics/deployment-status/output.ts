/**
 * `deployment-status`: one record per deployment status (success, failure, error, inactive, in_progress,
 * queued, pending). Natural key: deployment status id. occurred_at = the status's created_at. The DORA
 * source: deployments, failures, restores and (for `success`) lead time for changes.
 */
export interface DeploymentStatusOutput {
  deployment_id: string;
  status_id: string;
  state: string;
  environment: string;
  /** GitHub's production_environment flag when the payload has it, else null (reports use configuration). */
  production: boolean | null;
  ref: string;
  sha: string;
  task: string | null;
  /** Who created the deployment. */
  creator: string | null;
  /** The deployment's creator is a bot or GitHub App (`type: "Bot"` or a `[bot]` login). */
  creator_is_bot: boolean;
  /** Who posted this status (often a bot or the CD system). */
  status_creator: string | null;
  deployment_created_at: string;
  status_created_at: string;
  /** status_created_at − deployment_created_at, in ms. */
  deploy_duration_ms: number | null;
  /**
   * Only for state = success (null otherwise): what this deployment shipped for the first time, i.e. the
   * commits between the sha of the deployment that last reached production before it (same environment)
   * and this sha (compare API, all pages), less those an earlier successful deployment already shipped.
   */
  shipped: {
    /** The deployment that last reached success before this one (by success time, not creation). */
    previous_deployment_id: string | null;
    previous_sha: string | null;
    /**
     * True for the first successful deployment to the environment: nothing to compare against, so
     * commit_count is 0 and lead_time_ms null (counting the whole history would report the repository's age).
     */
    baseline: boolean;
    /** Commits in previous_sha..sha. */
    compared_commit_count: number;
    /** Of those, commits production already had (shipped by an earlier deployment before a rollback or an overlap): not counted. */
    already_shipped_count: number;
    /** Commits that reached production for the first time with this deployment (what DORA counts). */
    commit_count: number;
    /** Earliest author date among the commits shipped for the first time. */
    first_commit_at: string | null;
    /** status_created_at − first_commit_at, in ms: lead time for changes. */
    lead_time_ms: number | null;
    pull_requests: { number: number; merged_at: string | null; merged_to_deployed_ms: number | null }[];
  } | null;
}
