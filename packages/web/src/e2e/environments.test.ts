// The portal end to end in headless Chromium against a real server: sign in, create an environment of
// the guestbook, watch its deploy become ready, open its URL, read an instance's log, delete it.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { git, guestbookRepository } from '../../../server/src/test-support/example-repository.ts';
import { httpRequest } from '../../../server/src/test-support/test-server.ts';
import { browserMissing, collectConsoleErrors, launchBrowser, screenshot, viewports, type TestBrowser } from '../test-support/browser.ts';
import { horizontalOverflows } from '../test-support/horizontal-overflow.ts';
import { signIn, startPortalServer, type PortalServer } from '../test-support/portal-server.ts';

// A busy CI machine runs other tests beside these: give each browser step room.
describe.skipIf(browserMissing)(`portal: environments of the guestbook${browserMissing ? ` (skipped: ${browserMissing})` : ''}`, { timeout: 60_000 }, () => {
  let slipway: PortalServer;
  let browser: TestBrowser;
  let repository: string;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    repository = guestbookRepository();
    git(repository, 'branch', 'portal-demo');
    [slipway, browser] = await Promise.all([startPortalServer('portal-envs'), launchBrowser()]);
    const registered = await httpRequest(Number(new URL(slipway.url).port), 'POST', '/api/v1/applications', { token: slipway.adminToken, body: { repository } });
    expect(registered.status, registered.text).toBe(201);
    page = await browser.newPage(viewports.laptop);
    errors = collectConsoleErrors(page);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await slipway?.close();
    if (repository) rmSync(repository, { recursive: true, force: true });
  }, 60_000);

  it('lists the applications and opens the guestbook', async () => {
    await signIn(page, slipway.url, slipway.adminToken);
    await page.getByRole('link', { name: 'guestbook' }).click();
    await page.getByRole('heading', { name: 'guestbook', level: 1 }).waitFor();
    await page.getByLabel('Branch').waitFor();
    expect(await page.getByLabel('Branch').locator('option').allTextContents()).toEqual(['main', 'portal-demo']);
  });

  it('creates an environment of a branch and follows its deploy until it is ready', async () => {
    await page.getByLabel('Branch').selectOption('portal-demo');
    await page.getByRole('button', { name: 'Create environment' }).click();
    await page.waitForURL(/\/applications\/guestbook\/environments\/portal-demo$/);
    // The timeline shows the deploy's steps while it runs, then every step succeeded.
    await page.getByRole('list', { name: /Steps of deploy #1/ }).waitFor({ timeout: 30_000 });
    await page.getByRole('status', { name: 'Environment status: ready' }).waitFor({ timeout: 90_000 });
    const steps = page.getByRole('list', { name: /Steps of deploy #1/ }).getByRole('listitem');
    await expect.poll(async () => (await steps.allTextContents()).every((text) => text.includes('succeeded')), { timeout: 10_000 }).toBe(true);
    expect(await steps.count()).toBeGreaterThan(2);
    await page.getByRole('cell', { name: 'api-0 service api' }).waitFor({ timeout: 10_000 });
    await screenshot(page, 'environment-laptop');
  }, 120_000);

  it("opens the environment's URL, served through the router", async () => {
    const link = page.getByRole('link', { name: /Open web of portal-demo/ });
    const url = await link.getAttribute('href');
    expect(url).toBe(`http://guestbook-portal-demo.slipway.localhost:${slipway.routerPort}`);
    const [site] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
    await site.waitForLoadState();
    await site.getByRole('heading', { name: 'Guestbook', exact: true }).waitFor();
    await site.close();
  });

  it("shows an instance's log and searches it", async () => {
    await page.getByRole('button', { name: 'Show the log of api-0' }).click();
    const log = page.getByRole('log', { name: 'Log lines of api-0' });
    // The api logs a line as it starts listening and one per request.
    await expect.poll(async () => await log.textContent(), { timeout: 15_000 }).toContain('"listening"');
    // Followed: a request made now shows up as a new line.
    await httpRequest(slipway.routerPort, 'GET', '/api/follow-check-7f3a', { host: 'api-portal-demo.slipway.localhost' });
    await expect.poll(async () => await log.textContent(), { timeout: 15_000 }).toContain('/api/follow-check-7f3a');
    await page.getByLabel('Search the log').fill('LISTENING');
    await expect.poll(async () => await log.locator('mark').count()).toBeGreaterThan(0);
    await page.getByLabel('Search the log').fill('no such text in any log line 7f3a');
    await expect.poll(async () => await log.textContent()).toBe('No line matches.');
    await page.getByLabel('Search the log').fill('');
    await screenshot(page, 'environment-log-laptop');
  });

  it('deploys the branch again and extends the environment', async () => {
    await page.getByRole('button', { name: 'Close log' }).click();
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await page.getByRole('list', { name: /Steps of deploy #2/ }).waitFor({ timeout: 15_000 });
    await page.getByRole('heading', { name: /Deploy #2 · patch/ }).waitFor();
    await expect.poll(async () => await page.getByRole('status').filter({ hasText: /^succeeded$/ }).count(), { timeout: 60_000 }).toBe(1);

    // The history lists both deploys; an earlier one's steps and output are one click away.
    await page.getByRole('button', { name: 'Show the steps of deploy #1' }).click();
    await page.getByRole('heading', { name: /Deploy #1 · setup/ }).waitFor();
    await page.getByRole('button', { name: 'Show output' }).click();
    const output = page.getByRole('log', { name: 'Output of deploy #1' });
    await expect.poll(async () => await output.textContent(), { timeout: 10_000 }).toMatch(/source/);
    await screenshot(page, 'environment-deploys-laptop');

    await page.getByLabel('Expire in').selectOption('4h');
    await page.getByRole('button', { name: 'Extend' }).click();
    await page.getByText('in 4 hours').waitFor();
    const env = await httpRequest(Number(new URL(slipway.url).port), 'GET', '/api/v1/environments/portal-demo', { token: slipway.adminToken });
    const left = new Date(env.json().expiresAt as string).getTime() - Date.now();
    expect(left).toBeGreaterThan(3.9 * 3_600_000);
    expect(left).toBeLessThanOrEqual(4 * 3_600_000);
  }, 90_000);

  it('pauses the environment, whose URL then answers the paused page, and resumes it', async () => {
    const site = () => httpRequest(slipway.routerPort, 'GET', '/api/health', { host: 'guestbook-portal-demo.slipway.localhost', headers: { accept: 'application/json' } });
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await page.getByRole('status', { name: 'Environment status: paused' }).waitFor({ timeout: 30_000 });
    expect((await site()).status).toBe(503);
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await page.getByRole('status', { name: 'Environment status: ready' }).waitFor({ timeout: 60_000 });
    expect((await site()).status).toBe(200);
  }, 90_000);

  it('renders every page at phone width, with an accessible name on every control', async () => {
    const phone = await browser.newPage(viewports.phone);
    const phoneErrors = collectConsoleErrors(phone);
    await signIn(phone, slipway.url, slipway.adminToken);
    await phone.getByRole('link', { name: 'guestbook' }).waitFor();
    await screenshot(phone, 'applications-phone');
    await phone.goto(`${slipway.url}/applications/guestbook`);
    await phone.getByRole('link', { name: 'portal-demo' }).waitFor();
    await screenshot(phone, 'application-phone');
    await phone.goto(`${slipway.url}/applications/guestbook/environments/portal-demo`);
    await phone.getByRole('status', { name: 'Environment status: ready' }).waitFor();
    await screenshot(phone, 'environment-phone');
    // The deploys and instances tables fold into one block per row, every column named, nothing
    // scrolling sideways inside its frame.
    const deploys = phone.getByRole('table', { name: 'Deploys' });
    await expect.poll(() => deploys.getByRole('row').count()).toBeGreaterThanOrEqual(3);
    const latest = deploys.getByRole('row').nth(1);
    expect(await latest.evaluate((row) => getComputedStyle(row).display)).toBe('block');
    await expect(latest.getByRole('cell').evaluateAll((cells) => cells.map((cell) => cell.getAttribute('data-label')))).resolves.toEqual(['Deploy', 'State', 'Commit', 'By', 'When', '']);
    expect(await latest.getByRole('cell').nth(2).isVisible()).toBe(true);
    expect(await horizontalOverflows(phone)).toEqual([]);
    await phone.getByRole('button', { name: 'Show the log of api-0' }).click();
    await expect.poll(async () => await phone.getByRole('log', { name: 'Log lines of api-0' }).textContent(), { timeout: 15_000 }).toContain('"listening"');
    await screenshot(phone, 'environment-log-phone');
    // Nothing may be wider than the screen, nor scroll sideways within it.
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewports.phone.width);
    expect(await horizontalOverflows(phone)).toEqual([]);
    expect(await unnamedControls(phone)).toEqual([]);
    expect(phoneErrors).toEqual([]);
  });

  it('finds what sticks out sideways: a table scrolling inside its frame, a box past the edge', async () => {
    const page = await browser.newPage(viewports.phone);
    await page.setContent(
      '<div class="frame" style="overflow-x:auto;width:200px"><table><tr><td style="white-space:nowrap">a long cell wider than its frame</td></tr></table></div>' +
        '<p class="wide" style="width:500px">wide</p><p style="width:100px">fits</p><span style="position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap">visually hidden label</span>',
    );
    expect(await horizontalOverflows(page)).toEqual([expect.stringMatching(/^<div class="frame"> a long cell.*: content \d+ px wide in 200 px$/), expect.stringMatching(/^<p class="wide"> wide: spans 8\.\.508 px of 390$/)]);
    await page.context().close();
  });

  it('offers a viewer no action, saying why', async () => {
    const viewer = await browser.newPage(viewports.laptop);
    const viewerErrors = collectConsoleErrors(viewer);
    await signIn(viewer, slipway.url, await slipway.token('viewer', 'vic'));
    await viewer.getByText('vic · viewer').waitFor();
    await viewer.goto(`${slipway.url}/applications/guestbook/environments/portal-demo`);
    await viewer.getByText('Your role in default is viewer: deploying, extending, pausing or deleting an environment needs developer.').waitFor();
    for (const name of ['Deploy', 'Extend', 'Pause', 'Delete environment']) expect(await viewer.getByRole('button', { name, exact: true }).isDisabled()).toBe(true);
    await viewer.goto(`${slipway.url}/applications/guestbook`);
    await viewer.getByText('creating an environment needs developer').waitFor();
    expect(await viewer.getByRole('button', { name: 'Create environment' }).isDisabled()).toBe(true);
    expect(viewerErrors).toEqual([]);
    await viewer.context().close();
  });

  it('deletes the environment after a confirmation', async () => {
    await page.goto(`${slipway.url}/applications/guestbook`);
    await page.getByRole('link', { name: 'portal-demo' }).waitFor();
    await screenshot(page, 'application-laptop');
    await page.goto(`${slipway.url}/applications`);
    await page.getByRole('link', { name: 'guestbook' }).waitFor();
    await screenshot(page, 'applications-laptop');
    await page.goto(`${slipway.url}/applications/guestbook/environments/portal-demo`);
    expect(await unnamedControls(page)).toEqual([]);
    await page.getByRole('button', { name: 'Delete environment' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete portal-demo' }).click();
    await page.getByText('does not exist (any more)').waitFor({ timeout: 60_000 });
    const left = await httpRequest(Number(new URL(slipway.url).port), 'GET', '/api/v1/environments', { token: slipway.adminToken });
    expect(left.json().items).toEqual([]);
    expect(errors).toEqual([]);
  }, 90_000);

  it('creates an environment of the same branch again, and shows the new one', async () => {
    await page.getByRole('link', { name: 'Back to guestbook' }).click();
    await page.getByLabel('Branch').selectOption('portal-demo');
    await page.getByRole('button', { name: 'Create environment' }).click();
    await page.getByRole('status', { name: 'Environment status: ready' }).waitFor({ timeout: 90_000 });
    await page.getByRole('heading', { name: /Deploy #1 · setup/ }).waitFor();
    expect(errors).toEqual([]);
  }, 120_000);
});

/** Buttons, links and form fields without an accessible name (by the browser's own accessibility tree). */
async function unnamedControls(page: Page): Promise<string[]> {
  const snapshot = await page.locator('body').ariaSnapshot();
  return snapshot
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^- (button|link|textbox|combobox|checkbox|searchbox)(\s*\[[^\]]*\])?:?$/.test(line));
}
