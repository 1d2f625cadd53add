import { type Command, CommanderError } from 'commander';
import { ConfigError } from '../config/config';
import { CredentialsError } from '../github/credentials';
import { SenderSecretsError } from '../push/secrets';
import { CliError } from './errors';

/** Runs the program; errors meant for people print as one line (exit 2), anything else with its stack. */
export async function runCli(program: Command, argv: string[] = process.argv): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (error) {
    // Commander has already printed its one line (or the help, or the version): exit 0 for those, 2 otherwise.
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
    if (
      error instanceof CliError ||
      error instanceof ConfigError ||
      error instanceof SenderSecretsError ||
      error instanceof CredentialsError
    ) {
      process.stderr.write(`telemetry: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
