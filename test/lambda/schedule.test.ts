import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { z } from 'zod';
import { ENV } from '../../lambda/adapters/environment';
import { createLambdaLogger } from '../../lambda/adapters/logger';
import { createScheduleHandler, handler, STOP_MARGIN_MS } from '../../lambda/schedule';
import { configSchema } from '../../src/config/config';
import { createGitHubClient } from '../../src/github/client';
import type { Job, JobContext } from '../../src/jobs/types';
import { FileStore } from '../../src/store/file-store';
import { lambdaContext } from '../support/aws';
import { tempDir } from '../support/temp';

// The functions' JSON logs are checked in the webhook tests; here they would only be noise.
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

const ssm = mockClient(SSMClient);
const config = configSchema.parse({ instance: 'test', dataRepository: { owner: 'acme', name: 'data' } });

/** A job registered for the test: records what it was given and writes its cursor like a real job. */
function countingJob(): Job<{ days: number }> & { seen: { input: { days: number }; ctx: JobContext }[] } {
  const seen: { input: { days: number }; ctx: JobContext }[] = [];
  return {
    name: 'count-days',
    description: 'test job',
    input: z.object({ days: z.number().int().positive() }).strict(),
    seen,
    async run(input, ctx) {
      seen.push({ input, ctx });
      await ctx.store.writeFile('_state/count-days.json', JSON.stringify({ days: input.days }));
      return {
        job: 'count-days',
        finished: true,
        counts: { days: input.days },
        message: `counted ${input.days} days`,
      };
    },
  };
}

describe('schedule Lambda', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    ssm.reset();
    dir = await tempDir();
  });
  afterEach(() => dir.remove());

  // biome-ignore lint/suspicious/noExplicitAny: jobs of any input type, as in the registry
  function scheduleHandler(job: Job<any>, github = true) {
    const store = new FileStore(dir.path);
    return createScheduleHandler({
      config,
      resources: async () => ({ ...(github ? { github: createGitHubClient({ token: 't' }) } : {}), store }),
      findJob: (name) => (name === job.name ? job : undefined),
      logger: createLambdaLogger(),
    });
  }

  it('runs the job a schedule names with its validated input, the store, the client and the config', async () => {
    const job = countingJob();
    const summary = await scheduleHandler(job)(
      { schedule: 'nightly', job: 'count-days', input: { days: 3 } },
      lambdaContext('schedule', 900_000),
    );
    expect(summary).toEqual({
      job: 'count-days',
      finished: true,
      counts: { days: 3 },
      message: 'counted 3 days',
    });
    expect(job.seen[0]?.input).toEqual({ days: 3 });
    expect(job.seen[0]?.ctx.config).toBe(config);
    expect(job.seen[0]?.ctx.signal?.aborted).toBe(false);
    expect(await new FileStore(dir.path).readFile('_state/count-days.json')).toBe('{"days":3}');
  });

  it('fails (so Lambda retries, then dead-letters) on a bad event, an unknown job, bad input or no token', async () => {
    const run = scheduleHandler(countingJob());
    await expect(run({ job: 'count-days' })).rejects.toThrow('not a schedule event: schedule');
    await expect(run({ schedule: 's', job: 'nope', input: {} })).rejects.toThrow(
      'schedule s: no job named nope is registered',
    );
    await expect(run({ schedule: 's', job: 'count-days', input: { days: 0 } })).rejects.toThrow(
      'schedule s: invalid input for job count-days: days:',
    );
    await expect(run({ schedule: 's', job: 'count-days', input: { days: 1, extra: true } })).rejects.toThrow(
      'extra',
    );
    await expect(
      scheduleHandler(countingJob(), false)({ schedule: 's', job: 'count-days', input: { days: 1 } }),
    ).rejects.toThrow('needs the source-repository token');
  });

  it('asks the job to stop a minute before the function times out, so it saves its cursor', async () => {
    const patient: Job<Record<string, never>> = {
      name: 'patient',
      description: 'runs until asked to stop',
      input: z.object({}),
      run: (_input, ctx) =>
        new Promise((resolve) => {
          ctx.signal?.addEventListener('abort', () =>
            resolve({
              job: 'patient',
              finished: false,
              counts: {},
              message: 'stopped; resumes from its cursor',
            }),
          );
        }),
    };
    const started = Date.now();
    const summary = await scheduleHandler(patient)(
      { schedule: 's', job: 'patient' },
      lambdaContext('schedule', STOP_MARGIN_MS + 1000),
    );
    expect(summary.finished).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('deployed: builds from its environment and looks jobs up in the registry', async () => {
    const { server: _s, aws: _a, ...needed } = config;
    Object.assign(process.env, {
      [ENV.config]: JSON.stringify(needed),
      [ENV.sourceTokenParameter]: '/telemetry/test/source-repository-token',
      [ENV.dataTokenParameter]: '/telemetry/test/data-repository-token',
      [ENV.secretCacheTtlSeconds]: '300',
      [ENV.storeMaxWaitMs]: '240000',
    });
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'token' } });
    await expect(
      handler({ schedule: 's', job: 'backfill', input: {} }, lambdaContext('schedule')),
    ).rejects.toThrow(/no job named backfill is registered|invalid input/);
  });
});
