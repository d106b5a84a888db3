// The portal with 10,000 environments of one application, in headless Chromium against a real
// server: the applications page counts them without reading them, the application's page shows
// them 100 at a time and loads more on demand, and no answer the pages fetch is the whole list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { seedEnvironments } from '../../../server/src/test-support/seed-environments.ts';
import { browserMissing, collectConsoleErrors, launchBrowser, viewports, type TestBrowser } from '../test-support/browser.ts';
import { signIn, startPortalServer, type PortalServer } from '../test-support/portal-server.ts';

const COUNT = 10_000;

describe.skipIf(browserMissing)(`portal: 10,000 environments${browserMissing ? ` (skipped: ${browserMissing})` : ''}`, { timeout: 60_000 }, () => {
  let slipway: PortalServer;
  let browser: TestBrowser;
  let page: Page;
  let errors: string[];
  /** Every answer of GET /api/v1/environments the portal fetched: its size in bytes. */
  const listAnswers: number[] = [];

  beforeAll(async () => {
    [slipway, browser] = await Promise.all([startPortalServer('portal-long-lists'), launchBrowser()]);
    // Nothing here deploys: the engine would only spend the machine refreshing 10,000 environments' routes.
    await slipway.test.server.engine.stop();
    await seedEnvironments(slipway.test.server.store.db, { count: COUNT });
    page = await browser.newPage(viewports.laptop);
    errors = collectConsoleErrors(page);
    page.on('response', (response) => {
      if (new URL(response.url()).pathname === '/api/v1/environments') void response.body().then((body) => listAnswers.push(body.length));
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await slipway?.close();
  }, 60_000);

  it('counts the environments of each application on the applications page', async () => {
    await signIn(page, slipway.url, slipway.adminToken);
    await page.getByText(`${COUNT} environments`).waitFor();
  });

  it("shows an application's environments 100 at a time, and 100 more on demand", async () => {
    const started = performance.now();
    await page.getByRole('link', { name: 'shop' }).click();
    const rows = page.getByRole('table', { name: 'Environments' }).getByRole('row');
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(101);
    const shownMs = performance.now() - started;
    console.log(`application page with ${COUNT} environments: first 100 shown ${shownMs.toFixed(0)} ms after the click`);
    expect(await rows.nth(1).textContent()).toContain('env-00000');
    await page.getByRole('button', { name: 'Show 100 more environments' }).click();
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(201);
    expect(await rows.nth(200).textContent()).toContain('env-00199');
    await page.getByText('200 shown').waitFor();
  });

  it('never fetched the whole list', () => {
    expect(listAnswers.length).toBeGreaterThanOrEqual(2);
    // A page of 100 environments is some 40 KB; the whole list of 10,000 would be some 4 MB.
    expect(Math.max(...listAnswers)).toBeLessThan(200_000);
    expect(errors).toEqual([]);
  });
});
