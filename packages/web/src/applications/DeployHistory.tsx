import { useId } from 'react';
import { useApi } from '../api/session.tsx';
import { usePagedList } from '../api/use-paged-list.ts';
import { ErrorMessage, Loading } from '../shell/feedback.tsx';
import { RelativeTime, StatusBadge, shortSha } from '../shell/format.tsx';
import { ShowMore } from '../shell/ShowMore.tsx';
import { StackedTable } from '../shell/StackedTable.tsx';
import { applicationsApi } from './applications-api.ts';

/** Deploys a page holds: the API's default page. */
const DEPLOYS_PAGE = 100;

/** The deploys of an environment, newest first, a page at a time; choosing one shows its timeline above. */
export function DeployHistory({ envId, lastDeploy, shown, onShow }: { envId: string; lastDeploy: string | undefined; shown: string | undefined; onShow: (deployId: string) => void }) {
  const api = useApi();
  const id = useId();
  // Keyed by the latest deploy and its state ("<id>:<state>"), so a new or finished deploy refreshes the list.
  const deploys = usePagedList({ queryKey: ['deploys', envId, lastDeploy], page: (cursor) => applicationsApi.deploys(api, envId, cursor) });
  const items = deploys.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Deploys</h2>
      {deploys.isPending ? (
        <Loading what="the deploys" />
      ) : deploys.isError ? (
        <ErrorMessage error={deploys.error} what="the deploys" retry={() => void deploys.refetch()} />
      ) : (
        <>
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
          <ShowMore list={deploys} shown={items.length} pageSize={DEPLOYS_PAGE} what="deploys" />
        </>
      )}
    </section>
  );
}
