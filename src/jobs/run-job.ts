import type { TelemetryConfig } from '../config/config';
import { findJob, jobs } from './registry';
import type { JobContext, JobSummary } from './types';

/** A job name or input that cannot run: the message names the job and the field. */
export class JobInputError extends Error {
  override readonly name = 'JobInputError';
}

/** Validates `input` with the job's own schema; the error names every bad field. */
export function parseJobInput(name: string, input: unknown): unknown {
  const job = findJob(name);
  if (!job)
    throw new JobInputError(
      `unknown job ${JSON.stringify(name)}; jobs: ${jobs.map((j) => j.name).join(', ')}`,
    );
  const parsed = job.input.safeParse(input ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`);
    throw new JobInputError(`job ${name}: invalid input: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/**
 * Runs a job by name: the one entry point of the CLI's `telemetry job run` and of the schedule Lambda, so a
 * schedule and a person at the terminal run exactly the same code on the same validated input.
 */
export async function runJob(name: string, input: unknown, ctx: JobContext): Promise<JobSummary> {
  const parsed = parseJobInput(name, input);
  return (findJob(name) as NonNullable<ReturnType<typeof findJob>>).run(parsed, ctx);
}

/** Checks every configured schedule names a known job with a valid input (`telemetry config check`, deploy). */
export function scheduleProblems(config: TelemetryConfig): string[] {
  const problems: string[] = [];
  for (const [i, schedule] of config.schedules.entries()) {
    try {
      const input = parseJobInput(schedule.job, schedule.input);
      const problem = findJob(schedule.job)?.configProblem?.(input, config);
      if (problem) problems.push(`schedules.${i} (${schedule.name}): ${problem}`);
    } catch (error) {
      problems.push(`schedules.${i} (${schedule.name}): ${(error as Error).message}`);
    }
  }
  return problems;
}
