import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { CLI } from '../support/serve-process';

const run = promisify(execFile);
const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/**
 * SQS as the AWS SDK reaches it (the AWS JSON 1.0 protocol, `X-Amz-Target: AmazonSQS.<Action>`), with the
 * two queues of instance `acme`: the boundary the installed `telemetry redrive` talks to, through
 * AWS_ENDPOINT_URL_SQS.
 */
async function fakeSqs(parked: string[]) {
  const queues: Record<string, string[]> = {
    'telemetry-acme-events-dlq': [...parked],
    'telemetry-acme-events': [],
  };
  const calls: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const action = String(req.headers['x-amz-target']).replace('AmazonSQS.', '');
      calls.push(action);
      const input = JSON.parse(body || '{}');
      const queue = (url: string) => url.split('/').pop() as string;
      const answer = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify(json));
      };
      switch (action) {
        case 'GetQueueUrl':
          if (!(input.QueueName in queues)) {
            return answer(400, {
              __type: 'com.amazonaws.sqs#QueueDoesNotExist',
              message: 'The specified queue does not exist.',
            });
          }
          return answer(200, { QueueUrl: `http://${req.headers.host}/123456789012/${input.QueueName}` });
        case 'GetQueueAttributes':
          return answer(200, {
            Attributes: {
              ApproximateNumberOfMessages: String(queues[queue(input.QueueUrl)]?.length ?? 0),
              ApproximateNumberOfMessagesNotVisible: '0',
            },
          });
        case 'ReceiveMessage': {
          const batch = (queues[queue(input.QueueUrl)] ?? []).splice(0, input.MaxNumberOfMessages ?? 1);
          return answer(200, {
            Messages: batch.map((Body, i) => ({
              MessageId: `m-${i}`,
              ReceiptHandle: `r-${i}`,
              Body,
              MD5OfBody: md5(Body),
            })),
          });
        }
        case 'SendMessage':
          queues[queue(input.QueueUrl)]?.push(input.MessageBody);
          return answer(200, { MessageId: 'new', MD5OfMessageBody: md5(input.MessageBody) });
        case 'DeleteMessageBatch':
          return answer(200, {
            Successful: input.Entries.map((e: { Id: string }) => ({ Id: e.Id })),
            Failed: [],
          });
        default:
          return answer(400, { __type: 'com.amazonaws.sqs#InvalidAction', message: action });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    queues,
    calls,
    env: {
      AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${port}`,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'not-a-secret',
      // Neither a profile nor a real config file may leak into the test.
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('telemetry redrive (the installed bin, a real process)', () => {
  jest.setTimeout(60_000);

  it('counts, then moves the parked events back to the queue', async () => {
    const parked = [
      '{"telemetry":1,"event":"a"}',
      '{"telemetry":1,"event":"b"}',
      '{"telemetry":1,"event":"c"}',
    ];
    const sqs = await fakeSqs(parked);
    try {
      const env = { ...process.env, ...sqs.env };
      const dry = await run(process.execPath, [CLI, 'redrive', '--instance', 'acme', '--dry-run'], { env });
      expect(dry.stdout).toBe('3 event(s) parked in telemetry-acme-events-dlq; nothing moved (dry run)\n');
      expect(sqs.queues['telemetry-acme-events-dlq']).toHaveLength(3);

      const moved = await run(process.execPath, [CLI, 'redrive', '--instance', 'acme'], { env });
      expect(moved.stdout).toBe('moved 3 event(s) from telemetry-acme-events-dlq to telemetry-acme-events\n');
      expect(sqs.queues['telemetry-acme-events']).toEqual(parked);
      expect(sqs.queues['telemetry-acme-events-dlq']).toEqual([]);
    } finally {
      await sqs.close();
    }
  });

  it('an instance that is not deployed is one line saying so, exit code 2', async () => {
    const sqs = await fakeSqs([]);
    try {
      const failure = await run(process.execPath, [CLI, 'redrive', '--instance', 'nope'], {
        env: { ...process.env, ...sqs.env },
      }).catch((error: { code: number; stderr: string }) => error);
      expect('code' in failure && failure.code).toBe(2);
      const lines = (failure as { stderr: string }).stderr
        .split('\n')
        .filter((line) => line.startsWith('telemetry:'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^telemetry: cannot find queue telemetry-nope-events(-dlq)? \(is instance nope deployed in this region\?\): The specified queue does not exist\.$/,
      );
    } finally {
      await sqs.close();
    }
  });
});
