import { configFile, type LoadConfigOptions, type TelemetryConfig } from '../config/config';

/** An error whose message is meant for the person at the terminal: printed without a stack, exit code 2. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** `--store github` without `dataRepository` (serve and the jobs alike): which file to add it to. */
export function dataRepositoryMissing(config: TelemetryConfig, env: LoadConfigOptions['env']): CliError {
  return new CliError(
    `--store github needs dataRepository ({ "owner", "name" }) in ${configFile({ ...(env ? { env } : {}) }) ?? './telemetry.config.json'}; without --store github records go to ${config.server.dataDir}`,
  );
}
