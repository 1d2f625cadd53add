import { registerRedrive } from '../lambda/cli/redrive-command';
import { buildProgram } from '../src/cli/program';
import { runCli } from '../src/cli/run';

// Composition root of the `telemetry` command: the cloud-agnostic commands of src/cli, plus the AWS-backed
// ones (lambda/), which src/ may not import.
const program = buildProgram();
registerRedrive(program);
void runCli(program);
