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
    expect(config.server).toMatchObject({
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

  it('reads the durability and bounds of the local collector from the environment', () => {
    const defaults = loadConfig({ env: {}, cwd: dir.path }).server;
    expect(defaults).toMatchObject({
      spool: true,
      maxQueuedBytes: 256 * 1024 * 1024,
      maxUnauthenticatedBytes: 64 * 1024 * 1024,
      drainTimeoutSeconds: 10,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 60_000,
    });
    const env = {
      TELEMETRY_SPOOL: 'off',
      TELEMETRY_MAX_QUEUED_BYTES: '1000',
      TELEMETRY_DRAIN_TIMEOUT_SECONDS: '3',
    };
    expect(loadConfig({ env, cwd: dir.path }).server).toMatchObject({
      spool: false,
      maxQueuedBytes: 1000,
      drainTimeoutSeconds: 3,
    });
    expect(loadConfig({ env: { TELEMETRY_SPOOL: 'on' }, cwd: dir.path }).server.spool).toBe(true);
    expect(() => loadConfig({ env: { TELEMETRY_SPOOL: 'maybe' }, cwd: dir.path })).toThrow(
      'TELEMETRY_SPOOL must be on or off, got "maybe"',
    );
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
