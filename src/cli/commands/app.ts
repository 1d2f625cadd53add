import type { Command } from 'commander';

export interface AppManifestOptions {
  file?: string;
  role: string;
  webhookUrl?: string;
  url?: string;
  name?: string;
  redirectUrl?: string;
}

export function registerApp(program: Command): void {
  const app = program.command('app').description('The GitHub App the collector can authenticate as.');
  app
    .command('manifest')
    .description(
      "Print the GitHub App manifest (JSON) for GitHub's manifest flow: the least permissions and exactly the events the configured metrics and scheduled jobs need.",
    )
    .option('--file <path>', 'configuration file (default TELEMETRY_CONFIG or ./telemetry.config.json)')
    .option(
      '--role <role>',
      '"source": the App that reads the organisation (and writes the data repository when githubAuth.data is "app"); "data": a second App that only writes the data repository',
      'source',
    )
    .option(
      '--webhook-url <url>',
      "the collector's POST /telemetry URL (stack output WebhookUrl); source App only",
    )
    .option('--url <url>', "the App's homepage (default the data repository, else the webhook URL)")
    .option(
      '--redirect-url <url>',
      'where GitHub sends the browser after creating the App, with ?code= to exchange for the App id and key',
    )
    .option(
      '--name <name>',
      'the App name on GitHub (default telemetry-<instance>, telemetry-<instance>-data)',
    )
    .action(async (options: AppManifestOptions) => {
      const { appManifestAction } = await import('../actions/app');
      appManifestAction(options);
    });
}
