import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildClientSchema, type GraphQLSchema, parse, validate } from 'graphql';
import { PULL_REQUEST_DATA_QUERY } from '../../src/github/pull-request-data';

// GitHub's published GraphQL schema (@octokit/graphql-schema), as introspection JSON: the package exports only
// ESM entry points, so the file is read directly (its SDL copy repeats a few enterprise fields and does not build).
const SCHEMA = join(__dirname, '..', '..', 'node_modules', '@octokit', 'graphql-schema', 'schema.json');
let schema: GraphQLSchema;
beforeAll(() => {
  const json = JSON.parse(readFileSync(SCHEMA, 'utf8'));
  schema = buildClientSchema(json.data ?? json);
});

describe('the PullRequestData query', () => {
  test("is valid against GitHub's GraphQL schema", () => {
    const errors = validate(schema, parse(PULL_REQUEST_DATA_QUERY));
    expect(errors.map((e) => e.message)).toEqual([]);
  });

  test('a typo would be caught (the check is not vacuous)', () => {
    const broken = PULL_REQUEST_DATA_QUERY.replace('changeType', 'changeKind');
    expect(validate(schema, parse(broken)).map((e) => e.message)).toEqual([
      expect.stringContaining('changeKind'),
    ]);
  });
});
