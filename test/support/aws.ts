import { randomUUID } from 'node:crypto';
import type { Context, LambdaFunctionURLEvent, SQSRecord } from 'aws-lambda';
import type { SignedDelivery } from './webhooks';

/**
 * The Lambda function URL event (payload format 2.0) for a delivery, as Lambda builds it for
 * `POST /telemetry`: headers lower-cased, the client's address in `requestContext.http.sourceIp`, and a
 * JSON body passed as text (a binary content type arrives base64-encoded: `base64: true`).
 */
export function functionUrlEvent(
  delivery: SignedDelivery,
  options: {
    base64?: boolean;
    headers?: Record<string, string | undefined>;
    method?: string;
    path?: string;
    sourceIp?: string;
  } = {},
): LambdaFunctionURLEvent {
  const base64 = options.base64 ?? false;
  const headers: Record<string, string> = {
    accept: '*/*',
    'user-agent': 'GitHub-Hookshot/1a2b3c4',
    'x-github-hook-id': '123456789',
    'x-github-hook-installation-target-id': '79929171',
    'x-github-hook-installation-target-type': 'organization',
    'x-forwarded-for': options.sourceIp ?? '192.30.252.41',
    'x-forwarded-proto': 'https',
    'x-amzn-trace-id': 'Root=1-67891233-abcdef012345678912345678',
    host: 'abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws',
  };
  for (const [name, value] of Object.entries(delivery.headers)) headers[name.toLowerCase()] = value;
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (value === undefined) delete headers[name.toLowerCase()];
    else headers[name.toLowerCase()] = value;
  }
  const method = options.method ?? 'POST';
  const path = options.path ?? '/telemetry';
  const requestId = randomUUID();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers,
    body: base64 ? Buffer.from(delivery.body, 'utf8').toString('base64') : delivery.body,
    isBase64Encoded: base64,
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abcdefghijklmnopqrstuvwxyz012345',
      domainName: 'abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws',
      domainPrefix: 'abcdefghijklmnopqrstuvwxyz012345',
      http: {
        method,
        path,
        protocol: 'HTTP/1.1',
        sourceIp: options.sourceIp ?? '192.30.252.41',
        userAgent: 'GitHub-Hookshot/1a2b3c4',
      },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: '01/Nov/2026:12:00:00 +0000',
      timeEpoch: 1793534400000,
    },
  };
}

/** A Lambda context with a fixed time budget. */
export function lambdaContext(functionName: string, remainingMs = 10_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/01/[$LATEST]abc',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** An SQS record as the event source mapping delivers it, from what SendMessage was given. */
export function sqsRecord(
  body: string,
  attributes: Record<string, { DataType?: string; StringValue?: string }> = {},
  receiveCount = 1,
): SQSRecord {
  return {
    messageId: randomUUID(),
    receiptHandle: `AQEB${randomUUID()}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '1793534400000',
      SenderId: 'AROAEXAMPLE:telemetry-default-webhook',
      ApproximateFirstReceiveTimestamp: '1793534400100',
    },
    messageAttributes: Object.fromEntries(
      Object.entries(attributes).map(([name, a]) => [
        name,
        {
          dataType: a.DataType ?? 'String',
          stringValue: a.StringValue,
          stringListValues: [],
          binaryListValues: [],
        },
      ]),
    ),
    md5OfBody: 'x',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:telemetry-default-events',
    awsRegion: 'eu-west-1',
  };
}
