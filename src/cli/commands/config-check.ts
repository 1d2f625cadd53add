import type { Command } from 'commander';
import { ConfigError, configFile, loadConfig } from '../../config/config';
import { scheduleProblems } from '../../jobs/run-job';

export function registerConfigCheck(program: Command): void {
  const config = program.command('config').description('Inspect the configuration.');
  config
    .command('check')
    .description('Validate the configuration (file and environment) and print it, secrets excluded.')
    .option('--file <path>', 'configuration file (default TELEMETRY_CONFIG or ./telemetry.config.json)')
    .action((options: { file?: string }) => {
      const resolved = loadConfig(options.file ? { file: options.file } : {});
      // Each schedule's input is checked against its job's own schema, as the schedule Lambda will.
      const problems = scheduleProblems(resolved);
      if (problems.length > 0) throw new ConfigError(`invalid schedules:\n  ${problems.join('\n  ')}`);
      const file = configFile(options.file ? { file: options.file } : {});
      process.stderr.write(
        file
          ? `configuration read from ${file}, then the environment\n`
          : 'no configuration file (neither TELEMETRY_CONFIG nor ./telemetry.config.json): defaults, then the environment\n',
      );
      process.stdout.write(`${JSON.stringify(resolved, null, 2)}\n`);
    });
}
