import { App, type AppProps, TimeZone, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { z } from 'zod';
import { awsNames } from '../src/config/aws-settings';
import { ConfigError, type TelemetryConfig } from '../src/config/config';
import { TelemetryStack } from './telemetry-stack';

/** What the app needs to know about a job to check a schedule at synth time. */
export interface JobShape {
  input: z.ZodType<unknown>;
  /** What the configuration lacks for this input (the same check `telemetry job run` makes). */
  // biome-ignore lint/suspicious/noExplicitAny: each job types its own input; this only forwards it
  configProblem?(input: any, config: TelemetryConfig): string | undefined;
}

export interface TelemetryAppOptions {
  config: TelemetryConfig;
  collectedTriggers: readonly string[];
  findJob: (name: string) => JobShape | undefined;
  appProps?: AppProps;
}

/**
 * The CDK app: one TelemetryStack per configuration, checked by cdk-nag's AwsSolutions rules (an
 * unacknowledged finding fails the synth). Schedules are checked here, before anything is deployed: the job
 * must be registered, its input valid and the time zone known.
 */
export function createTelemetryApp(options: TelemetryAppOptions): { app: App; stack: TelemetryStack } {
  checkSchedules(options.config, options.findJob);
  const app = new App(options.appProps);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new TelemetryStack(app, awsNames(options.config.instance).stack, {
    config: options.config,
    collectedTriggers: options.collectedTriggers,
  });
  return { app, stack };
}

export function checkSchedules(config: TelemetryConfig, findJob: TelemetryAppOptions['findJob']): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  config.schedules.forEach((schedule, i) => {
    const where = `schedules[${i}] (${schedule.name})`;
    if (seen.has(schedule.name)) problems.push(`${where}: the name is used twice`);
    seen.add(schedule.name);
    try {
      new Intl.DateTimeFormat('en', { timeZone: schedule.timezone });
      TimeZone.of(schedule.timezone);
    } catch {
      problems.push(`${where}: unknown time zone ${schedule.timezone}`);
    }
    const job = findJob(schedule.job);
    if (!job) {
      problems.push(`${where}: no job named ${schedule.job} is registered (src/jobs/registry.ts)`);
      return;
    }
    const input = job.input.safeParse(schedule.input);
    if (!input.success) {
      for (const issue of input.error.issues) {
        problems.push(`${where}: input.${issue.path.join('.')}: ${issue.message}`);
      }
      return;
    }
    // Refused at synth, not at 3 a.m. in the schedule's first run.
    const problem = job.configProblem?.(input.data, config);
    if (problem) problems.push(`${where}: ${problem}`);
  });
  if (problems.length > 0) throw new ConfigError(`invalid schedules:\n  ${problems.join('\n  ')}`);
}
