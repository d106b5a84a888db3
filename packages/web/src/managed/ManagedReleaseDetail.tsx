import { useQuery } from '@tanstack/react-query';
import type { ManagedReleaseResponse } from '@slipway/contract';
import { Link, useParams } from 'react-router';
import { useApi } from '../api/session.tsx';
import { QueryView } from '../shell/feedback.tsx';
import { duration, StatusBadge } from '../shell/format.tsx';
import { StateBadge, Time } from '../releases/release-format.tsx';
import { MANAGED_POLL_MS, managedApi, managedEnded } from './managed-api.ts';

type Step = ManagedReleaseResponse['steps'][number];

/** One step of the admission's workflow: its state, how long it took, why it failed, and its log (masked by the server). */
function StepItem({ step, index }: { step: Step; index: number }) {
  const took = duration(step.startedAt, step.finishedAt);
  return (
    <li>
      <h3>
        <span>
          {index + 1}. {step.name}
        </span>
        <StatusBadge status={step.state} />
        {took ? <span className="meta">{took}</span> : null}
      </h3>
      {step.reason ? <p className="reason">{step.reason}</p> : null}
      {step.logTail ? (
        <pre className="log" role="log" aria-label={`Log of step ${step.name}`} tabIndex={0}>
          {step.logTail}
        </pre>
      ) : step.state === 'pending' || step.state === 'skipped' ? null : (
        <p className="meta">No output.</p>
      )}
    </li>
  );
}

function Detail({ release }: { release: ManagedReleaseResponse }) {
  return (
    <>
      <div className="row">
        <h1>Managed release #{release.number}</h1>
        <StateBadge state={release.state} />
      </div>
      {release.reason ? <p className={release.state === 'Promoted' ? 'meta' : 'error'}>{release.reason}</p> : null}
      <div className="panel">
        <dl className="facts">
          <dt>Snapshot</dt>
          <dd className="mono">{release.snapshot.alias}</dd>
          <dt>From → into</dt>
          <dd>
            workspace {release.origin} → workspace {release.target}
          </dd>
          <dt>Plan</dt>
          <dd>{release.plan}</dd>
          <dt>Admission</dt>
          <dd>{release.admission}</dd>
          <dt>Author</dt>
          <dd>{release.author}</dd>
          <dt>Created</dt>
          <dd>
            <Time at={release.createdAt} />
          </dd>
          {release.finishedAt ? (
            <>
              <dt>Finished</dt>
              <dd>
                <Time at={release.finishedAt} />
              </dd>
            </>
          ) : null}
        </dl>
      </div>
      <section aria-labelledby="managed-policy">
        <h2 id="managed-policy">Policy</h2>
        {release.policy.length === 0 ? (
          <p className="empty">{release.state === 'Pending' || release.state === 'Verifying' ? 'Not checked yet.' : 'The admission sets no policy rule.'}</p>
        ) : (
          <ul className="policy-checks">
            {release.policy.map((p) => (
              <li key={p.rule} className={p.passed ? 'policy-passed' : 'policy-failed'}>
                <span aria-hidden="true">{p.passed ? '✓ ' : '✗ '}</span>
                <strong>{p.rule}</strong> {p.passed ? 'holds' : 'fails'}: {p.message}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="managed-pipeline">
        <h2 id="managed-pipeline">Workflow of admission {release.admission}</h2>
        <ol className="managed-steps" aria-label={`Steps of managed release #${release.number}`}>
          {release.steps.map((step, i) => (
            <StepItem key={step.name} step={step} index={i} />
          ))}
        </ol>
      </section>
      {release.transitions?.length ? (
        <section aria-labelledby="managed-history">
          <h2 id="managed-history">History</h2>
          <ol className="managed-history">
            {release.transitions.map((t, i) => (
              <li key={i}>
                <Time at={t.at} /> · {t.from ? `${t.from} → ` : ''}
                {t.to} by {t.actor}: {t.reason}
              </li>
            ))}
          </ol>
        </section>
      ) : null}
    </>
  );
}

/** A managed release: its facts, policy verdicts, each step of the workflow with its log, and its history; looked at again until it ends. */
export function ManagedReleaseDetail() {
  const { ref = '' } = useParams();
  const api = useApi();
  const release = useQuery({
    queryKey: ['managed-release', ref],
    queryFn: () => managedApi.release(api, ref),
    refetchInterval: (query) => (query.state.data && managedEnded(query.state.data) ? false : MANAGED_POLL_MS),
  });
  return (
    <>
      <p className="crumbs">
        <Link to="/managed">← Managed releases</Link>
      </p>
      <QueryView query={release} what={`managed release ${ref}`}>
        {(r) => <Detail release={r} />}
      </QueryView>
    </>
  );
}
