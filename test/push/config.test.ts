import { ConfigError, loadConfig } from '../../src/config/config';
import { tempDir } from '../support/temp';

describe('push configuration', () => {
  it('defaults the timestamp skew to 300 s and takes TELEMETRY_PUSH_MAX_SKEW_SECONDS', async () => {
    const dir = await tempDir();
    try {
      expect(loadConfig({ env: {}, cwd: dir.path }).push).toEqual({ maxSkewSeconds: 300 });
      expect(
        loadConfig({ env: { TELEMETRY_PUSH_MAX_SKEW_SECONDS: '60' }, cwd: dir.path }).push.maxSkewSeconds,
      ).toBe(60);
      expect(() => loadConfig({ env: { TELEMETRY_PUSH_MAX_SKEW_SECONDS: '0' }, cwd: dir.path })).toThrow(
        /push\.maxSkewSeconds/,
      );
      expect(() => loadConfig({ env: { TELEMETRY_PUSH_MAX_SKEW_SECONDS: '0' }, cwd: dir.path })).toThrow(
        ConfigError,
      );
    } finally {
      await dir.remove();
    }
  });
});
