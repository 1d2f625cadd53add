import { validateItem } from '../../src/push/handler';
import type { PushKind } from '../../src/push/kinds';
import {
  customMetricItem,
  deployment,
  incident,
  pipelineRun,
  pushHarness,
  signedPush,
  toolingUsage,
} from './harness';

type FieldCases = { valid: unknown[]; invalid: [unknown, string][]; required?: boolean };

const time: FieldCases = {
  // Between the base deployment's started_at (11:52:10Z) and finished_at (11:58:42Z): valid for every field.
  valid: ['2026-11-01T11:58:42Z', '2026-11-01T12:55:00.123+01:00', '2026-11-01T11:53:00.5-00:00'],
  invalid: [
    ['2026-11-01', 'ISO-8601 date-time with a time zone'],
    ['2026-11-01T11:58:42', 'ISO-8601 date-time with a time zone'],
    ['yesterday', 'ISO-8601'],
    ['2026-02-30T10:00:00Z', 'ISO-8601'],
    [1762000000, 'ISO-8601'],
  ],
};
const repository: FieldCases = {
  valid: ['octo-org/billing', 'my_group/my.repo-2', 'O/r'],
  invalid: [
    ['billing', 'must be "owner/name"'],
    ['group/sub/project', 'must be "owner/name"'],
    ['../etc/passwd', 'must be "owner/name"'],
    ['octo org/billing', 'must be "owner/name"'],
    ['', 'must be "owner/name"'],
    [7, 'expected string'],
  ],
};
const id: FieldCases = {
  valid: ['deploy-4711', 'pipeline/123#4', 'déploiement 🚀 n°1', 'x'.repeat(200)],
  invalid: [
    ['', 'must not be empty'],
    ['x'.repeat(201), 'must be at most 200 characters'],
    ['line\nbreak', 'must not contain control characters'],
    [4711, 'expected string'],
  ],
};
const sha: FieldCases = {
  valid: ['9f2c1e0', '9F2C1E0B7A3D4C5E6F708192A3B4C5D6E7F80912', 'a'.repeat(64)],
  invalid: [
    ['9f2c1e', 'must be a commit sha'],
    ['main', 'must be a commit sha'],
    ['a'.repeat(65), 'must be a commit sha'],
  ],
};
const url: FieldCases = {
  valid: ['https://jenkins.example.com/job/deploy/42/', 'http://ci.local:8080/x?y=1'],
  invalid: [
    ['javascript:alert(1)', 'http(s) URL'],
    ['ftp://example.com/x', 'http(s) URL'],
    ['not a url', 'http(s) URL'],
    [`https://example.com/${'p'.repeat(2030)}`, 'must be at most 2048 characters'],
  ],
};
const optionalText = (max: number): FieldCases => ({
  valid: ['a', 'Zahlungsdienst 支付 🚀', 'y'.repeat(max)],
  invalid: [
    ['', 'must not be empty'],
    ['y'.repeat(max + 1), `must be at most ${max} characters`],
    ['tab\there', 'must not contain control characters'],
    [null, 'expected string'],
  ],
});
const schemaVersion: FieldCases = {
  valid: [1],
  invalid: [
    [2, 'must be 1'],
    ['1', 'must be 1'],
  ],
};

const fields: Record<PushKind, { base: () => Record<string, unknown>; fields: Record<string, FieldCases> }> =
  {
    deployment: {
      base: deployment,
      fields: {
        schema_version: schemaVersion,
        id: { ...id, required: true },
        repository: { ...repository, required: true },
        environment: { ...optionalText(255), required: true },
        sha: { ...sha, required: true },
        status: {
          valid: ['success', 'failure', 'error', 'in_progress', 'cancelled'],
          invalid: [
            ['succeeded', 'expected one of'],
            ['SUCCESS', 'expected one of'],
          ],
          required: true,
        },
        finished_at: { ...time, required: true },
        started_at: time,
        first_commit_at: time,
        service: optionalText(255),
        version: optionalText(255),
        url,
        pull_requests: {
          valid: [[], [1, 42], Array.from({ length: 1000 }, (_, i) => i + 1)],
          invalid: [
            [[0], 'Too small'],
            [[1.5], 'expected int'],
            [['#12'], 'expected number'],
            [Array.from({ length: 1001 }, (_, i) => i + 1), 'at most 1000 pull requests'],
            [12, 'expected array'],
          ],
        },
      },
    },
    incident: {
      base: incident,
      fields: {
        schema_version: schemaVersion,
        id: { ...id, required: true },
        repository: { ...repository, required: true },
        opened_at: { ...time, required: true },
        resolved_at: { ...time, valid: ['2026-11-01T12:05:00Z', '2026-11-02T00:00:00+02:00'] },
        severity: optionalText(100),
        title: optionalText(1000),
        service: optionalText(255),
        sha,
        deployment_id: optionalText(200),
        url,
      },
    },
    'tooling-usage': {
      base: toolingUsage,
      fields: {
        schema_version: schemaVersion,
        repository: { ...repository, required: true },
        tools: {
          valid: [{}, { 'npm:jest': '30.5.2', node: '*', 'docker:node': '20-alpine', 'outil-é': 'v1 🚀' }],
          invalid: [
            [{ jest: '' }, 'must not be empty'],
            [{ jest: 30 }, 'expected string'],
            [{ ['k'.repeat(201)]: '1' }, 'keys must be 1 to 200 characters'],
            [{ '': '1' }, 'keys must be 1 to 200 characters'],
            [{ constructor: '1' }, 'not allowed'],
            [{ prototype: '1' }, 'not allowed'],
            [
              Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`t${i}`, '1'])),
              'at most 1000 tools',
            ],
            [['jest'], 'expected record'],
          ],
          required: true,
        },
        sha,
        observed_at: time,
      },
    },
    'custom-metric': {
      base: customMetricItem,
      fields: {
        schema_version: schemaVersion,
        id: { ...id, required: true },
        name: {
          valid: ['build.cache_hit_ratio', 'a', 'queue:depth-p95', 'x'.repeat(100)],
          invalid: [
            ['', 'must be 1 to 100 letters'],
            ['.hidden', 'must be 1 to 100 letters'],
            ['with space', 'must be 1 to 100 letters'],
            ['x'.repeat(101), 'must be 1 to 100 letters'],
          ],
          required: true,
        },
        value: {
          valid: [0, -1.5, 1e300, 42],
          invalid: [
            ['0.87', 'expected number'],
            [null, 'expected number'],
          ],
          required: true,
        },
        unit: { ...optionalText(50), required: true },
        observed_at: { ...time, required: true },
        repository,
        dimensions: {
          valid: [{}, { region: 'eu-west-1', équipe: 'paiements' }],
          invalid: [
            [{ region: 1 }, 'expected string'],
            [{ constructor: 'x' }, 'not allowed'],
            [{ ['k'.repeat(101)]: 'x' }, 'keys must be 1 to 100 characters'],
            [
              Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`d${i}`, 'x'])),
              'at most 50 dimensions',
            ],
          ],
        },
      },
    },
    'pipeline-run': {
      base: pipelineRun,
      fields: {
        schema_version: schemaVersion,
        id: { ...id, required: true },
        repository: { ...repository, required: true },
        pipeline: { ...optionalText(255), required: true },
        status: {
          valid: ['queued', 'in_progress', 'success', 'failure', 'cancelled', 'skipped', 'timed_out'],
          invalid: [
            ['failed', 'expected one of'],
            ['SUCCESS', 'expected one of'],
          ],
          required: true,
        },
        branch: optionalText(255),
        sha,
        actor: optionalText(255),
        url,
        // Before started_at (11:52:10Z), as the rule queued_at ≤ started_at wants.
        queued_at: { ...time, valid: ['2026-11-01T11:50:00Z', '2026-11-01T12:51:00.5+01:00'] },
        started_at: time,
        finished_at: time,
      },
    },
  };

describe.each(Object.entries(fields))('%s items: every field is validated', (kind, spec) => {
  const cases = Object.entries(spec.fields);

  it('accepts the base item and defaults schema_version to 1', () => {
    const result = validateItem(kind as PushKind, spec.base());
    expect(result).toEqual({ ok: true, item: { schema_version: 1, ...spec.base() } });
  });

  it.each(cases)('%s: accepts valid values', (field, c) => {
    for (const value of c.valid) {
      const result = validateItem(kind as PushKind, { ...spec.base(), [field]: value });
      expect({ value, ok: result.ok, errors: result.ok ? [] : result.errors }).toEqual({
        value,
        ok: true,
        errors: [],
      });
      if (result.ok) expect(result.item[field]).toEqual(value);
    }
  });

  it.each(cases)('%s: refuses invalid values with a message naming the field', (field, c) => {
    for (const [value, message] of c.invalid) {
      const result = validateItem(kind as PushKind, { ...spec.base(), [field]: value });
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.errors.length).toBeGreaterThan(0);
      for (const error of result.errors) expect(error.path.split('.')[0]).toBe(field);
      expect(result.errors.map((e) => e.message).join(' | ')).toContain(message);
    }
  });

  it.each(cases.filter(([, c]) => c.required))('%s: is required', (field) => {
    const item = spec.base();
    delete item[field];
    const result = validateItem(kind as PushKind, item);
    expect(result).toEqual({
      ok: false,
      errors: [{ path: field, message: expect.stringMatching(/expected |^is required/) }],
    });
  });

  it('drops fields the contract does not know (a later version may send them)', () => {
    const result = validateItem(kind as PushKind, { ...spec.base(), cost_center: 'A1' });
    expect(result.ok && 'cost_center' in result.item).toBe(false);
  });
});

describe('cross-field rules', () => {
  it('refuses started_at or first_commit_at after finished_at, and resolved_at before opened_at', () => {
    expect(validateItem('deployment', deployment({ started_at: '2026-11-01T12:00:00Z' }))).toEqual({
      ok: false,
      errors: [{ path: 'started_at', message: 'must not be after finished_at' }],
    });
    expect(validateItem('deployment', deployment({ first_commit_at: '2026-11-02T00:00:00Z' }))).toEqual({
      ok: false,
      errors: [{ path: 'first_commit_at', message: 'must not be after finished_at' }],
    });
    expect(validateItem('incident', incident({ resolved_at: '2026-11-01T11:04:59Z' }))).toEqual({
      ok: false,
      errors: [{ path: 'resolved_at', message: 'must not be before opened_at' }],
    });
    expect(validateItem('pipeline-run', pipelineRun({ queued_at: '2026-11-01T11:53:00Z' }))).toEqual({
      ok: false,
      errors: [{ path: 'queued_at', message: 'must not be after started_at or finished_at' }],
    });
    expect(validateItem('pipeline-run', pipelineRun({ started_at: '2026-11-01T11:59:00Z' }))).toEqual({
      ok: false,
      errors: [{ path: 'started_at', message: 'must not be after finished_at' }],
    });
    // Offsets are compared as instants: 13:00+01:00 is 12:00Z, before finished_at 11:58:42Z? No: after.
    expect(validateItem('deployment', deployment({ started_at: '2026-11-01T12:50:00+01:00' })).ok).toBe(true);
  });
});

describe('pipeline-run: started_at or finished_at', () => {
  it('accepts a start without finished_at and an end without started_at', () => {
    expect(
      validateItem('pipeline-run', pipelineRun({ status: 'in_progress', finished_at: undefined })).ok,
    ).toBe(true);
    expect(
      validateItem('pipeline-run', pipelineRun({ started_at: undefined, queued_at: undefined })).ok,
    ).toBe(true);
  });

  it('refuses a run with neither, naming started_at', () => {
    const item = pipelineRun({ status: 'queued' });
    delete item.started_at;
    delete item.finished_at;
    expect(validateItem('pipeline-run', item)).toEqual({
      ok: false,
      errors: [
        {
          path: 'started_at',
          message: 'is required: started_at or finished_at (an ISO-8601 date-time with a time zone)',
        },
      ],
    });
  });
});

describe('__proto__ and constructor keys', () => {
  const raw = (kind: string, text: string) => {
    const { send, enqueued } = pushHarness();
    return { response: send(signedPush(kind, text)), enqueued };
  };

  it('refuses them anywhere in an item with a per-item error, and never touches a prototype', async () => {
    const body = `{"items": [
      {"id": "a", "repository": "o/r", "opened_at": "2026-11-01T12:00:00Z", "__proto__": {"polluted": "yes"}},
      {"id": "b", "repository": "o/r", "opened_at": "2026-11-01T12:00:00Z", "constructor": {"prototype": {"polluted": "yes"}}},
      {"id": "c", "repository": "o/r", "opened_at": "2026-11-01T12:00:00Z"}
    ]}`;
    const { response, enqueued } = raw('incident', body);
    const answer = await response;
    expect(answer.status).toBe(202);
    expect(answer.body.results).toEqual([
      { index: 0, errors: [{ path: '__proto__', message: 'the key __proto__ is not allowed' }] },
      { index: 1, errors: [{ path: 'constructor', message: 'the key constructor is not allowed' }] },
      { index: 2, id: 'c' },
    ]);
    expect(enqueued).toHaveLength(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(enqueued[0]?.payload)).toBe(Object.prototype);
  });

  it('refuses them as tool names and dimension names (zod alone would silently drop __proto__)', async () => {
    const tools = raw('tooling-usage', '{"repository": "o/r", "tools": {"__proto__": "1", "jest": "30"}}');
    expect(await tools.response).toEqual({
      status: 400,
      body: {
        error: 'no valid item: see results',
        outcome: 'rejected',
        results: [
          { index: 0, errors: [{ path: 'tools.__proto__', message: 'the key __proto__ is not allowed' }] },
        ],
      },
    });
    const dims = raw(
      'custom-metric',
      JSON.stringify({ ...customMetricItem(), dimensions: { constructor: 'x', region: 'eu' } }),
    );
    expect((await dims.response).body.results).toEqual([
      {
        index: 0,
        errors: [{ path: 'dimensions.constructor', message: 'the key constructor is not allowed' }],
      },
    ]);
    expect(tools.enqueued).toEqual([]);
    expect(dims.enqueued).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('treats a top-level __proto__ next to "items" as an unknown field of the body', async () => {
    const { response, enqueued } = raw(
      'incident',
      '{"__proto__": {"items": []}, "items": [{"id": "a", "repository": "o/r", "opened_at": "2026-11-01T12:00:00Z"}]}',
    );
    expect((await response).status).toBe(202);
    expect(enqueued.map((e) => e.deliveryId)).toEqual(['a']);
  });
});

describe('unicode and very long strings', () => {
  it('keeps unicode exactly, and hashes ids that are not plain tokens into the delivery id', async () => {
    const { send, enqueued } = pushHarness();
    const item = incident({
      id: 'INC-支付-🚀',
      title: 'Zahlungen schlagen fehl: « erreur 502 » – 支付失败 🔥',
      severity: 'SEV-1 ⚠️',
    });
    const response = await send(signedPush('incident', item));
    expect(response.body.results).toEqual([{ index: 0, id: 'INC-支付-🚀' }]);
    expect(enqueued[0]?.payload).toEqual({ schema_version: 1, ...item });
    expect(enqueued[0]?.deliveryId).toMatch(/^push-[0-9a-f]{32}$/);
  });

  it('accepts strings at their limit and refuses one character more (counted in UTF-16 units)', async () => {
    const { send, enqueued } = pushHarness();
    const atLimit = incident({ id: 'long', title: 'é'.repeat(1000) });
    const over = incident({ id: 'longer', title: 'é'.repeat(1001) });
    const response = await send(signedPush('incident', { items: [atLimit, over] }));
    expect(response.body.results).toEqual([
      { index: 0, id: 'long' },
      { index: 1, errors: [{ path: 'title', message: 'must be at most 1000 characters' }] },
    ]);
    expect(enqueued.map((e) => (e.payload.title as string).length)).toEqual([1000]);
  });

  it('refuses an item larger than 64 KiB as JSON (each item becomes one queue message)', () => {
    // 400 tools of 200-character names and versions, each within its own limits: about 160 KB.
    const tools = Object.fromEntries(
      Array.from({ length: 400 }, (_, i) => [`${i}-${'n'.repeat(190)}`, 'v'.repeat(200)]),
    );
    expect(validateItem('tooling-usage', toolingUsage({ tools }))).toEqual({
      ok: false,
      errors: [{ path: '', message: expect.stringMatching(/^item is \d+ bytes as JSON; at most 65536$/) }],
    });
    const fewer = Object.fromEntries(Object.entries(tools).slice(0, 150));
    expect(validateItem('tooling-usage', toolingUsage({ tools: fewer })).ok).toBe(true);
  });

  it('refuses a megabyte string without echoing it back', async () => {
    const { send } = pushHarness();
    const response = await send(
      signedPush('deployment', deployment({ environment: 'p'.repeat(1024 * 1024) })),
    );
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body).length).toBeLessThan(500);
  });
});
