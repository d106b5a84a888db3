// Protected environments in real headless Chromium against a whole server on the seed's track: the
// production environment the track deploys to (made by an admin breaking glass) shows a lock and the
// way it changes — a release — and no Deploy, Extend or Delete, for a developer and for an admin
// alike; an environment no stage names still offers them; the break-glass shows in the audit log as
// such, with its reason, and on the environment's page for those who may read the ledger. At laptop and phone widths, with no console errors and every control named.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setUpSeedReleaseTrack, until, type SeedReleaseTrack } from '../../../server/src/test-support/seed-release-track.ts';
import { unnamedControls } from '../test-support/accessible-names.ts';
import { browserMissing, collectConsoleErrors, launchBrowser, screenshot, viewports, type TestBrowser } from '../test-support/browser.ts';
import { horizontalOverflows } from '../test-support/horizontal-overflow.ts';
import { signIn } from '../test-support/portal-server.ts';

const REASON = 'restore production after incident 42';

describe.skipIf(browserMissing)(`portal: protected environments${browserMissing ? ` (skipped: ${browserMissing})` : ''}`, { timeout: 60_000 }, () => {
  let track: SeedReleaseTrack;
  let browser: TestBrowser;
  let url: string;

  async function open(who: string, viewport: (typeof viewports)[keyof typeof viewports]): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage(viewport);
    const errors = collectConsoleErrors(page);
    await signIn(page, url, track.tokens[who]!);
    return { page, errors };
  }

  beforeAll(async () => {
    [track, browser] = await Promise.all([setUpSeedReleaseTrack('portal-protected', { portal: true }), launchBrowser()]);
    url = track.server.apiUrl.replace('localhost', '127.0.0.1');
    // shop-production is the track's: only an admin breaking glass makes it outside a release.
    await track.ok('admin', 'POST', `/api/v1/environments?breakGlass=${encodeURIComponent(REASON)}`, { app: 'shop', kind: 'permanent', id: 'shop-production', branch: 'main' });
    await track.ok('dev', 'POST', '/api/v1/environments', { app: 'shop', kind: 'permanent', id: 'shop-demo', branch: 'main' });
    for (const id of ['shop-production', 'shop-demo']) await until(`${id} to be ready`, async () => ((await track.ok('viewer', 'GET', `/api/v1/environments/${id}`)).status === 'ready' ? true : undefined), 60_000);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await track?.close();
  }, 60_000);

  for (const who of ['dev', 'admin']) {
    it(`shows ${who} the protected environment's lock and the way it changes, with no action; the other environment keeps its actions`, async () => {
      for (const [width, viewport] of Object.entries(viewports)) {
        const { page, errors } = await open(who, viewport);
        await page.goto(`${url}/applications/shop`);
        const rows = page.getByRole('table', { name: 'Environments' }).getByRole('row');
        const production = rows.filter({ has: page.getByRole('link', { name: 'shop-production' }) });
        await production.waitFor();
        await production.getByRole('img', { name: 'Protected by track shop-track, stage production (release lane)' }).waitFor();
        await expect(rows.filter({ has: page.getByRole('link', { name: 'shop-demo' }) }).getByRole('img').count()).resolves.toBe(0);

        await production.getByRole('link', { name: 'shop-production' }).click();
        const notice = page.getByRole('region', { name: 'Protected environment' });
        await notice.waitFor();
        const text = await notice.textContent();
        expect(text).toContain('Protected by track shop-track, stage production (release lane): changes go through a release along the track.');
        expect(text).toContain('slipway releases create <snapshot>, slipway releases promote <n>');
        expect(text).toContain('--break-glass');
        await page.getByRole('heading', { level: 1, name: 'shop-production' }).waitFor();
        for (const name of ['Deploy', 'Extend', 'Delete environment']) await expect(page.getByRole('button', { name, exact: true }).count(), name).resolves.toBe(0);
        await expect(page.getByRole('region', { name: 'Actions' }).count()).resolves.toBe(0);
        // Its break-glass, from the audit ledger, for those who may read it (an admin, not a developer).
        if (who === 'admin') {
          const history = page.getByRole('region', { name: 'Break-glass changes' });
          await history.waitFor();
          await expect(history.textContent()).resolves.toMatch(new RegExp(`Break-glass.*admin.*environment\\.break-glass.*An admin broke glass to create shop-production outside a release\\. Reason: ${REASON}`));
        } else await expect(page.getByRole('region', { name: 'Break-glass changes' }).count()).resolves.toBe(0);
        expect(await horizontalOverflows(page)).toEqual([]);
        expect(await unnamedControls(page)).toEqual([]);
        await screenshot(page, `environment-protected-${who}-${width}`);

        await page.goto(`${url}/applications/shop/environments/shop-demo`);
        await page.getByRole('region', { name: 'Actions' }).waitFor();
        for (const name of ['Deploy', 'Delete environment']) expect(await page.getByRole('button', { name, exact: true }).isEnabled(), name).toBe(true);
        await expect(page.getByRole('region', { name: 'Protected environment' }).count()).resolves.toBe(0);
        await expect(page.getByRole('img', { name: /^Protected by/ }).count()).resolves.toBe(0);
        expect(await horizontalOverflows(page)).toEqual([]);
        expect(errors).toEqual([]);
        await page.context().close();
      }
    });
  }

  it('shows the break-glass in the audit log as such, with its reason', async () => {
    for (const [width, viewport] of Object.entries(viewports)) {
      const { page, errors } = await open('admin', viewport);
      await page.getByRole('link', { name: 'Audit', exact: true }).click();
      const entries = page.getByRole('region', { name: 'Entries' }).getByRole('listitem');
      const broken = entries.filter({ hasText: 'environment.break-glass' });
      await broken.first().waitFor();
      await expect(broken.count()).resolves.toBe(1);
      const text = await broken.textContent();
      expect(text).toMatch(/^Break-glass #\d+/);
      expect(text).toContain(`An admin broke glass to create shop-production outside a release. Reason: ${REASON}`);
      // An ordinary change carries no such badge.
      const ordinary = entries.filter({ hasText: 'environment.create' }).filter({ hasText: 'shop-demo' });
      await expect(ordinary.textContent()).resolves.not.toContain('Break-glass');
      expect(await horizontalOverflows(page)).toEqual([]);
      expect(await unnamedControls(page)).toEqual([]);
      await screenshot(page, `audit-break-glass-${width}`);
      expect(errors).toEqual([]);
      await page.context().close();
    }
  });
});
