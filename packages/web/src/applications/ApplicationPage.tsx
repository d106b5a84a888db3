import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { useApi } from '../api/session.tsx';
import { Breadcrumbs } from '../shell/Breadcrumbs.tsx';
import { QueryView } from '../shell/feedback.tsx';
import { RelativeTime, StatusBadge, shortSha } from '../shell/format.tsx';
import { applicationsApi } from './applications-api.ts';
import { CreateEnvironment } from './CreateEnvironment.tsx';
import { LockIcon } from './ProtectedBy.tsx';

/** An application: what it is, its live environments, and a form for a new one. */
export function ApplicationPage() {
  const name = useParams().app!;
  const api = useApi();
  const application = useQuery({ queryKey: ['application', name], queryFn: () => applicationsApi.get(api, name) });
  const environments = useQuery({ queryKey: ['environments', name], queryFn: () => applicationsApi.environments(api, name), refetchInterval: 3_000 });
  return (
    <>
      <Breadcrumbs items={[{ label: 'Applications', to: '/applications' }, { label: name }]} />
      <h1>{name}</h1>
      <QueryView query={application} what="the application">
        {(app) => (
          <>
            <dl className="facts panel">
              <dt>Repository</dt>
              <dd>{app.repositoryUrl ?? 'none (registered from a manifest)'}</dd>
              {app.trackingBranch ? (
                <>
                  <dt>Tracking branch</dt>
                  <dd>{app.trackingBranch}</dd>
                </>
              ) : null}
              <dt>Template version</dt>
              <dd className="mono">{shortSha(app.currentVersion)}</dd>
            </dl>
            <h2 id="environments-heading">Environments</h2>
            <QueryView query={environments} what="environments">
              {(items) =>
                items.length === 0 ? (
                  <p className="empty">No environments of {name} yet.</p>
                ) : (
                  <div className="table-wrap">
                    <table aria-labelledby="environments-heading">
                      <thead>
                        <tr>
                          <th scope="col">Environment</th>
                          <th scope="col">Status</th>
                          <th scope="col">Branch</th>
                          <th scope="col" className="hide-narrow">
                            Commit
                          </th>
                          <th scope="col" className="hide-narrow">
                            Expires
                          </th>
                        </tr>
                      </thead>
                      <tbody>
                        {items.map((env) => (
                          <tr key={env.id}>
                            <td>
                              <Link to={`/applications/${encodeURIComponent(name)}/environments/${encodeURIComponent(env.id)}`}>{env.id}</Link>
                              {env.protectedBy ? (
                                <>
                                  {' '}
                                  <LockIcon protection={env.protectedBy} />
                                </>
                              ) : null}
                            </td>
                            <td>
                              <StatusBadge status={env.status} />
                            </td>
                            <td>{env.branch}</td>
                            <td className="mono hide-narrow">{shortSha(env.commit)}</td>
                            <td className="hide-narrow">{env.kind === 'permanent' ? 'never' : <RelativeTime at={env.expiresAt} />}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )
              }
            </QueryView>
            {app.repositoryUrl ? <CreateEnvironment app={name} /> : <p className="hint">Environments of an application registered from a manifest are made with the CLI.</p>}
          </>
        )}
      </QueryView>
    </>
  );
}
