import { type Command, Option } from 'commander';

export interface SendersCommandOptions {
  data?: string;
  format: 'table' | 'json';
}

export function registerSenders(program: Command): void {
  program
    .command('senders')
    .description(
      'Health of the systems that push (docs/PUSH.md): last accepted and refused request, accepted and refused items over 24 h and 7 days, the most frequent errors.',
    )
    .option(
      '--data <dir>',
      'data directory or data-repository clone (default: server.dataDir of the configuration)',
    )
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .addHelpText(
      'after',
      '\nSenders come from the records, the refused-request log (_state/senders/), senders.watch in the\nconfiguration and the names in TELEMETRY_SENDER_SECRETS (never their secrets).\n\nExamples:\n  telemetry senders\n  telemetry senders --data ../telemetry-data-repo --format json',
    )
    .action(async (options: SendersCommandOptions) => {
      const { sendersAction } = await import('../actions/senders');
      await sendersAction(options);
    });
}
