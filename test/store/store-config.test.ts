import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config';
import { createStoreClient } from '../../src/github/client';
import { silentLogger } from '../../src/log/logger';
import { DEFAULT_AUTHOR, githubRepoStoreFromConfig } from '../../src/store/github-repo-store';
import { tempDir } from '../support/temp';

describe('store configuration', () => {
  const github = createStoreClient({ token: 'x', logger: silentLogger });

  async function configFrom(raw: unknown) {
    const dir = await tempDir();
    const file = join(dir.path, 'telemetry.config.json');
    await writeFile(file, JSON.stringify(raw));
    try {
      return loadConfig({ file, env: {} });
    } finally {
      await dir.remove();
    }
  }

  it('defaults to 60 writes a minute, 450 an hour, a burst of 45, 1.8 MB trees, the default author, no branch creation', async () => {
    const config = await configFrom({ dataRepository: { owner: 'acme', name: 'telemetry-data' } });
    expect(config.store).toEqual({
      writesPerMinute: 60,
      writesPerHour: 450,
      writeBurst: 45,
      maxTreeBytes: 1_800_000,
      createBranch: false,
    });
    const store = githubRepoStoreFromConfig(config, { github, logger: silentLogger });
    expect(store.pacer.burstSize).toBe(45);
    expect([store.owner, store.repo, store.branch, store.root]).toEqual([
      'acme',
      'telemetry-data',
      'main',
      '',
    ]);
    expect(DEFAULT_AUTHOR.email).toBe('github-telemetry@users.noreply.github.com');
  });

  it('refuses budgets above what GitHub allows and malformed identities, naming the setting', async () => {
    await expect(
      configFrom({
        store: { writesPerHour: 600, writesPerMinute: 100, author: { name: 'bot', email: 'not-an-email' } },
      }),
    ).rejects.toThrow(
      /store\.writesPerMinute:.*80[\s\S]*store\.writesPerHour:.*500[\s\S]*store\.author\.email: an e-mail address/,
    );
  });

  it('needs a data repository to build the store', async () => {
    const config = await configFrom({});
    expect(() => githubRepoStoreFromConfig(config, { github, logger: silentLogger })).toThrow(
      /dataRepository is not configured: set dataRepository.owner and dataRepository.name/,
    );
  });
});
