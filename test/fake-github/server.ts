import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake GitHub REST API on 127.0.0.1 for tests and benchmarks (never shipped). This file is the core:
 * routing, GitHub-style pagination (`per_page`, `page`, `Link`), primary rate limit headers, injected faults
 * and an injectable clock. Endpoints live in route modules (`routes/*.ts`) that call `fake.route(...)`.
 */

export interface FakeRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  body: unknown;
  /** The token from `Authorization: token|Bearer X`, if any. */
  token?: string;
}

export interface FakeResponse {
  status: number;
  body?: unknown;
  /** A body already serialised, sent as is: JSON with numbers JSON.stringify cannot write (ids past 2^53). */
  raw?: string;
  headers?: Record<string, string>;
}

/**
 * Answers a request, or returns undefined to pass it to the next route registered for the same path (so
 * that, e.g., the data repositories of routes/git.ts and the repositories of world.ts share
 * `GET /repos/{owner}/{repo}`). A request no route answers gets GitHub's 404.
 */
export type FakeHandler = (
  request: FakeRequest,
) => FakeResponse | undefined | Promise<FakeResponse | undefined>;

/**
 * `timeout`: the request is never answered (nor handled). `lost-response`: the request is handled (a ref
 * update lands) but its answer never arrives, as when a connection drops after GitHub did the work.
 */
export type FaultKind =
  | '500'
  | '502'
  | 'timeout'
  | 'lost-response'
  | 'secondary-limit'
  | 'primary-limit'
  /** GitHub's secondary-limit 403 without `retry-after` (its docs: then wait at least a minute). */
  | 'secondary-limit-bare'
  /** 429 Too Many Requests with `retry-after`. */
  | 'too-many-requests'
  /** 422 "input was too large to process" of `POST /git/trees`. */
  | 'too-large'
  /** 422 refusing the content for good (a validation failure). */
  | 'unprocessable';

export interface Fault {
  kind: FaultKind;
  /** Which requests it hits (default: all). */
  match?: (request: FakeRequest) => boolean;
  /** How many matching requests it hits before it is used up (default 1). */
  times?: number;
  /** Probability per matching request, for random fault mixes (default 1). */
  probability?: number;
}

export interface LoggedRequest {
  method: string;
  path: string;
  status: number;
  at: number;
  /** Size of the request body in bytes. */
  bytes: number;
}

interface Route {
  method: string;
  /** The path template as registered (GitHub's OpenAPI path). */
  path: string;
  pattern: RegExp;
  names: string[];
  handler: FakeHandler;
}

export interface FakeGitHubOptions {
  /** Milliseconds since the epoch; tests pass a controllable clock to run an hour of traffic in seconds. */
  now?: () => number;
  /** Primary rate limit per token per hour (GitHub: 5,000 for a PAT). */
  primaryLimit?: number;
  /** Random source for probabilistic faults (seedable in benchmarks). */
  random?: () => number;
  /**
   * GitHub's secondary limit on content-creating requests (POST/PATCH/PUT/DELETE) per token, in sliding
   * windows: default 80 a minute and 500 an hour; `false` turns it off.
   */
  contentLimits?: { perMinute: number; perHour: number } | false;
}

/** A content-creating request GitHub counted (answered, not refused by the limit itself). */
export interface ContentWrite {
  at: number;
  token: string;
  method: string;
  path: string;
}

export class FakeGitHub {
  readonly requests: LoggedRequest[] = [];
  readonly contentWrites: ContentWrite[] = [];
  /** The last 1,000 answers of routes by path template (what the OpenAPI conformance test checks). */
  readonly lastResponses: { method: string; route: string; status: number; body: unknown }[] = [];
  /** Requests refused with GitHub's secondary-limit 403 because a client exceeded the content limits. */
  secondaryLimited = 0;
  readonly contentLimits: { perMinute: number; perHour: number } | false;
  private readonly routes: Route[] = [];
  private readonly faults: (Fault & { remaining: number })[] = [];
  private readonly primaryUsed = new Map<string, { windowStart: number; used: number }>();
  private server?: Server;
  private readonly inFlight = new Set<Promise<void>>();
  readonly now: () => number;
  readonly primaryLimit: number;
  private readonly random: () => number;
  baseUrl = '';
  /**
   * Checks a request's credentials before it is routed (routes/app.ts: the App's JWT and installation
   * tokens); an answer refuses the request. Absent: every token is accepted, as a PAT would be.
   */
  authenticate?: (request: FakeRequest) => FakeResponse | undefined;
  /** The primary limit of a token when it differs from `primaryLimit` (an App installation's 5,000 to 12,500). */
  limitFor?: (token: string) => number | undefined;

  constructor(options: FakeGitHubOptions = {}) {
    this.now = options.now ?? Date.now;
    this.primaryLimit = options.primaryLimit ?? 5000;
    this.random = options.random ?? Math.random;
    this.contentLimits = options.contentLimits ?? { perMinute: 80, perHour: 500 };
  }

  /** The most content-creating requests of any one token in any sliding window of `windowMs` (default an hour). */
  peakContentWrites(windowMs = 3_600_000): number {
    let peak = 0;
    const byToken = new Map<string, number[]>();
    for (const w of this.contentWrites) byToken.set(w.token, [...(byToken.get(w.token) ?? []), w.at]);
    for (const times of byToken.values()) {
      times.sort((a, b) => a - b);
      let start = 0;
      for (let end = 0; end < times.length; end += 1) {
        while ((times[end] as number) - (times[start] as number) >= windowMs) start += 1;
        peak = Math.max(peak, end - start + 1);
      }
    }
    return peak;
  }

  /** Registers an endpoint. `path` uses GitHub's `{name}` placeholders, e.g. `/repos/{owner}/{repo}/pulls`. */
  route(method: string, path: string, handler: FakeHandler): this {
    const names: string[] = [];
    const source = path
      .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
      .replace(/\\?\{(\w+)\\?\}/g, (_m, name: string) => {
        names.push(name);
        // `ref` in the Git refs endpoints (heads/main) and `path` in the contents API may contain slashes.
        return name === 'ref' || name === 'path' ? '(.+)' : '([^/]+)';
      });
    this.routes.push({
      method: method.toUpperCase(),
      path,
      pattern: new RegExp(`^${source}$`),
      names,
      handler,
    });
    return this;
  }

  injectFault(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Requests made so far, optionally only those matching `method path-prefix`. */
  count(method?: string, pathPrefix?: string): number {
    return this.requests.filter(
      (r) => (!method || r.method === method) && (!pathPrefix || r.path.startsWith(pathPrefix)),
    ).length;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const handling = this.handle(req, res).catch((error) => {
        if (!res.headersSent) this.write(res, { status: 500, body: { message: String(error) } });
      });
      this.inFlight.add(handling);
      void handling.finally(() => this.inFlight.delete(handling));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // Handlers whose client gave up may still be writing (git objects): let them finish.
    await Promise.allSettled([...this.inFlight]);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        return this.finish(
          req,
          res,
          method,
          url.pathname,
          { status: 400, body: { message: 'Problems parsing JSON' } },
          Buffer.byteLength(text),
        );
      }
    }
    const auth = req.headers.authorization;
    const token = auth ? auth.replace(/^(token|bearer)\s+/i, '') : undefined;
    const request: FakeRequest = {
      method,
      path: url.pathname,
      params: {},
      query: url.searchParams,
      headers: req.headers as Record<string, string | undefined>,
      body,
      ...(token ? { token } : {}),
    };

    const bytes = Buffer.byteLength(text);
    const fault = this.takeFault(request);
    if (fault === 'timeout') return; // never answers; the client's timeout fires
    if (fault && fault !== 'lost-response')
      return this.finish(req, res, method, url.pathname, this.faultResponse(fault), bytes);

    const refused = this.authenticate?.(request);
    if (refused) return this.finish(req, res, method, url.pathname, refused, bytes);

    const limited = this.chargePrimary(token ?? 'anonymous');
    if (!limited.exhausted && isContentCreating(method, url.pathname)) {
      const refusal = this.chargeContent(token ?? 'anonymous', method, url.pathname);
      if (refusal) return this.finish(req, res, method, url.pathname, refusal, bytes);
    }
    if (limited.exhausted) {
      return this.finish(
        req,
        res,
        method,
        url.pathname,
        {
          status: 403,
          body: {
            message: 'API rate limit exceeded',
            documentation_url: 'https://docs.github.com/rest/rate-limit',
          },
          headers: limited.headers,
        },
        bytes,
      );
    }

    let passed: Route | undefined;
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const match = route.pattern.exec(url.pathname);
      if (!match) continue;
      passed = route;
      route.names.forEach((name, i) => {
        request.params[name] = decodeURIComponent(match[i + 1] ?? '');
      });
      const response = await route.handler(request);
      if (!response) continue;
      response.headers = { ...limited.headers, ...response.headers };
      const answer = this.conditional(request, response, token);
      const body = answer.body ?? (answer.raw ? JSON.parse(answer.raw) : undefined);
      this.lastResponses.push({ method, route: route.path, status: answer.status, body });
      if (this.lastResponses.length > 1000) this.lastResponses.shift();
      if (fault === 'lost-response') {
        this.requests.push({ method, path: url.pathname, status: 0, at: this.now(), bytes });
        return; // handled, but the answer is lost
      }
      return this.finish(req, res, method, url.pathname, answer, bytes);
    }
    const notFound = { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' };
    if (passed) this.lastResponses.push({ method, route: passed.path, status: 404, body: notFound });
    this.finish(
      req,
      res,
      method,
      url.pathname,
      { status: 404, body: notFound, headers: limited.headers },
      bytes,
    );
  }

  private finish(
    _req: IncomingMessage,
    res: ServerResponse,
    method: string,
    path: string,
    response: FakeResponse,
    bytes = 0,
  ): void {
    this.requests.push({ method, path, status: response.status, at: this.now(), bytes });
    this.write(res, response);
  }

  private write(res: ServerResponse, response: FakeResponse): void {
    const text = response.raw ?? (response.body === undefined ? '' : JSON.stringify(response.body));
    res.statusCode = response.status;
    for (const [name, value] of Object.entries(response.headers ?? {})) res.setHeader(name, value);
    if (text) res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(text);
  }

  /**
   * GitHub's conditional requests: every successful GET answer carries a strong ETag over its body (and its
   * Link header, so pages differ), and a request whose If-None-Match names it gets a 304 without a body,
   * which GitHub does not charge against the rate limit (the charge is refunded).
   */
  private conditional(request: FakeRequest, response: FakeResponse, token: string | undefined): FakeResponse {
    if (request.method !== 'GET' || response.status !== 200) return response;
    const content = (response.raw ?? JSON.stringify(response.body) ?? '') + (response.headers?.link ?? '');
    const etag = `"${createHash('sha1').update(content).digest('hex')}"`;
    const wanted = request.headers['if-none-match'];
    if (!wanted?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) {
      return { ...response, headers: { ...response.headers, etag } };
    }
    return { status: 304, headers: { etag, ...this.refundPrimary(token ?? 'anonymous') } };
  }

  private takeFault(request: FakeRequest): FaultKind | undefined {
    for (const fault of this.faults) {
      if (fault.remaining <= 0) continue;
      if (fault.match && !fault.match(request)) continue;
      if (fault.probability !== undefined && this.random() >= fault.probability) continue;
      fault.remaining -= 1;
      return fault.kind;
    }
    return undefined;
  }

  private faultResponse(kind: FaultKind): FakeResponse {
    const resetAt = Math.ceil(this.now() / 1000) + 60;
    switch (kind) {
      case 'secondary-limit':
        return {
          status: 403,
          body: {
            message:
              'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
          },
          headers: { 'retry-after': '60' },
        };
      case 'primary-limit':
        return {
          status: 403,
          body: { message: 'API rate limit exceeded' },
          headers: {
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': String(resetAt),
            'x-ratelimit-limit': '5000',
          },
        };
      case 'secondary-limit-bare':
        return {
          status: 403,
          body: {
            message:
              'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
          },
        };
      case 'too-many-requests':
        return { status: 429, body: { message: 'Too Many Requests' }, headers: { 'retry-after': '30' } };
      case 'too-large':
        return {
          status: 422,
          body: {
            message:
              "Sorry, your request timed out.  It's likely that your input was too large to process.  Consider building the tree incrementally, or building the commits you need in a local clone of the repository and then pushing them to GitHub.",
          },
        };
      case 'unprocessable':
        return {
          status: 422,
          body: { message: 'Invalid tree info', documentation_url: 'https://docs.github.com/rest/git/trees' },
        };
      case '502':
        return { status: 502, body: { message: 'Server Error' } };
      default:
        return { status: 500, body: { message: 'Server Error' } };
    }
  }

  private refundPrimary(token: string): Record<string, string> {
    const state = this.primaryUsed.get(token);
    if (state && state.used > 0) state.used -= 1;
    const used = state?.used ?? 0;
    const reset = Math.ceil(((state?.windowStart ?? this.now()) + 3_600_000) / 1000);
    const limit = this.limitFor?.(token) ?? this.primaryLimit;
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, limit - used)),
      'x-ratelimit-used': String(used),
      'x-ratelimit-reset': String(reset),
      'x-ratelimit-resource': 'core',
    };
  }

  /**
   * GitHub's secondary limit on content-creating requests: sliding windows per token. A refused request is
   * answered as GitHub does (403, "secondary rate limit", `retry-after`) and not counted.
   */
  private chargeContent(token: string, method: string, path: string): FakeResponse | undefined {
    const now = this.now();
    if (this.contentLimits) {
      const mine = this.contentWrites.filter((w) => w.token === token && w.at > now - 3_600_000);
      const lastMinute = mine.filter((w) => w.at > now - 60_000);
      let retryAt: number | undefined;
      if (lastMinute.length >= this.contentLimits.perMinute)
        retryAt = (lastMinute[lastMinute.length - this.contentLimits.perMinute] as ContentWrite).at + 60_000;
      if (mine.length >= this.contentLimits.perHour)
        retryAt = Math.max(
          retryAt ?? 0,
          (mine[mine.length - this.contentLimits.perHour] as ContentWrite).at + 3_600_000,
        );
      if (retryAt !== undefined) {
        this.secondaryLimited += 1;
        return {
          status: 403,
          body: {
            message:
              'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.',
            documentation_url:
              'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits',
          },
          headers: { 'retry-after': String(Math.max(1, Math.ceil((retryAt - now) / 1000))) },
        };
      }
    }
    this.contentWrites.push({ at: now, token, method, path });
    return undefined;
  }

  /** One-hour windows per token, as GitHub's primary limit; answers carry the x-ratelimit-* headers. */
  private chargePrimary(token: string): { exhausted: boolean; headers: Record<string, string> } {
    const now = this.now();
    let state = this.primaryUsed.get(token);
    if (!state || now - state.windowStart >= 3_600_000) {
      state = { windowStart: now, used: 0 };
      this.primaryUsed.set(token, state);
    }
    const limit = this.limitFor?.(token) ?? this.primaryLimit;
    const exhausted = state.used >= limit;
    if (!exhausted) state.used += 1;
    const reset = Math.ceil((state.windowStart + 3_600_000) / 1000);
    return {
      exhausted,
      headers: {
        'x-ratelimit-limit': String(limit),
        'x-ratelimit-remaining': String(Math.max(0, limit - state.used)),
        'x-ratelimit-used': String(state.used),
        'x-ratelimit-reset': String(reset),
        'x-ratelimit-resource': 'core',
      },
    };
  }
}

/** GitHub counts POST, PATCH, PUT and DELETE as content-creating (GraphQL mutations are priced apart). */
function isContentCreating(method: string, path: string): boolean {
  return method !== 'GET' && method !== 'HEAD' && path !== '/graphql';
}

/**
 * GitHub's list pagination: `per_page` (default 30, max 100) and `page`, with a `Link` header naming the
 * next and last pages. Route modules call it for every list endpoint so that a client reading only the
 * first page is caught by the tests.
 */
export function paginate<T>(request: FakeRequest, items: readonly T[], baseUrl: string): FakeResponse {
  const perPage = Math.min(100, Math.max(1, Number(request.query.get('per_page') ?? 30) || 30));
  const page = Math.max(1, Number(request.query.get('page') ?? 1) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const link = (n: number, rel: string) => {
    const query = new URLSearchParams(request.query);
    query.set('page', String(n));
    query.set('per_page', String(perPage));
    return `<${baseUrl}${request.path}?${query}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
  if (page > 1) links.push(link(1, 'first'), link(page - 1, 'prev'));
  return { status: 200, body: slice, headers: links.length > 0 ? { link: links.join(', ') } : {} };
}
