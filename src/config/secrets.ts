import { parseSenderSecrets } from '../push/secrets';

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
  return {
    webhookSecrets: splitSecretList(env.TELEMETRY_WEBHOOK_SECRET),
    senderSecrets: parseSenderSecrets(env.TELEMETRY_SENDER_SECRETS),
    ...(token ? { githubToken: token } : {}),
    ...(dataToken ? { dataRepositoryToken: dataToken } : {}),
  };
}
