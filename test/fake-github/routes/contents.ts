import { createHash } from 'node:crypto';
import type { FakeGitHub, FakeRequest, FakeResponse } from '../server';
import type { FakeRepo, World } from '../world';

/**
 * The contents API over `FakeRepo.files` (the default branch head) and commit lookups over
 * `FakeRepo.commits`/`history`. Directories are implied by the file paths. Like GitHub, a file above 1 MB
 * comes back with `encoding: "none"` and empty content, and a directory listing is not paginated.
 */

const ONE_MB = 1024 * 1024;
const notFound: FakeResponse = {
  status: 404,
  body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/repos/contents' },
};

/** Puts files (path → text) at the head of the repository's default branch. */
export function setFiles(repo: FakeRepo, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) repo.files.set(path.replace(/^\/+/, ''), text);
}

/** Puts files (path → text) at one commit of the history, for reads with `?ref=<sha>`. */
export function setFilesAt(repo: FakeRepo, sha: string, files: Record<string, string>): void {
  const at = repo.filesAt.get(sha) ?? new Map<string, string>();
  for (const [path, text] of Object.entries(files)) at.set(path.replace(/^\/+/, ''), text);
  repo.filesAt.set(sha, at);
}

const blobSha = (text: string) =>
  createHash('sha1')
    .update(`blob ${Buffer.byteLength(text)}\0${text}`)
    .digest('hex');

/** The sha a ref names: the default branch, HEAD, or a (prefix of a) commit in the history. */
function resolveRef(repo: FakeRepo, ref: string | null): string | undefined {
  const head = repo.history[repo.history.length - 1];
  if (
    ref === null ||
    ref === 'HEAD' ||
    ref === repo.repo.default_branch ||
    ref === `heads/${repo.repo.default_branch}`
  ) {
    return head;
  }
  return repo.history.find((sha) => sha === ref || (ref.length >= 7 && sha.startsWith(ref)));
}

export function contentsRoutes(fake: FakeGitHub, world: World): void {
  const repoOf = (request: FakeRequest) => world.repo(request.params.owner ?? '', request.params.repo ?? '');

  fake.route('GET', '/repos/{owner}/{repo}/commits/{ref}', (request) => {
    const repo = repoOf(request);
    if (!repo) return notFound;
    const sha = resolveRef(repo, request.params.ref ?? null);
    const commit = sha ? repo.commits.get(sha) : undefined;
    if (!commit) {
      return { status: 422, body: { message: `No commit found for SHA: ${request.params.ref}` } };
    }
    return { status: 200, body: commit };
  });

  const contents = (request: FakeRequest): FakeResponse => {
    const repo = repoOf(request);
    if (!repo) return notFound;
    const ref = request.query.get('ref');
    if (ref !== null && repo.history.length > 0 && !resolveRef(repo, ref)) {
      return { status: 404, body: { message: `No commit found for the ref ${ref}` } };
    }
    const path = (request.params.path ?? '').replace(/^\/+|\/+$/g, '');
    const full = repo.repo.full_name;
    const resolved = ref === null ? undefined : resolveRef(repo, ref);
    const files = (resolved && repo.filesAt.get(resolved)) || repo.files;
    const entry = (type: 'file' | 'dir', entryPath: string, text?: string) => ({
      type,
      name: entryPath.split('/').pop(),
      path: entryPath,
      sha: text === undefined ? createHash('sha1').update(`tree:${entryPath}`).digest('hex') : blobSha(text),
      size: text === undefined ? 0 : Buffer.byteLength(text),
      url: `${fake.baseUrl}/repos/${full}/contents/${entryPath}`,
      html_url: `https://github.com/${full}/blob/${repo.repo.default_branch}/${entryPath}`,
      download_url: text === undefined ? null : `https://raw.githubusercontent.com/${full}/HEAD/${entryPath}`,
    });

    const text = files.get(path);
    if (text !== undefined && path !== '') {
      const size = Buffer.byteLength(text);
      const base64 = Buffer.from(text).toString('base64').replace(/.{60}/g, '$&\n');
      return {
        status: 200,
        body: {
          ...entry('file', path, text),
          encoding: size > ONE_MB ? 'none' : 'base64',
          content: size > ONE_MB ? '' : base64,
        },
      };
    }
    const prefix = path === '' ? '' : `${path}/`;
    const children = new Map<string, ReturnType<typeof entry>>();
    for (const [filePath, fileText] of files) {
      if (!filePath.startsWith(prefix)) continue;
      const [name, ...rest] = filePath.slice(prefix.length).split('/');
      if (!name) continue;
      children.set(
        name,
        rest.length === 0 ? entry('file', filePath, fileText) : entry('dir', `${prefix}${name}`),
      );
    }
    if (children.size === 0 && path !== '') return notFound;
    return {
      status: 200,
      body: [...children.values()].sort((a, b) => String(a.name).localeCompare(String(b.name))),
    };
  };
  fake.route('GET', '/repos/{owner}/{repo}/contents', contents);
  fake.route('GET', '/repos/{owner}/{repo}/contents/', contents);
  fake.route('GET', '/repos/{owner}/{repo}/contents/{path}', contents);
}
