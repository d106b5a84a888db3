// Browser test harness for the portal's end-to-end tests: Debian's Chromium driven by playwright-core
// (never `npx playwright install`: it downloads a browser, which fails offline).
//
//   import { browserMissing, launchBrowser, viewports } from '../test-support/browser.ts';
//   describe.skipIf(browserMissing)(`… ${browserMissing ? `(skipped: ${browserMissing})` : ''}`, () => {
//     const browser = await launchBrowser();          // in beforeAll; await browser.close() in afterAll
//     const page = await browser.newPage(viewports.phone);
//     const errors = collectConsoleErrors(page);     // expect(errors).toEqual([]) at the end
//     await screenshot(page, 'releases-phone');      // writes test-output/portal/releases-phone.png
//   });
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Why the browser tests cannot run here (undefined when they can): use it with describe.skipIf and in the suite's name. */
export const browserMissing: string | undefined = existsSync(CHROMIUM_PATH) ? undefined : `${CHROMIUM_PATH} is missing: apt-get install chromium (.ci/run installs it)`;

/** The widths the portal must work at. */
export const viewports = {
  laptop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;
export type Viewport = { width: number; height: number };

/** The repository's gitignored test-output/ folder; screenshots go to test-output/portal/. */
export const testOutputDir = fileURLToPath(new URL('../../../../test-output/portal/', import.meta.url));

export interface TestBrowser {
  /** A page in a fresh context (own cookies and sessionStorage) of the given size. */
  newPage(viewport?: Viewport): Promise<Page>;
  /** Closes the browser (and every page). */
  close(): Promise<void>;
}

/** Starts headless Chromium; Playwright gives it a fresh profile in a temporary folder and removes it on close. */
export async function launchBrowser(): Promise<TestBrowser> {
  if (browserMissing) throw new Error(browserMissing);
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // --disable-dev-shm-usage: containers often have a tiny /dev/shm.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    async newPage(viewport = viewports.laptop) {
      const context = await browser.newContext({ viewport });
      return context.newPage();
    },
    close: () => browser.close(),
  };
}

/**
 * A request a test makes fail on purpose (a wrong token answered 401, a missing release 404). Chromium
 * reports every HTTP error answer to fetch as a console error "Failed to load resource: the server
 * responded with a status of 404 (Not Found)" from its network layer: page code cannot catch or
 * silence it, and the API answers these statuses deliberately, so such a test names the exact URL
 * and status it expects, and any other console error still counts.
 */
export interface ExpectedFailedLoad {
  /** The whole URL requested, query included. */
  url: string;
  status: number;
}

/** Whether a console message is Chromium's report of one of the expected failed loads (exact URL and status). */
export function isExpectedFailedLoad(text: string, url: string, expected: readonly ExpectedFailedLoad[]): boolean {
  return expected.some((load) => load.url === url && new RegExp(`^Failed to load resource: the server responded with a status of ${load.status} \\([A-Za-z ]+\\)$`).test(text));
}

/**
 * Collects console errors and uncaught page errors from now on; expect the array to be empty at the
 * end. `expectedFailedLoads` leaves out Chromium's report of those requests' HTTP errors, and nothing else.
 */
export function collectConsoleErrors(page: Page, expectedFailedLoads: readonly ExpectedFailedLoad[] = []): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const source = message.location().url;
    if (isExpectedFailedLoad(message.text(), source, expectedFailedLoads)) return;
    errors.push(`console.error at ${page.url()}: ${message.text()}${source ? ` (${source})` : ''}`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught at ${page.url()}: ${error.message}`));
  return errors;
}

/** Saves a full-page screenshot as test-output/portal/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(testOutputDir, { recursive: true });
  const path = join(testOutputDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
