import { ConfigError, configFile, loadConfig } from '../../config/config';
import { localGitHubSecrets, readLocalSecrets } from '../../config/secrets';
import { checkApps } from '../../github/app-check';
import { roleAuths } from '../../github/credentials';
import { scheduleProblems } from '../../jobs/run-job';
import type { ConfigCheckOptions } from '../commands/config-check';
import { CliError } from '../errors';

/** `telemetry config check`: the resolved configuration; with a GitHub App, the App checked on GitHub. */
export async function configCheckAction(options: ConfigCheckOptions): Promise<void> {
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
}
