import { BlockList, isIP } from 'node:net';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Context, LambdaFunctionURLEvent } from 'aws-lambda';
import { errorMessage } from '../src/log/logger';
import type { SignedEvent } from '../src/pipeline/types';
import {
  handleTelemetryRequest,
  type TelemetryHandlerDeps,
  type TelemetryRequest,
  type TelemetryResponse,
} from '../src/webhook/handle-request';
import { ENV, intEnv, requireEnv, WEBHOOK_PATH } from './adapters/environment';
import { createLambdaLogger, type LambdaLogger } from './adapters/logger';
import { S3ClaimCheck } from './adapters/s3-claim-check';
import { countingRefusals, refusedItemsMetric } from './adapters/sender-metrics';
import { SqsEventQueue } from './adapters/sqs-queue';
import { SsmSecrets, webhookSecretsFrom } from './adapters/ssm-secrets';

/** The function URL's answer (payload format 2.0, structured). */
export interface WebhookResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface WebhookDeps {
  webhookSecrets: () => Promise<readonly string[]>;
  enqueue: (events: SignedEvent[]) => Promise<void>;
  collected: ReadonlySet<string>;
  maxBodyBytes: number;
  logger: LambdaLogger;
  /** Only callers from these IPv4/IPv6 CIDRs are served (`aws.api.allowedCidrs`); absent or empty: anyone. */
  allowedCidrs?: readonly string[];
  now?: () => Date;
  /** Custom pushes (requests with X-Telemetry-Event, src/push); absent: pushes are answered 400. */
  push?: (
    request: TelemetryRequest,
    enqueue: (events: SignedEvent[]) => Promise<void>,
  ) => Promise<TelemetryResponse>;
}

/**
 * `POST /telemetry` behind the function's URL (payload format 2.0, auth NONE: the HMAC signature is the
 * authentication): refuses callers outside the allow-list (403) and other routes (404) before any work, then
 * adapts the event to the shared HTTP contract (src/webhook/handle-request.ts) and nothing more. A JSON body
 * arrives as text and a binary one base64-encoded; either way the signature is checked over the exact bytes.
 */
export function createWebhookHandler(deps: WebhookDeps) {
  const push = deps.push;
  const shared: TelemetryHandlerDeps = {
    webhookSecrets: deps.webhookSecrets,
    enqueue: deps.enqueue,
    collected: deps.collected,
    maxBodyBytes: deps.maxBodyBytes,
    logger: deps.logger.log,
    ...(deps.now ? { now: deps.now } : {}),
    ...(push ? { push: (request: TelemetryRequest) => push(request, deps.enqueue) } : {}),
  };
  const allowed = callerCheck(deps.allowedCidrs ?? []);
  return async (event: LambdaFunctionURLEvent, context?: Context): Promise<WebhookResult> => {
    const http = event.requestContext?.http;
    if (!allowed(http?.sourceIp)) return json(403, { error: 'caller not allowed' });
    if (event.rawPath !== WEBHOOK_PATH || http?.method !== 'POST') {
      return json(404, { error: 'no such route; POST /telemetry' });
    }
    const headers = lowerCaseHeaders(event.headers);
    deps.logger.start(context, {
      delivery_id: headers['x-github-delivery'],
      sender: headers['x-telemetry-sender'],
      request_id: event.requestContext?.requestId,
      source_ip: http.sourceIp,
    });
    try {
      const body = event.body
        ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8')
        : Buffer.alloc(0);
      const response = await handleTelemetryRequest({ headers, body }, shared);
      return json(response.status, response.body, response.headers);
    } catch (error) {
      // Our own fault: 5xx, so GitHub marks the delivery failed and the redelivery job recovers it.
      deps.logger.log.error('webhook failed', { error: errorMessage(error) });
      return json(500, { error: 'internal error', outcome: 'error' });
    }
  };
}

/** Whether a source address lies in one of the CIDRs; no CIDRs: every caller (and a missing address) passes. */
function callerCheck(cidrs: readonly string[]): (ip: string | undefined) => boolean {
  if (cidrs.length === 0) return () => true;
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [network = '', prefix = ''] = cidr.split('/');
    const type = isIP(network) === 6 ? 'ipv6' : 'ipv4';
    list.addSubnet(network, Number(prefix || (type === 'ipv6' ? 128 : 32)), type);
  }
  return (ip) => {
    const version = ip ? isIP(ip) : 0;
    return version !== 0 && list.check(ip as string, version === 6 ? 'ipv6' : 'ipv4');
  };
}

function json(
  statusCode: number,
  body: Record<string, unknown>,
  extra: Record<string, string> = {},
): WebhookResult {
  return {
    statusCode,
    headers: { ...extra, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(body),
  };
}

function lowerCaseHeaders(
  headers: LambdaFunctionURLEvent['headers'] | null | undefined,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value;
  return out;
}

/** Builds the deployed handler's dependencies from the environment the stack sets (lib/webhook-api.ts). */
export function webhookDepsFromEnvironment(env: NodeJS.ProcessEnv = process.env): WebhookDeps {
  // GitHub waits 10 s: a stalled AWS call must fail fast into a 5xx (redelivered later), not a timeout.
  const requestHandler = { connectionTimeout: 1000, requestTimeout: 3000 };
  const secrets = new SsmSecrets({
    ssm: new SSMClient({ requestHandler }),
    ttlMs: intEnv(ENV.secretCacheTtlSeconds, env) * 1000,
  });
  const queue = new SqsEventQueue({
    sqs: new SQSClient({ requestHandler }),
    queueUrl: requireEnv(ENV.queueUrl, env),
    claimCheck: new S3ClaimCheck(
      requireEnv(ENV.claimCheckBucket, env),
      (sdk) => new sdk.S3Client({ requestHandler }),
    ),
  });
  const logger = createLambdaLogger();
  const sendersPath = requireEnv(ENV.sendersPath, env);
  return {
    webhookSecrets: webhookSecretsFrom(secrets, requireEnv(ENV.webhookSecretsPath, env)),
    // Refusals the push handler sends to the sender log also become the RefusedItems metric per sender.
    enqueue: countingRefusals(queue.send, refusedItemsMetric()),
    collected: new Set(requireEnv(ENV.collectedTriggers, env).split(',')),
    maxBodyBytes: intEnv(ENV.maxBodyBytes, env),
    allowedCidrs: (env[ENV.allowedCidrs] ?? '').split(',').filter((cidr) => cidr !== ''),
    logger,
    push: lazyPushHandler(secrets, sendersPath, intEnv(ENV.pushMaxSkewSeconds, env), logger.log),
  };
}

/**
 * The push handler, loaded on the first push: building its schemas costs about 10 ms, which GitHub deliveries
 * (nearly all traffic) then never pay on a cold start. All senders come from one cached SSM listing, so
 * pushes naming made-up senders cost no SSM call each and cannot exhaust SSM's 40 requests/s.
 */
function lazyPushHandler(
  secrets: SsmSecrets,
  sendersPath: string,
  maxSkewSeconds: number,
  logger: LambdaLogger['log'],
): NonNullable<WebhookDeps['push']> {
  let loaded: Promise<NonNullable<WebhookDeps['push']>> | undefined;
  return async (request, enqueue) => {
    loaded ??= Promise.all([import('../src/push/handler'), import('../src/push/secrets')]).then(
      ([{ createPushHandler }, { sendersFromValues }]) =>
        createPushHandler({
          senderSecrets: async (sender) =>
            sendersFromValues(await secrets.entriesByPath(sendersPath)).get(sender) ?? [],
          maxSkewSeconds,
          logger,
        }),
    );
    return (await loaded)(request, enqueue);
  };
}

let deployed: ReturnType<typeof createWebhookHandler> | undefined;

/** The Lambda entry point; clients and the secret cache live as long as the execution environment. */
export const handler = (event: LambdaFunctionURLEvent, context: Context): Promise<WebhookResult> => {
  deployed ??= createWebhookHandler(webhookDepsFromEnvironment());
  return deployed(event, context);
};
