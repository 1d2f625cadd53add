import { createAppAuth } from '@octokit/auth-app';
import type { EndpointOptions, RequestInterface, RequestParameters, Route } from '@octokit/types';
import { UserError } from '../user-error';

/** A GitHub App's identity: its numeric id and its PEM private key (never logged, never in an error). */
export interface GitHubAppCredentials {
  appId: string;
  privateKey: string;
}

/** One installation of the App, as `GET /app/installations` lists it. */
export interface AppInstallation {
  id: string;
  /** The account (organisation or user) it is installed on. */
  owner: string;
  permissions: Readonly<Record<string, string>>;
  events: readonly string[];
  repositorySelection: string;
}

export interface GitHubAppOptions {
  /**
   * Owner whose installation answers requests that name none (GraphQL queries by node id, `GET /user`):
   * the first configured owner. Without it such a request fails with a message saying so.
   */
  defaultOwner?: string;
  /** A cached installation token is replaced this long before GitHub's `expires_at` (default 5 minutes). */
  refreshBeforeMs?: number;
  /** How long the owner → installation map is kept before `GET /app/installations` is read again. */
  installationsTtlMs?: number;
  /** The shortest time between two listings when an owner is missing from the map (default 60 s). */
  missRetryMs?: number;
  now?: () => number;
}

/** The App is not installed on an owner a request is about: the message names the owner, nothing secret. */
export class AppNotInstalledError extends UserError {
  override readonly name = 'AppNotInstalledError';
  readonly status = 404;
  constructor(readonly owner: string) {
    super(
      `the GitHub App is not installed on "${owner}": install it there (docs/DEPLOYMENT.md, "GitHub App")`,
    );
  }
}

/** Routes GitHub authenticates as the App itself (a JWT), not as one of its installations. */
const APP_ROUTE =
  /^\/(app(\/.*)?|(orgs|users|enterprises)\/[^/]+\/installation|repos\/[^/]+\/[^/]+\/installation)$/i;

/** The owner a REST path is about: `/repos/{owner}/…`, `/orgs/{org}/…`, `/users/{username}/…`. */
const OWNER_IN_PATH = /^\/(?:repos|orgs|users)\/([^/?#]+)/i;

/**
 * The paths GitHub's `Link` headers give for the next pages of a listing: by numeric id, not by owner
 * (`/repos/acme/widgets/pulls` → `/repositories/1296269/pulls?page=2`, `/orgs/acme/repos` →
 * `/organizations/9919/repos?page=2`, `/users/octo/repos` → `/user/583231/repos?page=2`).
 */
const ID_IN_PATH = /^\/(repositories|organizations|user)\/(\d+)(?:\/|$)/i;

const DEFAULT_REFRESH_BEFORE_MS = 5 * 60_000;
const DEFAULT_INSTALLATIONS_TTL_MS = 10 * 60_000;
const DEFAULT_MISS_RETRY_MS = 60_000;

/**
 * `@octokit/auth-app`'s token cache keeps an installation token 59 minutes whatever GitHub said. This one
 * keeps it until `refreshBeforeMs` before its own `expires_at` (the third field of auth-app's cache entry),
 * on an injectable clock, so a token is replaced before GitHub refuses it, however long it was issued for.
 */
export class ExpiringTokenCache {
  private readonly entries = new Map<string, string>();
  constructor(
    private readonly now: () => number,
    private readonly refreshBeforeMs: number,
  ) {}

  get(key: string): string | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    const expiresAt = Date.parse(value.split('|')[2] ?? '');
    if (!Number.isFinite(expiresAt) || expiresAt - this.now() <= this.refreshBeforeMs) {
      this.entries.delete(key);
      return undefined;
    }
    return value;
  }

  set(key: string, value: string): void {
    this.entries.set(key, value);
  }

  /** When the cached token of an installation expires (tests and `config check` read it). */
  expiresAt(installationId: string): string | undefined {
    return this.entries.get(installationId)?.split('|')[2];
  }
}

interface RawInstallation {
  id: number | string;
  account?: { login?: string } | null;
  permissions?: Record<string, string>;
  events?: string[];
  repository_selection?: string;
}

/**
 * A GitHub App as the collector uses it: one per App per process, shared by every client built with it
 * (`createGitHubClient({ app })`), so that installation ids and tokens are read once. Requests are signed
 * with the installation of the owner they are about (found through `GET /app/installations`, cached);
 * `/app/…` routes with the App's JWT. JWTs and tokens are made and cached by `@octokit/auth-app`.
 */
export class GitHubApp {
  readonly tokens: ExpiringTokenCache;
  private readonly now: () => number;
  private installations?: { at: number; byOwner: Map<string, AppInstallation> };
  /** `repositories/1296269` → `acme`: the owner of the id paths GitHub's `Link` headers pointed to. */
  private readonly ownersById = new Map<string, string>();
  private listing?: Promise<Map<string, AppInstallation>>;

  constructor(
    private readonly credentials: GitHubAppCredentials,
    private readonly options: GitHubAppOptions = {},
  ) {
    if (!/^\d+$/.test(credentials.appId)) throw new Error('the GitHub App id must be a number');
    if (!credentials.privateKey.includes('PRIVATE KEY'))
      throw new Error('the GitHub App private key is not a PEM private key');
    this.now = options.now ?? Date.now;
    this.tokens = new ExpiringTokenCache(this.now, options.refreshBeforeMs ?? DEFAULT_REFRESH_BEFORE_MS);
  }

  get appId(): string {
    return this.credentials.appId;
  }

  /** Forget the installations read so far: an `installation` event said they changed. */
  invalidateInstallations(): void {
    this.installations = undefined;
  }

  /** Every installation of the App, by lower-cased owner (cached; `refresh` reads GitHub again). */
  async listInstallations(request: RequestInterface, refresh = false): Promise<Map<string, AppInstallation>> {
    const fresh =
      this.installations &&
      this.now() - this.installations.at < (this.options.installationsTtlMs ?? DEFAULT_INSTALLATIONS_TTL_MS);
    if (fresh && !refresh && this.installations) return this.installations.byOwner;
    this.listing ??= this.readInstallations(request).finally(() => {
      this.listing = undefined;
    });
    return this.listing;
  }

  /** The installation id of `owner`; lists the installations again (at most once a minute) on a miss. */
  async installationId(request: RequestInterface, owner: string): Promise<string> {
    const key = owner.toLowerCase();
    let found = (await this.listInstallations(request)).get(key);
    const age = this.now() - (this.installations?.at ?? 0);
    if (!found && age >= (this.options.missRetryMs ?? DEFAULT_MISS_RETRY_MS)) {
      found = (await this.listInstallations(request, true)).get(key);
    }
    if (!found) throw new AppNotInstalledError(owner);
    return found.id;
  }

  /** The Octokit options that authenticate a client as this App (`authStrategy` + `auth`). */
  octokitAuth(): { authStrategy: (options: { request: RequestInterface }) => unknown; auth: object } {
    return {
      authStrategy: (options: { request: RequestInterface }) => this.strategy(options.request),
      auth: {},
    };
  }

  /** The owner whose listing's `Link` header gave this id path (the next pages of a paginated read). */
  private ownerOfIdPath(path: string): string | undefined {
    const key = idPathKey(path);
    return key ? this.ownersById.get(key) : undefined;
  }

  /** Notes the owner of every id path in a response's `Link` header, so its next pages use the same installation. */
  private rememberPages(headers: object | undefined, owner: string, baseUrl: string): void {
    const link = (headers as { link?: unknown } | undefined)?.link;
    if (typeof link !== 'string') return;
    for (const [, url] of link.matchAll(/<([^>]+)>/g)) {
      let key: string | undefined;
      try {
        key = idPathKey(pathOf(url as string, baseUrl));
      } catch {
        continue; // not a URL of this API: nothing to remember, the answer itself stands
      }
      if (key) this.ownersById.set(key, owner);
    }
  }

  private async readInstallations(request: RequestInterface): Promise<Map<string, AppInstallation>> {
    const byOwner = new Map<string, AppInstallation>();
    for (let page = 1; ; page += 1) {
      const answer = await request('GET /app/installations', { per_page: 100, page });
      const items = answer.data as RawInstallation[];
      for (const item of items) {
        const owner = item.account?.login;
        if (!owner) continue;
        byOwner.set(owner.toLowerCase(), {
          id: String(item.id),
          owner,
          permissions: item.permissions ?? {},
          events: item.events ?? [],
          repositorySelection: item.repository_selection ?? 'all',
        });
      }
      if (items.length < 100) break;
    }
    this.installations = { at: this.now(), byOwner };
    return byOwner;
  }

  private strategy(request: RequestInterface) {
    const appAuth = createAppAuth({
      appId: this.credentials.appId,
      privateKey: this.credentials.privateKey,
      request,
      // auth-app's type says `get` returns a string; a miss is `undefined` there too (its own LRU's answer).
      cache: {
        get: (key: string) => this.tokens.get(key) as string,
        set: (key: string, value: string) => this.tokens.set(key, value),
      },
      // auth-app warns about clock skew and token replication; its messages carry no secret.
      log: { warn: () => undefined },
    });
    const auth = async () => ({ type: 'app', appId: this.credentials.appId });
    const hook = async (
      send: RequestInterface,
      route: Route | EndpointOptions,
      parameters?: RequestParameters,
    ) => {
      const endpoint = send.endpoint.merge(route as string, parameters);
      const baseUrl = send.endpoint.DEFAULTS.baseUrl ?? '';
      const path = pathOf(endpoint.url ?? '', baseUrl);
      if (APP_ROUTE.test(path)) return appAuth.hook(send, route as Route, parameters);
      const owner = ownerOf(endpoint, path) ?? this.ownerOfIdPath(path) ?? this.options.defaultOwner;
      if (!owner) {
        throw new Error(
          `${endpoint.method} ${path} names no repository owner, so no App installation can answer it: list the owners in githubAuth.owners`,
        );
      }
      const installationId = await this.installationId(request, owner);
      const signed = async (token: string) => {
        endpoint.headers.authorization = `token ${token}`;
        try {
          const response = await send(endpoint as EndpointOptions);
          this.rememberPages(response.headers, owner, baseUrl);
          return response;
        } catch (error) {
          // A 304 (answered from the ETag cache further out) carries the listing's links too.
          this.rememberPages(
            (error as { response?: { headers?: object } }).response?.headers,
            owner,
            baseUrl,
          );
          throw error;
        }
      };
      const first = await appAuth({ type: 'installation', installationId });
      try {
        return await signed(first.token);
      } catch (error) {
        if ((error as { status?: number }).status !== 401) throw error;
        // Revoked or expired early (GitHub's clock, a reinstall): one fresh token, then the answer stands.
        const again = await appAuth({ type: 'installation', installationId, refresh: true });
        return signed(again.token);
      }
    };
    return Object.assign(auth, { hook });
  }
}

function idPathKey(path: string): string | undefined {
  const match = ID_IN_PATH.exec(path);
  return match ? `${(match[1] as string).toLowerCase()}/${match[2]}` : undefined;
}

function pathOf(url: string, baseUrl: string): string {
  let path = url.startsWith(baseUrl) ? url.slice(baseUrl.length) : url;
  if (/^https?:\/\//.test(path)) {
    const parsed = new URL(path);
    const basePath = new URL(baseUrl).pathname.replace(/\/$/, '');
    path = parsed.pathname.startsWith(basePath) ? parsed.pathname.slice(basePath.length) : parsed.pathname;
  }
  return path.split('?')[0] ?? path;
}

function ownerOf(endpoint: Record<string, unknown>, path: string): string | undefined {
  for (const key of ['owner', 'org', 'username']) {
    const value = endpoint[key];
    if (typeof value === 'string' && value) return value;
  }
  const variables = endpoint.variables as Record<string, unknown> | undefined;
  for (const key of ['owner', 'org', 'login']) {
    const value = variables?.[key];
    if (typeof value === 'string' && value) return value;
  }
  const match = OWNER_IN_PATH.exec(path);
  return match?.[1] && !match[1].startsWith('{') ? decodeURIComponent(match[1]) : undefined;
}
