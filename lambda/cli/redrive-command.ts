import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Command } from 'commander';
import { CliError } from '../../src/cli/errors';
import { errorMessage } from '../../src/log/logger';

interface RedriveCliOptions {
  instance?: string;
  dryRun?: boolean;
  max?: string;
  region?: string;
}

/** `telemetry redrive`: registered by bin/cli.ts (it needs the AWS SDK, which src/ may not import). */
export function registerRedrive(program: Command, createClient?: (region?: string) => SQSClient): void {
  program
    .command('redrive')
    .description('Move parked events from the dead-letter queue back to the event queue (AWS).')
    .option(
      '--instance <name>',
      'installation whose queues to use (default: `instance` in the configuration)',
    )
    .option('--dry-run', 'only count the parked events')
    .option('--max <n>', 'move at most n events')
    .option('--region <region>', 'AWS region (default: AWS_REGION or your AWS profile)')
    .addHelpText(
      'after',
      '\nUses your AWS credentials (environment, profile or SSO). Fix what made the events fail first:\nredriven events that fail again are parked again.\n\nExamples:\n  telemetry redrive --dry-run\n  telemetry redrive --max 100',
    )
    .action(async (options: RedriveCliOptions) => {
      const max = options.max === undefined ? undefined : Number(options.max);
      if (max !== undefined && !(Number.isInteger(max) && max > 0)) {
        throw new CliError(`--max must be a positive whole number, got ${JSON.stringify(options.max)}`);
      }
      // The configuration (zod) and the AWS SDK load only when this command runs: the other commands start
      // faster without them.
      const [{ loadConfig }, { awsNames }] = await Promise.all([
        import('../../src/config/config'),
        import('../../src/config/aws-settings'),
      ]);
      const instance = options.instance ?? loadConfig().instance;
      const names = awsNames(instance);
      const { createSqsClient, findQueueUrl, redrive } = await import('./redrive');
      const sqs = createClient ? createClient(options.region) : await createSqsClient(options.region);
      const url = async (name: string) => {
        try {
          return await findQueueUrl(sqs, name);
        } catch (error) {
          throw new CliError(
            `cannot find queue ${name} (is instance ${instance} deployed in this region?): ${errorMessage(error)}`,
          );
        }
      };
      const [deadLetterQueueUrl, queueUrl] = await Promise.all([
        url(names.deadLetterQueue),
        url(names.queue),
      ]);
      const result = await redrive({
        sqs,
        deadLetterQueueUrl,
        queueUrl,
        ...(options.dryRun ? { dryRun: true } : {}),
        ...(max !== undefined ? { max } : {}),
      });
      if (options.dryRun) {
        process.stdout.write(
          `${result.waiting} event(s) parked in ${names.deadLetterQueue}; nothing moved (dry run)\n`,
        );
        return;
      }
      process.stdout.write(
        `moved ${result.moved} event(s) from ${names.deadLetterQueue} to ${names.queue}\n`,
      );
      if (result.failed > 0) {
        process.stdout.write(
          `${result.failed} event(s) could not be moved and stay in ${names.deadLetterQueue}\n`,
        );
        process.exitCode = 1;
      }
    });
}
