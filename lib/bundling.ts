/**
 * esbuild options shared by every Lambda bundle (lib/telemetry-function.ts) and by the bundle-size benchmark
 * (bench/lambda.bench.ts), so the figures measure exactly what is deployed. Plain data: no aws-cdk-lib here.
 */
export const LAMBDA_BUNDLING = {
  /** esbuild `target`: the Node.js of the `nodejs24.x` runtime. */
  target: 'node24',
  minify: true,
  sourceMap: true,
  /** Maps carry line mappings only: stack traces resolve, the asset stays small. */
  sourcesContent: false,
  /** ESM builds first: smaller, tree-shakeable (Octokit, Powertools). */
  mainFields: ['module', 'main'],
  /** Provided by the nodejs24.x runtime; bundling it would triple the size and cold start. */
  externalModules: ['@aws-sdk/*'],
} as const;
