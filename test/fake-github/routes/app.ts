import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { type FakeGitHub, type FakeRequest, type FakeResponse, paginate } from '../server';
import type { Rest, World } from '../world';
import { addHook, type FakeHookWithOutcome, listDeliveries, redeliver } from './hooks';

export interface FakeInstallation {
  id: number;
  owner: string;
  ownerType: 'Organization' | 'User';
  /** What the installation was granted (GitHub: what the App asked for, accepted by the owner). */
  permissions: Record<string, 'read' | 'write'>;
  events: string[];
  /** Primary rate limit of its tokens (GitHub: 5,000 + 50 per repository and per user, up to 12,500). */
  rateLimit?: number;
}

export interface FakeApp {
  id: number;
  slug: string;
  installations: FakeInstallation[];
  /** Installation access tokens issued: token → installation and expiry (ms). */
  tokens: Map<string, { installationId: number; expiresAt: number }>;
  /** How long an installation token lives (GitHub: one hour). */
  tokenLifetimeMs: number;
  /** POST /app/installations/{id}/access_tokens answered so far. */
  tokensIssued: number;
  /** JWTs refused (bad signature, expired, wrong issuer). */
  jwtRefusals: string[];
  hook: FakeHookWithOutcome;
}

/**
 * A GitHub App on the fake GitHub: `GET /app`, `GET /app/installations`, `GET /orgs/{org}/installation`,
 * `POST /app/installations/{installation_id}/access_tokens` (tokens that expire) and the App's own hook
 * deliveries (`/app/hook/deliveries…`). Credentials are checked as GitHub does: `/app…` routes take only a
 * JWT signed RS256 with the App's private key (verified here with `publicKeyPem`, `iss` the App id, not
 * expired, at most 10 minutes long), every other route refuses a JWT and an expired or unknown installation
 * token (401). JWTs are minted by @octokit/auth-app with the machine's clock, so they are checked against
 * it; installation tokens expire on the fake's clock.
 */
export function appRoutes(
  fake: FakeGitHub,
  world: World,
  options: { appId: number; publicKeyPem: string; slug?: string; tokenLifetimeMs?: number },
): FakeApp {
  const publicKey = createPublicKey(options.publicKeyPem);
  const app: FakeApp = {
    id: options.appId,
    slug: options.slug ?? 'github-telemetry',
    installations: [],
    tokens: new Map(),
    tokenLifetimeMs: options.tokenLifetimeMs ?? 3_600_000,
    tokensIssued: 0,
    jwtRefusals: [],
    hook: addHook(world, 'app', 'app'),
  };

  const checkJwt = (token: string | undefined): string | undefined => {
    if (!token) return 'A JSON web token could not be decoded';
    const parts = token.split('.');
    if (parts.length !== 3) return 'A JSON web token could not be decoded';
    const [header, payload, signature] = parts as [string, string, string];
    const ok = verify(
      'RSA-SHA256',
      Buffer.from(`${header}.${payload}`),
      publicKey,
      Buffer.from(signature, 'base64url'),
    );
    if (!ok) return 'A JSON web token could not be decoded';
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Rest;
    const now = Math.floor(Date.now() / 1000);
    if (String(claims.iss) !== String(app.id)) return "'Issuer' claim ('iss') must be the App id";
    if (typeof claims.exp !== 'number' || claims.exp <= now)
      return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
    if (claims.exp - claims.iat > 600) return "'Expiration time' claim ('exp') is too far in the future";
    return undefined;
  };

  fake.authenticate = (request: FakeRequest): FakeResponse | undefined => {
    const isJwt = request.token?.split('.').length === 3;
    if (/^\/app(\/|$)/.test(request.path)) {
      const problem = checkJwt(request.token);
      if (!problem) return undefined;
      app.jwtRefusals.push(problem);
      return { status: 401, body: { message: problem, documentation_url: 'https://docs.github.com/rest' } };
    }
    if (isJwt && !/\/installation$/.test(request.path)) {
      return { status: 401, body: { message: 'A JSON web token could not be used for this request' } };
    }
    if (request.token?.startsWith('ghs_')) {
      const issued = app.tokens.get(request.token);
      if (!issued || issued.expiresAt <= fake.now()) {
        return {
          status: 401,
          body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' },
        };
      }
    }
    return undefined;
  };
  fake.limitFor = (token) => {
    const issued = app.tokens.get(token);
    if (!issued) return undefined;
    return app.installations.find((i) => i.id === issued.installationId)?.rateLimit ?? 5000;
  };

  fake.route('GET', '/app', () => ({ status: 200, body: appBody(app) }));
  fake.route('GET', '/app/installations', (request) =>
    paginate(
      request,
      app.installations.map((i) => installationBody(app, i)),
      fake.baseUrl,
    ),
  );
  fake.route('GET', '/orgs/{org}/installation', (request) => {
    if (request.token?.split('.').length !== 3)
      return { status: 401, body: { message: 'A JSON web token is required' } };
    const found = app.installations.find((i) => i.owner.toLowerCase() === request.params.org?.toLowerCase());
    return found ? { status: 200, body: installationBody(app, found) } : notFound();
  });
  fake.route('POST', '/app/installations/{installation_id}/access_tokens', (request) => {
    const installation = app.installations.find((i) => String(i.id) === request.params.installation_id);
    if (!installation) return notFound();
    const token = `ghs_${randomBytes(18).toString('base64url')}`;
    const expiresAt = fake.now() + app.tokenLifetimeMs;
    app.tokens.set(token, { installationId: installation.id, expiresAt });
    app.tokensIssued += 1;
    return {
      status: 201,
      body: {
        token,
        expires_at: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        permissions: installation.permissions,
        repository_selection: 'all',
      },
    };
  });
  fake.route('GET', '/app/hook/deliveries', (request) => listDeliveries(fake, app.hook, request));
  fake.route('POST', '/app/hook/deliveries/{delivery_id}/attempts', (request) =>
    redeliver(fake, app.hook, request),
  );
  return app;
}

/** Installs the App on an owner (what GitHub's "Install" button does). */
export function installApp(
  app: FakeApp,
  owner: string,
  grant: Partial<Omit<FakeInstallation, 'owner' | 'id'>> & { id?: number } = {},
): FakeInstallation {
  const installation: FakeInstallation = {
    id: grant.id ?? 40_000_000 + app.installations.length + 1,
    owner,
    ownerType: grant.ownerType ?? 'Organization',
    permissions: grant.permissions ?? { metadata: 'read' },
    events: grant.events ?? [],
    ...(grant.rateLimit !== undefined ? { rateLimit: grant.rateLimit } : {}),
  };
  app.installations.push(installation);
  return installation;
}

function appBody(app: FakeApp): Rest {
  return {
    id: app.id,
    slug: app.slug,
    node_id: `A_${app.id}`,
    client_id: `Iv1.${app.id}`,
    owner: user('acme', 'Organization'),
    name: app.slug,
    description: 'Engineering telemetry collector',
    external_url: 'https://example.com/telemetry',
    html_url: `https://github.com/apps/${app.slug}`,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    permissions: {},
    events: [],
    installations_count: app.installations.length,
  };
}

function installationBody(app: FakeApp, installation: FakeInstallation): Rest {
  return {
    id: installation.id,
    // GitHub's description joins the user and enterprise shapes of `account` (allOf): both sets of fields.
    account: {
      ...user(installation.owner, installation.ownerType),
      name: installation.owner,
      slug: installation.owner.toLowerCase(),
      created_at: '2020-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
    },
    repository_selection: 'all',
    access_tokens_url: `https://api.github.com/app/installations/${installation.id}/access_tokens`,
    repositories_url: 'https://api.github.com/installation/repositories',
    html_url: `https://github.com/organizations/${installation.owner}/settings/installations/${installation.id}`,
    app_id: app.id,
    app_slug: app.slug,
    target_id: installation.id + 7,
    target_type: installation.ownerType,
    permissions: installation.permissions,
    events: installation.events,
    created_at: '2026-01-02T00:00:00Z',
    updated_at: '2026-01-02T00:00:00Z',
    single_file_name: null,
    suspended_by: null,
    suspended_at: null,
  };
}

function user(login: string, type: string): Rest {
  const id = [...login].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 1_000_000, 7);
  return {
    login,
    id,
    node_id: `U_${id}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${id}`,
    gravatar_id: '',
    url: `https://api.github.com/users/${login}`,
    html_url: `https://github.com/${login}`,
    followers_url: `https://api.github.com/users/${login}/followers`,
    following_url: `https://api.github.com/users/${login}/following{/other_user}`,
    gists_url: `https://api.github.com/users/${login}/gists{/gist_id}`,
    starred_url: `https://api.github.com/users/${login}/starred{/owner}{/repo}`,
    subscriptions_url: `https://api.github.com/users/${login}/subscriptions`,
    organizations_url: `https://api.github.com/users/${login}/orgs`,
    repos_url: `https://api.github.com/users/${login}/repos`,
    events_url: `https://api.github.com/users/${login}/events{/privacy}`,
    received_events_url: `https://api.github.com/users/${login}/received_events`,
    type,
    site_admin: false,
  };
}

function notFound(): FakeResponse {
  return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
}
