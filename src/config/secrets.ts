import { readFileSync } from 'node:fs';
import type { GitHubAppCredentials } from '../github/auth';
import { parseSenderSecrets } from '../push/secrets';
import { ConfigError } from './config';

/**
 * Secrets for the local collector, from the environment. Kept apart from the configuration so that a
 * printed or logged configuration can never contain one.
 */
export interface LocalSecrets {
  /** TELEMETRY_WEBHOOK_SECRET, comma-separated: every listed secret is accepted (rotation). */
  webhookSecrets: string[];
  /** GITHUB_TOKEN: enrichment through the GitHub API; without it records that need the API are partial. */
  githubToken?: string;
  /** DATA_REPOSITORY_TOKEN: writes to the data repository (`serve --store github`; else GITHUB_TOKEN is used). */
  dataRepositoryToken?: string;
  /** GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY (or GITHUB_APP_PRIVATE_KEY_FILE): the GitHub App (`githubAuth`). */
  githubApp?: GitHubAppCredentials;
  /** DATA_REPOSITORY_APP_ID + DATA_REPOSITORY_APP_PRIVATE_KEY (or …_FILE): a second App for the data repository. */
  dataRepositoryApp?: GitHubAppCredentials;
  /**
   * TELEMETRY_SENDER_SECRETS (`name=secret,other=secret2`; a sender listed twice has both: rotation). Parsing
   * throws SenderSecretsError naming the bad entry, never echoing a secret.
   */
  senderSecrets: Map<string, string[]>;
}

export function splitSecretList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function readLocalSecrets(
  env: Readonly<Record<string, string | undefined>> = process.env,
): LocalSecrets {
  const token = env.GITHUB_TOKEN?.trim();
  const dataToken = env.DATA_REPOSITORY_TOKEN?.trim();
  const githubApp = appCredentials(env, 'GITHUB_APP');
  const dataRepositoryApp = appCredentials(env, 'DATA_REPOSITORY_APP');
  return {
    ...(githubApp ? { githubApp } : {}),
    ...(dataRepositoryApp ? { dataRepositoryApp } : {}),
    webhookSecrets: splitSecretList(env.TELEMETRY_WEBHOOK_SECRET),
    senderSecrets: parseSenderSecrets(env.TELEMETRY_SENDER_SECRETS),
    ...(token ? { githubToken: token } : {}),
    ...(dataToken ? { dataRepositoryToken: dataToken } : {}),
  };
}

/**
 * `<PREFIX>_ID` and the PEM key in `<PREFIX>_PRIVATE_KEY` (escaped `\n` allowed) or the file named by
 * `<PREFIX>_PRIVATE_KEY_FILE`. Errors name the variables, never a value.
 */
function appCredentials(
  env: Readonly<Record<string, string | undefined>>,
  prefix: string,
): GitHubAppCredentials | undefined {
  const id = env[`${prefix}_ID`]?.trim();
  const inline = env[`${prefix}_PRIVATE_KEY`]?.trim();
  const file = env[`${prefix}_PRIVATE_KEY_FILE`]?.trim();
  if (!id && !inline && !file) return undefined;
  if (!id) throw new ConfigError(`${prefix}_ID is not set, but a private key for it is`);
  if (!/^\d+$/.test(id)) throw new ConfigError(`${prefix}_ID must be the App's numeric id`);
  if (inline && file)
    throw new ConfigError(`set one of ${prefix}_PRIVATE_KEY and ${prefix}_PRIVATE_KEY_FILE, not both`);
  let privateKey = inline;
  if (file) {
    try {
      privateKey = readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new ConfigError(
        `${prefix}_PRIVATE_KEY_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  if (!privateKey)
    throw new ConfigError(`${prefix}_ID is set: set ${prefix}_PRIVATE_KEY or ${prefix}_PRIVATE_KEY_FILE too`);
  privateKey = privateKey.replace(/\\n/g, '\n');
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(privateKey))
    throw new ConfigError(`${prefix}_PRIVATE_KEY is not a PEM private key (GitHub's .pem download)`);
  return { appId: id, privateKey };
}

/** The GitHub credentials among the local secrets, as `roleAuths` takes them. */
export function localGitHubSecrets(secrets: LocalSecrets) {
  return {
    ...(secrets.githubToken ? { token: secrets.githubToken } : {}),
    ...(secrets.dataRepositoryToken ? { dataToken: secrets.dataRepositoryToken } : {}),
    ...(secrets.githubApp ? { app: secrets.githubApp } : {}),
    ...(secrets.dataRepositoryApp ? { dataApp: secrets.dataRepositoryApp } : {}),
  };
}
