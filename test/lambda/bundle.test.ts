import { bundleLambda } from '../support/lambda-bundle';
import { tempDir } from '../support/temp';

describe('Lambda bundles (esbuild with the stack options)', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    dir = await tempDir('telemetry-bundle-');
  });
  afterAll(() => dir.remove());

  it('keeps Octokit and the AWS SDK out of the webhook, and zod too', async () => {
    const webhook = await bundleLambda('webhook', dir.path);
    expect(
      webhook.inputs.filter((p) => /node_modules\/@octokit\/(rest|core|request|plugin)/.test(p)),
    ).toEqual([]);
    expect(webhook.inputs.filter((p) => p.includes('node_modules/@aws-sdk/'))).toEqual([]);
    expect(webhook.inputs.filter((p) => p.includes('node_modules/zod/'))).toEqual([]);
    // What it does need: the signature check and the shared HTTP contract.
    expect(webhook.inputs).toEqual(
      expect.arrayContaining(['src/webhook/handle-request.ts', 'src/webhook/verify.ts']),
    );
    expect(webhook.inputs.some((p) => p.includes('node_modules/@octokit/webhooks-methods/'))).toBe(true);
  });

  it('bundles the worker with the metrics, Octokit and the data repository store', async () => {
    const worker = await bundleLambda('worker', dir.path);
    expect(worker.inputs).toEqual(
      expect.arrayContaining([
        'src/metrics/registry.ts',
        'src/store/github-repo-store.ts',
        'src/worker/process-batch.ts',
      ]),
    );
    expect(worker.inputs.some((p) => p.includes('node_modules/@octokit/rest/'))).toBe(true);
    expect(worker.inputs.filter((p) => p.includes('node_modules/@aws-sdk/'))).toEqual([]);
  });
});
