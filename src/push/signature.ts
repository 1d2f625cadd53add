import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Push signatures, version 2: `sha256=` + hex HMAC-SHA256, keyed with the sender's secret, of
 * `<timestamp>.<sender>.<kind>.<raw body>` (the X-Telemetry-Timestamp, X-Telemetry-Sender and
 * X-Telemetry-Event header values, each followed by one `.`, then the body bytes). Signing the timestamp stops
 * replays after the skew window; signing the sender and the kind stops a captured request from being replayed
 * within the window as another kind (a deployment re-sent as an incident) or under another sender's name.
 * The split of the signed string is unambiguous for every request the collector accepts: the timestamp is
 * digits, no kind contains a `.`, and a JSON body starts with `{` or whitespace, which no sender name holds.
 * No library implements this exact scheme, so it is written here on node:crypto, compared in constant time.
 */

const SIGNATURE_FORMAT = /^sha256=([0-9a-f]{64})$/;

/** What a push signature binds besides the body. */
export interface PushSignatureFields {
  timestamp: string;
  sender: string;
  kind: string;
}

/** The header value a sender puts in X-Telemetry-Signature-256. */
export function signPush(secret: string, fields: PushSignatureFields, body: string | Buffer): string {
  return `sha256=${hmac(secret, fields, body).toString('hex')}`;
}

/**
 * True when `header` is a well-formed v2 signature of `fields` and `body` under any of `secrets` (two at once
 * during a rotation). Every secret is tried, with no early exit, so timing does not tell which one matched;
 * with no secret at all (unknown sender) one HMAC is still computed, so timing does not tell that either.
 */
export function verifyPushSignature(
  secrets: readonly string[],
  fields: PushSignatureFields,
  body: Buffer,
  header: string | undefined,
): boolean {
  const match = header ? SIGNATURE_FORMAT.exec(header.trim().toLowerCase()) : null;
  const given = Buffer.from(match?.[1] ?? '0'.repeat(64), 'hex');
  const usable = secrets.filter((secret) => secret.length > 0);
  let valid = false;
  for (const secret of usable.length > 0 ? usable : [UNKNOWN_SENDER_KEY]) {
    const expected = hmac(secret, fields, body);
    // timingSafeEqual throws on different lengths; both are 32 bytes here, checked anyway.
    if (expected.length === given.length && timingSafeEqual(expected, given)) valid = true;
  }
  return valid && usable.length > 0 && match !== null;
}

// Keys the work for an unknown sender; never accepted (verify returns false whenever no real secret exists).
const UNKNOWN_SENDER_KEY = 'unknown-sender-placeholder-key';

function hmac(secret: string, fields: PushSignatureFields, body: string | Buffer): Buffer {
  return createHmac('sha256', secret)
    .update(`${fields.timestamp}.${fields.sender}.${fields.kind}.`)
    .update(body)
    .digest();
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
    'x-telemetry-signature-256': signPush(secret, { timestamp, sender, kind }, body),
  };
}
