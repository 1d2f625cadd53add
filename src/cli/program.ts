import { Command } from 'commander';
import { COLLECTOR_VERSION } from '../version';
import { registerApp } from './commands/app';
import { registerConfigCheck } from './commands/config-check';
import { registerDataCommands } from './commands/data';
import { registerJobCommands } from './commands/jobs';
import { registerReport } from './commands/report';
import { registerSend } from './commands/send';
import { registerSenders } from './commands/senders';
import { registerServe } from './commands/serve';

/**
 * The cloud-agnostic `telemetry` commands. bin/cli.ts adds the AWS-backed ones. A command registers its names,
 * options and help from light modules (commands/), and its action imports the implementation (actions/) when
 * it runs: every start would otherwise load every command's modules (DuckDB, Octokit, zod, the server), so a
 * command, `--help` and `--version` load only what they use.
 */
export function buildProgram(): Command {
  const program = new Command('telemetry')
    .description('github-telemetry: engineering telemetry from GitHub and other CI/CD systems.')
    .version(COLLECTOR_VERSION)
    .enablePositionalOptions()
    // A wrong option or argument is one line (`telemetry: …`) and exit code 2, like every mistake a user can
    // make; `--help` shows the usage. Subcommands inherit both settings.
    .exitOverride()
    .configureOutput({
      outputError: (text, write) => {
        const line = text
          .replace(/^error: /, '')
          .trim()
          .replace(/\s*\n\s*/g, ' ');
        write(`telemetry: ${line}${line.includes('Did you mean') ? '' : ' (see --help)'}\n`);
      },
    });
  registerServe(program);
  registerSend(program);
  registerConfigCheck(program);
  registerReport(program);
  registerSenders(program);
  registerJobCommands(program);
  registerApp(program);
  registerDataCommands(program);
  return program;
}
