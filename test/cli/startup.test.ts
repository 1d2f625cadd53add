import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { CLI } from '../support/serve-process';
import { tempDir } from '../support/temp';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

/** What `telemetry <args>` loaded: the packages by name, and the project's own files. */
async function loaded(args: string[]): Promise<{ packages: string[]; files: string[] }> {
  const dir = await tempDir();
  try {
    const list = join(dir.path, 'loaded.txt');
    const preload = join(dir.path, 'loaded.cjs');
    await writeFile(
      preload,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, Object.keys(require.cache).join('\\n')));`,
    );
    await run(process.execPath, [
      '--require',
      preload,
      CLI,
      ...args,
      ...(args[0] === 'report' ? ['--data', dir.path] : []),
    ]);
    const paths = (await readFile(list, 'utf8')).split('\n').filter((p) => p !== preload);
    const packages = new Set(
      paths.flatMap((p) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(p)?.slice(1, 2) ?? []),
    );
    return {
      packages: [...packages].sort(),
      files: paths.filter((p) => !p.includes('node_modules')).map((p) => relative(ROOT, p)),
    };
  } finally {
    await dir.remove();
  }
}

/** The packages only some commands need: the GitHub client, the AWS SDK, the configuration's zod, DuckDB… */
const heavy = /^(@octokit|@aws-sdk|@duckdb|zod|semver|hyparquet|cli-progress)/;

// Every command is registered at start, but loads its implementation (src/cli/actions/) only when it runs.
describe('telemetry loads the modules of the command that runs, no other', () => {
  it.each([[['--version']], [['report', '--help']], [['job', 'run', '--help']]])('%j', async (args) => {
    const { packages, files } = await loaded(args);
    expect(packages.filter((p) => heavy.test(p))).toEqual([]);
    expect(files.filter((f) => f.startsWith('src/cli/actions/') || f.startsWith('src/config/'))).toEqual([]);
  });

  it('report: the configuration, the report and DuckDB, no GitHub client, server or AWS SDK', async () => {
    const { packages, files } = await loaded(['report', '--format', 'json']);
    expect(packages).toEqual(expect.arrayContaining(['@duckdb/node-api', 'zod']));
    expect(packages.filter((p) => heavy.test(p) && !/^(@duckdb|zod)/.test(p))).toEqual([]);
    expect(
      files.filter((f) => /^src\/(github|server|jobs|push\/handler|cli\/actions\/(?!report))/.test(f)),
    ).toEqual([]);
  });
});
