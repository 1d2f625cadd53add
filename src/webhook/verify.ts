const SIGNATURE_FORMAT = /^sha256=[0-9a-f]{64}$/;

type WebhooksMethods = typeof import('@octokit/webhooks-methods');
let methods: Promise<WebhooksMethods> | undefined;

/**
 * @octokit/webhooks-methods is ESM-only and declares only an `import` condition, so this CommonJS project
 * loads it with a dynamic import (native under tsx, inlined by esbuild in the Lambda bundle), once.
 */
function webhooksMethods(): Promise<WebhooksMethods> {
  methods ??= import('@octokit/webhooks-methods');
  return methods;
}

/**
 * Checks `X-Hub-Signature-256` against every configured secret (several at once allow rotation without
 * downtime). A header of the wrong algorithm, length or format fails before any HMAC is computed; the
 * comparison itself is @octokit/webhooks-methods' constant-time `verify`. It takes the body as a string: raw
 * bytes that are not valid UTF-8 cannot round-trip and therefore fail, which is the safe direction.
 */
export async function verifyGitHubSignature(
  body: Buffer,
  signatureHeader: string | undefined,
  secrets: readonly string[],
): Promise<boolean> {
  if (!signatureHeader || !SIGNATURE_FORMAT.test(signatureHeader) || body.length === 0) return false;
  const { verify } = await webhooksMethods();
  const text = body.toString('utf8');
  let valid = false;
  // Every secret is tried (no early exit), so timing does not tell which secret matched.
  for (const secret of secrets) {
    if (secret && (await verify(secret, text, signatureHeader))) valid = true;
  }
  return valid;
}

/** `sha256=<hex>` of `body` with `secret`, exactly as GitHub signs a delivery. */
export async function signGitHubBody(secret: string, body: string): Promise<string> {
  const { sign } = await webhooksMethods();
  return sign(secret, body);
}
