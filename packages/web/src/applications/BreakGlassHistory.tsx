import { auditReaderRole } from '@slipway/contract';
import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { useApi } from '../api/session.tsx';
import { roleAtLeast, useWhoami } from '../api/whoami.ts';
import { auditApi } from '../audit/audit-api.ts';
import { BreakGlassBadge, BreakGlassReason } from '../audit/BreakGlass.tsx';
import { Time } from '../releases/release-format.tsx';

/** The break-glass kinds whose subject is an environment (`shop-production`) or one of its instances (`shop-production/web-0`). */
const ENVIRONMENT_BREAK_GLASS = 'environment.break-glass,deploy.break-glass,instance.break-glass';

/**
 * The environment's break-glass changes from the audit ledger, for those who may read it (release
 * managers and admins): each with its badge, who, when, what and why. Nothing when there are none.
 */
export function BreakGlassHistory({ envId }: { envId: string }) {
  const api = useApi();
  const id = useId();
  const role = useWhoami().data?.role;
  const reader = role !== undefined && roleAtLeast(role, auditReaderRole);
  const entries = useQuery({
    queryKey: ['break-glass', envId],
    queryFn: async () => (await auditApi.list(api, { kind: ENVIRONMENT_BREAK_GLASS })).items.filter((e) => e.subject === envId || e.subject.startsWith(`${envId}/`)),
    enabled: reader,
    refetchInterval: 10_000,
  });
  if (!reader || !entries.data?.length) return null;
  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Break-glass changes</h2>
      <ol className="audit-entries">
        {entries.data.map((entry) => (
          <li key={entry.seq} className="audit-entry break-glass">
            <div>
              <BreakGlassBadge /> <Time at={entry.at} /> · <strong>{entry.actor}</strong> · <code>{entry.kind}</code>
            </div>
            <BreakGlassReason entry={entry} />
          </li>
        ))}
      </ol>
    </section>
  );
}
