/**
 * Pure parsers: one tooling file's text → tool → version. Keys are namespaced by ecosystem
 * (`npm:jest`, `pip:requests`, `go:golang.org/x/mod`, `actions:actions/checkout`, `docker:node`) except the
 * runtimes themselves (`node`, `python`, `go`, package managers). `"*"` means present without a version.
 * A file that cannot be parsed contributes nothing: its content is the repository's business, not an error of
 * the collector.
 */

export type ToolingKind =
  | 'package.json'
  | 'nvmrc'
  | 'node-version'
  | 'python-version'
  | 'tool-versions'
  | 'requirements'
  | 'go.mod'
  | 'dockerfile'
  | 'workflow';

export type Tools = [tool: string, version: string][];

/** The kind of a tooling file from its path, or null for files the snapshot does not read. */
export function toolingKind(path: string): ToolingKind | null {
  const name = path.split('/').pop() ?? '';
  if (name === 'package.json') return 'package.json';
  if (name === '.nvmrc') return 'nvmrc';
  if (name === '.node-version') return 'node-version';
  if (name === '.python-version') return 'python-version';
  if (name === '.tool-versions') return 'tool-versions';
  if (/^requirements([-_.][\w.-]+)?\.txt$/.test(name)) return 'requirements';
  if (name === 'go.mod') return 'go.mod';
  if (/^Dockerfile(\..+)?$/i.test(name) || /\.dockerfile$/i.test(name)) return 'dockerfile';
  if (/(^|\/)\.github\/workflows\/[^/]+\.ya?ml$/.test(path)) return 'workflow';
  return null;
}

const version = (value: string) => value.trim().replace(/^v(?=\d)/, '') || '*';

export function parseTooling(kind: ToolingKind, text: string): Tools {
  switch (kind) {
    case 'package.json':
      return packageJson(text);
    case 'nvmrc':
    case 'node-version':
      return firstLine(text, 'node');
    case 'python-version':
      return firstLine(text, 'python');
    case 'tool-versions':
      return toolVersions(text);
    case 'requirements':
      return requirements(text);
    case 'go.mod':
      return goMod(text);
    case 'dockerfile':
      return dockerfile(text);
    case 'workflow':
      return workflow(text);
  }
}

function firstLine(text: string, tool: string): Tools {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  return line ? [[tool, version(line)]] : [];
}

function packageJson(text: string): Tools {
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch {
    return [];
  }
  if (!manifest || typeof manifest !== 'object') return [];
  const m = manifest as Record<string, unknown>;
  const tools: Tools = [];
  for (const section of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) {
    const deps = m[section];
    if (!deps || typeof deps !== 'object') continue;
    for (const [name, spec] of Object.entries(deps as Record<string, unknown>)) {
      if (typeof spec === 'string') tools.push([`npm:${name}`, spec.trim() || '*']);
    }
  }
  const engines = m.engines as Record<string, unknown> | undefined;
  if (engines && typeof engines.node === 'string') tools.push(['node', engines.node.trim() || '*']);
  // "pnpm@9.12.0+sha512.…": the package manager and its exact version (corepack).
  if (typeof m.packageManager === 'string') {
    const [, name, ver] = /^(@?[^@]+)@([^+]+)/.exec(m.packageManager) ?? [];
    if (name && ver) tools.push([name, ver]);
  }
  return tools;
}

/** asdf/mise `.tool-versions`: `nodejs 20.11.1`, `python 3.12.1 3.11.7`; asdf's plugin names are kept except the two common aliases. */
function toolVersions(text: string): Tools {
  const alias: Record<string, string> = { nodejs: 'node', golang: 'go' };
  const tools: Tools = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [name, ...versions] = line.split(/\s+/);
    if (!name) continue;
    for (const v of versions.length > 0 ? versions : ['*']) tools.push([alias[name] ?? name, version(v)]);
  }
  return tools;
}

/** pip requirements: `name==1.2.3` → "1.2.3", `name>=1,<2` → ">=1,<2", `name` → "*"; options and includes skipped. */
function requirements(text: string): Tools {
  const tools: Tools = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s#.*/, '').trim();
    if (!line || line.startsWith('#') || line.startsWith('-')) continue;
    const match = /^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*([^;]*)/.exec(line);
    if (!match?.[1]) continue;
    const spec = (match[3] ?? '').trim();
    const exact = /^===?\s*([^,\s]+)$/.exec(spec);
    tools.push([`pip:${match[1].toLowerCase().replace(/[._]+/g, '-')}`, exact?.[1] ?? (spec || '*')]);
  }
  return tools;
}

function goMod(text: string): Tools {
  const tools: Tools = [];
  let inRequire = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\/\/.*/, '').trim();
    if (!line) continue;
    if (inRequire) {
      if (line === ')') inRequire = false;
      else {
        const [module, ver] = line.split(/\s+/);
        if (module && ver) tools.push([`go:${module}`, ver]);
      }
      continue;
    }
    if (/^require\s*\($/.test(line)) {
      inRequire = true;
      continue;
    }
    const single = /^require\s+(\S+)\s+(\S+)/.exec(line);
    if (single?.[1] && single[2]) tools.push([`go:${single[1]}`, single[2]]);
    const go = /^go\s+(\S+)/.exec(line);
    if (go?.[1]) tools.push(['go', go[1]]);
    const toolchain = /^toolchain\s+go(\S+)/.exec(line);
    if (toolchain?.[1]) tools.push(['go-toolchain', toolchain[1]]);
  }
  return tools;
}

/** `FROM [--platform=…] image[:tag][@digest] [AS stage]`; stages built earlier in the file and `scratch` are not images. */
function dockerfile(text: string): Tools {
  const tools: Tools = [];
  const stages = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const match = /^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(raw);
    if (!match?.[1]) continue;
    const image = match[1];
    const fromStage = stages.has(image.toLowerCase());
    if (match[2]) stages.add(match[2].toLowerCase());
    if (image === 'scratch' || fromStage) continue;
    const [ref, digest] = image.split('@');
    const colon = (ref ?? '').lastIndexOf(':');
    const slash = (ref ?? '').lastIndexOf('/');
    const hasTag = colon > slash;
    const name = hasTag ? (ref ?? '').slice(0, colon) : (ref ?? '');
    const tag = hasTag ? (ref ?? '').slice(colon + 1) : (digest ?? '*');
    tools.push([`docker:${name}`, tag]);
  }
  return tools;
}

/** Every `uses:` of a workflow: `owner/repo[/path]@ref` → `actions:owner/repo[/path]`, `docker://image:tag` → `docker:image`. */
function workflow(text: string): Tools {
  const tools: Tools = [];
  for (const raw of text.split(/\r?\n/)) {
    const match = /^\s*(?:-\s*)?uses:\s*(['"]?)([^'"\s#]+)\1/.exec(raw);
    const uses = match?.[2];
    if (!uses || uses.startsWith('./')) continue;
    if (uses.startsWith('docker://')) {
      tools.push(...dockerfile(`FROM ${uses.slice('docker://'.length)}`));
      continue;
    }
    const at = uses.lastIndexOf('@');
    tools.push(at > 0 ? [`actions:${uses.slice(0, at)}`, uses.slice(at + 1)] : [`actions:${uses}`, '*']);
  }
  return tools;
}
