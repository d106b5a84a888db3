// The audit page in real headless Chromium against a whole server: entries filtered by actor, kind
// and time, older pages, and the ledger's verification state — intact, then broken after a row is
// edited in the database, naming the row. At laptop and phone widths, with no console errors. Only
// release managers and admins get an Audit link; a developer who opens the address is told why not.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setUpSeedReleaseTrack, type SeedReleaseTrack } from '../../../server/src/test-support/seed-release-track.ts';
import { browserMissing, collectConsoleErrors, launchBrowser, screenshot, viewports, type TestBrowser } from '../test-support/browser.ts';
import { unnamedControls } from '../test-support/accessible-names.ts';
import { signIn } from '../test-support/portal-server.ts';

describe.skipIf(browserMissing)(`portal: audit log${browserMissing ? ` (skipped: ${browserMissing})` : ''}`, () => {
  let track: SeedReleaseTrack;
  let browser: TestBrowser;
  let url: string;

  const entries = (page: Page) => page.getByRole('region', { name: 'Entries' }).getByRole('listitem');

  beforeAll(async () => {
    [track, browser] = await Promise.all([setUpSeedReleaseTrack('portal-audit', { portal: true }), launchBrowser()]);
    url = track.server.apiUrl.replace('localhost', '127.0.0.1');
    await track.ok('dev', 'POST', '/api/v1/snapshots', { set: 'shop' });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await track?.close();
  }, 60_000);

  it('filters by actor, kind and time and shows the ledger verified, at both widths', async () => {
    for (const [name, viewport] of Object.entries(viewports)) {
      const page = await browser.newPage(viewport);
      const errors = collectConsoleErrors(page);
      await signIn(page, url, track.tokens.rita!);
      await page.getByRole('link', { name: 'Audit', exact: true }).click();
      await page.getByRole('heading', { name: 'Audit log' }).waitFor();
      await expect(page.getByRole('status').filter({ hasText: 'Ledger intact' }).textContent()).resolves.toMatch(/Ledger intact: \d+ entries checked/);
      await entries(page).first().waitFor();
      const all = await entries(page).count();
      expect(all).toBeGreaterThanOrEqual(5);
      await screenshot(page, `audit-${name}`);
      expect(await unnamedControls(page)).toEqual([]);

      await page.getByLabel('Actor', { exact: true }).fill('dev');
      await page.getByRole('button', { name: 'Apply filter' }).click();
      await expect.poll(() => entries(page).allTextContents()).toEqual([expect.stringMatching(/dev · snapshot\.create/)]);

      await page.getByLabel('Actor', { exact: true }).fill('');
      await page.getByLabel('Kind', { exact: true }).selectOption('release-track.register');
      await page.getByRole('button', { name: 'Apply filter' }).click();
      await expect.poll(async () => (await entries(page).allTextContents()).map((text) => /release-track\.register/.test(text))).toEqual([true]);

      // A time range that ends before anything happened matches nothing; clearing brings all back.
      await page.getByLabel('Kind', { exact: true }).selectOption('');
      await page.getByLabel('To', { exact: true }).fill('2020-01-01T00:00:00');
      await page.getByRole('button', { name: 'Apply filter' }).click();
      await page.getByText('No entries match.').waitFor();
      await page.getByRole('button', { name: 'Clear' }).click();
      await expect.poll(() => entries(page).count()).toBe(all);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
      expect(errors).toEqual([]);
      await page.context().close();
    }
  }, 60_000);

  it('links Audit only for roles that may read it, and tells a developer who opens it which role it needs', async () => {
    for (const [who, linked] of [
      ['viewer', false],
      ['dev', false],
      ['rita', true],
      ['admin', true],
    ] as const) {
      const page = await browser.newPage(viewports.phone);
      const errors = collectConsoleErrors(page);
      await signIn(page, url, track.tokens[who]!);
      const nav = page.getByRole('navigation', { name: 'Main' });
      await page.getByText(`${who} · `).waitFor();
      await expect(nav.getByRole('link').allTextContents(), who).resolves.toEqual(['Applications', 'Releases', 'Managed releases', ...(linked ? ['Audit'] : [])]);
      expect(errors, who).toEqual([]);
      await page.context().close();
    }

    // The address still opens, with the reason instead of the API's 403 (and no request to it).
    const page = await browser.newPage(viewports.phone);
    const errors = collectConsoleErrors(page);
    const auditCalls: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/api/v1/audit')) auditCalls.push(request.url());
    });
    await signIn(page, url, track.tokens.dev!);
    await page.goto(`${url}/audit`);
    await expect(page.getByRole('note').textContent()).resolves.toBe(
      'Audit needs the role release-manager or admin: reading the audit log is not open to your role in default, developer. An admin can grant it (slipway users grant dev --role release-manager).',
    );
    await expect(page.getByRole('heading', { name: 'Audit log' }).count()).resolves.toBe(0);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewports.phone.width);
    await screenshot(page, 'audit-developer-phone');
    expect(auditCalls).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('shows the verification failing, naming the row, once an entry is edited in the database', async () => {
    await track.server.store.db.updateTable('audit_entries').set({ subject: 'someone-else' }).where('seq', '=', 2).execute();
    const page = await browser.newPage(viewports.laptop);
    const errors = collectConsoleErrors(page);
    await signIn(page, url, track.tokens.rita!);
    await page.goto(`${url}/audit`);
    const failed = page.getByRole('status').filter({ hasText: 'Ledger verification failed' });
    await failed.waitFor();
    await expect(failed.textContent()).resolves.toMatch(/#2 edited/);
    await screenshot(page, 'audit-tampered-laptop');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
