import type { FakeGitHub, FakeRequest, FakeResponse } from '../server';
import type { FakeHook, Rest, World } from '../world';

const REDELIVERY_WINDOW_MS = 3 * 86_400_000;

/**
 * Webhook deliveries of organisation and repository hooks: `GET …/hooks/{hook_id}/deliveries` (newest first,
 * cursor paging through `Link: …cursor=…; rel="next"`, as GitHub pages this endpoint) and
 * `POST …/deliveries/{delivery_id}/attempts` (202; 422 past the 3-day window). Delivery ids are written as
 * JSON numbers however large (GitHub's passed 2^53), so the client must not lose their precision.
 * A redelivery is a new delivery with the same guid; its outcome is `hook.redeliveryStatus` (default OK).
 */
export function hookRoutes(fake: FakeGitHub, world: World): void {
  const scopes = [
    { prefix: '/orgs/{org}', scope: (r: FakeRequest) => `org/${r.params.org}` },
    { prefix: '/repos/{owner}/{repo}', scope: (r: FakeRequest) => `repo/${r.params.owner}/${r.params.repo}` },
  ];
  for (const { prefix, scope } of scopes) {
    fake.route('GET', `${prefix}/hooks/{hook_id}/deliveries`, (request) =>
      listDeliveries(fake, findHook(world, scope(request), request.params.hook_id ?? ''), request),
    );
    fake.route('POST', `${prefix}/hooks/{hook_id}/deliveries/{delivery_id}/attempts`, (request) =>
      redeliver(fake, findHook(world, scope(request), request.params.hook_id ?? ''), request),
    );
  }
}

/** `GET …/deliveries` of one hook (an organisation's, a repository's or the App's own). */
export function listDeliveries(
  fake: FakeGitHub,
  hook: FakeHookWithOutcome | undefined,
  request: FakeRequest,
): FakeResponse {
  if (!hook) return notFound();
  const perPage = Math.min(100, Math.max(1, Number(request.query.get('per_page') ?? 30) || 30));
  const cursor = request.query.get('cursor');
  const start = cursor ? hook.deliveries.findIndex((d) => String(d.id) === cursor) + 1 : 0;
  if (cursor && start === 0) return { status: 422, body: { message: 'Invalid cursor' } };
  const slice = hook.deliveries.slice(start, start + perPage);
  const headers: Record<string, string> = {};
  if (start + perPage < hook.deliveries.length && slice.length > 0) {
    const query = new URLSearchParams({ per_page: String(perPage), cursor: String(slice.at(-1)?.id) });
    headers.link = `<${fake.baseUrl}${request.path}?${query}>; rel="next"`;
  }
  return { status: 200, raw: withNumericIds(slice), headers };
}

/** `POST …/deliveries/{delivery_id}/attempts` of one hook: 202, or 422 past the 3-day window. */
export function redeliver(
  fake: FakeGitHub,
  hook: FakeHookWithOutcome | undefined,
  request: FakeRequest,
): FakeResponse {
  const delivery = hook?.deliveries.find((d) => String(d.id) === request.params.delivery_id);
  if (!hook || !delivery) return notFound();
  if (fake.now() - Date.parse(delivery.delivered_at) > REDELIVERY_WINDOW_MS) {
    return { status: 422, body: { message: 'This delivery is too old to be redelivered' } };
  }
  hook.attempts.push(String(delivery.id));
  const ok = (hook.redeliveryStatus ?? 'OK') === 'OK';
  hook.deliveries.unshift({
    ...delivery,
    id: nextDeliveryId(hook),
    delivered_at: new Date(fake.now()).toISOString().replace('.000Z', 'Z'),
    redelivery: true,
    status: ok ? 'OK' : 'Service Unavailable',
    status_code: ok ? 202 : 503,
    duration: 0.05,
  });
  return { status: 202, body: {} };
}

export type FakeHookWithOutcome = FakeHook & { redeliveryStatus?: 'OK' | 'failed' };

/** Adds a hook; `scope` is `org/<org>`, `repo/<owner>/<repo>` or `app` (the App's own hook, id `app`). */
export function addHook(world: World, scope: string, id: string): FakeHookWithOutcome {
  const hook: FakeHookWithOutcome = { scope, id, deliveries: [], attempts: [] };
  world.hooks.set(`${scope}#${id}`, hook);
  return hook;
}

/** Adds a delivery (newest first); ids grow from 2^53 + 10 upwards, so they only survive as strings. */
export function addDelivery(
  hook: FakeHook,
  spec: {
    guid: string;
    deliveredAt: string;
    ok: boolean;
    event?: string;
    action?: string | null;
    installationId?: number;
  },
): Rest {
  const delivery = {
    id: nextDeliveryId(hook),
    guid: spec.guid,
    delivered_at: spec.deliveredAt,
    redelivery: false,
    duration: 0.27,
    status: spec.ok ? 'OK' : 'Invalid HTTP Response: 503',
    status_code: spec.ok ? 202 : 503,
    event: spec.event ?? 'workflow_job',
    action: spec.action === undefined ? 'completed' : spec.action,
    installation_id: spec.installationId ?? null,
    repository_id: 1296269,
    throttled_at: null,
  };
  hook.deliveries.unshift(delivery);
  hook.deliveries.sort((a, b) => Date.parse(b.delivered_at) - Date.parse(a.delivered_at));
  return delivery;
}

export function findHook(world: World, scope: string, id: string): FakeHookWithOutcome | undefined {
  return world.hooks.get(`${scope}#${id}`);
}

function nextDeliveryId(hook: FakeHook): string {
  const max = hook.deliveries.reduce((m, d) => (BigInt(d.id) > m ? BigInt(d.id) : m), 2n ** 53n + 9n);
  return String(max + 1n);
}

/** Serialises deliveries with `id` as a bare JSON number, exactly as GitHub writes it. */
function withNumericIds(deliveries: Rest[]): string {
  return JSON.stringify(deliveries).replace(/"id":"(\d+)"/g, '"id":$1');
}

function notFound(): FakeResponse {
  return { status: 404, body: { message: 'Not Found' } };
}
