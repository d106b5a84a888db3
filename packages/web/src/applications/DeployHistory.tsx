import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { useApi } from '../api/session.tsx';
import { QueryView } from '../shell/feedback.tsx';
import { RelativeTime, StatusBadge, shortSha } from '../shell/format.tsx';
import { StackedTable } from '../shell/StackedTable.tsx';
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
          <StackedTable
            labelledBy={`${id}-heading`}
            rows={items}
            rowKey={(deploy) => deploy.id}
            columns={[
              { label: 'Deploy', cell: (deploy) => `#${deploy.seq} ${deploy.workflow}` },
              { label: 'State', cell: (deploy) => <StatusBadge status={deploy.state} /> },
              { label: 'Commit', className: 'mono', cell: (deploy) => shortSha(deploy.commit) },
              { label: 'By', cell: (deploy) => deploy.requestedBy ?? '—' },
              { label: 'When', cell: (deploy) => <RelativeTime at={deploy.createdAt} /> },
              {
                label: 'Timeline',
                hidden: true,
                cell: (deploy) => (
                  <button type="button" className="secondary" aria-pressed={deploy.id === shown} aria-label={`Show the steps of deploy #${deploy.seq}`} onClick={() => onShow(deploy.id)}>
                    Steps
                  </button>
                ),
              },
            ]}
          />
        )}
      </QueryView>
    </section>
  );
}
