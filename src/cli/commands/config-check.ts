import type { Command } from 'commander';
import { ConfigError, configFile, loadConfig } from '../../config/config';
import { localGitHubSecrets, readLocalSecrets } from '../../config/secrets';
import { checkApps } from '../../github/app-check';
import { roleAuths } from '../../github/credentials';
import { scheduleProblems } from '../../jobs/run-job';
import { CliError } from '../errors';

export function registerConfigCheck(program: Command): void {
  const config = program.command('config').description('Inspect the configuration.');
  config
    .command('check')
    .description(
      'Validate the configuration (file and environment) and print it, secrets excluded. When githubAuth uses a GitHub App, verify it against GitHub: it authenticates, is installed on the configured owners, and grants the permissions and events the metrics and scheduled jobs need.',
    )
    .option('--file <path>', 'configuration file (default TELEMETRY_CONFIG or ./telemetry.config.json)')
    .option('--skip-github', 'do not call GitHub (offline): validate the configuration only')
    .action(async (options: { file?: string; skipGithub?: boolean }) => {
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

      const usesApp = resolved.githubAuth.source === 'app' || resolved.githubAuth.data !== 'token';
      if (!usesApp || options.skipGithub) return;
      const auths = roleAuths(resolved, localGitHubSecrets(readLocalSecrets()));
      const result = await checkApps(resolved, auths);
      for (const line of result.passed) process.stderr.write(`ok: ${line}\n`);
      if (result.problems.length > 0) {
        throw new CliError(`the GitHub App is not ready:\n  ${result.problems.join('\n  ')}`);
      }
    });
}
