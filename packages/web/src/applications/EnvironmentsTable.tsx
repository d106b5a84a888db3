import { Link } from 'react-router';
import { useApi } from '../api/session.tsx';
import { usePagedList } from '../api/use-paged-list.ts';
import { ErrorMessage, Loading } from '../shell/feedback.tsx';
import { RelativeTime, StatusBadge, shortSha } from '../shell/format.tsx';
import { ShowMore } from '../shell/ShowMore.tsx';
import { applicationsApi } from './applications-api.ts';
import { LockIcon } from './ProtectedBy.tsx';

/** Environments per page: a table this long renders at once; more come with "Show more". */
const PAGE_SIZE = 100;

/** An application's live environments by id, a page at a time: an application with 10,000 stays quick to open. */
export function EnvironmentsTable({ app }: { app: string }) {
  const api = useApi();
  const environments = usePagedList({ queryKey: ['environments', app], page: (cursor) => applicationsApi.environments(api, { app, cursor, limit: PAGE_SIZE }), refetchInterval: 3_000 });
  if (environments.isPending) return <Loading what="environments" />;
  if (environments.isError) return <ErrorMessage error={environments.error} what="environments" retry={() => void environments.refetch()} />;
  const items = environments.data.pages.flatMap((page) => page.items);
  if (items.length === 0) return <p className="empty">No environments of {app} yet.</p>;
  return (
    <>
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
                  <Link to={`/applications/${encodeURIComponent(app)}/environments/${encodeURIComponent(env.id)}`}>{env.id}</Link>
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
      <ShowMore list={environments} shown={items.length} pageSize={PAGE_SIZE} what="environments" />
    </>
  );
}
