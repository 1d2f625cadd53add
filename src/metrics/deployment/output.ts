/**
 * `deployment`: one record per created deployment (`deployment.created`). Natural key: deployment id.
 * occurred_at = the deployment's created_at.
 */
export interface DeploymentOutput {
  deployment_id: string;
  environment: string;
  /** GitHub's production_environment flag when the payload has it, else null (reports use configuration). */
  production: boolean | null;
  ref: string;
  sha: string;
  task: string;
  creator: string | null;
  /** The creator is a bot or GitHub App (`type: "Bot"` or a `[bot]` login). */
  creator_is_bot: boolean;
  created_at: string;
  /** ms since the previous deployment to the same environment (null when there is none). */
  since_previous_ms: number | null;
  previous_deployment_id: string | null;
  /**
   * The version the deployed commit declares: `metrics.versionFile` (default package.json `version`) read at
   * `sha`. Null when the file or the field is not there, or it could not be read (then the record is partial).
   */
  version: string | null;
  /** Where `version` was read: `<path>#<field>`, e.g. `package.json#version`. */
  version_file: string;
}
