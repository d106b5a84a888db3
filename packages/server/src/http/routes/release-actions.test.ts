// What the portal shows each person about a release — may they approve, reject, promote, abort, roll
// back, lift a hold, start a release on the track, and if not, why — tested against what the actions
// themselves answer, on the seed's track on the local runtime: the reason shown for a refusal is the
// refused call's error, word for word.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseActionsResponse, ReleaseResponse } from '@slipway/contract';
import { setUpSeedReleaseTrack, type SeedReleaseTrack } from '../../test-support/seed-release-track.ts';

let track: SeedReleaseTrack;
const actions = (who: string, n = 1): Promise<ReleaseActionsResponse> => track.ok(who, 'GET', `/api/v1/releases/${n}/actions`);

/** The refused approve (or reject) call's status and message, and what the actions endpoint said beforehand. */
async function refusedAlike(who: string, action: 'approve' | 'reject', n = 1): Promise<void> {
  const shown = (await actions(who, n))[action];
  expect(shown.allowed).toBe(false);
  const answer = await track.api(who, 'POST', `/api/v1/releases/${n}/${action}`, action === 'reject' ? { reason: 'no' } : {});
  expect({ status: answer.status, reason: answer.json.error.message }).toEqual({ status: shown.status, reason: shown.reason });
}

beforeAll(async () => {
  track = await setUpSeedReleaseTrack('release-actions');
}, 60_000);

afterAll(async () => {
  await track?.close();
}, 60_000);

describe('what a person may do with a release', () => {
  it('shows approvers their buttons, and everyone else the reason the action would give', async () => {
    const snapshot = await track.ok('dev', 'POST', '/api/v1/snapshots', { set: 'shop' });
    await track.ok('rita', 'POST', '/api/v1/releases', { snapshot: snapshot.alias });
    const waiting = await track.releaseIn(1, 'AwaitingApproval', 'staging');
    expect(waiting.stages[1]!.approvalPolicy).toEqual({ required: [{ role: 'qa', count: 1 }, { role: 'product', count: 1 }, { role: 'security', count: 1 }], allowAuthor: false });
    expect(waiting.stages[0]!.approvalPolicy).toBeUndefined();

    const quinn = await actions('quinn');
    expect(quinn).toMatchObject({ release: 1, user: 'quinn', role: 'developer', approverRoles: ['developer', 'qa', 'viewer'], stage: { index: 1, name: 'staging', state: 'AwaitingApproval' } });
    expect(quinn.approve).toEqual({ allowed: true });
    expect(quinn.reject).toEqual({ allowed: true });
    expect(quinn.promote).toMatchObject({ allowed: false, status: 403, reason: expect.stringMatching(/needs the release-manager role/) });

    // A developer without an approver role, the author (in QA, but the author), the hotfix lane's sre, a viewer.
    const dev = await actions('dev');
    expect(dev.approve).toEqual({ allowed: false, status: 403, reason: 'approving this stage needs one of the approver roles qa, product, security; dev has developer, viewer' });
    const rita = await actions('rita');
    expect(rita.approve.reason).toMatch(/^rita is the release's author/);
    expect(rita.reject).toEqual({ allowed: true }); // a release manager may reject
    expect(rita.abort).toEqual({ allowed: true });
    expect((await actions('viewer')).approve).toMatchObject({ allowed: false, status: 403, reason: expect.stringMatching(/needs the developer role/) });
    for (const who of ['dev', 'rita', 'olga', 'viewer']) await refusedAlike(who, 'approve');
    for (const who of ['dev', 'olga', 'viewer']) await refusedAlike(who, 'reject');

    // An approval given shows which role it fills; approving again stays allowed (it renews it).
    await track.ok('quinn', 'POST', '/api/v1/releases/1/approve', { comment: 'green' });
    const after = await actions('quinn');
    expect(after.myApproval).toMatchObject({ countsAs: 'qa', at: expect.any(String) });
    expect(after.approve).toEqual({ allowed: true });
    expect((await actions('pat')).myApproval).toBeUndefined();

    // The last approvals: staging is promoted and production starts; nobody approves production.
    await track.ok('pat', 'POST', '/api/v1/releases/1/approve', {});
    const last: ReleaseResponse = await track.ok('sam', 'POST', '/api/v1/releases/1/approve', {});
    expect(last.stages[1]!.state).toBe('Promoted');
    expect(['Deploying', 'Verifying', 'Promoted']).toContain(last.stages[2]!.state);
    const done = await track.releaseIn(1, 'Promoted');
    expect(done.transitions!.filter((t) => t.stage === 1).map((t) => `${t.to} ${t.actor}`)).toEqual(expect.arrayContaining(['Promoted slipway']));
    const ended = await actions('quinn');
    expect(ended.approve).toEqual({ allowed: false, status: 409, reason: 'release #1 has ended (Promoted); there is nothing to approve' });
    await refusedAlike('quinn', 'approve');
    await refusedAlike('rita', 'reject');
    expect((await actions('rita')).abort).toEqual({ allowed: false, status: 409, reason: 'release #1 has already ended (Promoted)' });
    const abort = await track.api('rita', 'POST', '/api/v1/releases/1/abort', {});
    expect([abort.status, abort.json.error.message]).toEqual([409, 'release #1 has already ended (Promoted)']);

    // Rolling back: nothing was promoted before release #1 anywhere, so rollback (of the last stage it entered) refuses, in the words shown.
    const rollback = (await actions('rita')).rollback;
    expect(rollback).toEqual({ allowed: false, status: 409, reason: 'nothing was promoted to production before release #1, so there is no earlier version to roll back to', stages: [] });
    const refusedRollback = await track.api('rita', 'POST', '/api/v1/releases/1/rollback', {});
    expect([refusedRollback.status, refusedRollback.json.error.message]).toEqual([rollback.status, rollback.reason]);
    expect((await actions('dev')).rollback).toMatchObject({ allowed: false, status: 403, reason: expect.stringMatching(/needs the release-manager role/), stages: [] });
    // No hold to lift on an ended release; a developer may not promote at all.
    expect((await actions('rita')).liftHold).toEqual({ allowed: false, status: 409, reason: 'release #1 has already ended (Promoted)' });
    expect((await actions('dev')).liftHold).toMatchObject({ allowed: false, status: 403 });
  }, 180_000);

  it('says on the track who may start a release or a hotfix there, as creating one answers', async () => {
    const view = await track.ok('rita', 'GET', '/api/v1/tracks/shop-track/view');
    expect(view.actions).toEqual({ createRelease: { allowed: true }, startHotfix: { allowed: true } });
    const dev = (await track.ok('dev', 'GET', '/api/v1/tracks/shop-track/view')).actions;
    expect(dev.createRelease).toMatchObject({ allowed: false, status: 403 });
    const snapshot = await track.ok('dev', 'POST', '/api/v1/snapshots', { set: 'shop' });
    const refused = await track.api('dev', 'POST', '/api/v1/releases', { snapshot: snapshot.alias, hotfix: true });
    expect([refused.status, refused.json.error.message]).toEqual([dev.startHotfix.status, dev.startHotfix.reason]);
  });

  it('answers 404 for a release that does not exist', async () => {
    const answer = await track.api('viewer', 'GET', '/api/v1/releases/99/actions');
    expect(answer.status).toBe(404);
    expect(answer.json.error.message).toMatch(/no release "99"/);
  });

  it('filters the audit log by actor, kind and time, refuses bad filters, and verifies the ledger', async () => {
    const approvals = await track.ok('admin', 'GET', '/api/v1/audit?actor=quinn&kind=release.approve');
    expect(approvals.items.map((e: { kind: string; actor: string }) => `${e.kind} ${e.actor}`)).toEqual(['release.approve quinn']);
    const all = await track.ok('admin', 'GET', '/api/v1/audit?kind=release.*');
    const times: string[] = all.items.map((e: { at: string }) => e.at);
    expect(all.items.length).toBeGreaterThanOrEqual(5);
    const future = await track.ok('admin', 'GET', `/api/v1/audit?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    expect(future.items).toEqual([]);
    const upTo = await track.ok('admin', 'GET', `/api/v1/audit?kind=release.*&until=${encodeURIComponent(times.at(-1)!)}`);
    expect(upTo.items).toEqual([]);
    for (const bad of ['since=yesterday', 'limit=5000', 'kind=RELEASE%20approve', 'colour=red']) expect((await track.api('admin', 'GET', `/api/v1/audit?${bad}`)).status).toBe(400);
    expect((await track.api('dev', 'GET', '/api/v1/audit')).status).toBe(403);
    const verify = await track.ok('admin', 'GET', '/api/v1/audit/verify');
    expect(verify).toMatchObject({ ok: true, problems: [] });
    expect(verify.entries).toBeGreaterThanOrEqual(all.items.length);
  });
});
