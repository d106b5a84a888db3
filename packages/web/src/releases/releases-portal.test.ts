// The release pages in real headless Chromium against a whole server on the seed's track (local
// runtime): a developer sees the pending approvals but no Approve button, and the reason the server
// gives; an approver approves in the browser and watches production start; the track's pipeline
// and the release's history, at laptop and phone widths, with no console errors.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseActionsResponse } from '@slipway/contract';
import { setUpSeedReleaseTrack, setVersion, type SeedReleaseTrack } from '../../../server/src/test-support/seed-release-track.ts';
import { browserMissing, collectConsoleErrors, launchBrowser, screenshot, viewports, type ExpectedFailedLoad, type TestBrowser } from '../test-support/browser.ts';
import { unnamedControls } from '../test-support/accessible-names.ts';
import { signIn } from '../test-support/portal-server.ts';

describe.skipIf(browserMissing)(`portal: releases and approvals${browserMissing ? ` (skipped: ${browserMissing})` : ''}`, () => {
  let track: SeedReleaseTrack;
  let browser: TestBrowser;
  let url: string;

  /** Opens the pages as `who` at `viewport` in a fresh browser context, collecting console errors. */
  async function open(who: string, viewport: (typeof viewports)[keyof typeof viewports], expectedFailedLoads: ExpectedFailedLoad[] = []): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage(viewport);
    const errors = collectConsoleErrors(page, expectedFailedLoads);
    await signIn(page, url, track.tokens[who]!);
    return { page, errors };
  }

  beforeAll(async () => {
    [track, browser] = await Promise.all([setUpSeedReleaseTrack('portal-releases', { portal: true }), launchBrowser()]);
    url = track.server.apiUrl.replace('localhost', '127.0.0.1');
    const snapshot = await track.ok('dev', 'POST', '/api/v1/snapshots', { set: 'shop' });
    await track.ok('rita', 'POST', '/api/v1/releases', { snapshot: snapshot.alias });
    await track.releaseIn(1, 'AwaitingApproval', 'staging');
    // qa and product have signed off through the API; security (sam) will give the last approval in the browser.
    await track.ok('quinn', 'POST', '/api/v1/releases/1/approve', { comment: 'regression suite green' });
    await track.ok('pat', 'POST', '/api/v1/releases/1/approve', {});
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await track?.close();
  }, 60_000);

  it('checks accessible names: an icon button without a label is caught, a labelled input is not', async () => {
    const page = await browser.newPage(viewports.phone);
    await page.setContent('<button><svg width="8" height="8"></svg></button><label>Comment <input></label><a href="#x" aria-label="Next">→</a>');
    expect(await unnamedControls(page)).toEqual([expect.stringMatching(/^<button>/)]);
    await page.context().close();
  });

  it('draws the track as a pipeline showing where the release stands, at laptop and phone widths', async () => {
    for (const [name, viewport] of Object.entries(viewports)) {
      const { page, errors } = await open('viewer', viewport);
      await page.getByRole('link', { name: 'Releases', exact: true }).click();
      await page.getByRole('heading', { name: 'Track shop-track' }).waitFor();
      const releaseLane = page.getByRole('region', { name: 'Release stages' });
      const staging = releaseLane.getByRole('listitem').filter({ has: page.getByRole('heading', { name: '2. staging' }) });
      await expect(staging.getByRole('link', { name: /Release #1/ }).count()).resolves.toBe(1);
      const stagingText = await staging.textContent();
      expect(stagingText).toContain('Awaiting approval');
      expect(stagingText).toMatch(/Tests\s*passed/);
      expect(stagingText).toContain('Missing approvals: security');
      expect(await releaseLane.getByRole('listitem').filter({ has: page.getByRole('heading', { name: '3. production' }) }).textContent()).toContain('No release here.');
      // The hotfix lane shares staging's environments, but release #1 is a release: it is listed in its own lane only.
      const hotfixLane = page.getByRole('region', { name: 'Hotfix stages' });
      await expect(hotfixLane.getByRole('link', { name: /Release #1/ }).count()).resolves.toBe(0);
      expect(await hotfixLane.getByRole('listitem').filter({ has: page.getByRole('heading', { name: '1. staging' }) }).textContent()).toContain('No release here.');
      await expect(page.getByRole('region', { name: 'Pending approvals' }).textContent()).resolves.toContain('Review release #1 in staging: missing security');
      // Nothing wider than the window: the pipeline folds into a column on a phone.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
      await screenshot(page, `releases-track-${name}`);
      expect(await unnamedControls(page)).toEqual([]);
      expect(errors).toEqual([]);
      await page.context().close();
    }
  });

  it('shows a developer the pending approvals without an Approve button, and the reason the server gives', async () => {
    const { page, errors } = await open('dev', viewports.phone);
    await page.goto(`${url}/releases/1`);
    await page.getByRole('heading', { name: /Release #1/ }).waitFor();
    await page.getByRole('heading', { name: 'Pending approvals in staging' }).waitFor();
    const shown: ReleaseActionsResponse = await track.ok('dev', 'GET', '/api/v1/releases/1/actions');
    const refused = await track.api('dev', 'POST', '/api/v1/releases/1/approve', {});
    expect(shown.approve.reason).toBe(refused.json.error.message);
    await expect(page.getByRole('note').filter({ hasText: 'You cannot approve' }).textContent()).resolves.toBe(`You cannot approve: ${refused.json.error.message}`);
    await expect(page.getByRole('button', { name: /approve/i }).count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: /reject/i }).count()).resolves.toBe(0);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewports.phone.width);
    await screenshot(page, 'release-developer-phone');
    expect(await unnamedControls(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('says so when a release or a track does not exist', async () => {
    // The API answers 404 for them, as it must; Chromium reports each answer as a console error from its
    // network layer, which no page code can prevent (see ExpectedFailedLoad). Only those exact reports
    // are left out.
    const { page, errors } = await open('viewer', viewports.laptop, [
      { url: `${url}/api/v1/releases/99`, status: 404 },
      { url: `${url}/api/v1/tracks/nope/view`, status: 404 },
    ]);
    await page.goto(`${url}/releases/99`);
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/^Not found: no release "99" in workspace default; the latest are #1/);
    await page.goto(`${url}/releases/tracks/nope`);
    await expect(page.getByRole('alert').first().textContent()).resolves.toMatch(/^Not found: no release track "nope"/);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('lets an approver approve in the browser and shows the next stage starting', async () => {
    const { page, errors } = await open('sam', viewports.laptop);
    await page.goto(`${url}/releases/1`);
    await page.getByRole('heading', { name: 'Pending approvals in staging' }).waitFor();
    await screenshot(page, 'release-approver-laptop');
    expect(await unnamedControls(page)).toEqual([]);
    const production = page.locator('#release-stage-2');
    expect(await production.textContent()).toContain('Pending');
    const clicked = Date.now();
    await page.getByLabel('Comment (optional)').fill('pen test clean');
    await page.getByRole('button', { name: 'Approve release #1' }).click();
    await production.filter({ hasText: /Deploying|Verifying|Promoted/ }).waitFor({ timeout: 30_000 });
    const seenMs = Date.now() - clicked;
    await expect(page.locator('#release-stage-1').textContent()).resolves.toMatch(/Promoted/);
    // The stage it left needs no more approvals; the history names who approved and the promotion.
    await expect(page.getByRole('heading', { name: /Pending approvals/ }).count()).resolves.toBe(0);
    await expect(page.getByRole('list', { name: 'Decisions in staging' }).textContent()).resolves.toMatch(/Approved by sam.*counts as security.*pen test clean/s);
    await page.locator('#release-stage-2').filter({ hasText: 'Promoted' }).waitFor({ timeout: 60_000 });
    const history = await page.getByRole('region', { name: 'History' }).textContent();
    expect(history).toMatch(/staging: AwaitingApproval → Promoted by slipway/);
    expect(history).toMatch(/production: .*Deploying by slipway/);
    await screenshot(page, 'release-promoted-laptop');
    console.log(`approve clicked → production shown deploying in the browser: ${seenMs} ms`);
    expect(errors).toEqual([]);
    await page.context().close();

    const phone = await open('sam', viewports.phone);
    await phone.page.goto(`${url}/releases/1`);
    await phone.page.getByRole('region', { name: 'History' }).waitFor();
    expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewports.phone.width);
    await screenshot(phone.page, 'release-promoted-phone');
    expect(phone.errors).toEqual([]);
    await phone.page.context().close();
  }, 120_000);

  it("shows an approver their own approval, and the author the reason they cannot approve but a Reject that ends the release", async () => {
    // Release #1 holds staging until it moves on (the test before takes it to production); run alone, abort it.
    const first = await track.ok('viewer', 'GET', '/api/v1/releases/1');
    if (first.state !== 'Promoted') await track.ok('rita', 'POST', '/api/v1/releases/1/abort', { reason: 'make way' });
    setVersion(track.repositories.shop, 'shop v2');
    const snapshot = await track.ok('dev', 'POST', '/api/v1/snapshots', { set: 'shop' });
    await track.ok('rita', 'POST', '/api/v1/releases', { snapshot: snapshot.alias });
    await track.releaseIn(2, 'AwaitingApproval', 'staging');
    await track.ok('quinn', 'POST', '/api/v1/releases/2/approve', {});

    const quinn = await open('quinn', viewports.phone);
    await quinn.page.goto(`${url}/releases/2`);
    await expect(quinn.page.getByText(/^You approved/).textContent()).resolves.toMatch(/counting as qa\. Approving again renews it\./);
    await quinn.page.getByRole('button', { name: 'Approve release #2' }).waitFor();
    expect(quinn.errors).toEqual([]);
    await quinn.page.context().close();

    const { page, errors } = await open('rita', viewports.laptop);
    await page.goto(`${url}/releases/2`);
    await page.getByRole('heading', { name: 'Pending approvals in staging' }).waitFor();
    await expect(page.getByRole('note').filter({ hasText: 'You cannot approve' }).textContent()).resolves.toMatch(/^You cannot approve: rita is the release's author/);
    await expect(page.getByRole('button', { name: /^Approve/ }).count()).resolves.toBe(0);
    await page.getByRole('button', { name: 'Reject…' }).click();
    await page.getByLabel('Reason for rejecting').fill('checkout total is wrong');
    expect(await unnamedControls(page)).toEqual([]);
    await page.getByRole('button', { name: 'Reject release #2' }).click();
    await page.getByRole('heading', { name: /^Release #2\s*Rejected$/ }).waitFor();
    await expect(page.getByRole('region', { name: 'History' }).textContent()).resolves.toMatch(/staging: AwaitingApproval → Rejected by rita.*rejected by rita: checkout total is wrong/s);
    await screenshot(page, 'release-rejected-laptop');
    expect(errors).toEqual([]);
    await page.context().close();
  }, 120_000);
});
