import type { GateResult, ReleaseState, SnapshotResponse } from '@slipway/contract';

// Small pieces the release pages share: a state badge, a gate's result, times people can read.

/**
 * Each state's look: its own symbol, words and colour (releases.css .state-*), so a stage that is
 * deploying never reads like one waiting for people, nor a rejection like a failure.
 */
export const stateLooks: Record<ReleaseState, { symbol: string; words: string }> = {
  Pending: { symbol: '…', words: 'Pending' },
  Deploying: { symbol: '⇡', words: 'Deploying' },
  Verifying: { symbol: '⚙', words: 'Verifying' },
  AwaitingApproval: { symbol: '✍', words: 'Awaiting approval' },
  Promoted: { symbol: '✓', words: 'Promoted' },
  Rejected: { symbol: '⊘', words: 'Rejected' },
  Failed: { symbol: '✗', words: 'Failed' },
  Errored: { symbol: '!', words: 'Errored' },
  Aborted: { symbol: '■', words: 'Aborted' },
};

/** A release's or a stage's state, as a symbol and words (the symbol is decoration). */
export function StateBadge({ state }: { state: ReleaseState }) {
  return (
    <span className={`badge state-${state.toLowerCase()}`}>
      <span aria-hidden="true">{stateLooks[state].symbol} </span>
      {stateLooks[state].words}
    </span>
  );
}

/** What a snapshot holds, in words: "shop at 1a2b3c4d and ledger at 5e6f7a8b". */
export function describeComponents(snapshot: Pick<SnapshotResponse, 'components'>): string {
  const parts = snapshot.components.map((c) => `${c.app} at ${c.commit.slice(0, 8)}`);
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : (parts[0] ?? 'no applications');
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
