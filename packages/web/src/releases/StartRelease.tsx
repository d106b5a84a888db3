import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { TrackViewResponse } from '@slipway/contract';
import { useNavigate } from 'react-router';
import { useApi } from '../api/session.tsx';
import { ErrorMessage, Loading } from '../shell/feedback.tsx';
import { ConfirmAction } from './ConfirmAction.tsx';
import { describeComponents, Time } from './release-format.tsx';
import { releasesApi } from './releases-api.ts';

type Lane = TrackViewResponse['lanes'][number];

/** The dialog's body: which snapshot, which lane, and what happens when it is confirmed. */
function StartReleaseDialog({ view, hotfix: startAsHotfix, onClose }: { view: TrackViewResponse; hotfix: boolean; onClose: () => void }) {
  const api = useApi();
  const queries = useQueryClient();
  const navigate = useNavigate();
  const ids = { snapshot: useId(), hotfix: useId() };
  const snapshots = useQuery({ queryKey: ['snapshots', view.applicationSet ?? ''], queryFn: () => releasesApi.snapshots(api, view.applicationSet) });
  const [picked, setPicked] = useState<string>();
  const [hotfix, setHotfix] = useState(startAsHotfix);
  const create = useMutation({
    mutationFn: (body: { snapshot: string; hotfix: boolean }) => releasesApi.create(api, { ...body, track: view.track }),
    onSuccess: (made) => {
      queries.setQueryData(['release', String(made.number)], made);
      void queries.invalidateQueries({ queryKey: ['track-view'] });
      void queries.invalidateQueries({ queryKey: ['releases'] });
      onClose();
      void navigate(`/releases/${made.number}`);
    },
  });
  const releasable = (snapshots.data?.items ?? []).filter((s) => s.kind === 'release');
  const snapshot = releasable.find((s) => s.id === picked) ?? releasable[0];
  const lane: Lane | undefined = view.lanes.find((l) => l.kind === (hotfix ? 'hotfix' : 'release'));
  const first = lane?.stages[0];
  const allowed = hotfix ? view.actions.startHotfix : view.actions.createRelease;
  const kind = hotfix ? 'hotfix' : 'release';
  return (
    <ConfirmAction
      title={hotfix ? `Start a hotfix on ${view.track}` : `Create a release on ${view.track}`}
      confirm={snapshot ? `${hotfix ? 'Start hotfix' : 'Create release'} of ${snapshot.alias}` : hotfix ? 'Start hotfix' : 'Create release'}
      pending={create.isPending}
      error={create.error}
      onConfirm={() => snapshot && create.mutate({ snapshot: snapshot.id, hotfix })}
      onClose={onClose}
    >
      {snapshots.isPending ? (
        <Loading what="snapshots" />
      ) : snapshots.isError ? (
        <ErrorMessage error={snapshots.error} what="snapshots" />
      ) : releasable.length === 0 ? (
        <p className="empty">
          No snapshot of {view.applicationSet ? `set ${view.applicationSet}` : 'this workspace'} yet. Make one with <code>slipway snapshots create {view.applicationSet ?? '<set>'}</code>.
        </p>
      ) : (
        <div className="field">
          <label htmlFor={ids.snapshot}>Snapshot</label>
          <select id={ids.snapshot} value={snapshot?.id} onChange={(e) => setPicked(e.target.value)} disabled={create.isPending}>
            {releasable.map((s) => (
              <option key={s.id} value={s.id}>
                {s.alias} — {describeComponents(s)}
              </option>
            ))}
          </select>
          {snapshots.data.nextCursor ? (
            <p className="hint">
              The newest {snapshots.data.items.length} snapshots; there are older ones. Release an older one with <code>slipway releases create &lt;snapshot&gt; --track {view.track}</code>.
            </p>
          ) : null}
        </div>
      )}
      {view.actions.createRelease.allowed && view.actions.startHotfix.allowed ? (
        <label className="check" htmlFor={ids.hotfix}>
          <input id={ids.hotfix} type="checkbox" checked={hotfix} onChange={(e) => setHotfix(e.target.checked)} disabled={create.isPending} /> Hotfix: follow the hotfix stages
        </label>
      ) : null}
      {!allowed.allowed ? (
        <p className="cannot" role="note">
          <strong>You cannot start a {kind} here:</strong> {allowed.reason}
        </p>
      ) : snapshot && lane && first ? (
        <p>
          A new {kind} of snapshot <code>{snapshot.alias}</code> (made by {snapshot.createdBy} <Time at={snapshot.createdAt} />: {describeComponents(snapshot)}) follows the {kind} stages {lane.stages.map((s) => s.name).join(' → ')}. It enters{' '}
          <strong>{first.name}</strong> at once and deploys to {first.environments.join(', ')}; each later stage only when the gates before it hold.
        </p>
      ) : null}
    </ConfirmAction>
  );
}

/** Create a release or start a hotfix from a snapshot of the track's set, for those the server lets (the track view's actions). */
export function StartRelease({ view }: { view: TrackViewResponse }) {
  const [open, setOpen] = useState<'release' | 'hotfix'>();
  const headingId = useId();
  const { createRelease, startHotfix } = view.actions;
  if (!createRelease.allowed && !startHotfix.allowed) return null;
  return (
    <section className="release-actions" aria-labelledby={headingId}>
      <h2 id={headingId}>Start a release</h2>
      <div className="actions">
        {createRelease.allowed ? (
          <button type="button" onClick={() => setOpen('release')}>
            Create release…
          </button>
        ) : null}
        {startHotfix.allowed ? (
          <button type="button" className="secondary" onClick={() => setOpen('hotfix')}>
            Start a hotfix…
          </button>
        ) : null}
      </div>
      {open ? <StartReleaseDialog view={view} hotfix={open === 'hotfix'} onClose={() => setOpen(undefined)} /> : null}
    </section>
  );
}
