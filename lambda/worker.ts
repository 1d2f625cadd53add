import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { forEachLimited } from '../src/concurrency';
import { errorMessage } from '../src/log/logger';
import { metrics as allMetrics } from '../src/metrics/registry';
import type { MetricSettings } from '../src/metrics/settings';
import type { Metric } from '../src/metrics/types';
import type { SignedEvent } from '../src/pipeline/types';
import type { SenderLogSettings } from '../src/senders/log';
import { type BatchOutcome, processBatch } from '../src/worker/process-batch';
import { configFromEnvironment } from './adapters/config';
import { ENV, requireEnv } from './adapters/environment';
import { createLambdaLogger, type LambdaLogger } from './adapters/logger';
import { type PipelineResources, pipelineResourcesFromEnvironment } from './adapters/pipeline-resources';
import { decodeQueueMessage, UndecodableMessageError } from './adapters/queue-message';
import { type ClaimCheckStore, S3ClaimCheck } from './adapters/s3-claim-check';
import { parkMessage, type ReceivedMessage } from './adapters/sqs-queue';

export interface WorkerDeps {
  claimCheck: ClaimCheckStore;
  /** The GitHub client and the store, built from the tokens in SSM. */
  resources: () => Promise<PipelineResources>;
  /** Sends a message that can never succeed to the dead-letter queue at once. */
  park: (message: ReceivedMessage, reason: string) => Promise<void>;
  metrics?: readonly Metric<unknown>[];
  settings: MetricSettings;
  /** Bounds of the refused-request log (`senders.refusedLog`); absent: the defaults. */
  senderLog?: SenderLogSettings;
  logger: LambdaLogger;
  now?: () => Date;
}

/**
 * The SQS worker: decodes a batch (claim checks resolved), runs collect and store for all of it
 * (`processBatch`: one store write, one commit) and reports partial batch failures. A transient failure is
 * reported so SQS retries just that message (and after `maxReceiveCount` parks it in the DLQ); a permanent
 * one (payload of the wrong shape, undecodable message) is parked in the DLQ at once instead of looping.
 */
export function createWorkerHandler(deps: WorkerDeps) {
  const now = deps.now ?? (() => new Date());
  const log = deps.logger.log;
  return async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
    deps.logger.start(context);
    const retry = new Set<string>();
    const toPark: { record: SQSRecord; reason: string }[] = [];
    const decoded: { record: SQSRecord; event: SignedEvent }[] = [];

    await forEachLimited(event.Records, 16, async (record) => {
      try {
        decoded.push({ record, event: await decodeQueueMessage(record.body, deps.claimCheck) });
      } catch (error) {
        const reason = errorMessage(error);
        log.warn('message not decoded', {
          message_id: record.messageId,
          delivery_id: deliveryIdOf(record),
          reason,
        });
        if (error instanceof UndecodableMessageError) toPark.push({ record, reason });
        else retry.add(record.messageId);
      }
    });

    let outcome: BatchOutcome = { records: 0, written: 0, unchanged: 0, failed: [] };
    if (decoded.length > 0) {
      try {
        const { github, store } = await deps.resources();
        outcome = await processBatch(
          decoded.map((d) => d.event),
          {
            metrics: deps.metrics ?? allMetrics,
            context: { ...(github ? { github } : {}), settings: deps.settings, now },
            store,
            logger: log,
            ...(deps.senderLog ? { senderLog: deps.senderLog } : {}),
          },
        );
      } catch (error) {
        // No store or token: nothing of this batch was written; every message is retried.
        const reason = errorMessage(error);
        log.error('batch failed', { error: reason, messages: decoded.length });
        outcome.failed = decoded.map((d, index) => ({
          index,
          deliveryId: d.event.deliveryId,
          reason,
          permanent: false,
        }));
      }
    }
    for (const failure of outcome.failed) {
      const item = decoded[failure.index];
      if (!item) continue;
      if (failure.permanent) toPark.push({ record: item.record, reason: failure.reason });
      else retry.add(item.record.messageId);
    }

    let parked = 0;
    for (const { record, reason } of toPark) {
      try {
        await deps.park({ body: record.body, attributes: attributesOf(record) }, reason);
        parked += 1;
        log.warn('parked in the dead-letter queue', {
          message_id: record.messageId,
          delivery_id: deliveryIdOf(record),
          reason,
        });
      } catch (error) {
        // Parking failed: let SQS retry it; after maxReceiveCount its redrive policy parks it instead.
        log.error('parking failed', { message_id: record.messageId, error: errorMessage(error) });
        retry.add(record.messageId);
      }
    }

    log.info('batch', {
      messages: event.Records.length,
      records: outcome.records,
      written: outcome.written,
      unchanged: outcome.unchanged,
      retried: retry.size,
      parked,
    });
    return { batchItemFailures: [...retry].map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

function deliveryIdOf(record: SQSRecord): string | undefined {
  return record.messageAttributes?.delivery_id?.stringValue;
}

function attributesOf(record: SQSRecord): ReceivedMessage['attributes'] {
  const out: ReceivedMessage['attributes'] = {};
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    if (value.stringValue !== undefined)
      out[name] = { DataType: value.dataType, StringValue: value.stringValue };
  }
  return out;
}

/** Builds the deployed handler's dependencies from the environment the stack sets (lib/worker.ts). */
export function workerDepsFromEnvironment(env: NodeJS.ProcessEnv = process.env): WorkerDeps {
  const config = configFromEnvironment(env);
  const logger = createLambdaLogger();
  const sqs = new SQSClient({});
  const deadLetterQueueUrl = requireEnv(ENV.deadLetterQueueUrl, env);
  return {
    claimCheck: new S3ClaimCheck(requireEnv(ENV.claimCheckBucket, env)),
    resources: pipelineResourcesFromEnvironment(config, logger.log, env),
    park: (message, reason) => parkMessage(sqs, deadLetterQueueUrl, message, reason),
    settings: config.metrics,
    senderLog: config.senders.refusedLog,
    logger,
  };
}

let deployed: ReturnType<typeof createWorkerHandler> | undefined;

export const handler = (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  deployed ??= createWorkerHandler(workerDepsFromEnvironment());
  return deployed(event, context);
};
