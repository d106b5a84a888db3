import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { useApi } from '../api/session.tsx';
import { QueryView } from '../shell/feedback.tsx';
import { applicationsApi } from './applications-api.ts';

export function ApplicationsList() {
  const api = useApi();
  // Each application comes with its count of live environments: the page never reads every environment.
  const applications = useQuery({ queryKey: ['applications'], queryFn: () => applicationsApi.list(api), refetchInterval: 5_000 });
  return (
    <>
      <h1>Applications</h1>
      <QueryView query={applications} what="applications">
        {(items) =>
          items.length === 0 ? (
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
          )
        }
      </QueryView>
    </>
  );
}
