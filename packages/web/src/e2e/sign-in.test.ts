import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, collectConsoleErrors, launchBrowser, screenshot, viewports, type TestBrowser } from '../test-support/browser.ts';
import { signIn, startPortalServer, type PortalServer } from '../test-support/portal-server.ts';

// A busy CI machine runs other tests beside these: give each browser step room.
describe.skipIf(browserMissing)(`portal: sign in and out${browserMissing ? ` (skipped: ${browserMissing})` : ''}`, { timeout: 60_000 }, () => {
  let slipway: PortalServer;
  let browser: TestBrowser;

  beforeAll(async () => {
    [slipway, browser] = await Promise.all([startPortalServer('portal-sign-in'), launchBrowser()]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await slipway?.close();
  });

  it('serves the portal at / and deep links, public, while the API still wants a token', async () => {
    const root = await fetch(`${slipway.url}/`);
    expect(root.status).toBe(200);
    expect(await root.text()).toContain('<div id="root">');
    const deep = await fetch(`${slipway.url}/applications/guestbook`, { headers: { accept: 'text/html' } });
    expect(deep.status).toBe(200);
    expect(deep.headers.get('content-type')).toContain('text/html');
    const api = await fetch(`${slipway.url}/api/v1/applications`, { headers: { accept: 'text/html' } });
    expect(api.status).toBe(401);
    for (const page of [root, deep]) {
      expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(page.headers.get('x-frame-options')).toBe('DENY');
    }
    const missingAsset = await fetch(`${slipway.url}/assets/nothing.js`);
    expect(missingAsset.status).toBe(404);
    const openapi = (await (await fetch(`${slipway.url}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths).filter((path) => !path.startsWith('/api/'))).toEqual([]);
  });

  it('refuses a wrong token, signs in with a good one, keeps it across a reload, and signs out', async () => {
    const page = await browser.newPage(viewports.laptop);
    // The wrong token is checked with GET /api/v1/whoami, which answers 401 as it must; Chromium reports
    // that answer as a console error from its network layer, which no page code can prevent (see
    // ExpectedFailedLoad). Only that one report is left out; any other console error still fails.
    const errors = collectConsoleErrors(page, [{ url: `${slipway.url}/api/v1/whoami`, status: 401 }]);
    await page.goto(slipway.url);
    await page.getByLabel('API token').fill('slw_not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('does not accept this token');
    await screenshot(page, 'sign-in-laptop');

    await signIn(page, slipway.url, slipway.adminToken);
    await page.getByRole('heading', { name: 'Applications' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Applications' }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(errors).toEqual([]);
  });

  it('says so for an address the portal has no page at, and for an application that does not exist', async () => {
    const page = await browser.newPage(viewports.laptop);
    // The API answers 404 for the missing application (the CLI relies on that too); Chromium reports the
    // answer as a console error from its network layer, which no page code can prevent (see
    // ExpectedFailedLoad). Only that exact report is left out.
    const errors = collectConsoleErrors(page, [{ url: `${slipway.url}/api/v1/applications/nope`, status: 404 }]);
    await signIn(page, slipway.url, slipway.adminToken);
    await page.goto(`${slipway.url}/no/such/page`);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('the portal has no page at /no/such/page');
    await page.goto(`${slipway.url}/applications/nope`);
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/Not found:.*no application "nope"/);
    await screenshot(page, 'not-found-laptop');
    expect(errors).toEqual([]);
  });

  it("leaves out only the expected failed load's report: another URL or status still counts", async () => {
    const page = await browser.newPage(viewports.laptop);
    const errors = collectConsoleErrors(page, [{ url: `${slipway.url}/api/v1/whoami`, status: 401 }]);
    await page.goto(slipway.url);
    await page.getByLabel('API token').waitFor();
    // Same status, other URL; same URL, without a token: both 401, only the whoami one is expected.
    await page.evaluate(async () => {
      await fetch('/api/v1/applications');
      await fetch('/api/v1/whoami');
      await fetch('/api/v1/whoami?x=1');
      console.error('something else broke');
    });
    await expect
      .poll(() => errors)
      .toEqual([
        `console.error at ${slipway.url}/: Failed to load resource: the server responded with a status of 401 (Unauthorized) (${slipway.url}/api/v1/applications)`,
        `console.error at ${slipway.url}/: Failed to load resource: the server responded with a status of 401 (Unauthorized) (${slipway.url}/api/v1/whoami?x=1)`,
        expect.stringMatching(/^console\.error at .*: something else broke/),
      ]);
    await page.context().close();
  });

  it('shows the sign-in page at phone width', async () => {
    const page = await browser.newPage(viewports.phone);
    const errors = collectConsoleErrors(page);
    await page.goto(slipway.url);
    await page.getByLabel('API token').waitFor();
    await screenshot(page, 'sign-in-phone');
    expect(errors).toEqual([]);
  });
});
