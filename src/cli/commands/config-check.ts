import type { Command } from 'commander';
import { loadConfig } from '../../config/config';

export function registerConfigCheck(program: Command): void {
  const config = program.command('config').description('Inspect the configuration.');
  config
    .command('check')
    .description('Validate the configuration (file and environment) and print it, secrets excluded.')
    .option('--file <path>', 'configuration file (default TELEMETRY_CONFIG or ./telemetry.config.json)')
    .action((options: { file?: string }) => {
      const resolved = loadConfig(options.file ? { file: options.file } : {});
      process.stdout.write(`${JSON.stringify(resolved, null, 2)}\n`);
    });
}
