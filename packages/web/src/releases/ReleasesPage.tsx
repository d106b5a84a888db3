import { useQuery } from '@tanstack/react-query';
import type { ReleaseResponse } from '@slipway/contract';
import { Link, Navigate, Route, Routes, useParams } from 'react-router';
import { useApi } from '../api/session.tsx';
import { usePagedList } from '../api/use-paged-list.ts';
import { ErrorMessage, Loading, QueryView } from '../shell/feedback.tsx';
import { ShowMore } from '../shell/ShowMore.tsx';
import { ReleaseDetail } from './ReleaseDetail.tsx';
import { describeRoles, StateBadge, Time } from './release-format.tsx';
import { RELEASE_POLL_MS, releasesApi } from './releases-api.ts';
import { StartRelease } from './StartRelease.tsx';
import { TrackPipeline } from './TrackPipeline.tsx';
import './releases.css';

/** Releases a page of a track's list holds: the API's default page. */
const RELEASES_PAGE = 100;

/** The release tracks of the workspace; with only one, straight to it. */
function TrackList() {
  const api = useApi();
  const tracks = useQuery({ queryKey: ['tracks'], queryFn: () => releasesApi.tracks(api) });
  return (
    <>
      <h1>Releases</h1>
      <QueryView query={tracks} what="release tracks">
        {(items) =>
          items.length === 0 ? (
            <p className="empty">
              No release tracks yet. Register one with <code>slipway tracks create</code>.
            </p>
          ) : items.length === 1 ? (
            <Navigate to={`tracks/${encodeURIComponent(items[0]!.name)}`} replace />
          ) : (
            <ul className="cards">
              {items.map((t) => (
                <li key={t.name} className="card">
                  <h2>
                    <Link to={`tracks/${encodeURIComponent(t.name)}`}>{t.name}</Link>
                  </h2>
                  <p className="meta">
                    {t.applicationSet ? `set ${t.applicationSet} · ` : ''}
                    {t.releaseStages.map((s) => s.name).join(' → ')}
                  </p>
                </li>
              ))}
            </ul>
          )
        }
      </QueryView>
    </>
  );
}

/** Releases standing in a stage that waits for approvals: where people go to approve or reject. */
function PendingApprovals({ releases }: { releases: ReleaseResponse[] }) {
  const waiting = releases.flatMap((r) => {
    const stage = r.currentStage !== undefined ? r.stages[r.currentStage] : undefined;
    return stage && stage.state === 'AwaitingApproval' && stage.missingApprovals.length ? [{ release: r, stage }] : [];
  });
  if (waiting.length === 0) return null;
  return (
    <section aria-labelledby="pending-approvals" className="pending-approvals">
      <h2 id="pending-approvals">Pending approvals</h2>
      <ul>
        {waiting.map(({ release, stage }) => (
          <li key={release.id}>
            <Link to={`/releases/${release.number}`}>Review release #{release.number}</Link> in {stage.name}: missing {describeRoles(stage.missingApprovals)}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** A track as a pipeline, and its releases, newest first; both looked at again every few seconds. */
function TrackPage() {
  const { name = '' } = useParams();
  const api = useApi();
  const view = useQuery({ queryKey: ['track-view', name], queryFn: () => releasesApi.trackView(api, name), refetchInterval: RELEASE_POLL_MS });
  const releases = usePagedList({ queryKey: ['releases', name], page: (cursor) => releasesApi.list(api, name, cursor), refetchInterval: RELEASE_POLL_MS });
  const items = releases.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      <p className="crumbs">
        <Link to="/releases">← Release tracks</Link>
      </p>
      <h1>Track {name}</h1>
      <QueryView query={view} what={`track ${name}`}>
        {(v) => (
          <>
            {v.applicationSet ? <p className="meta">Releases of application set {v.applicationSet}</p> : null}
            {releases.data ? <PendingApprovals releases={items} /> : null}
            <StartRelease view={v} />
            <TrackPipeline view={v} />
          </>
        )}
      </QueryView>
      <section aria-labelledby="track-releases">
        <h2 id="track-releases">Releases</h2>
        {releases.isPending ? (
          <Loading what="releases" />
        ) : releases.isError ? (
          <ErrorMessage error={releases.error} what="releases" retry={() => void releases.refetch()} />
        ) : items.length === 0 ? (
              <p className="empty">
                No releases on this track yet. A release manager starts one above, or with <code>slipway releases create &lt;snapshot&gt;</code>.
              </p>
            ) : (
              <ul className="release-list">
                {items.map((r) => (
                  <li key={r.id}>
                    <Link to={`/releases/${r.number}`}>
                      #{r.number} {r.snapshot.alias}
                    </Link>{' '}
                    <StateBadge state={r.state} />
                    <span className="meta">
                      {' '}
                      {r.kind} · {r.currentStage !== undefined ? `at ${r.stages[r.currentStage]?.name}` : 'not started'} · by {r.author} · <Time at={r.createdAt} />
                    </span>
                  </li>
                ))}
              </ul>
        )}
        <ShowMore list={releases} shown={items.length} pageSize={RELEASES_PAGE} what="releases" />
      </section>
    </>
  );
}

/** Routes below /releases: the tracks, a track's pipeline, one release. */
export function ReleasesPage() {
  return (
    <Routes>
      <Route index element={<TrackList />} />
      <Route path="tracks/:name" element={<TrackPage />} />
      <Route path=":ref" element={<ReleaseDetail />} />
    </Routes>
  );
}
