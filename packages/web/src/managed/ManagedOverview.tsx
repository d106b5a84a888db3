import { useQuery } from '@tanstack/react-query';
import type { ManagedReleaseResponse, ReleasePlanAdmissionResponse, ReleasePlanResponse } from '@slipway/contract';
import { Link } from 'react-router';
import { useApi } from '../api/session.tsx';
import { usePagedList } from '../api/use-paged-list.ts';
import { ErrorMessage, Loading, QueryView } from '../shell/feedback.tsx';
import { ShowMore } from '../shell/ShowMore.tsx';
import { StatusBadge } from '../shell/format.tsx';
import { StateBadge, Time } from '../releases/release-format.tsx';
import { MANAGED_POLL_MS, managedApi } from './managed-api.ts';

// Releasing into managed workspaces, as this workspace sees it: its ReleasePlans (what it releases,
// and where to), its ReleasePlanAdmissions (who may release into it, the environments they govern,
// the workflow that runs), and the managed releases it made or received.

function Plans({ plans }: { plans: ReleasePlanResponse[] }) {
  if (plans.length === 0) {
    return (
      <p className="empty">
        No release plans in this workspace. A development team registers one with <code>slipway plans create</code>.
      </p>
    );
  }
  return (
    <ul className="managed-cards" aria-label="Release plans">
      {plans.map((plan) => (
        <li key={plan.name}>
          <h3>{plan.name}</h3>
          <dl className="facts">
            <dt>Releases</dt>
            <dd>{plan.applicationSet ? `application set ${plan.applicationSet}` : `application ${plan.application ?? '—'}`}</dd>
            <dt>Into workspace</dt>
            <dd>{plan.target}</dd>
            <dt>Automatic</dt>
            <dd>{plan.autoRelease ? 'yes: every snapshot that passes its track is released' : 'no: released with slipway managed-releases create'}</dd>
            <dt>Version</dt>
            <dd className="mono">{plan.version.slice(0, 12)}</dd>
          </dl>
        </li>
      ))}
    </ul>
  );
}

function Admissions({ admissions }: { admissions: ReleasePlanAdmissionResponse[] }) {
  if (admissions.length === 0) {
    return (
      <p className="empty">
        No release plan admissions in this workspace. A managed environment team registers one with <code>slipway admissions create</code>.
      </p>
    );
  }
  return (
    <ul className="managed-cards" aria-label="Release plan admissions">
      {admissions.map((admission) => (
        <li key={admission.name}>
          <h3>
            {admission.name} {admission.block ? <StatusBadge status="failed" label="blocked" /> : null}
          </h3>
          <dl className="facts">
            <dt>Accepts</dt>
            <dd>
              <ul className="plain">
                {admission.origins.map((o) => (
                  <li key={o.workspace}>
                    {o.applications.join(', ')} from workspace {o.workspace}
                  </li>
                ))}
              </ul>
            </dd>
            <dt>Governs</dt>
            <dd>{admission.environments.length ? admission.environments.join(', ') : 'no environment'}</dd>
            <dt>Steps</dt>
            <dd>
              <ol className="step-chain" aria-label={`Steps of ${admission.name}`}>
                {admission.steps.map((s) => (
                  <li key={s.name}>
                    {s.name}
                    <span className="meta"> ({s.image ? `${s.image}, ` : ''}timeout {s.timeout})</span>
                  </li>
                ))}
              </ol>
            </dd>
            <dt>Secrets</dt>
            <dd>{admission.secrets.length ? admission.secrets.join(', ') : 'none'}</dd>
            <dt>Policy</dt>
            <dd>
              {[
                admission.policy.requirePassedStages ? 'passed its track' : undefined,
                admission.policy.allowedRegistries.length ? `images from ${admission.policy.allowedRegistries.join(', ')}` : undefined,
                admission.policy.requiredLabels.length ? `labels ${admission.policy.requiredLabels.join(', ')}` : undefined,
              ]
                .filter(Boolean)
                .join('; ') || 'none'}
            </dd>
          </dl>
        </li>
      ))}
    </ul>
  );
}

function Releases({ releases }: { releases: ManagedReleaseResponse[] }) {
  if (releases.length === 0) {
    return (
      <p className="empty">
        No managed releases made or received yet. Start one with <code>slipway managed-releases create &lt;snapshot&gt; --plan &lt;plan&gt;</code>.
      </p>
    );
  }
  return (
    <ul className="managed-release-list">
      {releases.map((r) => (
        <li key={r.id}>
          <Link to={`/managed/${encodeURIComponent(r.id)}`} aria-label={`Managed release #${r.number} of ${r.snapshot.alias} from ${r.origin} into ${r.target}`}>
            #{r.number} {r.snapshot.alias}
          </Link>{' '}
          <StateBadge state={r.state} />
          <span className="meta">
            {' '}
            {r.origin} → {r.target} · plan {r.plan} · admission {r.admission} · by {r.author} · <Time at={r.createdAt} />
          </span>
          <ol className="step-chain" aria-label={`Steps of managed release #${r.number}`}>
            {r.steps.map((s) => (
              <li key={s.name}>
                {s.name} <StatusBadge status={s.state} />
              </li>
            ))}
          </ol>
        </li>
      ))}
    </ul>
  );
}

/** Plans, admissions and managed releases of the workspace; the releases looked at again every few seconds. */
export function ManagedOverview() {
  const api = useApi();
  const plans = useQuery({ queryKey: ['release-plans'], queryFn: () => managedApi.plans(api) });
  const admissions = useQuery({ queryKey: ['release-plan-admissions'], queryFn: () => managedApi.admissions(api) });
  const releases = usePagedList({ queryKey: ['managed-releases'], page: (cursor) => managedApi.releases(api, cursor), refetchInterval: MANAGED_POLL_MS });
  return (
    <>
      <h1>Managed releases</h1>
      <p className="meta">Releases of snapshots into managed workspaces: the plans this workspace releases under, the admissions it accepts releases with, and the releases made or received.</p>
      <section aria-labelledby="release-plans">
        <h2 id="release-plans">Release plans</h2>
        <QueryView query={plans} what="release plans">
          {(items) => <Plans plans={items} />}
        </QueryView>
      </section>
      <section aria-labelledby="release-plan-admissions">
        <h2 id="release-plan-admissions">Release plan admissions</h2>
        <QueryView query={admissions} what="release plan admissions">
          {(items) => <Admissions admissions={items} />}
        </QueryView>
      </section>
      <section aria-labelledby="managed-release-list">
        <h2 id="managed-release-list">Managed releases</h2>
        {releases.isPending ? (
          <Loading what="managed releases" />
        ) : releases.isError ? (
          <ErrorMessage error={releases.error} what="managed releases" retry={() => void releases.refetch()} />
        ) : (
          <>
            <Releases releases={releases.data.pages.flatMap((page) => page.items)} />
            <ShowMore list={releases} shown={releases.data.pages.reduce((n, page) => n + page.items.length, 0)} pageSize={100} what="managed releases" />
          </>
        )}
      </section>
    </>
  );
}
