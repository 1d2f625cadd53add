/** An error whose message is meant for the person at the terminal: printed without a stack, exit code 2. */
export class CliError extends Error {
  override readonly name = 'CliError';
}
