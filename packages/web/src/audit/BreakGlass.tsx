import type { AuditEntryResponse } from '@slipway/contract';
import './break-glass.css';

// A break-glass entry (`<subject>.break-glass`): an admin changed a protected environment, or a
// secret it reads, outside a release. The audit log and the environment's page show it the same way.

/** Whether an entry is a break-glass one. */
export const isBreakGlass = (entry: Pick<AuditEntryResponse, 'kind'>) => entry.kind.endsWith('.break-glass');

export function BreakGlassBadge() {
  return <span className="badge break-glass-badge">Break-glass</span>;
}

/** What was done outside a release, and the reason the admin gave. */
export function BreakGlassReason({ entry }: { entry: AuditEntryResponse }) {
  const { action, reason } = entry.details as { action?: unknown; reason?: unknown };
  return (
    <p className="break-glass-reason">
      {typeof action === 'string' ? <>An admin broke glass to {action} {entry.subject} outside a release. </> : null}
      <strong>Reason:</strong> {typeof reason === 'string' ? reason : '(none recorded)'}
    </p>
  );
}
