import { Link } from 'react-router';
import { useApi } from '../api/session.tsx';
import { usePagedList } from '../api/use-paged-list.ts';
import { ErrorMessage, Loading } from '../shell/feedback.tsx';
import { ShowMore } from '../shell/ShowMore.tsx';
import { applicationsApi } from './applications-api.ts';

/** Applications a page shows: the API's default page. */
const APPLICATIONS_PAGE = 100;

export function ApplicationsList() {
  const api = useApi();
  // Each application comes with its count of live environments: the page never reads every environment.
  const applications = usePagedList({ queryKey: ['applications'], page: (cursor) => applicationsApi.page(api, cursor), refetchInterval: 5_000 });
  const items = applications.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      <h1>Applications</h1>
      {applications.isPending ? (
        <Loading what="applications" />
      ) : applications.isError ? (
        <ErrorMessage error={applications.error} what="applications" retry={() => void applications.refetch()} />
      ) : items.length === 0 ? (
            <p className="empty">
              No applications yet. Register one with <code>slipway apps create</code>.
            </p>
          ) : (
            <ul className="cards">
              {items.map((app) => {
                return (
                  <li key={app.name} className="card">
                    <h2>
                      <Link to={`/applications/${encodeURIComponent(app.name)}`}>{app.name}</Link>
                    </h2>
                    <p className="meta">
                      {app.repositoryUrl ? <span title="repository">{app.repositoryUrl}</span> : <span>no repository</span>}
                      {app.trackingBranch ? <span> · tracks {app.trackingBranch}</span> : null}
                    </p>
                    <p>{app.liveEnvironments === undefined ? '…' : `${app.liveEnvironments} environment${app.liveEnvironments === 1 ? '' : 's'}`}</p>
                  </li>
                );
              })}
            </ul>
      )}
      <ShowMore list={applications} shown={items.length} pageSize={APPLICATIONS_PAGE} what="applications" />
    </>
  );
}
