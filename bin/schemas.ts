import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pushJsonSchemas } from '../src/push/json-schemas';

// `npm run schemas`: regenerates docs/schemas/ (push JSON Schemas) from the zod schemas of src/push/kinds.ts.
const dir = join(__dirname, '..', 'docs', 'schemas');
mkdirSync(dir, { recursive: true });
for (const [name, content] of Object.entries(pushJsonSchemas())) {
  writeFileSync(join(dir, name), content);
  process.stdout.write(`wrote docs/schemas/${name}\n`);
}
