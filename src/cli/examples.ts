import examples from '@octokit/webhooks-examples';
import { collectedTriggers, metrics } from '../metrics/registry';
import type { MetricSettings } from '../metrics/settings';
import { addSignature } from '../pipeline/add-signature';
import { collects } from '../pipeline/collect-metrics';

export interface BundledExample {
  event: string;
  action?: string;
  payload: Record<string, unknown>;
}

type ExampleGroup = { name: string; examples: Record<string, unknown>[] };

/** `workflow_job.completed` → the first real payload of that event and action in @octokit/webhooks-examples. */
export function findExample(name: string): BundledExample | undefined {
  const [event, action] = name.split('.', 2);
  const group = (examples as unknown as ExampleGroup[]).find((g) => g.name === event);
  const payload = group?.examples.find((p) => (action ? p.action === action : true));
  if (!event || !payload) return undefined;
  return { event, ...(action ? { action } : {}), payload };
}

/** Every `event[.action]` name `findExample` knows, for `telemetry send --list`. */
export function exampleNames(): string[] {
  const names = new Set<string>();
  for (const group of examples as unknown as ExampleGroup[]) {
    for (const payload of group.examples) {
      names.add(typeof payload.action === 'string' ? `${group.name}.${payload.action}` : group.name);
    }
  }
  return [...names].sort();
}

/**
 * What the collector does with a bundled example under these settings: the metrics that make records from
 * it, and the metrics that listen to its trigger (it is queued) but whose other conditions it does not meet.
 */
export function exampleCoverage(
  name: string,
  settings: MetricSettings,
): { recording: string[]; notMatching: string[] } {
  const example = findExample(name);
  const none = { recording: [], notMatching: [] };
  if (!example) return none;
  const signed = addSignature(
    {
      headers: { 'x-github-event': example.event, 'x-github-delivery': 'example' },
      body: Buffer.from(JSON.stringify(example.payload)),
      receivedAt: new Date(0).toISOString(),
    },
    collectedTriggers(),
  );
  if (signed.kind !== 'accepted') return none;
  const event = signed.event;
  const listening = metrics.filter((m) =>
    m.triggers.some((t) => t === event.trigger || event.trigger.startsWith(`${t}.`)),
  );
  return {
    recording: listening.filter((m) => collects(m, event, settings)).map((m) => m.name),
    notMatching: listening.filter((m) => !collects(m, event, settings)).map((m) => m.name),
  };
}
