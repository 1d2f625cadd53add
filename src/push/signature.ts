import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Push signatures: `sha256=` + hex HMAC-SHA256 of `<timestamp>.<raw body>` keyed with the sender's secret.
 * Signing the timestamp with the body is what makes the skew check stop replays. No library implements this
 * exact scheme (@octokit/webhooks-methods signs the body alone, Stripe's and Slack's libraries add their own
 * prefixes and header formats), so it is written here on node:crypto, compared in constant time.
 */

const SIGNATURE_FORMAT = /^sha256=([0-9a-f]{64})$/;

/** The header value a sender puts in X-Telemetry-Signature-256. */
export function signPush(secret: string, timestamp: string, body: string | Buffer): string {
  return `sha256=${hmac(secret, timestamp, body).toString('hex')}`;
}

/**
 * True when `header` is a well-formed signature of `<timestamp>.<body>` under any of `secrets` (two at once
 * during a rotation). Every secret is tried, with no early exit, so timing does not tell which one matched.
 */
export function verifyPushSignature(
  secrets: readonly string[],
  timestamp: string,
  body: Buffer,
  header: string | undefined,
): boolean {
  const match = header ? SIGNATURE_FORMAT.exec(header.trim().toLowerCase()) : null;
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1], 'hex');
  let valid = false;
  for (const secret of secrets) {
    if (!secret) continue;
    const expected = hmac(secret, timestamp, body);
    // timingSafeEqual throws on different lengths; both are 32 bytes here, checked anyway.
    if (expected.length === given.length && timingSafeEqual(expected, given)) valid = true;
  }
  return valid;
}

function hmac(secret: string, timestamp: string, body: string | Buffer): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
}

/** Every header of a signed push, exactly as docs/PUSH.md tells senders to build them. */
export function pushHeaders(
  kind: string,
  sender: string,
  secret: string,
  body: string | Buffer,
  timestamp: string = String(Math.floor(Date.now() / 1000)),
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-telemetry-event': kind,
    'x-telemetry-sender': sender,
    'x-telemetry-timestamp': timestamp,
    'x-telemetry-signature-256': signPush(secret, timestamp, body),
  };
}
