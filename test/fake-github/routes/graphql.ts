import type { FakeGitHub, FakeRequest, FakeResponse } from '../server';

/**
 * GitHub's GraphQL endpoint, faked per operation: each route module registers handlers by the operation name
 * of its query (`query PullRequestData(...)` → `PullRequestData`), and the one `POST /graphql` route
 * dispatches on it. A query without a registered operation name is answered the way GitHub answers a
 * malformed query.
 */
export type GraphqlHandler = (
  variables: Record<string, unknown>,
  request: FakeRequest,
) => unknown | Promise<unknown>;

/**
 * Thrown by an operation handler for what GitHub reports as a GraphQL error: HTTP 200 with `data` null and an
 * `errors` entry carrying `type` (NOT_FOUND for a repository the token cannot see, FORBIDDEN, ...).
 */
export class GraphqlError extends Error {
  constructor(
    message: string,
    readonly type: string,
    readonly path: string[],
  ) {
    super(message);
  }
}

const registries = new WeakMap<FakeGitHub, Map<string, GraphqlHandler>>();

export function graphqlOperation(fake: FakeGitHub, operationName: string, handler: GraphqlHandler): void {
  let handlers = registries.get(fake);
  if (!handlers) {
    handlers = new Map();
    registries.set(fake, handlers);
    const table = handlers;
    fake.route('POST', '/graphql', async (request): Promise<FakeResponse> => {
      const body = (request.body ?? {}) as { query?: string; variables?: Record<string, unknown> };
      const name = /\b(?:query|mutation)\s+(\w+)/.exec(body.query ?? '')?.[1];
      const operation = name ? table.get(name) : undefined;
      if (!operation) {
        return { status: 200, body: { errors: [{ message: `unknown operation ${name ?? '(anonymous)'}` }] } };
      }
      try {
        return { status: 200, body: { data: await operation(body.variables ?? {}, request) } };
      } catch (error) {
        if (!(error instanceof GraphqlError)) throw error;
        const [root = 'data'] = error.path;
        return {
          status: 200,
          body: {
            data: { [root]: null },
            errors: [
              {
                type: error.type,
                path: error.path,
                locations: [{ line: 2, column: 3 }],
                message: error.message,
              },
            ],
          },
        };
      }
    });
  }
  handlers.set(operationName, handler);
}
