import { type Command, CommanderError } from 'commander';
import { UserError } from '../user-error';

/** Runs the program; errors meant for people print as one line (exit 2), anything else with its stack. */
export async function runCli(program: Command, argv: string[] = process.argv): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (error) {
    // Commander has already printed its one line (or the help, or the version): exit 0 for those, 2 otherwise.
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
    // A wrong option, setting or credential, or the App not installed on an owner the command names (`--org`,
    // `--repo`): every such error extends UserError, which loads nothing (see src/user-error.ts).
    if (error instanceof UserError) {
      process.stderr.write(`telemetry: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
