import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { renderHtml } from '../../src/report/format/html';
import { buildReport } from '../../src/report/report';
import { TeamResolver } from '../../src/report/teams';
import { parseWindow } from '../../src/report/window';
import { tempDir } from '../support/temp';
import { DataDir } from './dataset';
import { SETTINGS, TEAMS, writeDataset } from './fixture';

/**
 * Opens the HTML report in Debian's headless Chromium (never a downloaded browser) with the network
 * switched off, and checks that every chart drew. On a developer machine without Chromium the test is
 * skipped with a message; under CI=true a missing Chromium is a failure (.ci/run installs it).
 */
/** The part of the DOM's HTMLCanvasElement the check uses (the project compiles without DOM types). */
interface CanvasLike {
  width: number;
  height: number;
  getContext(
    kind: '2d',
  ): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true' || process.env.CI === '1';
const OUTPUT = join(__dirname, '..', 'output');

if (!available && !inCi) {
  process.stderr.write(
    `\n  SKIPPED test/report/browser.test.ts: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)\n\n`,
  );
}

(available || inCi ? describe : describe.skip)('HTML report in headless Chromium', () => {
  jest.setTimeout(60_000);

  it('is one self-contained file whose charts all draw, with no console error and no request', async () => {
    expect(existsSync(CHROMIUM)).toBe(true); // under CI, a missing Chromium fails here
    const data = await tempDir('telemetry-report-html-');
    const profile = await mkdtemp(join(tmpdir(), 'telemetry-chromium-'));
    // launchPersistentContext passes --user-data-dir=<profile> (a fresh temporary profile).
    let browser: BrowserContext | undefined;
    try {
      browser = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1400, height: 900 },
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      });
      writeDataset(new DataDir(data.path));
      const report = await buildReport({
        dataDir: data.path,
        window: parseWindow('2026-10-01', '2026-11-03'),
        settings: SETTINGS,
        teams: new TeamResolver(TEAMS),
      });
      const html = renderHtml(report);
      expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|<img[^>]+src=/i); // and no request below
      await mkdir(OUTPUT, { recursive: true });
      const file = join(OUTPUT, 'report.html');
      await writeFile(file, html);

      const page = await browser.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('request', (request) => {
        if (!request.url().startsWith('file:')) requests.push(request.url());
      });
      await page.goto(pathToFileURL(file).href);
      await page.waitForSelector('body[data-rendered="true"]', { timeout: 15_000 });

      const inked = () =>
        page.$$eval('canvas', (canvases) =>
          canvases.map((canvas) => {
            const element = canvas as unknown as CanvasLike;
            const context = element.getContext('2d');
            const { width, height } = element;
            if (!context || width === 0 || height === 0) return { id: canvas.id, inked: 0 };
            const pixels = context.getImageData(0, 0, width, height).data;
            let inked = 0;
            for (let i = 3; i < pixels.length; i += 4) if ((pixels[i] as number) > 0) inked += 1;
            return { id: canvas.id, inked };
          }),
        );
      const drawn = await inked();
      expect(drawn.map((c) => c.id)).toEqual([
        'c-deploys',
        'c-lead',
        'c-prs',
        'c-stages',
        'c-size',
        'c-ci',
        'c-slowest',
        'c-conclusions',
      ]);
      for (const canvas of drawn)
        expect({ id: canvas.id, drawn: canvas.inked > 500 }).toEqual({ id: canvas.id, drawn: true });
      // The DORA cards carry the figures and bands of the report.
      const cards = await page.$$eval('#dora .card .value', (values) => values.map((v) => v.textContent));
      expect(cards).toEqual(['2.26 / weekhigh', '3h 0melite', '46.7%low', '2h 15mhigh']);

      await page.screenshot({ path: join(OUTPUT, 'report.png'), fullPage: true });

      // Every figure splits by team: switching the scope redraws everything for that team.
      await page.selectOption('#scope', 'team:frontend');
      const frontend = await page.$$eval('#dora .card .value', (values) => values.map((v) => v.textContent));
      expect(frontend[2]).toBe('50%low');
      expect((await inked()).every((c) => c.inked > 500)).toBe(true);
      await page.screenshot({ path: join(OUTPUT, 'report-frontend.png'), fullPage: true });

      expect(problems).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser?.close();
      await rm(profile, { recursive: true, force: true });
      await data.remove();
    }
  });
});
