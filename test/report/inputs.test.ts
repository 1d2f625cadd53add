import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/config';
import { loadTeams, NO_TEAM, TeamsError } from '../../src/report/teams';
import { monthOverlaps, parseWindow, WindowError, weekOf } from '../../src/report/window';
import { tempDir } from '../support/temp';

describe('report inputs', () => {
  const NOW = Date.parse('2026-11-22T15:00:00Z');

  it('--since/--until: durations, inclusive dates, ISO times, and clear errors', () => {
    expect(parseWindow(undefined, undefined, NOW)).toEqual({ start: NOW - 90 * 86_400_000, end: NOW });
    expect(parseWindow('2w', '2026-11-01', NOW)).toEqual({
      start: Date.parse('2026-10-19T00:00:00Z'), // 14 days before the end of 2026-11-01
      end: Date.parse('2026-11-02T00:00:00Z'),
    });
    expect(parseWindow('2026-10-01T12:00:00+02:00', '2026-10-02T00:00:00Z', NOW).start).toBe(
      Date.parse('2026-10-01T10:00:00Z'),
    );
    // The ages the backfill takes: hours and minutes too.
    expect(parseWindow('24h', undefined, NOW)).toEqual({ start: NOW - 86_400_000, end: NOW });
    expect(parseWindow('30m', undefined, NOW).start).toBe(NOW - 1_800_000);
    expect(() => parseWindow('yesterday', undefined, NOW)).toThrow(WindowError);
    expect(() => parseWindow('0d', undefined, NOW)).toThrow(/empty window/);
    expect(() => parseWindow('2026-11-05', '2026-11-01', NOW)).toThrow(/must be before --until/);
    expect(() => parseWindow('2026-02-30', undefined, NOW)).toThrow(WindowError);
  });

  it('prunes month folders by the window and starts weeks on Monday', () => {
    const window = parseWindow('2026-10-01', '2026-11-03', NOW);
    expect([9, 10, 11, 12].map((m) => monthOverlaps(window, 2026, m))).toEqual([false, true, true, false]);
    expect(weekOf(Date.parse('2026-11-01T23:59:59Z'))).toBe('2026-10-26'); // a Sunday
    expect(weekOf(Date.parse('2026-11-02T00:00:00Z'))).toBe('2026-11-02'); // a Monday
  });

  it('the report section of the configuration is validated with the other settings', async () => {
    const dir = await tempDir();
    try {
      const file = join(dir.path, 'telemetry.config.json');
      await writeFile(
        file,
        JSON.stringify({ report: { productionEnvironments: ['live'], changeFailureWindowHours: 48 } }),
      );
      expect(loadConfig({ file, env: {} }).report).toEqual({
        productionEnvironments: ['live'],
        changeFailureWindowHours: 48,
        revertTitlePattern: '^revert\\b',
        topListSize: 10,
      });
      await writeFile(file, JSON.stringify({ report: { revertTitlePattern: '(', window: 1 } }));
      expect(() => loadConfig({ file, env: {} })).toThrow(ConfigError);
      expect(() => loadConfig({ file, env: {} })).toThrow(
        /report: window .*\n.*report\.revertTitlePattern: must be a valid regular expression|report\.revertTitlePattern: must be a valid regular expression[\s\S]*report: window/,
      );
    } finally {
      await dir.remove();
    }
  });

  it('teams file: first matching rule wins, selectors narrow monorepo rules, errors name the setting', async () => {
    const dir = await tempDir();
    try {
      const file = join(dir.path, 'teams.json');
      await writeFile(
        file,
        JSON.stringify({
          teams: [
            { name: 'web', repos: ['acme/mono'], paths: ['.github/workflows/web-*.yml'], services: ['web'] },
            { name: 'platform', repos: ['acme/mono', 'ACME/infra-*'] },
          ],
        }),
      );
      const teams = await loadTeams(file);
      expect(teams.names).toEqual(['web', 'platform']);
      expect(teams.teamOf({ owner: 'acme', repo: 'mono', path: '.github/workflows/web-ci.yml' })).toBe('web');
      expect(teams.teamOf({ owner: 'acme', repo: 'mono', service: 'web' })).toBe('web');
      expect(teams.teamOf({ owner: 'acme', repo: 'mono', path: '.github/workflows/api.yml' })).toBe(
        'platform',
      );
      expect(teams.teamOf({ owner: 'acme', repo: 'infra-dns' })).toBe('platform'); // globs ignore case
      expect(teams.teamOf({ owner: 'other', repo: 'mono' })).toBe(NO_TEAM);

      await writeFile(file, JSON.stringify({ teams: [{ name: 'web', repo: ['acme/web'] }] }));
      await expect(loadTeams(file)).rejects.toThrow(TeamsError);
      await expect(loadTeams(file)).rejects.toThrow(
        /teams\.0\.repos: .*\n {2}teams\.0: repo|teams\.0: repo[\s\S]*teams\.0\.repos/,
      );
      await writeFile(file, '{');
      await expect(loadTeams(file)).rejects.toThrow(/is not valid JSON/);
    } finally {
      await dir.remove();
    }
  });
});
