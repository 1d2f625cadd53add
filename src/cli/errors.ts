import type { TelemetryConfig } from '../config/config';
import { UserError } from '../user-error';

/** An error whose message is meant for the person at the terminal: printed without a stack, exit code 2. */
export class CliError extends UserError {
  override readonly name = 'CliError';
}

/**
 * `--store github` without `dataRepository` (serve and the jobs alike): which file to add it to. `file` is the
 * configuration file in use (`configFile()`): the caller has the configuration module loaded, this one does not.
 */
export function dataRepositoryMissing(config: TelemetryConfig, file: string | undefined): CliError {
  return new CliError(
    `--store github needs dataRepository ({ "owner", "name" }) in ${file ?? './telemetry.config.json'}; without --store github records go to ${config.server.dataDir}`,
  );
}
