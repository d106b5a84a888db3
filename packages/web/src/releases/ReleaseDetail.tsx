import { useQuery } from '@tanstack/react-query';
import type { ReleaseResponse } from '@slipway/contract';
import { Link, useParams } from 'react-router';
import { useApi } from '../api/session.tsx';
import { ErrorMessage, Loading, QueryView } from '../shell/feedback.tsx';
import { DecisionPanel } from './DecisionPanel.tsx';
import { ReleaseActions } from './ReleaseActions.tsx';
import { activeStates, describeRoles, endedStates, GateList, StateBadge, Time } from './release-format.tsx';
import { RELEASE_POLL_MS, releasesApi } from './releases-api.ts';

type Stage = ReleaseResponse['stages'][number];

function StageSection({ release, stage }: { release: ReleaseResponse; stage: Stage }) {
  const headingId = `release-stage-${stage.index}`;
  return (
    <li className={`release-stage${release.currentStage === stage.index ? ' current' : ''}`} aria-labelledby={headingId}>
      <h3 id={headingId}>
        {stage.index + 1}. {stage.name} <StateBadge state={stage.state} />
      </h3>
      {stage.waitingFor ? <p className="waiting">Waiting: {stage.waitingFor}</p> : null}
      {stage.reason ? <p className="meta">{stage.reason}</p> : null}
      <p className="meta">
        {stage.enteredAt ? (
          <>
            entered <Time at={stage.enteredAt} />
          </>
        ) : (
          'not entered yet'
        )}
        {stage.finishedAt ? (
          <>
            {' '}
            · finished <Time at={stage.finishedAt} />
          </>
        ) : null}
      </p>
      <GateList gates={stage.gates} label={`Gates of ${stage.name}`} />
      {stage.targets.length ? (
        <ul className="targets" aria-label={`Deploys in ${stage.name}`}>
          {stage.targets.map((t) => (
            <li key={`${t.app}/${t.envId}`}>
              {t.app} → {t.envId} at <code>{t.commit.slice(0, 8)}</code>: {t.state}
              {t.reason ? ` (${t.reason})` : ''}
            </li>
          ))}
        </ul>
      ) : null}
      {stage.tests.length ? (
        <ul className="tests" aria-label={`Test jobs in ${stage.name}`}>
          {stage.tests.map((t) => (
            <li key={`${t.job}/${t.envId ?? ''}`}>
              test {t.job}
              {t.envId ? ` in ${t.envId}` : ''}: {t.state}
              {t.reason ? ` (${t.reason})` : ''}
            </li>
          ))}
        </ul>
      ) : null}
      {stage.approvalPolicy ? (
        <p className="meta">
          Needs approvals: {describeRoles(stage.approvalPolicy.required)}
          {stage.approvalPolicy.expireAfter ? `, expiring after ${stage.approvalPolicy.expireAfter}` : ''}
          {stage.approvalPolicy.allowAuthor ? '' : "; not by the release's author"}
        </p>
      ) : null}
      {stage.approvals.length ? (
        <ul className="approvals" aria-label={`Decisions in ${stage.name}`}>
          {stage.approvals.map((a) => (
            <li key={`${a.user}/${a.at}`}>
              {{ approve: 'Approved', reject: 'Rejected', promote: 'Promoted' }[a.decision]} by <strong>{a.user}</strong> <Time at={a.at} />
              {a.countsAs ? ` — counts as ${a.countsAs}` : ''}
              {a.ignored ? ` — does not count: ${a.ignored}` : ''}
              {a.expiresAt ? (
                <>
                  {' '}
                  (expires <Time at={a.expiresAt} />)
                </>
              ) : null}
              {a.comment ? <q className="comment">{a.comment}</q> : null}
            </li>
          ))}
        </ul>
      ) : null}
    </li>
  );
}

function History({ release }: { release: ReleaseResponse }) {
  const transitions = release.transitions ?? [];
  return (
    <section aria-labelledby="release-history">
      <h2 id="release-history">History</h2>
      {transitions.length === 0 ? (
        <p className="empty">No transitions recorded.</p>
      ) : (
        <ol className="history">
          {transitions.map((t, i) => (
            <li key={i}>
              <Time at={t.at} /> · {t.stage !== undefined ? `${release.stages[t.stage]?.name ?? `stage ${t.stage + 1}`}: ` : 'release: '}
              {t.from ? `${t.from} → ` : ''}
              <strong>{t.to}</strong> by {t.actor}
              <div className="reason">{t.reason}</div>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** One release: each stage with its gates and approvals, the pending approvals with what the reader may do, and the history. */
export function ReleaseDetail() {
  const { ref = '' } = useParams();
  const api = useApi();
  const release = useQuery({
    queryKey: ['release', ref],
    queryFn: () => releasesApi.get(api, ref),
    refetchInterval: (query) => (query.state.data && endedStates.includes(query.state.data.state) ? false : RELEASE_POLL_MS),
  });
  const ended = release.data ? endedStates.includes(release.data.state) : false;
  // Asked again whenever the release changes, so an ended release's actions (roll back, no abort) are current too.
  const actions = useQuery({ queryKey: ['release-actions', ref, release.data?.updatedAt], queryFn: () => releasesApi.actions(api, ref), enabled: release.isSuccess, refetchInterval: ended ? false : RELEASE_POLL_MS, placeholderData: (previous) => previous });
  return (
    <QueryView query={release} what={`release ${ref}`}>
      {(r) => {
        const current = r.currentStage !== undefined ? r.stages[r.currentStage] : undefined;
        const deciding = !!current && !!current.approvalPolicy && activeStates.includes(current.state);
        return (
          <>
            <p className="crumbs">
              <Link to={`/releases/tracks/${encodeURIComponent(r.track)}`}>← Track {r.track}</Link>
            </p>
            <h1>
              Release #{r.number} <StateBadge state={r.state} />
            </h1>
            <p className="meta">
              {r.kind} of snapshot <code>{r.snapshot.alias}</code> (set {r.set}) · by {r.author} · created <Time at={r.createdAt} />
              {r.rollbackOf !== undefined ? ` · rolls back #${r.rollbackOf}` : ''}
            </p>
            {r.reason && endedStates.includes(r.state) ? <p>{r.reason}</p> : null}
            {actions.data ? <ReleaseActions release={r} actions={actions.data} /> : null}
            {deciding ? (
              actions.isPending ? (
                <Loading what="what you may do" />
              ) : actions.isError ? (
                <ErrorMessage error={actions.error} what="what you may do" retry={() => void actions.refetch()} />
              ) : (
                <DecisionPanel release={r} stage={current} actions={actions.data} />
              )
            ) : null}
            <section aria-labelledby="release-stages">
              <h2 id="release-stages">Stages</h2>
              <ol className="release-stages">
                {r.stages.map((s) => (
                  <StageSection key={s.index} release={r} stage={s} />
                ))}
              </ol>
            </section>
            <History release={r} />
          </>
        );
      }}
    </QueryView>
  );
}
