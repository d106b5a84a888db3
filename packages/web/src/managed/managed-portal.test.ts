// The managed release pages in real headless Chromium against a whole server on the seed's track:
// the development workspace's plan, the managed workspace's admission (the environments it governs,
// its steps), and a managed release whose workflow ran, each step with its status and log. The
// logs are masked: the secret the admission injects into a step, and a secret of the managed
// workspace that reached a step's output another way (written in its command, which the step's own
// masking knows nothing of), show as the mask and never as their values — in the API's answer and
// on the page. At laptop and phone widths, with no console errors and every control named.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManagedReleaseResponse } from '@slipway/contract';
import { createApiToken } from '../../../server/src/store/api-tokens.ts';
import { setUpSeedReleaseTrack, until, type SeedReleaseTrack } from '../../../server/src/test-support/seed-release-track.ts';
import { unnamedControls } from '../test-support/accessible-names.ts';
import { browserMissing, collectConsoleErrors, launchBrowser, screenshot, viewports, type TestBrowser } from '../test-support/browser.ts';
import { horizontalOverflows } from '../test-support/horizontal-overflow.ts';
import { signIn } from '../test-support/portal-server.ts';

const DEPLOY_TOKEN = 's3cr3t-deploy-token-7f3a';
const OPS_PASSWORD = 'hunter2-ops-password-9c1e';

const admission = `apiVersion: slipway.dev/v1
kind: ReleasePlanAdmission
metadata: { name: shop-admission }
spec:
  origins: [{ workspace: default, applications: [shop] }]
  secrets: [deploy-token]
  environments: [shop-live]
  policy: { requirePassedStages: false }
  workflow:
    steps:
      - name: publish
        command: node -e "console.log('published with', process.env.DEPLOY_TOKEN)"
        env: { DEPLOY_TOKEN: { secret: deploy-token } }
        timeout: 1m
      - name: announce
        command: echo announced with ${OPS_PASSWORD}
`;

const plan = 'apiVersion: slipway.dev/v1\nkind: ReleasePlan\nmetadata: { name: shop-to-ops }\nspec: { applicationSet: shop, target: production-ops }\n';

describe.skipIf(browserMissing)(`portal: release plans, admissions and managed releases${browserMissing ? ` (skipped: ${browserMissing})` : ''}`, { timeout: 60_000 }, () => {
  let track: SeedReleaseTrack;
  let browser: TestBrowser;
  let url: string;
  let release: ManagedReleaseResponse;

  async function open(token: string, viewport: (typeof viewports)[keyof typeof viewports]): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage(viewport);
    const errors = collectConsoleErrors(page);
    await signIn(page, url, token);
    return { page, errors };
  }

  beforeAll(async () => {
    [track, browser] = await Promise.all([setUpSeedReleaseTrack('portal-managed', { portal: true }), launchBrowser()]);
    url = track.server.apiUrl.replace('localhost', '127.0.0.1');
    // The managed environment team: its own workspace, its admin, its secrets.
    track.tokens.sre = (await createApiToken(track.server.store.db, { name: 'sre', workspace: 'production-ops', role: 'admin', user: 'sre' })).secret;
    await track.ok('sre', 'PUT', '/api/v1/secrets/deploy-token', { value: DEPLOY_TOKEN });
    await track.ok('sre', 'PUT', '/api/v1/secrets/ops-password', { value: OPS_PASSWORD });
    await track.ok('sre', 'POST', '/api/v1/release-plan-admissions', { files: [{ file: 'admission.yaml', text: admission }] });
    await track.ok('rita', 'POST', '/api/v1/release-plans', { files: [{ file: 'plans.yaml', text: plan }] });
    const snapshot = await track.ok('dev', 'POST', '/api/v1/snapshots', { set: 'shop' });
    const created: ManagedReleaseResponse = await track.ok('rita', 'POST', '/api/v1/managed-releases', { plan: 'shop-to-ops', snapshot: snapshot.alias });
    release = await until(
      'the managed release to end',
      async () => {
        const r: ManagedReleaseResponse = await track.ok('rita', 'GET', `/api/v1/managed-releases/${created.id}`);
        return ['Promoted', 'Failed', 'Errored'].includes(r.state) ? r : undefined;
      },
      60_000,
    );
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await track?.close();
  }, 60_000);

  it('answers the steps’ logs masked, whichever workspace asks', async () => {
    expect(release.state, release.reason).toBe('Promoted');
    for (const who of ['rita', 'sre']) {
      const answer: ManagedReleaseResponse = await track.ok(who, 'GET', `/api/v1/managed-releases/${release.id}`);
      expect(answer.steps.map((s) => `${s.name} ${s.state} ${s.logTail}`)).toEqual(['publish succeeded published with ***\n', 'announce succeeded announced with ***\n']);
      const listed = JSON.stringify(await track.ok(who, 'GET', '/api/v1/managed-releases'));
      for (const secret of [DEPLOY_TOKEN, OPS_PASSWORD]) expect(listed).not.toContain(secret);
    }
  });

  it('lists the development workspace’s plan and its managed release, and shows each step’s status and masked log', async () => {
    for (const [width, viewport] of Object.entries(viewports)) {
      const { page, errors } = await open(track.tokens.rita!, viewport);
      await page.getByRole('link', { name: 'Managed releases', exact: true }).click();
      const plans = page.getByRole('list', { name: 'Release plans' });
      await plans.waitFor();
      const planText = await plans.getByRole('listitem').filter({ hasText: 'shop-to-ops' }).textContent();
      expect(planText).toContain('Releasesapplication set shop');
      expect(planText).toContain('Into workspaceproduction-ops');
      expect(planText).toContain('Automaticno');
      await expect(page.getByRole('region', { name: 'Release plan admissions' }).textContent()).resolves.toContain('No release plan admissions in this workspace.');
      const link = page.getByRole('link', { name: `Managed release #${release.number} of ${release.snapshot.alias} from default into production-ops` });
      await link.waitFor();
      await expect(page.getByRole('list', { name: `Steps of managed release #${release.number}` }).textContent()).resolves.toBe('publish succeededannounce succeeded');
      expect(await horizontalOverflows(page)).toEqual([]);
      expect(await unnamedControls(page)).toEqual([]);
      await screenshot(page, `managed-overview-${width}`);

      await link.click();
      await page.getByRole('heading', { level: 1, name: `Managed release #${release.number}` }).waitFor();
      const steps = page.getByRole('list', { name: `Steps of managed release #${release.number}` }).getByRole('listitem');
      await expect(steps.count()).resolves.toBe(2);
      expect(await steps.nth(0).textContent()).toMatch(/^1\. publish\s*succeeded/);
      expect(await steps.nth(1).textContent()).toMatch(/^2\. announce\s*succeeded/);
      await expect(page.getByRole('log', { name: 'Log of step publish' }).textContent()).resolves.toBe('published with ***\n');
      await expect(page.getByRole('log', { name: 'Log of step announce' }).textContent()).resolves.toBe('announced with ***\n');
      const text = (await page.locator('body').textContent()) ?? '';
      for (const secret of [DEPLOY_TOKEN, OPS_PASSWORD]) expect(text).not.toContain(secret);
      await expect(page.getByRole('region', { name: 'History' }).textContent()).resolves.toMatch(/Deploying → Promoted by slipway/);
      expect(await horizontalOverflows(page)).toEqual([]);
      expect(await unnamedControls(page)).toEqual([]);
      await screenshot(page, `managed-release-${width}`);
      expect(errors).toEqual([]);
      await page.context().close();
    }
  });

  it('shows the managed workspace its admission — the environments it governs and its steps — and the release it received', async () => {
    for (const [width, viewport] of Object.entries(viewports)) {
      const { page, errors } = await open(track.tokens.sre!, viewport);
      await page.goto(`${url}/managed`);
      const admissions = page.getByRole('list', { name: 'Release plan admissions' });
      await admissions.waitFor();
      const text = await admissions.getByRole('listitem').filter({ hasText: 'shop-admission' }).first().textContent();
      expect(text).toContain('Acceptsshop from workspace default');
      expect(text).toContain('Governsshop-live');
      expect(text).toContain('Secretsdeploy-token');
      await expect(page.getByRole('list', { name: 'Steps of shop-admission' }).textContent()).resolves.toMatch(/^publish \(timeout 1m\)announce \(timeout 30m\)$/);
      await expect(page.getByRole('region', { name: 'Release plans' }).textContent()).resolves.toContain('No release plans in this workspace.');
      await page.getByRole('link', { name: `Managed release #${release.number} of ${release.snapshot.alias} from default into production-ops` }).click();
      await expect(page.getByRole('log', { name: 'Log of step announce' }).textContent()).resolves.toBe('announced with ***\n');
      expect((await page.locator('body').textContent()) ?? '').not.toContain(OPS_PASSWORD);
      expect(await horizontalOverflows(page)).toEqual([]);
      expect(await unnamedControls(page)).toEqual([]);
      await screenshot(page, `managed-admission-${width}`);
      expect(errors).toEqual([]);
      await page.context().close();
    }
  });
});
