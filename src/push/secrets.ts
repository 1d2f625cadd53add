import { UserError } from '../user-error';

/** Where the push handler finds a sender's secrets; `[]` means the sender is unknown. Throws on our faults. */
export type SenderSecrets = (sender: string) => Promise<readonly string[]>;

/** Sender names: also the last segment of the SSM parameter `/telemetry/<instance>/senders/<name>`. */
export const SENDER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export class SenderSecretsError extends UserError {
  override readonly name = 'SenderSecretsError';
}

/**
 * Parses `TELEMETRY_SENDER_SECRETS="name=secret,other=secret2"`. A sender listed twice (`name=old,name=new`)
 * has both secrets, so a secret can be rotated without refusing pushes: add the new one, switch the sender,
 * drop the old. Secrets may contain `=` (split at the first one) but not `,`. Errors name the entry by
 * position and sender, never its secret.
 */
export function parseSenderSecrets(value: string | undefined): Map<string, string[]> {
  const senders = new Map<string, string[]>();
  const entries = (value ?? '').split(',');
  entries.forEach((entry, index) => {
    const trimmed = entry.trim();
    if (trimmed === '') return;
    const at = trimmed.indexOf('=');
    const name = at < 0 ? trimmed : trimmed.slice(0, at).trim();
    const secret = at < 0 ? '' : trimmed.slice(at + 1).trim();
    if (at < 0 || !SENDER_NAME.test(name)) {
      throw new SenderSecretsError(
        `TELEMETRY_SENDER_SECRETS entry ${index + 1} must be name=secret with a sender name of letters, digits, ".", "_" or "-"`,
      );
    }
    if (secret === '')
      throw new SenderSecretsError(`TELEMETRY_SENDER_SECRETS: sender ${name} has an empty secret`);
    const list = senders.get(name) ?? [];
    if (!list.includes(secret)) list.push(secret);
    senders.set(name, list);
  });
  return senders;
}

/** A `SenderSecrets` provider over a fixed map (the local collector's environment variable). */
export function staticSenderSecrets(senders: ReadonlyMap<string, readonly string[]>): SenderSecrets {
  // A Map, not an object: no sender name (`__proto__`, `constructor`) can reach a prototype.
  return async (sender) => senders.get(sender) ?? [];
}

/**
 * Secrets of every sender from one listing (in AWS: one SSM GetParametersByPath under
 * `/telemetry/<instance>/senders/`), `name → value`, where a value holds one secret or, during a rotation,
 * two separated by a comma (`old,new`). Names that are not sender names are skipped.
 */
export function sendersFromValues(values: Readonly<Record<string, string>>): Map<string, string[]> {
  const senders = new Map<string, string[]>();
  for (const [name, value] of Object.entries(values)) {
    if (!SENDER_NAME.test(name)) continue;
    const secrets = value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (secrets.length > 0) senders.set(name, secrets);
  }
  return senders;
}

/**
 * A `SenderSecrets` provider that loads all senders at once and keeps them for `ttlMs`. One load per TTL
 * whatever sender names requests carry, so random names cannot exhaust the secret store's throughput (SSM:
 * 40 requests/s), and a new or rotated secret is picked up within the TTL. Concurrent requests share one
 * load; a failed load is not cached (the next request tries again, and meanwhile answers 500).
 */
export function cachedSenderSecrets(
  loadAll: () => Promise<ReadonlyMap<string, readonly string[]>>,
  options: { ttlMs?: number; now?: () => number } = {},
): SenderSecrets {
  const ttl = options.ttlMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  let cached: { at: number; senders: Promise<ReadonlyMap<string, readonly string[]>> } | undefined;
  return async (sender) => {
    if (!cached || now() - cached.at >= ttl) {
      const entry = { at: now(), senders: loadAll() };
      cached = entry;
      entry.senders.catch(() => {
        if (cached === entry) cached = undefined;
      });
    }
    return (await cached.senders).get(sender) ?? [];
  };
}
