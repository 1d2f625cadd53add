import type { MetricRecord, SignedEvent } from '../../src/pipeline/types';
import {
  customMetricItem,
  deployment,
  incident,
  pushHarness,
  signedPush,
  toolingUsage,
} from '../push/harness';
import { COLLECTED_AT, collectAll } from '../support/collect';
import { expectDocumentedExample } from '../support/metrics-doc';

/** Items go through the real push handler (signature, validation), as a sender's request would. */
async function pushed(kind: string, items: unknown[], sender = 'jenkins'): Promise<SignedEvent[]> {
  const secret = sender === 'jenkins' ? 'jenkins-secret' : 'gitlab-new';
  const { send, enqueued } = pushHarness();
  const response = await send(signedPush(kind, { items }, { sender, secret }));
  expect(response.status).toBe(202);
  return enqueued;
}

async function recordsOf(kind: string, items: unknown[], sender?: string): Promise<MetricRecord[]> {
  const events = await pushed(kind, items, sender);
  return (await Promise.all(events.map((e) => collectAll(e)))).flat();
}

describe('push-deployment metric', () => {
  it('makes one record per pushed deployment, with durations and lead time', async () => {
    const [record, ...rest] = await recordsOf('deployment', [
      deployment({
        sha: '9F2C1E0B7A3D4C5E6F708192A3B4C5D6E7F80912',
        first_commit_at: '2026-10-31T16:20:00+01:00',
        service: 'billing-api',
        version: '2026.11.1',
        url: 'https://jenkins.example.com/job/billing/812/',
        pull_requests: [381, 384],
      }),
    ]);
    expect(rest).toEqual([]);
    expect(record).toMatchObject({
      metric: 'push-deployment',
      trigger: 'push::deployment',
      collected_by: 'push',
      delivery_id: 'deploy-4711',
      owner: 'octo-org',
      repo: 'billing',
      occurred_at: '2026-11-01T11:58:42.000Z',
      status: 'complete',
      output: {
        sender: 'jenkins',
        id: 'deploy-4711',
        environment: 'production',
        sha: '9f2c1e0b7a3d4c5e6f708192a3b4c5d6e7f80912',
        status: 'success',
        started_at: '2026-11-01T11:52:10.000Z',
        finished_at: '2026-11-01T11:58:42.000Z',
        duration_ms: 392_000, // 11:52:10 → 11:58:42
        first_commit_at: '2026-10-31T15:20:00.000Z',
        lead_time_ms: 74_322_000, // 2026-10-31 15:20:00Z → 2026-11-01 11:58:42Z = 20 h 38 min 42 s
        pull_requests: [381, 384],
      },
    });
    expectDocumentedExample(record as MetricRecord);
  });

  it('has null durations when the sender does not say, and no lead time for a failed deployment', async () => {
    const [plain, failed] = await recordsOf('deployment', [
      deployment({ id: 'a', started_at: undefined }),
      deployment({ id: 'b', status: 'failure', first_commit_at: '2026-11-01T10:00:00Z' }),
    ]);
    expect(plain?.output).toMatchObject({
      started_at: null,
      duration_ms: null,
      lead_time_ms: null,
      first_commit_at: null,
      service: null,
      version: null,
      url: null,
      pull_requests: [],
    });
    expect(failed?.output).toMatchObject({
      status: 'failure',
      lead_time_ms: null,
      first_commit_at: '2026-11-01T10:00:00.000Z',
    });
  });

  it('keys records by sender, id and status: a resend is the same record, another status or sender is not', async () => {
    const [first] = await recordsOf('deployment', [deployment()]);
    const [resend] = await recordsOf('deployment', [deployment({ environment: 'changed' })]);
    const [progress] = await recordsOf('deployment', [deployment({ status: 'in_progress' })]);
    const [otherSender] = await recordsOf('deployment', [deployment()], 'gitlab');
    expect(resend?.id).toBe(first?.id);
    expect(new Set([first?.id, progress?.id, otherSender?.id]).size).toBe(3);
    expect(first?.id).toMatch(/^push-deployment-[0-9a-f]{24}$/);
  });
});

describe('push-incident metric', () => {
  it('makes an opened record for an open incident', async () => {
    const records = await recordsOf('incident', [incident({ severity: 'SEV2' })]);
    expect(records.map((r) => [r.metric, r.occurred_at, (r.output as { event: string }).event])).toEqual([
      ['push-incident', '2026-11-01T11:05:00.000Z', 'opened'],
    ]);
    expect(records[0]?.output).toMatchObject({
      resolved_at: null,
      time_to_restore_ms: null,
      severity: 'SEV2',
    });
  });

  it('makes opened and resolved records for a resolved incident, the opened one identical to an earlier push', async () => {
    const resolvedItem = incident({
      resolved_at: '2026-11-01T12:47:30+01:00',
      severity: 'SEV1',
      title: 'Checkout answers 502 after billing-api 2026.11.1',
      service: 'billing-api',
      sha: '9f2c1e0b7a3d4c5e6f708192a3b4c5d6e7f80912',
      deployment_id: 'deploy-4711',
      url: 'https://status.example.com/incidents/2041',
    });
    const records = await recordsOf('incident', [resolvedItem]);
    expect(records.map((r) => (r.output as { event: string }).event)).toEqual(['opened', 'resolved']);
    const [opened, resolved] = records;
    expect(resolved).toMatchObject({
      occurred_at: '2026-11-01T11:47:30.000Z',
      output: {
        event: 'resolved',
        opened_at: '2026-11-01T11:05:00.000Z',
        resolved_at: '2026-11-01T11:47:30.000Z',
        time_to_restore_ms: 2_550_000, // 11:05:00 → 11:47:30
        deployment_id: 'deploy-4711',
      },
    });
    const { resolved_at: _, ...stillOpen } = resolvedItem;
    const [earlier] = await recordsOf('incident', [stillOpen]);
    expect(earlier?.id).toBe(opened?.id);
    expect(earlier?.output).toEqual(opened?.output);
    expectDocumentedExample(resolved as MetricRecord);
  });
});

describe('tooling-usage metric (push side)', () => {
  it('stores the tools sorted, source push, one record per repository, sender and UTC day', async () => {
    const records = await recordsOf('tooling-usage', [
      toolingUsage({
        tools: { 'maven:junit': '5.11.0', jdk: '21', 'maven:spring-boot': '3.4.1', sonar: '*' },
        sha: 'ABCDEF1',
        observed_at: '2026-11-01T09:30:00+01:00',
      }),
    ]);
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record).toMatchObject({
      metric: 'tooling-usage',
      trigger: 'push::tooling-usage',
      occurred_at: '2026-11-01T08:30:00.000Z',
    });
    expect(record?.output).toEqual({
      source: 'push',
      sender: 'jenkins',
      sha: 'abcdef1',
      tools: { jdk: '21', 'maven:junit': '5.11.0', 'maven:spring-boot': '3.4.1', sonar: '*' },
      files: [],
      config_files: [],
    });
    expect(Object.keys((record!.output as { tools: object }).tools)).toEqual([
      'jdk',
      'maven:junit',
      'maven:spring-boot',
      'sonar',
    ]);
    const [sameDay] = await recordsOf('tooling-usage', [
      toolingUsage({ observed_at: '2026-11-01T23:59:59Z' }),
    ]);
    const [nextDay] = await recordsOf('tooling-usage', [
      toolingUsage({ observed_at: '2026-11-02T00:00:00Z' }),
    ]);
    expect(sameDay?.id).toBe(record?.id);
    expect(nextDay?.id).not.toBe(record?.id);
    expectDocumentedExample(record as MetricRecord, 'tooling-usage-push');
  });

  it('uses the time the push was received when observed_at is absent', async () => {
    const [record] = await recordsOf('tooling-usage', [toolingUsage()]);
    expect(record?.occurred_at).toBe('2026-11-01T12:00:00.000Z');
    expect(record?.collected_at).toBe(COLLECTED_AT);
  });
});

describe('custom-metric metric', () => {
  it('stores the value with sorted dimensions, keyed by sender and id', async () => {
    const [record] = await recordsOf('custom-metric', [
      customMetricItem({
        repository: 'octo-org/billing',
        dimensions: { runner: 'linux-xl', branch: 'main' },
      }),
    ]);
    expect(record).toMatchObject({
      metric: 'custom-metric',
      owner: 'octo-org',
      repo: 'billing',
      occurred_at: '2026-11-01T12:00:00.000Z',
      output: {
        sender: 'jenkins',
        id: 'cache-2026-11-01T12',
        name: 'build.cache_hit_ratio',
        value: 0.87,
        unit: 'ratio',
        observed_at: '2026-11-01T12:00:00.000Z',
        repository: 'octo-org/billing',
        dimensions: { branch: 'main', runner: 'linux-xl' },
      },
    });
    expect(Object.keys((record!.output as { dimensions: object }).dimensions)).toEqual(['branch', 'runner']);
    expectDocumentedExample(record as MetricRecord);
  });

  it('files a value of no repository under owner "_" and repo "_"', async () => {
    const [record] = await recordsOf('custom-metric', [customMetricItem()]);
    expect(record).toMatchObject({ owner: '_', repo: '_', output: { repository: null, dimensions: {} } });
  });
});

describe('push metrics refuse events that did not come through the push handler', () => {
  it('fails (and the worker parks) an event without a sender or with a payload of the wrong shape', async () => {
    const [event] = await pushed('deployment', [deployment()]);
    const { sender: _, ...anonymous } = event as SignedEvent;
    await expect(collectAll(anonymous)).rejects.toThrow('push event without a sender');
    await expect(collectAll({ ...(event as SignedEvent), payload: { id: 'x' } })).rejects.toThrow(
      'pushed deployment: repository',
    );
  });
});
