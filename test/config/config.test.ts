import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/config';
import { readLocalSecrets } from '../../src/config/secrets';
import { tempDir } from '../support/temp';

describe('configuration', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(() => dir.remove());

  it('has working defaults with no file and no environment', () => {
    const config = loadConfig({ env: {}, cwd: dir.path });
    expect(config.server).toEqual({
      port: 3000,
      host: '0.0.0.0',
      dataDir: './telemetry-data',
      maxBodyBytes: 25 * 1024 * 1024,
    });
    expect(config.instance).toBe('default');
    expect(config.metrics.incidentLabels).toEqual(['incident']);
    expect(config.dataRepository).toBeUndefined();
  });

  it('reads telemetry.config.json and lets the environment override it', async () => {
    await writeFile(
      join(dir.path, 'telemetry.config.json'),
      JSON.stringify({
        instance: 'acme',
        server: { port: 4000 },
        dataRepository: { owner: 'acme', name: 'telemetry-data' },
      }),
    );
    const config = loadConfig({ env: { TELEMETRY_DATA_DIR: '/data' }, cwd: dir.path });
    expect(config.instance).toBe('acme');
    expect(config.server.port).toBe(4000);
    expect(config.server.dataDir).toBe('/data');
    expect(config.dataRepository).toEqual({
      owner: 'acme',
      name: 'telemetry-data',
      branch: 'main',
      path: '',
    });
    expect(loadConfig({ env: { PORT: '5000' }, cwd: dir.path }).server.port).toBe(5000);
  });

  it('fails fast naming each bad or unknown setting', async () => {
    const file = join(dir.path, 'bad.json');
    await writeFile(
      file,
      JSON.stringify({ instance: 'Bad Name', server: { port: 70000, colour: 'red' }, extra: 1 }),
    );
    let message = '';
    try {
      loadConfig({ env: {}, file });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toContain('instance:');
    expect(message).toContain('server.port:');
    expect(message).toContain('colour');
    expect(message).toContain('extra');
    expect(() => loadConfig({ env: { PORT: 'eighty' }, cwd: dir.path })).toThrow(
      'PORT must be a whole number, got "eighty"',
    );
    expect(() => loadConfig({ env: {}, file: join(dir.path, 'missing.json') })).toThrow(
      'cannot read configuration file',
    );
    await writeFile(file, '{ nope');
    expect(() => loadConfig({ env: {}, file })).toThrow('is not valid JSON');
    await writeFile(file, '[]');
    expect(() => loadConfig({ env: {}, file })).toThrow('must hold a JSON object');
  });

  it('keeps secrets out of the configuration and splits secret lists', () => {
    const env = { TELEMETRY_WEBHOOK_SECRET: ' new , old ,, ', GITHUB_TOKEN: 'ghp_x' };
    expect(readLocalSecrets(env)).toEqual({
      webhookSecrets: ['new', 'old'],
      githubToken: 'ghp_x',
      senderSecrets: new Map(),
    });
    expect(readLocalSecrets({ TELEMETRY_SENDER_SECRETS: 'ci=a,ci=b' }).senderSecrets).toEqual(
      new Map([['ci', ['a', 'b']]]),
    );
    expect(JSON.stringify(loadConfig({ env, cwd: dir.path }))).not.toMatch(/ghp_x|new|old/);
    expect(readLocalSecrets({})).toEqual({ webhookSecrets: [], senderSecrets: new Map() });
  });
});
