/** Where the push handler finds a sender's secrets; `[]` means the sender is unknown. Throws on our faults. */
export type SenderSecrets = (sender: string) => Promise<readonly string[]>;

/** Sender names: also the last segment of the SSM parameter `/telemetry/<instance>/senders/<name>`. */
export const SENDER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export class SenderSecretsError extends Error {
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
