import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import type { ReleaseActionsResponse, ReleaseResponse } from '@slipway/contract';
import { useApi } from '../api/session.tsx';
import { releasesApi } from './releases-api.ts';
import { describeRoles, Time } from './release-format.tsx';

type Stage = ReleaseResponse['stages'][number];

/**
 * The pending approvals of the stage a release stands in, with Approve and Reject for the people
 * the server lets act — and for everyone else the reason it gives, the same words a refused call
 * would answer (GET /api/v1/releases/{ref}/actions).
 */
export function DecisionPanel({ release, stage, actions }: { release: ReleaseResponse; stage: Stage; actions: ReleaseActionsResponse }) {
  const api = useApi();
  const queries = useQueryClient();
  const [comment, setComment] = useState('');
  const [reason, setReason] = useState('');
  const [rejecting, setRejecting] = useState(false);
  const ids = { comment: useId(), reason: useId(), heading: useId() };
  const ref = String(release.number);
  const done = (answer: ReleaseResponse) => {
    queries.setQueryData(['release', ref], answer);
    void queries.invalidateQueries({ queryKey: ['release-actions', ref] });
    void queries.invalidateQueries({ queryKey: ['track-view'] });
    void queries.invalidateQueries({ queryKey: ['releases'] });
  };
  const approve = useMutation({ mutationFn: () => releasesApi.approve(api, ref, comment.trim() || undefined), onSuccess: (answer) => (setComment(''), done(answer)) });
  const reject = useMutation({ mutationFn: () => releasesApi.reject(api, ref, reason.trim()), onSuccess: (answer) => (setReason(''), setRejecting(false), done(answer)) });
  const busy = approve.isPending || reject.isPending;
  const error = approve.error ?? reject.error;

  const onApprove = (event: FormEvent) => {
    event.preventDefault();
    approve.mutate();
  };
  const onReject = (event: FormEvent) => {
    event.preventDefault();
    if (reason.trim()) reject.mutate();
  };

  return (
    <section className="decision" aria-labelledby={ids.heading}>
      <h3 id={ids.heading}>Pending approvals in {stage.name}</h3>
      <p>
        {stage.missingApprovals.length ? (
          <>
            Missing: <strong>{describeRoles(stage.missingApprovals)}</strong>
          </>
        ) : (
          'Every required approval is recorded.'
        )}
        {stage.approvalPolicy?.expireAfter ? <> · approvals expire after {stage.approvalPolicy.expireAfter}</> : null}
      </p>
      {actions.myApproval ? (
        <p className="mine">
          You approved <Time at={actions.myApproval.at} />
          {actions.myApproval.countsAs ? `, counting as ${actions.myApproval.countsAs}` : ''}
          {actions.myApproval.ignored ? ` — it does not count: ${actions.myApproval.ignored}` : ''}
          {actions.myApproval.expiresAt ? (
            <>
              {' '}
              (expires <Time at={actions.myApproval.expiresAt} />)
            </>
          ) : null}
          . Approving again renews it.
        </p>
      ) : null}
      {actions.approve.allowed ? (
        <form className="decide" onSubmit={onApprove}>
          <label htmlFor={ids.comment}>Comment (optional)</label>
          <input id={ids.comment} value={comment} onChange={(e) => setComment(e.target.value)} maxLength={2000} disabled={busy} />
          <button type="submit" disabled={busy}>
            {approve.isPending ? 'Approving…' : `Approve release #${release.number}`}
          </button>
        </form>
      ) : (
        <p className="cannot" role="note">
          <strong>You cannot approve:</strong> {actions.approve.reason}
        </p>
      )}
      {actions.reject.allowed ? (
        rejecting ? (
          <form className="decide" onSubmit={onReject}>
            <label htmlFor={ids.reason}>Reason for rejecting</label>
            <input id={ids.reason} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={2000} required disabled={busy} />
            <button type="submit" className="danger" disabled={busy || !reason.trim()}>
              {reject.isPending ? 'Rejecting…' : `Reject release #${release.number}`}
            </button>
            <button type="button" className="secondary" onClick={() => setRejecting(false)} disabled={busy}>
              Cancel
            </button>
          </form>
        ) : (
          <button type="button" className="danger" onClick={() => setRejecting(true)} disabled={busy}>
            Reject…
          </button>
        )
      ) : actions.reject.reason !== actions.approve.reason ? (
        <p className="cannot" role="note">
          <strong>You cannot reject:</strong> {actions.reject.reason}
        </p>
      ) : null}
      {error ? (
        <p className="error" role="alert">
          {error.message}
        </p>
      ) : null}
    </section>
  );
}
