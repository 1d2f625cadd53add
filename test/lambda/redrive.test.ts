import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';
import { redrive } from '../../lambda/cli/redrive';
import { registerRedrive } from '../../lambda/cli/redrive-command';

const sqs = mockClient(SQSClient);
const DLQ = 'https://sqs.eu-west-1.amazonaws.com/123456789012/telemetry-acme-events-dlq';
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/telemetry-acme-events';

/** A dead-letter queue in memory, behaving like SQS: received messages hide until deleted. */
function fakeDeadLetterQueue(count: number) {
  const waiting: Message[] = Array.from({ length: count }, (_, i) => ({
    MessageId: `m-${i}`,
    ReceiptHandle: `r-${i}`,
    Body: JSON.stringify({ telemetry: 1, event: { deliveryId: `d-${i}` } }),
    MessageAttributes: {
      delivery_id: { DataType: 'String', StringValue: `d-${i}` },
      trigger: { DataType: 'String', StringValue: 'github::workflow_job.completed' },
      ...(i % 2 === 0
        ? {
            failure_reason: { DataType: 'String', StringValue: 'workflow_job payload: id: invalid' },
            failed_at: { DataType: 'String', StringValue: '2026-11-01T12:00:00.000Z' },
          }
        : {}),
    },
  }));
  const inFlight = new Map<string, Message>();
  sqs.on(GetQueueAttributesCommand).callsFake(() => ({
    Attributes: {
      ApproximateNumberOfMessages: String(waiting.length),
      ApproximateNumberOfMessagesNotVisible: '0',
    },
  }));
  sqs.on(ReceiveMessageCommand).callsFake((input) => {
    expect(input.QueueUrl).toBe(DLQ);
    const batch = waiting.splice(0, input.MaxNumberOfMessages ?? 1);
    for (const m of batch) inFlight.set(m.ReceiptHandle as string, m);
    return { Messages: batch };
  });
  sqs.on(DeleteMessageBatchCommand).callsFake((input) => {
    for (const entry of input.Entries) inFlight.delete(entry.ReceiptHandle);
    return { Successful: input.Entries.map((e: { Id: string }) => ({ Id: e.Id })), Failed: [] };
  });
  sqs.on(SendMessageCommand).resolves({ MessageId: 'new' });
  return { waiting, inFlight };
}

beforeEach(() => sqs.reset());

describe('redrive', () => {
  it('moves every parked message back to the queue, unchanged but for the parking notes, and counts them', async () => {
    const dlq = fakeDeadLetterQueue(23);
    const result = await redrive({ sqs: new SQSClient({}), deadLetterQueueUrl: DLQ, queueUrl: QUEUE });
    expect(result).toEqual({ waiting: 23, moved: 23, failed: 0 });
    expect(dlq.waiting).toHaveLength(0);
    expect(dlq.inFlight.size).toBe(0);
    const sent = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(sent).toHaveLength(23);
    expect(sent.every((m) => m.QueueUrl === QUEUE)).toBe(true);
    expect(sent[0]).toEqual({
      QueueUrl: QUEUE,
      MessageBody: JSON.stringify({ telemetry: 1, event: { deliveryId: 'd-0' } }),
      MessageAttributes: {
        delivery_id: { DataType: 'String', StringValue: 'd-0' },
        trigger: { DataType: 'String', StringValue: 'github::workflow_job.completed' },
      },
    });
    expect(sqs.commandCalls(ReceiveMessageCommand)[0]?.args[0].input).toMatchObject({
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
      MessageAttributeNames: ['All'],
    });
  });

  it('only counts on a dry run', async () => {
    fakeDeadLetterQueue(7);
    expect(
      await redrive({ sqs: new SQSClient({}), deadLetterQueueUrl: DLQ, queueUrl: QUEUE, dryRun: true }),
    ).toEqual({
      waiting: 7,
      moved: 0,
      failed: 0,
    });
    expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('stops at --max, and leaves a message it could not send in the dead-letter queue', async () => {
    const dlq = fakeDeadLetterQueue(12);
    expect(
      await redrive({ sqs: new SQSClient({}), deadLetterQueueUrl: DLQ, queueUrl: QUEUE, max: 5 }),
    ).toMatchObject({
      moved: 5,
    });
    expect(dlq.waiting).toHaveLength(7);

    sqs
      .on(SendMessageCommand, {
        MessageAttributes: {
          delivery_id: { DataType: 'String', StringValue: 'd-6' },
          trigger: { DataType: 'String', StringValue: 'github::workflow_job.completed' },
        },
      })
      .rejects(new Error('KMS.ThrottlingException'));
    const result = await redrive({ sqs: new SQSClient({}), deadLetterQueueUrl: DLQ, queueUrl: QUEUE });
    expect(result).toEqual({ waiting: 7, moved: 6, failed: 1 });
    // Not deleted: SQS shows it again in the dead-letter queue once its visibility timeout passes.
    expect([...dlq.inFlight.values()].map((m) => m.MessageId)).toEqual(['m-6']);
  });
});

describe('telemetry redrive (command)', () => {
  async function run(...args: string[]): Promise<string> {
    const program = new Command('telemetry').exitOverride();
    registerRedrive(program, () => new SQSClient({ region: 'eu-west-1' }));
    const out: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    try {
      await program.parseAsync(['node', 'telemetry', 'redrive', ...args]);
    } finally {
      spy.mockRestore();
    }
    return out.join('');
  }

  it('finds the instance queues by name and reports the count', async () => {
    fakeDeadLetterQueue(3);
    sqs.on(GetQueueUrlCommand).callsFake((input) => ({
      QueueUrl: `https://sqs.eu-west-1.amazonaws.com/123456789012/${input.QueueName}`,
    }));
    expect(await run('--instance', 'acme', '--dry-run')).toBe(
      '3 event(s) parked in telemetry-acme-events-dlq; nothing moved (dry run)\n',
    );
    expect(await run('--instance', 'acme')).toBe(
      'moved 3 event(s) from telemetry-acme-events-dlq to telemetry-acme-events\n',
    );
    expect(sqs.commandCalls(GetQueueUrlCommand).map((c) => c.args[0].input.QueueName)).toEqual(
      expect.arrayContaining(['telemetry-acme-events-dlq', 'telemetry-acme-events']),
    );
  });

  it('says which queue it cannot find', async () => {
    sqs
      .on(GetQueueUrlCommand)
      .rejects(
        Object.assign(new Error('The specified queue does not exist.'), { name: 'QueueDoesNotExist' }),
      );
    await expect(run('--instance', 'nope')).rejects.toThrow(
      /cannot find queue telemetry-nope-events(-dlq)? \(is instance nope deployed/,
    );
  });
});
