import examples from '@octokit/webhooks-examples';

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
