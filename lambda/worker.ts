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
import { decideRetry, type RetryPolicySettings } from '../src/worker/retry-policy';
import { configFromEnvironment } from './adapters/config';
import { ENV, intEnv, requireEnv } from './adapters/environment';
import { createLambdaLogger, type LambdaLogger } from './adapters/logger';
import { type PipelineResources, pipelineResourcesFromEnvironment } from './adapters/pipeline-resources';
import { decodeQueueMessage, UndecodableMessageError } from './adapters/queue-message';
import { type ClaimCheckStore, S3ClaimCheck } from './adapters/s3-claim-check';
import {
  delayMessages,
  parkMessage,
  REQUEUE_ATTRIBUTE,
  type ReceivedMessage,
  requeueMessage,
} from './adapters/sqs-queue';

export interface WorkerDeps {
  claimCheck: ClaimCheckStore;
  /** The GitHub client and the store, built from the tokens in SSM. */
  resources: () => Promise<PipelineResources>;
  /** Sends a message that can never succeed to the dead-letter queue at once. */
  park: (message: ReceivedMessage, reason: string) => Promise<void>;
  /** Makes failed messages visible again only after their delay (SQS ChangeMessageVisibility). */
  delay: (messages: readonly { receiptHandle: string; delayMs: number }[]) => Promise<void>;
  /** Sends a failed message again as a new one (its receive count starts over), visible after the delay. */
  requeue: (message: ReceivedMessage, delayMs: number) => Promise<void>;
  /** The queue's redrive and retention: when a transiently failing message is requeued or parked. */
  retry: RetryPolicySettings;
  /** Told the invocation's deadline (epoch ms) before any GitHub call: the source client's rate-limit waits. */
  onDeadline?: (deadline: number) => void;
  metrics?: readonly Metric<unknown>[];
  settings: MetricSettings;
  /** Bounds of the refused-request log (`senders.refusedLog`); absent: the defaults. */
  senderLog?: SenderLogSettings;
  logger: LambdaLogger;
  now?: () => Date;
}

/** Time kept free at the end of an invocation: the last request's answer, parking, visibility changes. */
export const DEADLINE_MARGIN_MS = 20_000;
/**
 * Longest wait for GitHub's write budget inside an invocation: none. The store takes every write a commit
 * needs (its chained tree requests, the commit, the ref update) from the budget at once before the first
 * (`RequestPolicy.reserve`); when they are not there, the batch goes back to the queue at once with the wait
 * as its visibility delay, so no Lambda is billed while the budget refills (the messages come back in a
 * larger batch). The pacer's burst (30) holds several batches' writes (a 6 MB batch needs 3 to 5), so a
 * batch waits only when the hour's budget is spent (docs/ARCHITECTURE.md, "The write budget").
 */
export const BUDGET_WAIT_MS = 0;

/**
 * The SQS worker: decodes a batch (claim checks resolved), runs collect and store for all of it
 * (`processBatch`: one store write, one commit) within the invocation's remaining time less
 * `DEADLINE_MARGIN_MS`, and reports partial batch failures. A permanent failure (payload of the wrong shape,
 * undecodable message, records GitHub refuses) is parked in the DLQ at once instead of looping. A transient
 * one is retried through the message's visibility, and requeued as a new message before SQS's
 * `maxReceiveCount` would dead-letter it (`decideRetry`): an outage or a spent write budget never parks a
 * healthy event, and no invocation waits for them.
 */
export function createWorkerHandler(deps: WorkerDeps) {
  const now = deps.now ?? (() => new Date());
  const log = deps.logger.log;
  return async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
    deps.logger.start(context);
    const deadline = context
      ? now().getTime() + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS
      : undefined;
    if (deadline !== undefined) deps.onDeadline?.(deadline);
    const retry = new Set<string>();
    /** Transient failures: retried later (visibility, requeue), or parked when too old. */
    const transient: { record: SQSRecord; reason: string; retryAfterMs?: number; receivedAt?: string }[] = [];
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
        else transient.push({ record, reason });
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
            ...(deadline !== undefined ? { deadline } : {}),
            maxBudgetWaitMs: BUDGET_WAIT_MS,
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
      else
        transient.push({
          record: item.record,
          reason: failure.reason,
          receivedAt: item.event.receivedAt,
          ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}),
        });
    }

    const later: { receiptHandle: string; delayMs: number }[] = [];
    let requeued = 0;
    for (const failure of transient) {
      const { record } = failure;
      const firstSeen = Date.parse(failure.receivedAt ?? '') || Number(record.attributes.SentTimestamp);
      const decision = decideRetry(
        {
          receiveCount: Number(record.attributes.ApproximateReceiveCount) || 1,
          requeues: Number(record.messageAttributes?.[REQUEUE_ATTRIBUTE]?.stringValue ?? 0) || 0,
          ageMs: Number.isFinite(firstSeen) ? Math.max(0, now().getTime() - firstSeen) : 0,
          ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}),
        },
        deps.retry,
      );
      if (decision.action === 'park') {
        toPark.push({ record, reason: `${decision.reason}: ${failure.reason}` });
      } else if (decision.action === 'requeue') {
        try {
          await deps.requeue({ body: record.body, attributes: attributesOf(record) }, decision.delayMs);
          requeued += 1;
        } catch (error) {
          log.error('requeue failed', { message_id: record.messageId, error: errorMessage(error) });
          retry.add(record.messageId);
        }
      } else {
        retry.add(record.messageId);
        later.push({ receiptHandle: record.receiptHandle, delayMs: decision.delayMs });
      }
    }
    if (later.length > 0) {
      try {
        await deps.delay(later);
      } catch (error) {
        // The messages still come back, after the queue's visibility timeout.
        log.warn('visibility not changed', { messages: later.length, error: errorMessage(error) });
      }
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
      requeued,
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
  const queueUrl = requireEnv(ENV.queueUrl, env);
  let deadline = Number.POSITIVE_INFINITY;
  return {
    claimCheck: new S3ClaimCheck(requireEnv(ENV.claimCheckBucket, env)),
    resources: pipelineResourcesFromEnvironment(config, logger.log, env, () => deadline),
    park: (message, reason) => parkMessage(sqs, deadLetterQueueUrl, message, reason),
    delay: (messages) => delayMessages(sqs, queueUrl, messages),
    requeue: (message, delayMs) => requeueMessage(sqs, queueUrl, message, delayMs),
    retry: {
      maxReceiveCount: intEnv(ENV.maxReceiveCount, env),
      retentionMs: intEnv(ENV.queueRetentionSeconds, env) * 1000,
    },
    onDeadline: (at) => {
      deadline = at;
    },
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
