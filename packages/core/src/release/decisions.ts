import type { ReleaseState } from '@slipway/contract';
import { approvalRefusal, type ApprovalPolicy, type Approver } from './approvals.ts';
import { isActiveStage, isEnded } from './release-states.ts';

// Whether someone may approve or reject a release now, and if not, why. The release service refuses
// with exactly this answer, and the portal shows it beside the missing buttons, so what people are
// told and what the server enforces come from one rule.

export type ReleaseDecision = 'approve' | 'reject';

/** What the decision is about: the release, and the stage it stands in now (its last stage record). */
export interface DecisionSubject {
  number: number;
  state: ReleaseState;
  author: string;
  /** The stage the release is in or waits for, with its state; absent before it was queued anywhere. */
  current?: { name: string; state: ReleaseState; reason?: string };
  /** The name of the stage it waits to enter when `current` is absent (its first stage). */
  firstStage: string;
  /** The approval gate of the current stage, when it has one. */
  policy?: ApprovalPolicy;
}

/** A refusal: `conflict` when the release is not where the decision can be made (409), `not-allowed` when this person may not (403). */
export interface DecisionRefusal {
  kind: 'conflict' | 'not-allowed';
  message: string;
}

/**
 * Why `approver` may not approve (or reject) the release now, or undefined when they may. Approving
 * needs a stage with approvals, an approver role it names, and not being the author (unless the
 * stage allows); rejecting is allowed to the stage's approvers and to release managers.
 */
export function decisionRefusal(decision: ReleaseDecision, subject: DecisionSubject, approver: Approver): DecisionRefusal | undefined {
  const what = decision;
  if (isEnded(subject.state)) return { kind: 'conflict', message: `release #${subject.number} has ended (${subject.state}); there is nothing to ${what}` };
  const current = subject.current;
  if (!current || !isActiveStage(current.state)) {
    return {
      kind: 'conflict',
      message: `release #${subject.number} is waiting to enter ${current?.name ?? subject.firstStage}${current?.reason ? ` (${current.reason})` : ''}; ${what} it once it is deployed there`,
    };
  }
  const policy = subject.policy;
  if (decision === 'approve') {
    if (!policy) return { kind: 'conflict', message: `stage ${current.name} of release #${subject.number} needs no approval` };
    const refusal = approvalRefusal(policy, approver, subject.author);
    return refusal ? { kind: 'not-allowed', message: refusal } : undefined;
  }
  if (approver.roles.includes('release-manager')) return undefined;
  const refusal = policy ? approvalRefusal(policy, approver, subject.author) : `stage ${current.name} has no approvers; only a release manager can reject it`;
  return refusal ? { kind: 'not-allowed', message: refusal } : undefined;
}
