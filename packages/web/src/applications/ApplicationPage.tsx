import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { useApi } from '../api/session.tsx';
import { Breadcrumbs } from '../shell/Breadcrumbs.tsx';
import { QueryView } from '../shell/feedback.tsx';
import { shortSha } from '../shell/format.tsx';
import { applicationsApi } from './applications-api.ts';
import { CreateEnvironment } from './CreateEnvironment.tsx';
import { EnvironmentsTable } from './EnvironmentsTable.tsx';

/** An application: what it is, its live environments, and a form for a new one. */
export function ApplicationPage() {
  const name = useParams().app!;
  const api = useApi();
  const application = useQuery({ queryKey: ['application', name], queryFn: () => applicationsApi.get(api, name) });
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
            <EnvironmentsTable app={name} />
            {app.repositoryUrl ? <CreateEnvironment app={name} /> : <p className="hint">Environments of an application registered from a manifest are made with the CLI.</p>}
          </>
        )}
      </QueryView>
    </>
  );
}
