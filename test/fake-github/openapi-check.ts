/**
 * A small JSON-schema check of the fake GitHub's answers against GitHub's own OpenAPI description
 * (`@octokit/openapi`; only the generated api.github.com.json is loaded: the package is 385 MB). It covers
 * what GitHub's description uses for response bodies: $ref, type, nullable, required, properties, items,
 * enum, allOf/anyOf/oneOf. Formats and additional properties are not checked (GitHub adds fields freely).
 */

// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is untyped JSON
type Schema = Record<string, any>;

// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is untyped JSON
let spec: Record<string, any> | undefined;

// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is untyped JSON
export function openapi(): Record<string, any> {
  spec ??= require('@octokit/openapi/generated/api.github.com.json');
  return spec as Schema;
}

function resolve(schema: Schema): Schema {
  let current = schema;
  while (current?.$ref) {
    const path = (current.$ref as string).replace(/^#\//, '').split('/');
    current = path.reduce((node: Schema, key) => node?.[key], openapi());
    if (!current) throw new Error(`unresolvable $ref ${schema.$ref}`);
  }
  return current;
}

/** The documented response schema of `method path` for `status`, or undefined when none is documented. */
export function responseSchema(method: string, path: string, status: number): Schema | undefined {
  const operation = openapi().paths[path]?.[method.toLowerCase()];
  if (!operation) throw new Error(`${method} ${path} is not in GitHub's OpenAPI description`);
  const response = operation.responses[String(status)];
  if (!response) return undefined;
  return resolve(response).content?.['application/json']?.schema ?? {};
}

/** Problems of `value` against `schema` (empty: conforms), each naming the JSON path. */
export function validate(value: unknown, schema: Schema, at = '$'): string[] {
  const s = resolve(schema);
  const types: string[] = s.type ? ([] as string[]).concat(s.type) : [];
  if (value === null && (s.nullable === true || types.includes('null'))) return [];
  if (s.allOf) return (s.allOf as Schema[]).flatMap((part) => validate(value, part, at));
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (!s[key]) continue;
    const results = (s[key] as Schema[]).map((part) => validate(value, part, at));
    if (results.some((r) => r.length === 0)) return [];
    return [`${at}: matches none of ${key}: ${results.map((r) => r[0]).join(' | ')}`];
  }
  const problems: string[] = [];
  if (types.length > 0 && !types.some((t) => hasType(value, t)))
    return [`${at}: expected ${types.join('|')}, got ${Array.isArray(value) ? 'array' : typeof value}`];
  if (s.enum && !(s.enum as unknown[]).includes(value))
    problems.push(`${at}: ${JSON.stringify(value)} not in enum`);
  if (Array.isArray(value) && s.items)
    value.forEach((item, i) => {
      problems.push(...validate(item, s.items, `${at}[${i}]`));
    });
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    for (const name of (s.required as string[] | undefined) ?? [])
      if (!(name in object)) problems.push(`${at}.${name}: required but missing`);
    for (const [name, sub] of Object.entries((s.properties as Record<string, Schema> | undefined) ?? {}))
      if (name in object) problems.push(...validate(object[name], sub, `${at}.${name}`));
  }
  return problems;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'null':
      return value === null;
    default:
      return typeof value === type;
  }
}
