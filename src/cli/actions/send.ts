import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { loadConfig } from '../../config/config';
import { readLocalSecrets, splitSecretList } from '../../config/secrets';
import type { MetricSettings } from '../../metrics/settings';
import { PUSH_KIND_NAMES, RETRACT_EVENT } from '../../push/kind-names';
import { isPushKind } from '../../push/kinds';
import { pushHeaders } from '../../push/signature';
import { signGitHubBody } from '../../webhook/verify';
import type { SendOptions } from '../commands/send';
import { CliError } from '../errors';
import { exampleCoverage, exampleNames, findExample } from '../examples';

export interface SignedDelivery {
  headers: Record<string, string>;
  body: string;
}

/** Builds exactly what GitHub sends: the JSON body and its `X-Hub-Signature-256` over those bytes. */
export async function signGitHubDelivery(
  event: string,
  payload: unknown,
  secret: string,
  deliveryId: string = randomUUID(),
): Promise<SignedDelivery> {
  const body = JSON.stringify(payload);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/telemetry-send',
      'x-github-event': event,
      'x-github-delivery': deliveryId,
      'x-hub-signature-256': await signGitHubBody(secret, body),
    },
  };
}

/** `telemetry send`: a signed GitHub delivery, a signed push (`--kind`) or the examples (`--list`). */
export async function sendAction(target: string | undefined, options: SendOptions): Promise<void> {
  if (options.list) {
    process.stdout.write(listExamples(loadConfig().metrics));
    return;
  }
  if (options.kind !== undefined || options.sender !== undefined) {
    await sendPush(target, options);
    return;
  }
  if (!target) throw new CliError('name a bundled example (see --list) or a JSON file');
  const secret = splitSecretList(process.env.TELEMETRY_WEBHOOK_SECRET)[0];
  if (!secret) {
    throw new CliError(
      'TELEMETRY_WEBHOOK_SECRET is not set: export the secret the collector printed at start-up (or your own)',
    );
  }
  const { event, payload } = await resolvePayload(target, options.event);
  const delivery = await signGitHubDelivery(event, payload, secret, options.delivery);
  let response: Response;
  try {
    response = await fetch(options.url, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
  } catch (error) {
    throw new CliError(
      `could not reach ${options.url}: ${(error as Error).message} (is \`npm start\` running?)`,
    );
  }
  const text = await response.text();
  process.stdout.write(`${response.status} ${delivery.headers['x-github-delivery']} ${text}\n`);
  if (!response.ok) process.exitCode = 1;
}

/** `send --list`: every bundled example, and the metrics that make records from it (or that none does). */
export function listExamples(settings: MetricSettings): string {
  const names = exampleNames();
  const width = Math.max(...names.map((n) => n.length)) + 2;
  const lines = names.map((name) => {
    const { recording, notMatching } = exampleCoverage(name, settings);
    const status =
      recording.length > 0
        ? `recorded by ${recording.join(', ')}`
        : notMatching.length > 0
          ? `queued, no record: this payload does not meet the conditions of ${notMatching.join(', ')}`
          : 'not collected (answered 202, no record)';
    return `${name.padEnd(width)}${status}`;
  });
  return `bundled examples (real payloads from @octokit/webhooks-examples) and what the collector makes of them:\n${lines.join('\n')}\n`;
}

/** `--kind K --sender S FILE`: posts FILE's bytes unchanged (one item or {"items": [...]}), signed. */
async function sendPush(file: string | undefined, options: SendOptions): Promise<void> {
  const { kind, sender } = options;
  if (!kind || !(isPushKind(kind) || kind === RETRACT_EVENT)) {
    throw new CliError(`--kind must be one of ${[...PUSH_KIND_NAMES, RETRACT_EVENT].join(', ')}`);
  }
  if (!sender) throw new CliError('--sender is required with --kind');
  if (!file) throw new CliError('name the JSON file to push (one item or {"items": [...]})');
  const senders = readLocalSecrets().senderSecrets;
  // During a rotation (`name=old,name=new`) the last one listed is the new one.
  const secret = senders.get(sender)?.at(-1);
  if (!secret) throw new CliError(`TELEMETRY_SENDER_SECRETS has no secret for sender ${sender}`);
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    throw new CliError(`cannot read ${file}`);
  }
  try {
    JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new CliError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  let response: Response;
  try {
    response = await fetch(options.url, {
      method: 'POST',
      headers: pushHeaders(kind, sender, secret, body),
      body: new Uint8Array(body),
    });
  } catch (error) {
    throw new CliError(
      `could not reach ${options.url}: ${(error as Error).message} (is \`npm start\` running?)`,
    );
  }
  process.stdout.write(`${response.status} ${await response.text()}\n`);
  if (!response.ok) process.exitCode = 1;
}

async function resolvePayload(
  target: string,
  eventOption?: string,
): Promise<{ event: string; payload: unknown }> {
  const example = findExample(target);
  if (example && !target.endsWith('.json'))
    return { event: eventOption ?? example.event, payload: example.payload };
  let text: string;
  try {
    text = await readFile(target, 'utf8');
  } catch {
    throw new CliError(`${target} is neither a bundled example (see --list) nor a readable file`);
  }
  if (!eventOption) throw new CliError('--event is required when sending a payload file');
  try {
    return { event: eventOption, payload: JSON.parse(text) };
  } catch (error) {
    throw new CliError(`${target} is not valid JSON: ${(error as Error).message}`);
  }
}
