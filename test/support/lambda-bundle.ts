import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { LAMBDA_BUNDLING } from '../../lib/bundling';

const ROOT = join(__dirname, '..', '..');

export interface LambdaBundle {
  file: string;
  bytes: number;
  /** Every source file esbuild put into the bundle (paths relative to the project). */
  inputs: string[];
}

/**
 * Bundles `lambda/<name>.ts` with exactly the esbuild options the stack uses (lib/bundling.ts), the way
 * NodejsFunction runs esbuild: CommonJS for Node 24, minified, external source map.
 */
export async function bundleLambda(name: string, outdir: string): Promise<LambdaBundle> {
  const file = join(outdir, name, 'index.js');
  const result = await build({
    entryPoints: [join(ROOT, 'lambda', `${name}.ts`)],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: LAMBDA_BUNDLING.target,
    minify: LAMBDA_BUNDLING.minify,
    sourcemap: LAMBDA_BUNDLING.sourceMap,
    sourcesContent: LAMBDA_BUNDLING.sourcesContent,
    mainFields: [...LAMBDA_BUNDLING.mainFields],
    external: [...LAMBDA_BUNDLING.externalModules],
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: ROOT,
  });
  const meta = result.metafile as Metafile;
  const output = Object.entries(meta.outputs).find(([path]) => path.endsWith('index.js'))?.[1];
  if (!output) throw new Error(`esbuild wrote no index.js for ${name}`);
  return { file, bytes: output.bytes, inputs: Object.keys(meta.inputs) };
}
