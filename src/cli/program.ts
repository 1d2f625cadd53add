import { Command } from 'commander';
import { COLLECTOR_VERSION } from '../version';
import { registerConfigCheck } from './commands/config-check';
import { registerDataCommands } from './commands/data';
import { registerJobCommands } from './commands/jobs';
import { registerReport } from './commands/report';
import { registerSend } from './commands/send';
import { registerSenders } from './commands/senders';
import { registerServe } from './commands/serve';

/** The cloud-agnostic `telemetry` commands. bin/cli.ts adds the AWS-backed ones. */
export function buildProgram(): Command {
  const program = new Command('telemetry')
    .description('github-telemetry: engineering telemetry from GitHub and other CI/CD systems.')
    .version(COLLECTOR_VERSION)
    .showHelpAfterError()
    .enablePositionalOptions();
  registerServe(program);
  registerSend(program);
  registerConfigCheck(program);
  registerReport(program);
  registerSenders(program);
  registerJobCommands(program);
  registerDataCommands(program);
  return program;
}
