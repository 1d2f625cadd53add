import type { TelemetryConfig } from '../config/config';
import { UserError } from '../user-error';
import { GitHubApp, type GitHubAppCredentials, type GitHubAppOptions } from './auth';

/** How one role authenticates: a token, or a GitHub App (shared by every client of the role). */
export type RoleAuth = { token: string } | { app: GitHubApp };

/** The credentials found (environment locally, SSM in AWS); which ones are used is configuration. */
export interface GitHubSecrets {
  /** Reads the source repositories (GITHUB_TOKEN; SSM source-repository-token). */
  token?: string;
  /** Writes the data repository (DATA_REPOSITORY_TOKEN; SSM data-repository-token). */
  dataToken?: string;
  /** The App (GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY[_FILE]; SSM github-app/app-id, github-app/private-key). */
  app?: GitHubAppCredentials;
  /** A second App for the data repository (DATA_REPOSITORY_APP_ID + …; SSM data-github-app/…). */
  dataApp?: GitHubAppCredentials;
}

/** Where each credential comes from, as the person fixing it will look for it (variable or SSM parameter). */
export interface CredentialNames {
  token: string;
  dataToken: string;
  app: string;
  dataApp: string;
}

export const LOCAL_CREDENTIAL_NAMES: CredentialNames = {
  token: 'GITHUB_TOKEN',
  dataToken: 'DATA_REPOSITORY_TOKEN (or GITHUB_TOKEN)',
  app: 'GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY (or GITHUB_APP_PRIVATE_KEY_FILE)',
  dataApp:
    'DATA_REPOSITORY_APP_ID and DATA_REPOSITORY_APP_PRIVATE_KEY (or DATA_REPOSITORY_APP_PRIVATE_KEY_FILE)',
};

/** A role is configured for credentials that are not there: the message names the setting and the secret. */
export class CredentialsError extends UserError {
  override readonly name = 'CredentialsError';
}

export interface RoleAuths {
  /** Undefined with `githubAuth.source: "token"` and no token: enrichment is skipped (records partial). */
  source?: RoleAuth;
  /** Undefined when no credential for the data repository exists (callers that write say so). */
  data?: RoleAuth;
}

/**
 * Picks each role's credentials as `githubAuth` says. One GitHubApp per App: the source and data roles of
 * the same App share its installations and tokens. An App role without its credentials throws, naming them.
 */
export function roleAuths(
  config: TelemetryConfig,
  secrets: GitHubSecrets,
  names: CredentialNames = LOCAL_CREDENTIAL_NAMES,
  appOptions: GitHubAppOptions = {},
): RoleAuths {
  const options = {
    ...(config.githubAuth.owners[0] ? { defaultOwner: config.githubAuth.owners[0] } : {}),
    ...appOptions,
  };
  let app: GitHubApp | undefined;
  const sourceApp = () => {
    if (!secrets.app)
      throw new CredentialsError(
        `githubAuth says the GitHub App is used, but its credentials are missing: set ${names.app}`,
      );
    app ??= new GitHubApp(secrets.app, options);
    return app;
  };
  const out: RoleAuths = {};
  if (config.githubAuth.source === 'app') out.source = { app: sourceApp() };
  else if (secrets.token) out.source = { token: secrets.token };

  if (config.githubAuth.data === 'app') out.data = { app: sourceApp() };
  else if (config.githubAuth.data === 'data-app') {
    if (!secrets.dataApp)
      throw new CredentialsError(
        `githubAuth.data is "data-app", but the data App's credentials are missing: set ${names.dataApp}`,
      );
    out.data = { app: new GitHubApp(secrets.dataApp, options) };
  } else {
    const token = secrets.dataToken ?? secrets.token;
    if (token) out.data = { token };
  }
  return out;
}
