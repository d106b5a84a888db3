import { describe, expect, it } from 'vitest';
import { approvalRefusal, describeMissing, evaluateApprovals, type ApprovalPolicy, type ApprovalRecord } from './approvals.ts';

const now = new Date('2026-03-02T12:00:00Z');
const approval = (user: string, roles: string[], at = '2026-03-02T11:00:00Z'): ApprovalRecord => ({ user, roles, at });
const seed: ApprovalPolicy = { required: [{ role: 'qa' }, { role: 'product' }, { role: 'security' }] };

describe('evaluating approvals', () => {
  it('is satisfied when each required role has its approvals', () => {
    const status = evaluateApprovals(seed, [approval('quinn', ['qa']), approval('pat', ['product']), approval('sam', ['security'])], 'rita', now);
    expect(status.satisfied).toBe(true);
    expect(status.missing).toEqual([]);
    expect(status.counted).toEqual([
      { user: 'quinn', role: 'qa', at: '2026-03-02T11:00:00Z' },
      { user: 'pat', role: 'product', at: '2026-03-02T11:00:00Z' },
      { user: 'sam', role: 'security', at: '2026-03-02T11:00:00Z' },
    ]);
  });

  it('says which roles are missing, and how many of each', () => {
    const policy: ApprovalPolicy = { required: [{ role: 'qa', count: 2 }, { role: 'product' }] };
    const status = evaluateApprovals(policy, [approval('quinn', ['qa'])], 'rita', now);
    expect(status.satisfied).toBe(false);
    expect(status.missing).toEqual([
      { role: 'qa', count: 1 },
      { role: 'product', count: 1 },
    ]);
    expect(describeMissing(status.missing)).toBe('qa, product');
    expect(describeMissing([{ role: 'qa', count: 2 }])).toBe('2 × qa');
  });

  it('adds up a role required twice', () => {
    const policy: ApprovalPolicy = { required: [{ role: 'qa' }, { role: 'qa', count: 2 }] };
    expect(evaluateApprovals(policy, [approval('a', ['qa'])], 'rita', now).missing).toEqual([{ role: 'qa', count: 2 }]);
  });

  it("ignores the author's approval unless the policy allows it", () => {
    const status = evaluateApprovals(seed, [approval('rita', ['qa'])], 'rita', now);
    expect(status.counted).toEqual([]);
    expect(status.ignored).toEqual([{ user: 'rita', reason: "the release's author cannot approve it" }]);
    expect(evaluateApprovals({ ...seed, allowAuthor: true }, [approval('rita', ['qa'])], 'rita', now).counted).toEqual([{ user: 'rita', role: 'qa', at: '2026-03-02T11:00:00Z' }]);
  });

  it('lets approvals expire, and says when the earliest counted one will', () => {
    const policy: ApprovalPolicy = { required: [{ role: 'qa' }, { role: 'product' }], expireAfter: '2h' };
    const status = evaluateApprovals(policy, [approval('quinn', ['qa'], '2026-03-02T09:00:00Z'), approval('pat', ['product'], '2026-03-02T11:30:00Z')], 'rita', now);
    expect(status.missing).toEqual([{ role: 'qa', count: 1 }]);
    expect(status.ignored).toEqual([{ user: 'quinn', reason: 'expired at 2026-03-02T11:00:00.000Z' }]);
    expect(status.expiresAt).toBe('2026-03-02T13:30:00.000Z');
    // Exactly at the expiry it no longer counts.
    expect(evaluateApprovals(policy, [approval('quinn', ['qa'], '2026-03-02T10:00:00Z')], 'rita', now).counted).toEqual([]);
  });

  it('counts one person once, for one role, however many roles they hold', () => {
    const both = evaluateApprovals({ required: [{ role: 'qa' }, { role: 'product' }] }, [approval('alex', ['qa', 'product'])], 'rita', now);
    expect(both.counted).toEqual([{ user: 'alex', role: 'qa', at: '2026-03-02T11:00:00Z' }]);
    expect(both.missing).toEqual([{ role: 'product', count: 1 }]);
  });

  it('assigns people to roles so that as many requirements as possible are filled, whatever the order', () => {
    // alex (qa or product) approved first; a greedy assignment would give alex qa and leave product empty.
    const policy: ApprovalPolicy = { required: [{ role: 'qa' }, { role: 'product' }] };
    const approvals = [approval('alex', ['qa', 'product'], '2026-03-02T10:00:00Z'), approval('quinn', ['qa'], '2026-03-02T10:30:00Z')];
    const status = evaluateApprovals(policy, approvals, 'rita', now);
    expect(status.satisfied).toBe(true);
    expect(status.counted.map((c) => `${c.user}:${c.role}`).sort()).toEqual(['alex:product', 'quinn:qa']);
    expect(evaluateApprovals(policy, [...approvals].reverse(), 'rita', now).satisfied).toBe(true);
  });

  it('needs distinct people for a count above one, and keeps only the latest approval of each', () => {
    const policy: ApprovalPolicy = { required: [{ role: 'qa', count: 2 }], expireAfter: '1h' };
    const twiceByOne = [approval('quinn', ['qa'], '2026-03-02T11:10:00Z'), approval('quinn', ['qa'], '2026-03-02T11:20:00Z')];
    expect(evaluateApprovals(policy, twiceByOne, 'rita', now).missing).toEqual([{ role: 'qa', count: 1 }]);
    // A renewed approval counts from its own time.
    const renewed = [approval('quinn', ['qa'], '2026-03-02T10:00:00Z'), approval('quinn', ['qa'], '2026-03-02T11:30:00Z'), approval('qi', ['qa'], '2026-03-02T11:40:00Z')];
    expect(evaluateApprovals(policy, renewed, 'rita', now).satisfied).toBe(true);
  });

  it('says why approvals do not count: no required role, or every seat of their role taken', () => {
    const approvals = [approval('quinn', ['qa'], '2026-03-02T11:00:00Z'), approval('qi', ['qa'], '2026-03-02T11:05:00Z'), approval('dev', ['developer'], '2026-03-02T11:10:00Z')];
    const status = evaluateApprovals({ required: [{ role: 'qa' }] }, approvals, 'rita', now);
    expect(status.counted.map((c) => c.user)).toEqual(['quinn']);
    expect(status.ignored).toEqual([
      { user: 'qi', reason: 'every seat of their roles is already filled' },
      { user: 'dev', reason: 'holds none of the required roles' },
    ]);
  });
});

describe('who may approve', () => {
  it('refuses the author unless the policy allows it', () => {
    expect(approvalRefusal(seed, { user: 'rita', roles: ['qa'] }, 'rita')).toMatch(/rita is the release's author.*allowAuthor is false/);
    expect(approvalRefusal({ ...seed, allowAuthor: true }, { user: 'rita', roles: ['qa'] }, 'rita')).toBeUndefined();
  });

  it('refuses someone holding none of the required roles, naming them', () => {
    expect(approvalRefusal(seed, { user: 'dev', roles: ['developer'] }, 'rita')).toBe('approving this stage needs one of the approver roles qa, product, security; dev has developer');
    expect(approvalRefusal(seed, { user: 'dev', roles: [] }, 'rita')).toMatch(/dev has none$/);
    expect(approvalRefusal(seed, { user: 'sam', roles: ['security'] }, 'rita')).toBeUndefined();
  });
});
