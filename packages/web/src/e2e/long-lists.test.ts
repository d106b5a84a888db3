// The portal with 10,000 environments of one application, 250 deploys of one of them and 120 more
// applications, in headless Chromium against a real server: the applications page counts the
// environments without reading them and shows the applications 100 at a time, the application's
// page shows its environments 100 at a time and loads more on demand, the environment's page its
// deploys the same way, and no answer the pages fetch is the whole list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { seedDeploys, seedEnvironments } from '../../../server/src/test-support/seed-environments.ts';
import { browserMissing, collectConsoleErrors, launchBrowser, viewports, type TestBrowser } from '../test-support/browser.ts';
import { signIn, startPortalServer, type PortalServer } from '../test-support/portal-server.ts';

const COUNT = 10_000;
const DEPLOYS = 250;
const EXTRA_APPS = 120;

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
    const db = slipway.test.server.store.db;
    await seedEnvironments(db, { count: COUNT });
    await seedDeploys(db, { envId: 'env-00000', count: DEPLOYS - 1 });
    // More applications than a page holds, named to sort after shop (so shop is on the first page).
    for (let i = 0; i < EXTRA_APPS; i++) await seedEnvironments(db, { count: 0, app: `zz-${String(i).padStart(3, '0')}` });
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

  it('counts the environments of each application on the applications page, and shows the applications 100 at a time', async () => {
    await signIn(page, slipway.url, slipway.adminToken);
    await page.getByText(`${COUNT} environments`).waitFor();
    const cards = page.locator('.cards > li');
    expect(await cards.count()).toBe(100);
    await page.getByText('100 shown; there are more').waitFor();
    await page.getByRole('button', { name: 'Show 100 more applications' }).click();
    await expect.poll(() => cards.count(), { timeout: 20_000 }).toBe(EXTRA_APPS + 1);
    expect(await page.getByRole('button', { name: 'Show 100 more applications' }).count()).toBe(0);
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
    await page.getByText('200 shown; there are more').waitFor();
  });

  it("shows an environment's deploys 100 at a time, and 100 more on demand", async () => {
    await page.getByRole('link', { name: 'env-00000', exact: true }).click();
    const deploys = page.getByRole('table', { name: 'Deploys' }).getByRole('row');
    await expect.poll(() => deploys.count(), { timeout: 20_000 }).toBe(101);
    expect(await deploys.nth(1).textContent()).toContain(`#${DEPLOYS} patch`);
    await page.getByRole('button', { name: 'Show 100 more deploys' }).click();
    await expect.poll(() => deploys.count(), { timeout: 20_000 }).toBe(201);
    await page.getByText('200 shown; there are more').waitFor();
  });

  it('never fetched a whole list', () => {
    expect(listAnswers.length).toBeGreaterThanOrEqual(2);
    // A page of 100 environments is some 40 KB; the whole list of 10,000 would be some 4 MB.
    expect(Math.max(...listAnswers)).toBeLessThan(200_000);
    expect(errors).toEqual([]);
  });
});
