import { type AppWorld, startAppWorld } from '../support/github-app';
import { responseSchema, validate } from './openapi-check';
import { installApp } from './routes/app';
import { addDelivery } from './routes/hooks';

/** Every App endpoint routes/app.ts fakes, as GitHub's OpenAPI description names it. */
const OPERATIONS = [
  'GET /app',
  'GET /app/installations',
  'GET /orgs/{org}/installation',
  'POST /app/installations/{installation_id}/access_tokens',
  'GET /app/hook/deliveries',
  'POST /app/hook/deliveries/{delivery_id}/attempts',
];

let w: AppWorld;
beforeAll(async () => {
  w = await startAppWorld();
});
afterAll(() => w.stop());

test('every answer of the fake App endpoints conforms to its documented response schema', async () => {
  w.world.addRepo('acme', 'widgets');
  const installation = installApp(w.app, 'acme', { permissions: { metadata: 'read', actions: 'read' } });
  const failed = addDelivery(w.app.hook, {
    guid: 'a1',
    deliveredAt: '2026-11-20T11:00:00Z',
    ok: false,
    installationId: installation.id,
  });
  const { github } = w.client();
  await github.request('GET /app');
  await github.request('GET /app/installations');
  await github.request('GET /orgs/{org}/installation', { org: 'acme' });
  await github.request('GET /orgs/{org}/installation', { org: 'nobody' }).catch(() => undefined);
  await github.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'widgets' }); // mints a token
  await github.request('GET /app/hook/deliveries');
  await github.request('POST /app/hook/deliveries/{delivery_id}/attempts', {
    delivery_id: Number(failed.id),
  });

  const checked = new Set<string>();
  const problems: string[] = [];
  for (const answer of w.fake.lastResponses) {
    const operation = `${answer.method} ${answer.route}`;
    if (!OPERATIONS.includes(operation)) continue;
    checked.add(operation);
    const schema = responseSchema(answer.method, answer.route, answer.status);
    if (answer.status !== 404 && !schema) problems.push(`${operation} ${answer.status}: not documented`);
    if (schema)
      for (const problem of validate(answer.body, schema)) problems.push(`${operation}: ${problem}`);
  }
  expect(problems).toEqual([]);
  expect([...checked].sort()).toEqual([...OPERATIONS].sort());
});
