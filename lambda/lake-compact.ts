import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { columnMetrics } from '../src/data/columns';
import { type CompactSummary, compactLake } from '../src/lake/compact';
import type { LakeObjects } from '../src/lake/objects';
import { ENV, intEnv, requireEnv } from './adapters/environment';
import { S3LakeObjects } from './adapters/lake-objects';
import { createLambdaLogger, type LambdaLogger } from './adapters/logger';

/** What the compaction schedule sends; an operator may invoke it with more days after a long backfill. */
export const compactEventSchema = z.object({ lookbackDays: z.number().int().min(1).max(3650).optional() });

/** Time kept back from the function timeout: compaction stops between partitions and the next run goes on. */
export const STOP_MARGIN_MS = 30_000;

export interface CompactDeps {
  objects: LakeObjects;
  minFiles: number;
  lookbackDays: number;
  logger: LambdaLogger;
  now?: () => Date;
}

/**
 * The scheduled lake compaction (lib/lake.ts): merges each recent day's small files per metric. A failure
 * throws (the scheduler and Lambda retry it); nothing is lost either way, the files stay until merged.
 */
export function createCompactHandler(deps: CompactDeps) {
  return async (event: unknown, context?: Context): Promise<CompactSummary> => {
    deps.logger.start(context);
    const parsed = compactEventSchema.safeParse(event ?? {});
    if (!parsed.success) throw new Error(`not a compaction event: ${parsed.error.issues[0]?.message}`);
    const stop = new AbortController();
    const remaining = context?.getRemainingTimeInMillis();
    const timer =
      remaining === undefined
        ? undefined
        : setTimeout(() => stop.abort(), Math.max(1000, remaining - STOP_MARGIN_MS));
    try {
      const summary = await compactLake({
        objects: deps.objects,
        metrics: columnMetrics(),
        now: (deps.now ?? (() => new Date()))(),
        lookbackDays: parsed.data.lookbackDays ?? deps.lookbackDays,
        minFiles: deps.minFiles,
        logger: deps.logger.log,
        signal: stop.signal,
      });
      deps.logger.log.info('compaction', { ...summary });
      return summary;
    } finally {
      if (timer) clearTimeout(timer);
    }
  };
}

export function compactDepsFromEnvironment(env: NodeJS.ProcessEnv = process.env): CompactDeps {
  return {
    objects: new S3LakeObjects(new S3Client({}), requireEnv(ENV.lakeBucket, env)),
    minFiles: intEnv(ENV.lakeCompactMinFiles, env),
    lookbackDays: intEnv(ENV.lakeCompactLookbackDays, env),
    logger: createLambdaLogger(),
  };
}

let deployed: ReturnType<typeof createCompactHandler> | undefined;

export const handler = (event: unknown, context: Context): Promise<CompactSummary> => {
  deployed ??= createCompactHandler(compactDepsFromEnvironment());
  return deployed(event, context);
};
