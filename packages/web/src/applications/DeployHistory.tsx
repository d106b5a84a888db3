import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { useApi } from '../api/session.tsx';
import { QueryView } from '../shell/feedback.tsx';
import { RelativeTime, StatusBadge, shortSha } from '../shell/format.tsx';
import { applicationsApi } from './applications-api.ts';

/** Every deploy of an environment, newest first; choosing one shows its timeline above. */
export function DeployHistory({ envId, lastDeploy, shown, onShow }: { envId: string; lastDeploy: string | undefined; shown: string | undefined; onShow: (deployId: string) => void }) {
  const api = useApi();
  const id = useId();
  // Keyed by the latest deploy and its state ("<id>:<state>"), so a new or finished deploy refreshes the list.
  const deploys = useQuery({ queryKey: ['deploys', envId, lastDeploy], queryFn: () => applicationsApi.deploys(api, envId) });
  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Deploys</h2>
      <QueryView query={deploys} what="the deploys">
        {(items) => (
          <div className="table-wrap">
            <table className="stack-narrow" aria-labelledby={`${id}-heading`}>
              <thead>
                <tr>
                  <th scope="col">Deploy</th>
                  <th scope="col">State</th>
                  <th scope="col">Commit</th>
                  <th scope="col">By</th>
                  <th scope="col">When</th>
                  <th scope="col">
                    <span className="visually-hidden">Timeline</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((deploy) => (
                  <tr key={deploy.id}>
                    <td data-label="Deploy">
                      #{deploy.seq} {deploy.workflow}
                    </td>
                    <td data-label="State">
                      <StatusBadge status={deploy.state} />
                    </td>
                    <td data-label="Commit" className="mono">
                      {shortSha(deploy.commit)}
                    </td>
                    <td data-label="By">{deploy.requestedBy ?? '—'}</td>
                    <td data-label="When">
                      <RelativeTime at={deploy.createdAt} />
                    </td>
                    <td data-label="">
                      <button type="button" className="secondary" aria-pressed={deploy.id === shown} aria-label={`Show the steps of deploy #${deploy.seq}`} onClick={() => onShow(deploy.id)}>
                        Steps
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </section>
  );
}
