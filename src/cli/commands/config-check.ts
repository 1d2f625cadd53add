import type { Command } from 'commander';

export interface ConfigCheckOptions {
  file?: string;
  skipGithub?: boolean;
}

export function registerConfigCheck(program: Command): void {
  const config = program.command('config').description('Inspect the configuration.');
  config
    .command('check')
    .description(
      'Validate the configuration (file and environment) and print it, secrets excluded. When githubAuth uses a GitHub App, verify it against GitHub: it authenticates, is installed on the configured owners, and grants the permissions and events the metrics and scheduled jobs need.',
    )
    .option('--file <path>', 'configuration file (default TELEMETRY_CONFIG or ./telemetry.config.json)')
    .option('--skip-github', 'do not call GitHub (offline): validate the configuration only')
    .action(async (options: ConfigCheckOptions) => {
      const { configCheckAction } = await import('../actions/config-check');
      await configCheckAction(options);
    });
}
