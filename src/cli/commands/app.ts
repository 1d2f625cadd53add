import type { Command } from 'commander';
import { loadConfig } from '../../config/config';
import { type AppRole, appManifest, ManifestError } from '../../github/manifest';
import { CliError } from '../errors';

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
    .action(
      (options: {
        file?: string;
        role: string;
        webhookUrl?: string;
        url?: string;
        name?: string;
        redirectUrl?: string;
      }) => {
        if (options.role !== 'source' && options.role !== 'data') {
          throw new CliError(`--role must be "source" or "data", got ${JSON.stringify(options.role)}`);
        }
        const config = loadConfig(options.file ? { file: options.file } : {});
        try {
          const manifest = appManifest(config, {
            role: options.role as AppRole,
            ...(options.webhookUrl ? { webhookUrl: options.webhookUrl } : {}),
            ...(options.url ? { url: options.url } : {}),
            ...(options.name ? { name: options.name } : {}),
            ...(options.redirectUrl ? { redirectUrl: options.redirectUrl } : {}),
          });
          process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
        } catch (error) {
          if (error instanceof ManifestError) throw new CliError(error.message);
          throw error;
        }
      },
    );
}
