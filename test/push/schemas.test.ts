import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pushJsonSchemas } from '../../src/push/json-schemas';
import { PUSH_KIND_NAMES } from '../../src/push/kind-names';
import { pushKinds } from '../../src/push/kinds';

const DIR = join(__dirname, '..', '..', 'docs', 'schemas');

describe('docs/schemas (JSON Schemas generated from the zod schemas)', () => {
  it('are up to date: run `npm run schemas` after changing src/push/kinds.ts', () => {
    const generated = pushJsonSchemas();
    const onDisk = readdirSync(DIR).filter((f) => f.endsWith('.schema.json'));
    expect(onDisk.sort()).toEqual(Object.keys(generated).sort());
    for (const [name, content] of Object.entries(generated)) {
      const stored = readFileSync(join(DIR, name), 'utf8');
      expect({ name, stale: stored !== content }).toEqual({ name, stale: false });
    }
  });

  it('describe every kind, one item or {"items": [...]} of at most 500, with the required fields', () => {
    const required: Record<string, string[]> = {
      deployment: ['id', 'repository', 'environment', 'sha', 'status', 'finished_at'],
      incident: ['id', 'repository', 'opened_at'],
      'tooling-usage': ['repository', 'tools'],
      'custom-metric': ['id', 'name', 'value', 'unit', 'observed_at'],
      'pipeline-run': ['id', 'repository', 'pipeline', 'status'],
    };
    for (const kind of Object.keys(pushKinds)) {
      const schema = JSON.parse(pushJsonSchemas()[`${kind}.schema.json`] as string);
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(schema.anyOf[0]).toEqual({ $ref: `#/$defs/${kind}` });
      expect(schema.anyOf[1].properties.items).toMatchObject({ maxItems: 500, minItems: 1 });
      expect(schema.$defs[kind].required).toEqual(required[kind]);
      expect(schema.$defs[kind].properties.schema_version).toMatchObject({ const: 1, default: 1 });
    }
    const run = JSON.parse(pushJsonSchemas()['pipeline-run.schema.json'] as string);
    expect(run.$defs['pipeline-run'].anyOf).toEqual([
      { required: ['started_at'] },
      { required: ['finished_at'] },
    ]);
  });
});

describe('PUSH_KIND_NAMES (the kinds `telemetry send --help` lists without loading the schemas)', () => {
  it("are pushKinds' keys, in their order", () => {
    expect([...PUSH_KIND_NAMES]).toEqual(Object.keys(pushKinds));
  });
});
