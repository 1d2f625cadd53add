import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLocalSecrets } from '../../src/config/secrets';
import { tempDir } from '../support/temp';

const PEM =
  '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----';

describe('GitHub App credentials from the environment', () => {
  test('inline with escaped newlines (a .env file), or from a file', async () => {
    expect(
      readLocalSecrets({ GITHUB_APP_ID: '42', GITHUB_APP_PRIVATE_KEY: PEM.replace(/\n/g, '\\n') }).githubApp,
    ).toEqual({
      appId: '42',
      privateKey: PEM,
    });
    const dir = await tempDir();
    try {
      writeFileSync(join(dir.path, 'data.pem'), `${PEM}\n`);
      const secrets = readLocalSecrets({
        DATA_REPOSITORY_APP_ID: '43',
        DATA_REPOSITORY_APP_PRIVATE_KEY_FILE: join(dir.path, 'data.pem'),
      });
      expect(secrets.dataRepositoryApp).toEqual({ appId: '43', privateKey: PEM });
      expect(secrets.githubApp).toBeUndefined();
    } finally {
      await dir.remove();
    }
  });

  test.each([
    [{ GITHUB_APP_PRIVATE_KEY: PEM }, 'GITHUB_APP_ID is not set'],
    [{ GITHUB_APP_ID: '42' }, 'set GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_FILE'],
    [{ GITHUB_APP_ID: 'my-app', GITHUB_APP_PRIVATE_KEY: PEM }, "GITHUB_APP_ID must be the App's numeric id"],
    [
      { GITHUB_APP_ID: '42', GITHUB_APP_PRIVATE_KEY: 'ghp_not-a-key-at-all' },
      'GITHUB_APP_PRIVATE_KEY is not a PEM private key',
    ],
    [
      { GITHUB_APP_ID: '42', GITHUB_APP_PRIVATE_KEY_FILE: '/nonexistent/app.pem' },
      'cannot read /nonexistent/app.pem (ENOENT)',
    ],
    [{ GITHUB_APP_ID: '42', GITHUB_APP_PRIVATE_KEY: PEM, GITHUB_APP_PRIVATE_KEY_FILE: '/x.pem' }, 'not both'],
  ])('case %# fails naming the variable, never echoing a value', (env, message) => {
    let error: Error | undefined;
    try {
      readLocalSecrets(env);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toContain(message);
    expect(error?.message).not.toContain('MIIEvQ');
    expect(error?.message).not.toContain('ghp_not-a-key');
  });
});
