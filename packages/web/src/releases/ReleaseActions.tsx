import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { ReleaseActionsResponse, ReleaseResponse } from '@slipway/contract';
import { useNavigate } from 'react-router';
import { useApi } from '../api/session.tsx';
import { ConfirmAction } from './ConfirmAction.tsx';
import { activeStates, describeComponents, endedStates } from './release-format.tsx';
import { releasesApi } from './releases-api.ts';

type Stage = ReleaseResponse['stages'][number];
type Open = 'promote' | 'lift-hold' | 'abort' | 'rollback' | undefined;

const environmentsOf = (stage: Pick<Stage, 'environments'>) => stage.environments.join(', ');

/** What the release's snapshot deploys, once it is known: "shop at 1a2b3c4d and ledger at 5e6f7a8b". */
function SnapshotContent({ snapshot }: { snapshot: ReleaseResponse['snapshot'] }) {
  const api = useApi();
  const found = useQuery({ queryKey: ['snapshot', snapshot.id], queryFn: () => releasesApi.snapshot(api, snapshot.id), staleTime: Infinity });
  return (
    <>
      snapshot <code>{snapshot.alias}</code>
      {found.data ? <> ({describeComponents(found.data)})</> : null}
    </>
  );
}

/**
 * Promote (or lift a rollback's hold), abort and roll back a release — each button shown only when
 * GET /api/v1/releases/{ref}/actions says the reader may, each confirmed in a dialog saying what
 * will happen; a refused call shows the server's own message there.
 */
export function ReleaseActions({ release, actions }: { release: ReleaseResponse; actions: ReleaseActionsResponse }) {
  const api = useApi();
  const queries = useQueryClient();
  const navigate = useNavigate();
  const headingId = useId();
  const [open, setOpen] = useState<Open>();
  const [stageIndex, setStageIndex] = useState<number>();
  const ref = String(release.number);
  const refresh = () => {
    void queries.invalidateQueries({ queryKey: ['release-actions'] });
    void queries.invalidateQueries({ queryKey: ['track-view'] });
    void queries.invalidateQueries({ queryKey: ['releases'] });
  };
  const settle = (answer: ReleaseResponse) => {
    queries.setQueryData(['release', String(answer.number)], answer);
    refresh();
    setOpen(undefined);
  };
  const promote = useMutation({ mutationFn: (reason?: string) => releasesApi.promote(api, ref, reason), onSuccess: settle });
  const abort = useMutation({ mutationFn: (reason?: string) => releasesApi.abort(api, ref, reason), onSuccess: settle });
  const rollback = useMutation({
    mutationFn: ({ stage, reason }: { stage: string; reason?: string }) => releasesApi.rollback(api, ref, stage, reason),
    onSuccess: (made) => {
      settle(made);
      void queries.invalidateQueries({ queryKey: ['release', ref] });
      void navigate(`/releases/${made.number}`);
    },
  });
  const close = () => {
    promote.reset();
    abort.reset();
    rollback.reset();
    setOpen(undefined);
  };

  const ended = endedStates.includes(release.state);
  const current = release.currentStage !== undefined ? release.stages[release.currentStage] : undefined;
  // The stage a promotion takes the release into: the one after an active stage, or the one it waits to enter.
  const next = current && current.state !== 'Pending' ? release.stages[current.index + 1] : (current ?? release.stages[0]);
  const lift = actions.liftHold.stage;
  const canPromote = !ended && !lift && actions.promote.allowed;
  const shown = { liftHold: actions.liftHold.allowed && !!lift, promote: canPromote, abort: actions.abort.allowed, rollback: actions.rollback.allowed && actions.rollback.stages.length > 0 };
  const byRole = [actions.promote, actions.abort, actions.rollback].find((a) => a.status === 403);
  if (!Object.values(shown).some(Boolean)) {
    return byRole && !ended ? (
      <p className="cannot" role="note">
        <strong>You cannot promote, abort or roll back this release:</strong> {byRole.reason}
      </p>
    ) : null;
  }
  const choices = actions.rollback.stages;
  const chosen = choices.find((c) => c.index === stageIndex) ?? choices.at(-1);

  return (
    <section className="release-actions" aria-labelledby={headingId}>
      <h2 id={headingId}>Release actions</h2>
      <div className="actions">
        {shown.liftHold && lift ? (
          <button type="button" onClick={() => setOpen('lift-hold')}>
            Lift the hold on {lift.name}…
          </button>
        ) : null}
        {shown.promote ? (
          <button type="button" onClick={() => setOpen('promote')}>
            Promote…
          </button>
        ) : null}
        {shown.rollback ? (
          <button type="button" className="secondary" onClick={() => setOpen('rollback')}>
            Roll back…
          </button>
        ) : null}
        {shown.abort ? (
          <button type="button" className="danger" onClick={() => setOpen('abort')}>
            Abort…
          </button>
        ) : null}
      </div>

      {open === 'lift-hold' && lift ? (
        <ConfirmAction
          title={`Lift the hold on ${lift.name}?`}
          confirm={`Lift the hold and promote release #${release.number}`}
          reason
          pending={promote.isPending}
          error={promote.error}
          onConfirm={(reason) => promote.mutate(reason)}
          onClose={close}
        >
          <p>
            Automatic promotion into <strong>{lift.name}</strong> (environments {lift.environments.join(', ')}) is held since {lift.by} rolled it back
            {lift.rollback !== undefined ? ` (release #${lift.rollback})` : ''}. Release #{release.number} waits before it.
          </p>
          <p>
            Confirming <strong>lifts the hold</strong> and promotes release #{release.number} into {lift.name} now: it deploys <SnapshotContent snapshot={release.snapshot} /> to {lift.environments.join(', ')}. Later releases then enter{' '}
            {lift.name} automatically again, when their gates hold.
          </p>
        </ConfirmAction>
      ) : null}

      {open === 'promote' ? (
        <ConfirmAction
          title={`Promote release #${release.number}?`}
          confirm={`Promote release #${release.number}`}
          reason
          pending={promote.isPending}
          error={promote.error}
          onConfirm={(reason) => promote.mutate(reason)}
          onClose={close}
        >
          {current && activeStates.includes(current.state) ? (
            <p>
              Release #{release.number} leaves <strong>{current.name}</strong> when every gate of it holds
              {next ? (
                <>
                  , and enters <strong>{next.name}</strong>: <SnapshotContent snapshot={release.snapshot} /> deploys to {environmentsOf(next)}.
                </>
              ) : (
                <>; {current.name} is its last stage, so the release ends Promoted.</>
              )}
            </p>
          ) : (
            <p>
              Release #{release.number} enters <strong>{next?.name ?? 'its next stage'}</strong> when it is free: <SnapshotContent snapshot={release.snapshot} /> deploys to {next ? environmentsOf(next) : 'its environments'}.
            </p>
          )}
          <p>Gates are never skipped: when one does not hold, nothing changes and the server says which.</p>
        </ConfirmAction>
      ) : null}

      {open === 'abort' ? (
        <ConfirmAction
          title={`Abort release #${release.number}?`}
          confirm={`Abort release #${release.number}`}
          danger
          reason
          pending={abort.isPending}
          error={abort.error}
          onConfirm={(reason) => abort.mutate(reason)}
          onClose={close}
        >
          <p>
            Release #{release.number} stops where it stands
            {current ? (
              <>
                , in <strong>{current.name}</strong> ({current.state}, environments {environmentsOf(current)})
              </>
            ) : null}
            : deploys already under way there finish, nothing more is started, and the release ends <strong>Aborted</strong>.
          </p>
          {current && release.stages.length > current.index + 1 ? <p>It will not be deployed to {release.stages.slice(current.index + 1).map((s) => s.name).join(' or ')}. This cannot be undone.</p> : <p>This cannot be undone.</p>}
        </ConfirmAction>
      ) : null}

      {open === 'rollback' && chosen ? (
        <ConfirmAction
          title={`Roll back ${chosen.name}?`}
          confirm={`Roll back ${chosen.name}`}
          danger
          reason
          pending={rollback.isPending}
          error={rollback.error}
          onConfirm={(reason) => rollback.mutate({ stage: chosen.name, ...(reason ? { reason } : {}) })}
          onClose={close}
        >
          {choices.length > 1 ? (
            <div className="field">
              <label htmlFor={`${headingId}-stage`}>Stage to roll back</label>
              <select id={`${headingId}-stage`} value={chosen.index} onChange={(e) => setStageIndex(Number(e.target.value))} disabled={rollback.isPending}>
                {choices.map((c) => (
                  <option key={c.index} value={c.index}>
                    {c.name}
                  </option>
                ))}
              </select>
            </div>
          ) : null}
          <p>
            A rollback release redeploys <strong>{chosen.name}</strong> (environments {chosen.environments.join(', ')}) with snapshot <code>{chosen.to.snapshot}</code>, the version release #{chosen.to.release} promoted there before
            release #{release.number}.
          </p>
          <p>
            {!ended && release.currentStage === chosen.index ? `Release #${release.number}, which stands there, and any other release under way in ${chosen.name} stop.` : `Any release under way in ${chosen.name} stops.`} Then automatic promotion into {chosen.name} is{' '}
            <strong>held</strong> until someone promotes a release into it deliberately.
          </p>
        </ConfirmAction>
      ) : null}
    </section>
  );
}
