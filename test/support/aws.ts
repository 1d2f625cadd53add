import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, Context, SQSRecord } from 'aws-lambda';
import type { SignedDelivery } from './webhooks';

/** GitHub's header spelling: API Gateway passes headers as the client sent them. */
const GITHUB_CASE: Record<string, string> = {
  'content-type': 'Content-Type',
  'x-github-event': 'X-GitHub-Event',
  'x-github-delivery': 'X-GitHub-Delivery',
  'x-hub-signature-256': 'X-Hub-Signature-256',
};

/**
 * The API Gateway REST API (v1) Lambda proxy event for a delivery, as API Gateway builds it for
 * `POST /telemetry` on stage v1. With binary media type `*\/*` (our API) the body arrives base64-encoded.
 */
export function restProxyEvent(
  delivery: SignedDelivery,
  options: { base64?: boolean; headers?: Record<string, string | undefined> } = {},
): APIGatewayProxyEvent {
  const base64 = options.base64 ?? true;
  const headers: Record<string, string> = {
    Accept: '*/*',
    'User-Agent': 'GitHub-Hookshot/1a2b3c4',
    'X-GitHub-Hook-ID': '123456789',
    'X-GitHub-Hook-Installation-Target-ID': '79929171',
    'X-GitHub-Hook-Installation-Target-Type': 'organization',
    'X-Forwarded-For': '192.30.252.41',
    'X-Forwarded-Proto': 'https',
    Host: 'abc123.execute-api.eu-west-1.amazonaws.com',
  };
  for (const [name, value] of Object.entries(delivery.headers)) headers[GITHUB_CASE[name] ?? name] = value;
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    const spelled = GITHUB_CASE[name] ?? name;
    if (value === undefined) delete headers[spelled];
    else headers[spelled] = value;
  }
  const requestId = randomUUID();
  return {
    resource: '/telemetry',
    path: '/telemetry',
    httpMethod: 'POST',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: base64 ? Buffer.from(delivery.body, 'utf8').toString('base64') : delivery.body,
    isBase64Encoded: base64,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer: null,
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      extendedRequestId: 'Xyz=',
      httpMethod: 'POST',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '192.30.252.41',
        user: null,
        userAgent: 'GitHub-Hookshot/1a2b3c4',
        userArn: null,
      },
      path: '/v1/telemetry',
      protocol: 'HTTP/1.1',
      requestId,
      requestTime: '01/Nov/2026:12:00:00 +0000',
      requestTimeEpoch: 1793534400000,
      resourceId: 'r1',
      resourcePath: '/telemetry',
      stage: 'v1',
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
