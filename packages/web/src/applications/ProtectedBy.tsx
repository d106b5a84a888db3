import type { EnvironmentProtection } from '@slipway/contract';
import { useId } from 'react';

// A protected environment in the portal: a lock that says who protects it, and the path that
// changes it. The API's protectedBy comes from the same rule that answers 403 to a direct change, so
// the portal offers no Deploy, Extend or Delete on such an environment, for any role.

/** "Protected by track shop-track, stage production (release lane)" */
export function protectionWords(protection: EnvironmentProtection): string {
  if (protection.kind === 'admission') return `Protected by release plan admission ${protection.name}`;
  if (protection.kind === 'mark') return `Marked protected by ${protection.name}${protection.reason ? ` (${protection.reason})` : ''}`;
  return `Protected by track ${protection.name}${protection.stage ? `, stage ${protection.stage}` : ''}${protection.lane ? ` (${protection.lane} lane)` : ''}`;
}

/** A lock whose accessible name says who protects the environment. */
export function LockIcon({ protection }: { protection: EnvironmentProtection }) {
  const words = protectionWords(protection);
  return (
    <span className="lock" role="img" aria-label={words} title={words}>
      <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">
        <path fill="currentColor" d="M4 7V5a4 4 0 1 1 8 0v2h.5A1.5 1.5 0 0 1 14 8.5v5a1.5 1.5 0 0 1-1.5 1.5h-9A1.5 1.5 0 0 1 2 13.5v-5A1.5 1.5 0 0 1 3.5 7H4Zm2 0h4V5a2 2 0 1 0-4 0v2Z" />
      </svg>
    </span>
  );
}

/** In place of the actions: who protects the environment, and how it changes instead. */
export function ProtectedNotice({ envId, protection }: { envId: string; protection: EnvironmentProtection }) {
  const id = useId();
  const via = { track: 'a release along the track', admission: 'a managed release under the admission', mark: 'an admin lifting the mark first' }[protection.kind];
  return (
    <section className="panel protected" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>
        <LockIcon protection={protection} /> Protected environment
      </h2>
      <p>
        <strong>{protectionWords(protection)}:</strong> changes go through {via}. {protection.change}
      </p>
      <p className="hint">
        Deploying, changing variables, extending or deleting {envId} directly is refused for every role. In an emergency an admin may break glass from the CLI with{' '}
        <code>--break-glass &quot;&lt;reason&gt;&quot;</code>, recorded in the audit log as a break-glass entry.
      </p>
    </section>
  );
}
