import { GetParameterCommand, GetParametersByPathCommand, type SSMClient } from '@aws-sdk/client-ssm';

/** After a failed refresh, how long the previous value is served before SSM is asked again. */
const STALE_RETRY_MS = 30_000;

interface Entry<T> {
  value: Promise<T>;
  expiresAt: number;
  /** The last value read successfully, served when a refresh fails (SSM throttled, briefly unreachable). */
  last?: T;
}

export interface SsmSecretsOptions {
  ssm: SSMClient;
  /** How long a read value is reused; 0 reads on every call. */
  ttlMs: number;
  now?: () => number;
}

/**
 * SecureString parameters through a per-container cache: a warm function reads SSM once per TTL whatever its
 * request rate (SSM allows 40 TPS by default), and concurrent callers share one read. Values never leave
 * this object except to the caller: nothing here logs them.
 */
export class SsmSecrets {
  private readonly entries = new Map<string, Entry<unknown>>();
  private readonly now: () => number;

  constructor(private readonly options: SsmSecretsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Values of every parameter directly below `path`, ordered by name (all pages). */
  async byPath(path: string): Promise<string[]> {
    const entries = await this.entriesByPath(path);
    return Object.keys(entries)
      .sort()
      .map((name) => entries[name] as string);
  }

  /**
   * Every parameter directly below `path` (all pages), keyed by the last segment of its name: e.g. the push
   * senders under `/telemetry/<instance>/senders/<name>`. One SSM listing serves `byPath` and this.
   */
  entriesByPath(path: string): Promise<Readonly<Record<string, string>>> {
    return this.cached(`path:${path}`, async () => {
      const found = new Map<string, string>();
      let nextToken: string | undefined;
      do {
        const page = await this.options.ssm.send(
          new GetParametersByPathCommand({
            Path: path,
            Recursive: false,
            WithDecryption: true,
            MaxResults: 10,
            NextToken: nextToken,
          }),
        );
        for (const p of page.Parameters ?? []) {
          if (p.Name && p.Value) found.set(p.Name.slice(p.Name.lastIndexOf('/') + 1), p.Value);
        }
        nextToken = page.NextToken;
      } while (nextToken);
      return Object.fromEntries(found);
    });
  }

  /** One parameter's value, or undefined when it does not exist. */
  parameter(name: string): Promise<string | undefined> {
    return this.cached(`name:${name}`, async () => {
      try {
        const answer = await this.options.ssm.send(
          new GetParameterCommand({ Name: name, WithDecryption: true }),
        );
        return answer.Parameter?.Value;
      } catch (error) {
        if ((error as { name?: string }).name === 'ParameterNotFound') return undefined;
        throw error;
      }
    });
  }

  private cached<T>(key: string, read: () => Promise<T>): Promise<T> {
    const now = this.now();
    const entry = this.entries.get(key) as Entry<T> | undefined;
    if (entry && entry.expiresAt > now) return entry.value;

    const fresh: Entry<T> = { value: read(), expiresAt: now + this.options.ttlMs, last: entry?.last };
    this.entries.set(key, fresh as Entry<unknown>);
    fresh.value = fresh.value.then(
      (value) => {
        fresh.last = value;
        return value;
      },
      (error: unknown) => {
        // A failure is never cached: the next call reads again. Meanwhile a value read before keeps working,
        // for a short while only, so that an outage does not turn every request into an SSM call.
        if (this.entries.get(key) === fresh) this.entries.delete(key);
        if (fresh.last === undefined) throw error;
        const retryAt = this.now() + Math.min(this.options.ttlMs, STALE_RETRY_MS);
        this.entries.set(key, { value: Promise.resolve(fresh.last), expiresAt: retryAt, last: fresh.last });
        return fresh.last;
      },
    );
    return fresh.value;
  }
}

/** Webhook secrets: every SecureString under the path; none at all is our misconfiguration (answered 500). */
export function webhookSecretsFrom(secrets: SsmSecrets, path: string): () => Promise<readonly string[]> {
  return async () => {
    const values = await secrets.byPath(path);
    if (values.length === 0) throw new Error(`no webhook secret parameter under ${path}/`);
    return values;
  };
}
