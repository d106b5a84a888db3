import type { GateResult, ReleaseState } from '@slipway/contract';

// Small pieces the release pages share: a state badge, a gate's result, times people can read.

const stateSymbols: Record<ReleaseState, string> = {
  Pending: '…',
  Deploying: '◐',
  Verifying: '◐',
  AwaitingApproval: '◐',
  Promoted: '✓',
  Rejected: '✗',
  Failed: '✗',
  Errored: '!',
  Aborted: '■',
};

const stateWords: Partial<Record<ReleaseState, string>> = { AwaitingApproval: 'Awaiting approval' };

/** A release's or a stage's state, as a symbol and words (the symbol is decoration). */
export function StateBadge({ state }: { state: ReleaseState }) {
  return (
    <span className={`badge state-${state.toLowerCase()}`}>
      <span aria-hidden="true">{stateSymbols[state]} </span>
      {stateWords[state] ?? state}
    </span>
  );
}

const gateSymbols: Record<GateResult['status'], string> = { passed: '✓', pending: '…', failed: '✗', blocked: '⏸', 'not-run': '–' };
const gateNames: Record<GateResult['gate'], string> = { healthy: 'Healthy', tests: 'Tests', soak: 'Soak', approvals: 'Approvals', window: 'Window' };

/** Each gate of a stage with its result: passed, pending, failed, blocked, not run. */
export function GateList({ gates, label }: { gates: GateResult[]; label: string }) {
  if (gates.length === 0) return null;
  return (
    <ul className="gates" aria-label={label}>
      {gates.map((g) => (
        <li key={g.gate} className={`gate gate-${g.status}`}>
          <span aria-hidden="true">{gateSymbols[g.status]} </span>
          <strong>{gateNames[g.gate]}</strong> <span className="gate-status">{g.status}</span>
          {g.detail ? <span className="gate-detail">: {g.detail}</span> : null}
          {g.until ? (
            <span className="gate-detail">
              {' '}
              (until <Time at={g.until} />)
            </span>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

/** A point in time in the reader's locale, with the exact time in the markup. */
export function Time({ at }: { at: string }) {
  const date = new Date(at);
  return (
    <time dateTime={at} title={at}>
      {date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })}
    </time>
  );
}

/** "qa, 2 × product" */
export function describeRoles(roles: { role: string; count: number }[]): string {
  return roles.map((r) => (r.count > 1 ? `${r.count} × ${r.role}` : r.role)).join(', ');
}

export const endedStates: readonly ReleaseState[] = ['Promoted', 'Rejected', 'Failed', 'Errored', 'Aborted'];
export const activeStates: readonly ReleaseState[] = ['Deploying', 'Verifying', 'AwaitingApproval'];
