import type { Command } from 'commander';
import { PUSH_KIND_NAMES, RETRACT_EVENT } from '../../push/kind-names';

export interface SendOptions {
  url: string;
  event?: string;
  delivery?: string;
  list?: boolean;
  kind?: string;
  sender?: string;
}

export function registerSend(program: Command): void {
  program
    .command('send')
    .description(
      'Sign and post a GitHub webhook delivery (a bundled real example such as workflow_job.completed, or a JSON file), or with --kind a push from another system.',
    )
    .argument('[example-or-file]', 'event[.action] of a bundled example, or the path of a JSON payload file')
    .option('--url <url>', 'where to post', `http://localhost:${process.env.PORT || 3000}/telemetry`)
    .option('--event <name>', 'X-GitHub-Event for a payload file (default: taken from the example name)')
    .option(
      '--delivery <id>',
      'X-GitHub-Delivery to use (default: a new GUID); reuse one to test idempotency',
    )
    .option('--list', 'list the bundled example names and exit')
    .option(
      '--kind <kind>',
      `send FILE as a push from another system: ${[...PUSH_KIND_NAMES, RETRACT_EVENT].join(', ')} (docs/PUSH.md)`,
    )
    .option(
      '--sender <name>',
      'sender name of a push (signed with its last secret in TELEMETRY_SENDER_SECRETS)',
    )
    .addHelpText(
      'after',
      '\nA GitHub delivery is signed with the first secret in TELEMETRY_WEBHOOK_SECRET; a push (--kind) with the\nsender\'s last secret in TELEMETRY_SENDER_SECRETS.\n\nExamples:\n  telemetry send workflow_job.completed\n  telemetry send ./payload.json --event pull_request\n  telemetry send --kind deployment --sender jenkins ./deployment.json\n  telemetry send --kind retract --sender jenkins ./retract.json   # {"kind": "deployment", "ids": ["deploy-4711"]}',
    )
    .action(async (target: string | undefined, options: SendOptions) => {
      const { sendAction } = await import('../actions/send');
      await sendAction(target, options);
    });
}
