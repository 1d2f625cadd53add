import { createHmac } from 'node:crypto';
import { MAX_ITEMS } from '../../src/push/kinds';
import {
  customMetricItem,
  deployment,
  incident,
  NOW,
  NOW_SECONDS,
  pushHarness,
  signedPush,
  toolingUsage,
} from './harness';

describe('POST /telemetry with X-Telemetry-Event (the push contract)', () => {
  it('accepts one item: 202 with its result, and enqueues a push::<kind> SignedEvent', async () => {
    const { send, enqueued } = pushHarness();
    const response = await send(signedPush('deployment', deployment()));
    expect(response).toEqual({
      status: 202,
      body: { outcome: 'queued', results: [{ index: 0, id: 'deploy-4711' }] },
    });
    expect(enqueued).toEqual([
      {
        trigger: 'push::deployment',
        source: 'push',
        event: 'deployment',
        deliveryId: 'deploy-4711',
        receivedAt: NOW.toISOString(),
        collectedBy: 'push',
        sender: 'jenkins',
        payload: { schema_version: 1, ...deployment() },
      },
    ]);
  });

  it('accepts {"items": [...]} of every kind, one result per item in order', async () => {
    const { send, enqueued } = pushHarness();
    const bodies = {
      deployment: [deployment(), deployment({ id: 'deploy-4712', status: 'failure' })],
      incident: [incident(), incident({ id: 'INC-2042', resolved_at: '2026-11-01T13:00:00Z' })],
      'tooling-usage': [
        toolingUsage(),
        toolingUsage({ repository: 'octo-org/web', observed_at: '2026-10-30T08:00:00Z' }),
      ],
      'custom-metric': [customMetricItem(), customMetricItem({ id: 'cache-2', value: -3 })],
    };
    for (const [kind, items] of Object.entries(bodies)) {
      const response = await send(signedPush(kind, { items }));
      expect(response.status).toBe(202);
      expect((response.body.results as unknown[]).length).toBe(2);
    }
    expect(enqueued.map((e) => `${e.trigger} ${e.deliveryId}`)).toEqual([
      'push::deployment deploy-4711',
      'push::deployment deploy-4712',
      'push::incident INC-2041',
      'push::incident INC-2042',
      // tooling-usage has no id of its own: repository and UTC day (the metric's natural key).
      expect.stringMatching(/^push::tooling-usage push-[0-9a-f]{32}$/),
      expect.stringMatching(/^push::tooling-usage push-[0-9a-f]{32}$/),
      'push::custom-metric cache-2026-11-01T12',
      'push::custom-metric cache-2',
    ]);
    const tooling = await send(signedPush('tooling-usage', toolingUsage()));
    expect(tooling.body.results).toEqual([{ index: 0, id: 'octo-org/billing@2026-11-01' }]);
  });

  it('stores the valid items of a mixed batch and reports the invalid ones, which are not enqueued', async () => {
    const { send, enqueued } = pushHarness();
    const response = await send(
      signedPush('deployment', {
        items: [
          deployment(),
          deployment({ id: 'bad', sha: 'not-a-sha', status: 'done' }),
          42,
          deployment({ id: 'd3' }),
        ],
      }),
    );
    expect(response.status).toBe(202);
    expect(response.body.results).toEqual([
      { index: 0, id: 'deploy-4711' },
      {
        index: 1,
        errors: [
          { path: 'sha', message: 'must be a commit sha (7 to 64 hexadecimal characters)' },
          { path: 'status', message: expect.stringContaining('success') },
        ],
      },
      { index: 2, errors: [{ path: '', message: 'must be a JSON object' }] },
      { index: 3, id: 'd3' },
    ]);
    expect(enqueued.map((e) => e.deliveryId)).toEqual(['deploy-4711', 'd3']);
  });

  it('answers 400 with every result when no item is valid, and enqueues nothing', async () => {
    const { send, enqueued } = pushHarness();
    const response = await send(
      signedPush('incident', { items: [{ id: 'x' }, incident({ opened_at: 'yesterday' })] }),
    );
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('no valid item: see results');
    expect(response.body.results).toEqual([
      {
        index: 0,
        errors: [
          { path: 'repository', message: expect.any(String) },
          { path: 'opened_at', message: expect.any(String) },
        ],
      },
      { index: 1, errors: [{ path: 'opened_at', message: expect.stringContaining('ISO-8601') }] },
    ]);
    expect(enqueued).toEqual([]);
  });

  it.each([
    ['not JSON', '{"id": ', 'body is not valid JSON'],
    ['a JSON array', '[{"id": "a"}]', 'body must be one item (a JSON object) or {"items": [...]}'],
    ['a JSON string', '"deploy"', 'body must be one item (a JSON object) or {"items": [...]}'],
    ['items not an array', '{"items": {"id": "a"}}', '"items" must be an array of items'],
    ['items empty', '{"items": []}', '"items" is empty'],
  ])('answers 400 when the body is %s', async (_, body, message) => {
    const { send, enqueued } = pushHarness();
    const response = await send(signedPush('deployment', body));
    expect(response).toEqual({ status: 400, body: { error: message, outcome: 'rejected' } });
    expect(enqueued).toEqual([]);
  });

  it(`accepts ${MAX_ITEMS} items and refuses ${MAX_ITEMS + 1} with 413, storing none of them`, async () => {
    const { send, enqueued } = pushHarness();
    const items = (n: number) => Array.from({ length: n }, (_, i) => deployment({ id: `deploy-${i}` }));
    const ok = await send(signedPush('deployment', { items: items(500) }));
    expect(ok.status).toBe(202);
    expect((ok.body.results as { id: string }[]).map((r) => r.id)).toEqual(items(500).map((i) => i.id));
    expect(enqueued).toHaveLength(500);
    const tooMany = await send(signedPush('deployment', { items: items(501) }));
    expect(tooMany).toEqual({
      status: 413,
      body: { error: '"items" holds 501 items; at most 500 per request', outcome: 'rejected' },
    });
    expect(enqueued).toHaveLength(500);
  });

  it('answers 413 above the size limit and 415 for a content type that is not JSON', async () => {
    const { send } = pushHarness({ maxBodyBytes: 1000 });
    const big = signedPush('deployment', deployment({ service: 'x'.repeat(1000) }));
    expect((await send(big)).status).toBe(413);
    const text = signedPush('deployment', deployment());
    expect((await send({ ...text, headers: { ...text.headers, 'content-type': 'text/plain' } })).status).toBe(
      415,
    );
    const form = {
      ...text,
      headers: { ...text.headers, 'content-type': 'application/x-www-form-urlencoded' },
    };
    expect((await send(form)).status).toBe(415);
    const charset = {
      ...text,
      headers: { ...text.headers, 'content-type': 'application/json; charset=utf-8' },
    };
    expect((await send(charset)).status).toBe(202);
  });

  describe('401: unknown sender, bad signature, stale timestamp', () => {
    const cases: [string, (r: ReturnType<typeof signedPush>) => ReturnType<typeof signedPush>, string][] = [
      ['no sender header', (r) => without(r, 'x-telemetry-sender'), 'missing X-Telemetry-Sender header'],
      [
        'an unknown sender',
        (r) => withHeader(r, 'x-telemetry-sender', 'circleci'),
        'unknown sender or invalid signature',
      ],
      [
        'a sender name that is no name',
        (r) => withHeader(r, 'x-telemetry-sender', '../jenkins'),
        'unknown sender or invalid signature',
      ],
      [
        'a prototype key as sender',
        (r) => withHeader(r, 'x-telemetry-sender', '__proto__'),
        'unknown sender or invalid signature',
      ],
      ['no timestamp', (r) => without(r, 'x-telemetry-timestamp'), 'missing X-Telemetry-Timestamp header'],
      [
        'a timestamp in ms',
        (r) => withHeader(r, 'x-telemetry-timestamp', `${NOW.getTime()}`),
        'must be unix seconds',
      ],
      [
        'an ISO timestamp',
        (r) => withHeader(r, 'x-telemetry-timestamp', NOW.toISOString()),
        'must be unix seconds',
      ],
      [
        'no signature',
        (r) => without(r, 'x-telemetry-signature-256'),
        'missing X-Telemetry-Signature-256 header',
      ],
      [
        'a truncated signature',
        (r) =>
          withHeader(r, 'x-telemetry-signature-256', r.headers['x-telemetry-signature-256']!.slice(0, -2)),
        'unknown sender or invalid signature',
      ],
      [
        'a sha1 signature',
        (r) =>
          withHeader(
            r,
            'x-telemetry-signature-256',
            r.headers['x-telemetry-signature-256']!.replace('sha256=', 'sha1='),
          ),
        'unknown sender or invalid signature',
      ],
      [
        'a tampered body',
        (r) => ({ ...r, body: Buffer.from(r.body.toString().replace('production', 'staging')) }),
        'unknown sender or invalid signature',
      ],
    ];
    it.each(cases)('refuses %s', async (_, change, message) => {
      const { send, enqueued } = pushHarness();
      const response = await send(change(signedPush('deployment', deployment())));
      expect(response.status).toBe(401);
      expect(response.body.error).toContain(message);
      expect(enqueued).toEqual([]);
    });

    it("refuses a body signed with another sender's secret or with the body alone (GitHub style)", async () => {
      const { send } = pushHarness();
      expect((await send(signedPush('deployment', deployment(), { secret: 'gitlab-new' }))).status).toBe(401);
      const request = signedPush('deployment', deployment());
      const bodyOnly = `sha256=${createHmac('sha256', 'jenkins-secret').update(request.body).digest('hex')}`;
      expect((await send(withHeader(request, 'x-telemetry-signature-256', bodyOnly))).status).toBe(401);
    });

    it('answers an unknown sender and a bad signature byte for byte the same (no sender enumeration)', async () => {
      const { send } = pushHarness();
      const unknown = await send(
        signedPush('deployment', deployment(), { sender: 'circleci', secret: 'guess' }),
      );
      const badSignature = await send(signedPush('deployment', deployment(), { secret: 'guess' }));
      const badName = await send(signedPush('deployment', deployment(), { sender: '../x', secret: 'guess' }));
      expect(unknown).toEqual(badSignature);
      expect(badName).toEqual(badSignature);
      expect(badSignature).toEqual({
        status: 401,
        body: { error: 'unknown sender or invalid signature', outcome: 'rejected' },
      });
    });

    it('signature v2 binds the kind and the sender: a captured push replayed as another kind or sender is refused', async () => {
      const { send, enqueued } = pushHarness({ senders: 'jenkins=shared-secret,jenkins.ci=shared-secret' });
      // A body that is a valid deployment and a valid incident at once: only the signature can refuse it.
      const captured = signedPush(
        'deployment',
        { ...incident(), ...deployment() },
        { secret: 'shared-secret' },
      );
      expect((await send(withHeader(captured, 'x-telemetry-event', 'incident'))).status).toBe(401);
      // Even a sender with the same secret cannot have another's request replayed under its name.
      expect((await send(withHeader(captured, 'x-telemetry-sender', 'jenkins.ci'))).status).toBe(401);
      expect(enqueued).toEqual([]);
      expect((await send(captured)).status).toBe(202);
      expect(enqueued.map((e) => e.trigger)).toEqual(['push::deployment']);
    });

    it('refuses a body signed the v1 way (timestamp and body only): no compatibility mode', async () => {
      const { send } = pushHarness();
      const request = signedPush('deployment', deployment());
      const timestamp = request.headers['x-telemetry-timestamp'];
      const v1 = `sha256=${createHmac('sha256', 'jenkins-secret').update(`${timestamp}.`).update(request.body).digest('hex')}`;
      expect((await send(withHeader(request, 'x-telemetry-signature-256', v1))).status).toBe(401);
    });

    it('refuses timestamps more than 300 s away (stale or future) and accepts those within', async () => {
      const { send } = pushHarness();
      const at = (offset: number) =>
        signedPush('deployment', deployment(), { timestamp: String(Number(NOW_SECONDS) + offset) });
      expect((await send(at(-301))).status).toBe(401);
      expect((await send(at(301))).status).toBe(401);
      expect((await send(at(-3600))).body.error).toBe(
        "X-Telemetry-Timestamp is 3600 s away from the collector's clock (at most 300 s): sign each request when sending it",
      );
      expect((await send(at(-300))).status).toBe(202);
      expect((await send(at(299))).status).toBe(202);
    });

    it('refuses a captured request replayed after the skew, and one whose timestamp was rewritten', async () => {
      const captured = signedPush('deployment', deployment());
      const later = pushHarness({ now: () => new Date(NOW.getTime() + 301_000) });
      expect((await later.send(captured)).status).toBe(401);
      const rewritten = withHeader(captured, 'x-telemetry-timestamp', String(Number(NOW_SECONDS) + 301));
      expect((await later.send(rewritten)).body.error).toBe('unknown sender or invalid signature');
      expect(later.enqueued).toEqual([]);
    });

    it('honours a configured skew', async () => {
      const { createPushHandler } = await import('../../src/push/handler');
      const push = createPushHandler({
        senderSecrets: async () => ['jenkins-secret'],
        maxSkewSeconds: 30,
        logger: (await import('../../src/log/logger')).silentLogger,
        now: () => NOW,
      });
      const at = (offset: number) =>
        signedPush('deployment', deployment(), { timestamp: String(Number(NOW_SECONDS) + offset) });
      expect((await push(at(-31), async () => {})).status).toBe(401);
      expect((await push(at(-30), async () => {})).status).toBe(202);
    });
  });

  it('accepts both secrets of a sender during a rotation, and only the new one after it', async () => {
    const during = pushHarness({ senders: 'gitlab=gitlab-old,gitlab=gitlab-new' });
    for (const secret of ['gitlab-old', 'gitlab-new']) {
      const response = await during.send(signedPush('incident', incident(), { sender: 'gitlab', secret }));
      expect(response.status).toBe(202);
    }
    const after = pushHarness({ senders: 'gitlab=gitlab-new' });
    expect(
      (await after.send(signedPush('incident', incident(), { sender: 'gitlab', secret: 'gitlab-old' })))
        .status,
    ).toBe(401);
    expect(
      (await after.send(signedPush('incident', incident(), { sender: 'gitlab', secret: 'gitlab-new' })))
        .status,
    ).toBe(202);
    expect(during.enqueued.map((e) => e.sender)).toEqual(['gitlab', 'gitlab']);
  });

  it('authenticates before it looks at the kind: 401 when unsigned, 400 naming the kinds when signed', async () => {
    const { send } = pushHarness();
    const unsigned = without(signedPush('deploy', deployment()), 'x-telemetry-signature-256');
    expect((await send(unsigned)).status).toBe(401);
    const signed = await send(signedPush('deploy', deployment()));
    expect(signed).toEqual({
      status: 400,
      body: {
        error:
          'X-Telemetry-Event must be one of deployment, incident, tooling-usage, custom-metric, pipeline-run, retract, got "deploy"',
        outcome: 'rejected',
      },
    });
    expect((await send(signedPush('constructor', deployment()))).status).toBe(400);
    expect((await send(signedPush('__proto__', deployment()))).status).toBe(400);
  });

  it('answers 500 when the sender secrets cannot be read and 503 when the queue refuses', async () => {
    const { createPushHandler } = await import('../../src/push/handler');
    const { silentLogger } = await import('../../src/log/logger');
    const broken = createPushHandler({
      senderSecrets: async () => {
        throw new Error('SSM throttled');
      },
      logger: silentLogger,
      now: () => NOW,
    });
    const request = signedPush('deployment', deployment());
    expect(await broken(request, async () => {})).toEqual({
      status: 500,
      body: { error: 'sender secrets are unavailable', outcome: 'error' },
    });
    const { send } = pushHarness({ enqueueFails: true });
    expect((await send(request)).status).toBe(503);
  });

  it('answers a replay inside the skew like the first time: same ids, so the records do not duplicate', async () => {
    const { send, enqueued } = pushHarness();
    const request = signedPush('deployment', { items: [deployment(), deployment({ id: 'd2' })] });
    const first = await send(request);
    const again = await send(request);
    expect(again).toEqual(first);
    expect(enqueued.slice(2)).toEqual(enqueued.slice(0, 2));
  });
});

function without(r: ReturnType<typeof signedPush>, header: string): ReturnType<typeof signedPush> {
  const headers = { ...r.headers };
  delete headers[header];
  return { ...r, headers };
}

function withHeader(
  r: ReturnType<typeof signedPush>,
  header: string,
  value: string,
): ReturnType<typeof signedPush> {
  return { ...r, headers: { ...r.headers, [header]: value } };
}
