import { ConflictError } from '../errors.ts';
import type { ReleaseState } from '@slipway/contract';

// The states of a release and of each of its stages, and which moves between them are allowed. A
// stage is Pending until it is entered (its environments may be busy with another promotion),
// Deploying while the snapshot's commits deploy, Verifying while health, test jobs, soak and windows
// are checked, AwaitingApproval while sign-offs are missing, and Promoted once every gate held.
// Failed is the application's or a person's verdict (a failing job, a rejection is Rejected),
// Errored the platform's fault, Aborted a person's decision to stop.

export const activeStageStates: readonly ReleaseState[] = ['Deploying', 'Verifying', 'AwaitingApproval'];
export const endedStates: readonly ReleaseState[] = ['Promoted', 'Rejected', 'Failed', 'Errored', 'Aborted'];

const allowed: Record<ReleaseState, readonly ReleaseState[]> = {
  Pending: ['Deploying', 'Errored', 'Aborted'],
  Deploying: ['Verifying', 'Failed', 'Errored', 'Rejected', 'Aborted'],
  Verifying: ['AwaitingApproval', 'Promoted', 'Failed', 'Errored', 'Rejected', 'Aborted'],
  AwaitingApproval: ['Promoted', 'Failed', 'Errored', 'Rejected', 'Aborted'],
  Promoted: [],
  Rejected: [],
  Failed: [],
  Errored: [],
  Aborted: [],
};

export function isEnded(state: ReleaseState): boolean {
  return endedStates.includes(state);
}

export function isActiveStage(state: ReleaseState): boolean {
  return activeStageStates.includes(state);
}

/** Whether a stage may move from one state to another (staying put is not a move). */
export function canTransition(from: ReleaseState, to: ReleaseState): boolean {
  return allowed[from].includes(to);
}

/** Refuses a move the state machine does not allow, saying where the stage is. */
export function assertTransition(from: ReleaseState, to: ReleaseState, what = 'the stage'): void {
  if (!canTransition(from, to)) throw new ConflictError(`${what} is ${from}; it cannot become ${to}${isEnded(from) ? ' (it has ended)' : ''}`);
}
