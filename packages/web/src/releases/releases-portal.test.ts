// The release pages in real headless Chromium against a whole server on the seed's track (local
// runtime): a developer sees the pending approvals but no Approve button, and the reason the server
// gives; an approver approves in the browser and watches production start; the track's pipeline
// and the release's history, at laptop and phone widths, with no console errors. Then the release
// actions, one after another on the same server: a release manager creates a release, sees a
// promotion refused with the server's words, aborts it, starts a hotfix that reaches production,
// rolls production back and lifts the hold; for each, a developer has no button and the API
// answers the same call with 403.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseActionsResponse, ReleaseResponse, TrackViewResponse } from '@slipway/contract';
import { setUpSeedReleaseTrack, setVersion, until, type SeedReleaseTrack } from '../../../server/src/test-support/seed-release-track.ts';
import { browserMissing, collectConsoleErrors, launchBrowser, screenshot, viewports, type ExpectedFailedLoad, type TestBrowser } from '../test-support/browser.ts';
import { unnamedControls } from '../test-support/accessible-names.ts';
import { horizontalOverflows } from '../test-support/horizontal-overflow.ts';
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
  /** The release manager's side is rita (release-manager); the one who may not is dev (developer). */
  async function expectNoButton(page: Page, name: RegExp | string): Promise<void> {
    await expect(page.getByRole('button', { name }).count()).resolves.toBe(0);
  }

  /** The open confirmation dialog, its text, and no control without a name or sticking out sideways. */
  async function dialogNamed(page: Page, name: string | RegExp) {
    const dialog = page.getByRole('dialog', { name });
    await dialog.waitFor();
    expect(await unnamedControls(page)).toEqual([]);
    expect(await horizontalOverflows(page)).toEqual([]);
    return dialog;
  }

  const snapshots: Record<string, string> = {};

  it('lets a release manager create a release from a snapshot; a developer has no button, and the API refuses them', async () => {
    // Release #1 ends Promoted in production (the approver's test above); the rollback below goes back to it.
    await track.releaseIn(1, 'Promoted', undefined, 120_000);
    setVersion(track.repositories.shop, 'shop v3');
    snapshots.v3 = (await track.ok('dev', 'POST', '/api/v1/snapshots', { set: 'shop' })).alias;

    const dev = await open('dev', viewports.phone);
    await dev.page.goto(`${url}/releases/tracks/shop-track`);
    await dev.page.getByRole('region', { name: 'Release stages', exact: true }).waitFor();
    await expectNoButton(dev.page, /Create release|Start a hotfix/);
    const devView: TrackViewResponse = await track.ok('dev', 'GET', '/api/v1/tracks/shop-track/view');
    const refused = await track.api('dev', 'POST', '/api/v1/releases', { snapshot: snapshots.v3 });
    expect(refused.status).toBe(403);
    expect(devView.actions.createRelease).toEqual({ allowed: false, status: 403, reason: refused.json.error.message });
    expect((await track.api('dev', 'POST', '/api/v1/releases', { snapshot: snapshots.v3, hotfix: true })).status).toBe(403);
    expect(dev.errors).toEqual([]);
    await dev.page.context().close();

    // On a phone the dialog fits; cancelling it starts nothing.
    const phone = await open('rita', viewports.phone);
    await phone.page.goto(`${url}/releases/tracks/shop-track`);
    await phone.page.getByRole('button', { name: 'Create release…' }).click();
    await dialogNamed(phone.page, 'Create a release on shop-track');
    await screenshot(phone.page, 'release-create-dialog-phone');
    await phone.page.getByRole('button', { name: 'Cancel' }).click();
    await expect(phone.page.getByRole('dialog').count()).resolves.toBe(0);
    expect(phone.errors).toEqual([]);
    await phone.page.context().close();

    const { page, errors } = await open('rita', viewports.laptop);
    await page.goto(`${url}/releases/tracks/shop-track`);
    await page.getByRole('button', { name: 'Create release…' }).click();
    const dialog = await dialogNamed(page, 'Create a release on shop-track');
    const picked = (await track.ok('viewer', 'GET', `/api/v1/snapshots/${snapshots.v3}`)).id;
    await dialog.getByLabel('Snapshot').selectOption(picked);
    await expect(dialog.getByRole('checkbox', { name: /Hotfix/ }).isChecked()).resolves.toBe(false);
    const said = await dialog.textContent();
    expect(said).toContain(`A new release of snapshot ${snapshots.v3}`);
    expect(said).toMatch(/follows the release stages development → staging → production\. It enters development at once and deploys to development/);
    expect(said).toMatch(/(ledger at [0-9a-f]{8} and shop|shop at [0-9a-f]{8} and ledger) at [0-9a-f]{8}/);
    await screenshot(page, 'release-create-dialog-laptop');
    await dialog.getByRole('button', { name: `Create release of ${snapshots.v3}` }).click();
    await page.getByRole('heading', { name: /^Release #3/ }).waitFor();
    const made: ReleaseResponse = await track.ok('viewer', 'GET', '/api/v1/releases/3');
    expect({ kind: made.kind, snapshot: made.snapshot.alias, author: made.author }).toEqual({ kind: 'release', snapshot: snapshots.v3, author: 'rita' });
    expect(errors).toEqual([]);
    await page.context().close();
  }, 180_000);

  it("shows a refused promotion in the server's words, and lets a release manager abort; a developer can do neither", async () => {
    await track.releaseIn(3, 'AwaitingApproval', 'staging');

    const dev = await open('dev', viewports.laptop);
    await dev.page.goto(`${url}/releases/3`);
    await dev.page.getByRole('heading', { name: 'Pending approvals in staging' }).waitFor();
    await expectNoButton(dev.page, /Promote|Abort|Roll back|Lift the hold/);
    const promoteRefused = await track.api('dev', 'POST', '/api/v1/releases/3/promote', {});
    const abortRefused = await track.api('dev', 'POST', '/api/v1/releases/3/abort', {});
    expect([promoteRefused.status, abortRefused.status]).toEqual([403, 403]);
    await expect(dev.page.getByRole('note').filter({ hasText: 'You cannot promote, abort or roll back' }).textContent()).resolves.toBe(`You cannot promote, abort or roll back this release: ${abortRefused.json.error.message}`);
    expect(dev.errors).toEqual([]);
    await dev.page.context().close();

    // The gate (approvals) does not hold, so the server refuses the promotion: the dialog shows its message.
    const { page, errors } = await open('rita', viewports.laptop, [{ url: `${url}/api/v1/releases/3/promote`, status: 409 }]);
    await page.goto(`${url}/releases/3`);
    await page.getByRole('button', { name: 'Promote…' }).click();
    const promote = await dialogNamed(page, 'Promote release #3?');
    expect(await promote.textContent()).toMatch(/leaves staging when every gate of it holds, and enters production: snapshot .* deploys to production\./);
    await promote.getByRole('button', { name: 'Promote release #3' }).click();
    const alert = promote.getByRole('alert');
    await alert.waitFor();
    const refusedByGate = await track.api('rita', 'POST', '/api/v1/releases/3/promote', {});
    expect(refusedByGate.status).toBe(409);
    await expect(alert.textContent()).resolves.toBe(`The server refused: ${refusedByGate.json.error.message}`);
    expect(refusedByGate.json.error.message).toMatch(/^release #3 cannot be promoted out of staging yet/);
    await screenshot(page, 'release-promote-refused-laptop');
    await promote.getByRole('button', { name: 'Cancel' }).click();
    expect((await track.ok('viewer', 'GET', '/api/v1/releases/3')).state).toBe('AwaitingApproval');

    await page.getByRole('button', { name: 'Abort…' }).click();
    const abort = await dialogNamed(page, 'Abort release #3?');
    expect(await abort.textContent()).toMatch(/stops where it stands, in staging \(AwaitingApproval, environments staging\).*ends Aborted.*will not be deployed to production/s);
    await abort.getByLabel('Reason (optional)').fill('wrong build');
    await abort.getByRole('button', { name: 'Abort release #3' }).click();
    await page.getByRole('heading', { name: /^Release #3\s*■?\s*Aborted$/ }).waitFor();
    await expect(page.getByRole('region', { name: 'History' }).textContent()).resolves.toMatch(/aborted by rita: wrong build/);
    await expectNoButton(page, /Abort/);
    const aborted: ReleaseResponse = await track.ok('viewer', 'GET', '/api/v1/releases/3');
    expect(aborted.state).toBe('Aborted');
    const audit = await track.ok('admin', 'GET', '/api/v1/audit?kind=release.abort');
    expect(audit.items.map((e: { actor: string; subject: string; details: { reason?: string } }) => [e.actor, e.subject, e.details.reason])).toContainEqual(['rita', 'release #3', 'wrong build']);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 180_000);

  it('lets a release manager start a hotfix, and shows it in the production lane once it runs there', async () => {
    const { page, errors } = await open('rita', viewports.laptop);
    await page.goto(`${url}/releases/tracks/shop-track`);
    await page.getByRole('button', { name: 'Start a hotfix…' }).click();
    const dialog = await dialogNamed(page, 'Start a hotfix on shop-track');
    await expect(dialog.getByRole('checkbox', { name: /Hotfix/ }).isChecked()).resolves.toBe(true);
    expect(await dialog.textContent()).toMatch(new RegExp(`A new hotfix of snapshot ${snapshots.v3!.replace(/\./g, '\\.')} .*follows the hotfix stages staging → production\\. It enters staging at once and deploys to staging`));
    await dialog.getByRole('button', { name: `Start hotfix of ${snapshots.v3}` }).click();
    await page.getByRole('heading', { name: /^Release #4/ }).waitFor();
    expect((await track.ok('viewer', 'GET', '/api/v1/releases/4')).kind).toBe('hotfix');
    await track.releaseIn(4, 'AwaitingApproval', 'staging');
    await track.ok('olga', 'POST', '/api/v1/releases/4/approve', {});
    await track.releaseIn(4, 'Promoted', undefined, 120_000);

    // The release lane's production runs the hotfix now (it said "No release here" before).
    await page.goto(`${url}/releases/tracks/shop-track`);
    const production = page.getByRole('region', { name: 'Release stages', exact: true }).getByRole('listitem').filter({ has: page.getByRole('heading', { name: '3. production' }) });
    await production.getByRole('link', { name: /Release #4/ }).waitFor();
    const text = await production.textContent();
    expect(text).toMatch(/\(hotfix\).*Promoted.*runs here now/s);
    expect(text).toContain('promoted here along the hotfix stages');
    expect(text).not.toContain('No release here.');
    await screenshot(page, 'releases-track-hotfix-in-production-laptop');
    expect(errors).toEqual([]);
    await page.context().close();
  }, 240_000);

  it('lets a release manager roll a stage back; a developer has no button and the API refuses them', async () => {
    const dev = await open('dev', viewports.laptop);
    await dev.page.goto(`${url}/releases/4`);
    await dev.page.getByRole('heading', { name: 'Stages' }).waitFor();
    await expectNoButton(dev.page, /Roll back/);
    expect((await track.api('dev', 'POST', '/api/v1/releases/4/rollback', { stage: 'production' })).status).toBe(403);
    expect(dev.errors).toEqual([]);
    await dev.page.context().close();

    const first: ReleaseResponse = await track.ok('viewer', 'GET', '/api/v1/releases/1');
    const { page, errors } = await open('rita', viewports.phone);
    await page.goto(`${url}/releases/4`);
    await page.getByRole('button', { name: 'Roll back…' }).click();
    const dialog = await dialogNamed(page, /^Roll back /);
    await dialog.getByLabel('Stage to roll back').selectOption({ label: 'production' });
    await page.getByRole('dialog', { name: 'Roll back production?' }).waitFor();
    expect(await dialog.textContent()).toContain(`redeploys production (environments production) with snapshot ${first.snapshot.alias}, the version release #1 promoted there before release #4`);
    expect(await dialog.textContent()).toMatch(/automatic promotion into production is held until someone promotes a release into it deliberately/);
    await dialog.getByLabel('Reason (optional)').fill('checkout broken');
    expect(await horizontalOverflows(page)).toEqual([]);
    await screenshot(page, 'release-rollback-dialog-phone');
    await dialog.getByRole('button', { name: 'Roll back production' }).click();
    await page.getByRole('heading', { name: /^Release #5/ }).waitFor();
    await page.getByText(/rolls back #4/).waitFor();
    await expect(page.getByText(/rolls back #4/).count()).resolves.toBe(1);
    const rollback: ReleaseResponse = await track.ok('viewer', 'GET', '/api/v1/releases/5');
    expect({ kind: rollback.kind, snapshot: rollback.snapshot.alias, rollbackOf: rollback.rollbackOf }).toEqual({ kind: 'rollback', snapshot: first.snapshot.alias, rollbackOf: 4 });
    await track.releaseIn(5, 'Promoted');
    const view: TrackViewResponse = await track.ok('viewer', 'GET', '/api/v1/tracks/shop-track/view');
    expect(view.lanes.find((l) => l.kind === 'hotfix')!.stages[1]!.held).toMatchObject({ by: 'rita', release: 5 });
    expect(errors).toEqual([]);
    await page.context().close();
  }, 180_000);

  it('lets a release manager lift the hold by promoting the release waiting before it; a developer cannot', async () => {
    setVersion(track.repositories.shop, 'shop v4');
    snapshots.v4 = (await track.ok('dev', 'POST', '/api/v1/snapshots', { set: 'shop' })).alias;
    await track.ok('rita', 'POST', '/api/v1/releases', { snapshot: snapshots.v4, hotfix: true });
    await track.releaseIn(6, 'AwaitingApproval', 'staging');
    await track.ok('olga', 'POST', '/api/v1/releases/6/approve', {});
    await until('release #6 held before production', async () => {
      const r: ReleaseResponse = await track.ok('viewer', 'GET', '/api/v1/releases/6');
      const stage = r.stages[r.currentStage ?? 0];
      return stage?.name === 'production' && stage.state === 'Pending' && /^held/.test(stage.waitingFor ?? '') ? r : undefined;
    });

    const dev = await open('dev', viewports.laptop);
    await dev.page.goto(`${url}/releases/6`);
    await dev.page.getByRole('heading', { name: 'Stages' }).waitFor();
    await expectNoButton(dev.page, /Lift the hold|Promote/);
    const devActions: ReleaseActionsResponse = await track.ok('dev', 'GET', '/api/v1/releases/6/actions');
    const refused = await track.api('dev', 'POST', '/api/v1/releases/6/promote', {});
    expect(refused.status).toBe(403);
    expect(devActions.liftHold).toEqual({ allowed: false, status: 403, reason: refused.json.error.message });
    expect(dev.errors).toEqual([]);
    await dev.page.context().close();

    const { page, errors } = await open('rita', viewports.laptop);
    await page.goto(`${url}/releases/tracks/shop-track`);
    const heldProduction = page.getByRole('region', { name: 'Hotfix stages' }).getByRole('listitem').filter({ has: page.getByRole('heading', { name: '2. production' }) });
    // The track view loads after the page: wait for the note rather than count what is there at once.
    await heldProduction.getByRole('note').filter({ hasText: 'Held by rita (rollback #5)' }).waitFor();
    await expect(heldProduction.getByRole('note').filter({ hasText: 'Held by rita (rollback #5)' }).count()).resolves.toBe(1);
    await page.goto(`${url}/releases/6`);
    await page.getByRole('button', { name: 'Lift the hold on production…' }).click();
    const dialog = await dialogNamed(page, 'Lift the hold on production?');
    const said = await dialog.textContent();
    expect(said).toContain('Automatic promotion into production (environments production) is held since rita rolled it back (release #5). Release #6 waits before it.');
    expect(said).toMatch(new RegExp(`lifts the hold and promotes release #6 into production now: it deploys snapshot ${snapshots.v4!.replace(/\./g, '\\.')} \\((ledger at [0-9a-f]{8} and shop|shop at [0-9a-f]{8} and ledger) at [0-9a-f]{8}\\) to production`));
    await dialog.getByLabel('Reason (optional)').fill('fix verified');
    await dialog.getByRole('button', { name: 'Lift the hold and promote release #6' }).click();
    await page.locator('#release-stage-1').filter({ hasText: /Deploying|Verifying|Promoted/ }).waitFor({ timeout: 30_000 });
    await track.releaseIn(6, 'Promoted');
    const view: TrackViewResponse = await track.ok('viewer', 'GET', '/api/v1/tracks/shop-track/view');
    expect(view.lanes.find((l) => l.kind === 'hotfix')!.stages[1]!.held).toBeUndefined();
    const audit = await track.ok('admin', 'GET', '/api/v1/audit?kind=release.promote');
    expect(audit.items.map((e: { actor: string; subject: string; details: { liftedHold?: string[]; reason?: string } }) => [e.actor, e.subject, e.details.liftedHold, e.details.reason])).toContainEqual(['rita', 'release #6', ['production'], 'fix verified']);
    await page.goto(`${url}/releases/tracks/shop-track`);
    await heldProduction.getByRole('link', { name: /Release #6/ }).waitFor();
    await expect(heldProduction.getByRole('note').filter({ hasText: 'Held by' }).count()).resolves.toBe(0);
    expect(await unnamedControls(page)).toEqual([]);
    expect(await horizontalOverflows(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 240_000);
});
