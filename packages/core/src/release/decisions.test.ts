import { describe, expect, it } from 'vitest';
import type { ApprovalPolicy } from './approvals.ts';
import { decisionRefusal, type DecisionSubject } from './decisions.ts';

const seed: ApprovalPolicy = { required: [{ role: 'qa' }, { role: 'product' }, { role: 'security' }] };
const awaiting: DecisionSubject = { number: 4, state: 'AwaitingApproval', author: 'rita', current: { name: 'staging', state: 'AwaitingApproval' }, firstStage: 'development', policy: seed };
const quinn = { user: 'quinn', roles: ['developer', 'qa', 'viewer'] };
const dev = { user: 'dev', roles: ['developer', 'viewer'] };
const rita = { user: 'rita', roles: ['developer', 'qa', 'release-manager', 'viewer'] };

describe('who may approve or reject a release now', () => {
  it('lets a holder of a required approver role approve and reject', () => {
    expect(decisionRefusal('approve', awaiting, quinn)).toBeUndefined();
    expect(decisionRefusal('reject', awaiting, quinn)).toBeUndefined();
  });

  it('refuses someone without a required role, naming the roles needed and those held', () => {
    expect(decisionRefusal('approve', awaiting, dev)).toEqual({ kind: 'not-allowed', message: 'approving this stage needs one of the approver roles qa, product, security; dev has developer, viewer' });
    expect(decisionRefusal('reject', awaiting, dev)?.kind).toBe('not-allowed');
  });

  it("refuses the author's approval, though they hold a required role, but lets a release manager reject", () => {
    expect(decisionRefusal('approve', awaiting, rita)?.message).toMatch(/^rita is the release's author/);
    expect(decisionRefusal('approve', { ...awaiting, policy: { ...seed, allowAuthor: true } }, rita)).toBeUndefined();
    expect(decisionRefusal('reject', awaiting, rita)).toBeUndefined();
  });

  it('answers a conflict when the release has ended, waits to enter a stage, or the stage needs no approval', () => {
    expect(decisionRefusal('approve', { ...awaiting, state: 'Promoted' }, quinn)).toEqual({ kind: 'conflict', message: 'release #4 has ended (Promoted); there is nothing to approve' });
    expect(decisionRefusal('approve', { ...awaiting, current: { name: 'production', state: 'Pending', reason: 'queued: release #3 is Deploying in production' } }, quinn)).toEqual({
      kind: 'conflict',
      message: 'release #4 is waiting to enter production (queued: release #3 is Deploying in production); approve it once it is deployed there',
    });
    expect(decisionRefusal('reject', { ...awaiting, current: undefined }, quinn)?.message).toBe('release #4 is waiting to enter development; reject it once it is deployed there');
    const noGate = { ...awaiting, current: { name: 'development', state: 'Verifying' as const }, policy: undefined };
    expect(decisionRefusal('approve', noGate, rita)).toEqual({ kind: 'conflict', message: 'stage development of release #4 needs no approval' });
    expect(decisionRefusal('reject', noGate, quinn)).toEqual({ kind: 'not-allowed', message: 'stage development has no approvers; only a release manager can reject it' });
    expect(decisionRefusal('reject', noGate, rita)).toBeUndefined();
  });
});
