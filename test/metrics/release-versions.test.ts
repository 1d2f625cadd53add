import { parseVersionTag } from '../../src/metrics/release-versions';
import { collectAll } from '../support/collect';
import { expectDocumentedExample } from '../support/metrics-doc';
import { example, examplesOf, signedEventFrom } from '../support/webhooks';

/** A real create payload whose tag is renamed: the bundled examples all create the non-semver `simple-tag`. */
function tagCreated(tag: string): Record<string, unknown> {
  return { ...example('create'), ref: tag };
}

describe('release-versions metric', () => {
  it('makes no record for the real examples: `simple-tag` is not a version', async () => {
    for (const payload of examplesOf('create')) {
      expect(payload.ref).toBe('simple-tag');
      expect(await collectAll(signedEventFrom('create', payload))).toEqual([]);
    }
  });

  it('parses semantic version tags with or without a leading v', async () => {
    const [record] = await collectAll(signedEventFrom('create', tagCreated('v1.2.3-rc.1+build.5')));
    expect(record).toMatchObject({
      metric: 'release-versions',
      trigger: 'github::create',
      owner: 'Codertocat',
      repo: 'Hello-World',
      occurred_at: '2026-11-01T12:00:00.000Z',
      output: {
        tag: 'v1.2.3-rc.1+build.5',
        version: '1.2.3-rc.1+build.5',
        major: 1,
        minor: 2,
        patch: 3,
        prerelease: ['rc', 1],
        build: ['build', '5'],
        is_prerelease: true,
      },
    });
    expect(parseVersionTag('10.0.0')).toMatchObject({ major: 10, minor: 0, patch: 0, is_prerelease: false });
  });

  it('refuses what is not a strict semantic version', () => {
    for (const tag of ['v1.2', '1', 'release-1.2.3', 'v01.2.3', '1.2.3.4', 'vv1.2.3', 'latest', ' 1.2.3']) {
      expect(parseVersionTag(tag)).toBeNull();
    }
  });

  it('ignores branches and gives the same tag in the same repository the same id', async () => {
    expect(
      await collectAll(signedEventFrom('create', { ...tagCreated('v2.0.0'), ref_type: 'branch' })),
    ).toEqual([]);
    const [a] = await collectAll(signedEventFrom('create', tagCreated('v2.0.0')));
    const [b] = await collectAll(
      signedEventFrom('create', tagCreated('v2.0.0'), { deliveryId: 'redelivered' }),
    );
    expect(a?.id).toBe(b?.id);
  });

  it('documents its example record in METRICS.md', async () => {
    const [record] = await collectAll(signedEventFrom('create', tagCreated('v1.4.0')));
    expectDocumentedExample(record as never);
  });
});
