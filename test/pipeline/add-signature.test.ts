import examples from '@octokit/webhooks-examples';
import { collectedTriggers } from '../../src/metrics/registry';
import { addSignature } from '../../src/pipeline/add-signature';
import { example } from '../support/webhooks';

const collected = collectedTriggers();
const raw = (event: string | undefined, body: unknown, delivery: string | null = 'd-1') => ({
  headers: { 'x-github-event': event, 'x-github-delivery': delivery ?? undefined },
  body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
  receivedAt: '2026-11-01T12:00:00.000Z',
});

describe('addSignature', () => {
  it('names a collected event github::<event>.<action> and keeps the delivery id as a string', () => {
    const result = addSignature(
      raw('workflow_job', example('workflow_job', 'completed'), '72d3162e-cc78'),
      collected,
    );
    expect(result.kind).toBe('accepted');
    if (result.kind !== 'accepted') return;
    expect(result.event).toMatchObject({
      trigger: 'github::workflow_job.completed',
      source: 'github',
      event: 'workflow_job',
      action: 'completed',
      deliveryId: '72d3162e-cc78',
      collectedBy: 'webhook',
      receivedAt: '2026-11-01T12:00:00.000Z',
    });
  });

  it('names an event without action github::<event>', () => {
    const result = addSignature(raw('create', example('create')), collected);
    expect(result.kind === 'accepted' && result.event.trigger).toBe('github::create');
  });

  it('acknowledges ping and events or actions no metric collects, without error', () => {
    expect(addSignature(raw('ping', example('ping')), collected)).toMatchObject({
      kind: 'ignored',
      reason: 'pong',
    });
    expect(addSignature(raw('workflow_job', example('workflow_job', 'queued')), collected)).toMatchObject({
      kind: 'ignored',
      reason: 'workflow_job.queued is not collected',
    });
    expect(addSignature(raw('star', { action: 'created' }), collected)).toMatchObject({ kind: 'ignored' });
  });

  it('acknowledges every event GitHub sends, digits included (projects_v2_item): never a failed delivery', () => {
    const groups = examples as unknown as { name: string; examples: Record<string, unknown>[] }[];
    expect(groups.map((g) => g.name)).toContain('projects_v2_item');
    for (const group of groups) {
      for (const payload of group.examples) {
        expect(addSignature(raw(group.name, payload), collected).kind).not.toBe('invalid');
      }
    }
    expect(addSignature(raw('projects_v2_item', { action: 'created' }), collected)).toMatchObject({
      kind: 'ignored',
      reason: 'projects_v2_item.created is not collected',
    });
  });

  it('refuses missing or malformed headers and bodies with a message naming the problem', () => {
    expect(addSignature(raw(undefined, {}), collected)).toEqual({
      kind: 'invalid',
      message: 'missing X-GitHub-Event header',
    });
    expect(addSignature(raw('workflow_job', {}, null), collected)).toEqual({
      kind: 'invalid',
      message: 'missing X-GitHub-Delivery header',
    });
    expect(addSignature(raw('../etc', {}), collected)).toMatchObject({ kind: 'invalid' });
    expect(addSignature(raw('workflow_job', {}, 'a/b'), collected)).toMatchObject({ kind: 'invalid' });
    expect(addSignature(raw('workflow_job', '{"action":'), collected)).toEqual({
      kind: 'invalid',
      message: 'body is not valid JSON',
    });
    for (const body of ['[]', '"text"', '42', 'null']) {
      expect(addSignature(raw('workflow_job', body), collected)).toEqual({
        kind: 'invalid',
        message: 'body must be a JSON object',
      });
    }
  });

  it('keeps only the id of an app installation', () => {
    const payload = {
      ...example('check_suite', 'completed'),
      installation: example('check_suite', 'requested').installation,
    };
    const result = addSignature(raw('check_suite', payload), collected);
    if (result.kind !== 'accepted') throw new Error('not accepted');
    expect(result.event.payload.installation).toEqual({ id: 957387 });
  });

  it('queues only what metrics read of the envelope: no sender, organisation or installation, the repository identity', () => {
    const payload = example('workflow_job', 'completed');
    const result = addSignature(raw('workflow_job', payload), collected);
    if (result.kind !== 'accepted') throw new Error('not accepted');
    const queued = result.event.payload;
    expect(queued).not.toHaveProperty('sender');
    expect(queued).not.toHaveProperty('organization');
    const repository = payload.repository as Record<string, unknown>;
    expect(queued.repository).toEqual({
      id: repository.id,
      node_id: repository.node_id,
      name: repository.name,
      full_name: repository.full_name,
      private: repository.private,
      html_url: repository.html_url,
      default_branch: repository.default_branch,
      owner: {
        login: (repository.owner as { login: string }).login,
        id: (repository.owner as { id: number }).id,
        type: (repository.owner as { type: string }).type,
      },
    });
    expect(queued.workflow_job).toEqual(payload.workflow_job);
    expect(JSON.stringify(queued).length).toBeLessThan(JSON.stringify(payload).length / 2);
  });
});
