import type { Context } from 'aws-lambda';
import { z } from 'zod';
import type { TelemetryConfig } from '../src/config/config';
import { findJob as registeredJob } from '../src/jobs/registry';
import type { Job, JobSummary } from '../src/jobs/types';
import { configFromEnvironment } from './adapters/config';
import { createLambdaLogger, type LambdaLogger } from './adapters/logger';
import { type PipelineResources, pipelineResourcesFromEnvironment } from './adapters/pipeline-resources';

/** What an EventBridge Scheduler schedule sends (lib/schedules.ts builds it from `schedules` in the config). */
export const scheduleEventSchema = z.object({
  schedule: z.string().min(1),
  job: z.string().min(1),
  input: z.record(z.string(), z.unknown()).default({}),
});

export type ScheduleEvent = z.input<typeof scheduleEventSchema>;

/** Time kept back from the function timeout so a job can save its cursor and return cleanly. */
export const STOP_MARGIN_MS = 60_000;

export interface ScheduleDeps {
  config: TelemetryConfig;
  resources: () => Promise<PipelineResources>;
  // biome-ignore lint/suspicious/noExplicitAny: jobs of every input type
  findJob?: (name: string) => Job<any> | undefined;
  logger: LambdaLogger;
  now?: () => Date;
}

/**
 * Runs the registered job a schedule names. Bad input, an unknown job or a failed run throw: Lambda retries the
 * asynchronous invocation (`aws.schedule.retryAttempts`) and then sends it to the schedule dead-letter queue.
 * The job is asked to stop (AbortSignal) a minute before the function times out, so it saves its cursor.
 */
export function createScheduleHandler(deps: ScheduleDeps) {
  const find = deps.findJob ?? registeredJob;
  const now = deps.now ?? (() => new Date());
  const log = deps.logger.log;
  return async (event: unknown, context?: Context): Promise<JobSummary> => {
    const parsed = scheduleEventSchema.safeParse(event);
    if (!parsed.success) {
      throw new Error(
        `not a schedule event: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    const { schedule, job: name, input } = parsed.data;
    deps.logger.start(context, { schedule, job: name });
    const job = find(name);
    if (!job) throw new Error(`schedule ${schedule}: no job named ${name} is registered`);
    const checked = job.input.safeParse(input);
    if (!checked.success) {
      const problems = checked.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`);
      throw new Error(`schedule ${schedule}: invalid input for job ${name}: ${problems.join('; ')}`);
    }
    const { github, store } = await deps.resources();
    if (!github)
      throw new Error(`schedule ${schedule}: job ${name} needs the source-repository token in SSM`);

    const stop = new AbortController();
    const remaining = context?.getRemainingTimeInMillis();
    const timer =
      remaining === undefined
        ? undefined
        : setTimeout(() => stop.abort(), Math.max(1000, remaining - STOP_MARGIN_MS));
    try {
      log.info('job started', { schedule, job: name });
      const summary = await job.run(checked.data, {
        github,
        store,
        config: deps.config,
        logger: log,
        now,
        signal: stop.signal,
      });
      log.info('job finished', { schedule, ...summary });
      return summary;
    } finally {
      if (timer) clearTimeout(timer);
    }
  };
}

/** Builds the deployed handler's dependencies from the environment the stack sets (lib/schedules.ts). */
export function scheduleDepsFromEnvironment(env: NodeJS.ProcessEnv = process.env): ScheduleDeps {
  const config = configFromEnvironment(env);
  const logger = createLambdaLogger();
  return {
    config,
    resources: pipelineResourcesFromEnvironment(config, logger.log, env),
    logger,
  };
}

let deployed: ReturnType<typeof createScheduleHandler> | undefined;

export const handler = (event: unknown, context: Context): Promise<JobSummary> => {
  deployed ??= createScheduleHandler(scheduleDepsFromEnvironment());
  return deployed(event, context);
};
