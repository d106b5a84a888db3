import type { EnvironmentResponse } from '@slipway/contract';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError } from '../api/api-client.ts';
import { useApi } from '../api/session.tsx';
import { useRefusal } from '../api/whoami.ts';
import { Breadcrumbs } from '../shell/Breadcrumbs.tsx';
import { ErrorMessage, QueryView } from '../shell/feedback.tsx';
import { RelativeTime, StatusBadge, shortSha } from '../shell/format.tsx';
import { StackedTable } from '../shell/StackedTable.tsx';
import { applicationsApi, deployActive } from './applications-api.ts';
import { BreakGlassHistory } from './BreakGlassHistory.tsx';
import { DeployHistory } from './DeployHistory.tsx';
import { DeployTimeline } from './DeployTimeline.tsx';
import { InstanceLogs } from './InstanceLogs.tsx';
import { LockIcon, ProtectedNotice } from './ProtectedBy.tsx';

/**
 * One environment: status, URLs, instances, the latest deploy live, its actions and instance logs;
 * a protected one shows who protects it and how it changes in place of the actions.
 */
export function EnvironmentPage() {
  const params = useParams();
  const app = params.app!;
  const envId = params.env!;
  const api = useApi();
  const queries = useQueryClient();
  // Once it is being deleted, the page watches the list instead: the environment's own address
  // answers 404 the moment teardown ends, and a 404 is an error in the browser's console.
  const deleteAsked = useRef(false);
  const environment = useQuery({
    queryKey: ['environment', envId],
    queryFn: async ({ client }): Promise<EnvironmentResponse | null> => {
      const before = client.getQueryData<EnvironmentResponse | null>(['environment', envId]);
      if (before === null) return null;
      if (!deleteAsked.current && before?.status !== 'deleting') return applicationsApi.environment(api, envId);
      const listed = await applicationsApi.liveEnvironment(api, envId);
      return listed ? { ...before, ...listed } : null;
    },
    refetchInterval: (query) => (query.state.data === null ? false : query.state.data && (deployActive(query.state.data.lastDeploy) || query.state.data.status === 'deleting') ? 1_000 : 10_000),
  });
  const [logOf, setLogOf] = useState<string | undefined>();
  // The deploy whose steps are shown: the latest unless one was chosen in the history.
  const [chosenDeploy, setChosenDeploy] = useState<string | undefined>();
  const reload = () => void queries.invalidateQueries({ queryKey: ['environment', envId] });
  const crumbs = [{ label: 'Applications', to: '/applications' }, { label: app, to: `/applications/${encodeURIComponent(app)}` }, { label: envId }];

  if (environment.data === null || (environment.isError && environment.error instanceof ApiError && environment.error.status === 404)) {
    return (
      <>
        <Breadcrumbs items={crumbs} />
        <h1>{envId}</h1>
        <p role="status">
          Environment {envId} does not exist (any more). <Link to={`/applications/${encodeURIComponent(app)}`}>Back to {app}</Link>
        </p>
      </>
    );
  }
  return (
    <>
      <Breadcrumbs items={crumbs} />
      <QueryView query={environment} what="the environment">
        {(env) =>
          env && (
          <>
            <div className="row">
              <h1>{env.id}</h1>
              {env.protectedBy ? <LockIcon protection={env.protectedBy} /> : null}
              <span role="status" aria-live="polite" aria-label={`Environment status: ${env.status}`}>
                <StatusBadge status={env.status} />
              </span>
            </div>
            {env.reason ? <p className="error">{env.reason}</p> : null}
            <Facts env={env} />
            {env.protectedBy ? (
              <ProtectedNotice envId={env.id} protection={env.protectedBy} />
            ) : (
              <Actions
                env={env}
                onChanged={(deployId) => {
                  setChosenDeploy(deployId);
                  reload();
                }}
                onDelete={() => (deleteAsked.current = true)}
              />
            )}
            <BreakGlassHistory envId={env.id} />
            {env.lastDeploy ? <DeployTimeline key={chosenDeploy ?? env.lastDeploy.id} deployId={chosenDeploy ?? env.lastDeploy.id} onEnd={reload} /> : null}
            <Instances env={env} onLogs={setLogOf} />
            {logOf ? <InstanceLogs key={logOf} envId={env.id} instance={logOf} onClose={() => setLogOf(undefined)} /> : null}
            {env.status !== 'deleting' ? <DeployHistory envId={env.id} lastDeploy={env.lastDeploy && `${env.lastDeploy.id}:${env.lastDeploy.state}`} shown={chosenDeploy ?? env.lastDeploy?.id} onShow={setChosenDeploy} /> : null}
          </>
          )
        }
      </QueryView>
    </>
  );
}

function Facts({ env }: { env: EnvironmentResponse }) {
  const urls = Object.entries(env.urls);
  return (
    <div className="panel">
      <dl className="facts">
        <dt>URLs</dt>
        <dd>
          {urls.length === 0 ? (
            'none'
          ) : (
            <ul className="plain">
              {urls.map(([service, url]) => (
                <li key={service}>
                  <a href={url} target="_blank" rel="noreferrer" aria-label={`Open ${service} of ${env.id}: ${url}`}>
                    {url}
                  </a>{' '}
                  <span className="meta">({service})</span>
                </li>
              ))}
            </ul>
          )}
        </dd>
        <dt>Branch</dt>
        <dd>{env.branch}</dd>
        <dt>Commit</dt>
        <dd className="mono" title={env.commit}>
          {shortSha(env.commit)}
        </dd>
        <dt>Kind</dt>
        <dd>{env.kind}</dd>
        {env.kind === 'ephemeral' ? (
          <>
            <dt>Expires</dt>
            <dd>
              <RelativeTime at={env.expiresAt} />
            </dd>
            {env.idleExpiresAt ? (
              <>
                <dt>Idle deadline</dt>
                <dd>
                  <RelativeTime at={env.idleExpiresAt} /> <span className="meta">unless used (idle timeout {env.idleTimeout})</span>
                </dd>
              </>
            ) : null}
          </>
        ) : null}
        <dt>Last activity</dt>
        <dd>
          <RelativeTime at={env.lastActivityAt} />
        </dd>
        <dt>Created</dt>
        <dd>
          <RelativeTime at={env.createdAt} />
        </dd>
      </dl>
    </div>
  );
}

const TTLS = ['4h', '24h', '72h', '7d'];

/** onChanged gets the deploy an action queued (deploy, delete), whose steps the page then shows. */
function Actions({ env, onChanged, onDelete }: { env: EnvironmentResponse; onChanged: (deployId?: string) => void; onDelete: () => void }) {
  const api = useApi();
  const queries = useQueryClient();
  const id = useId();
  const [commit, setCommit] = useState('');
  const [ttl, setTtl] = useState('24h');
  const dialog = useRef<HTMLDialogElement>(null);
  const done = (deployId?: string) => {
    onChanged(deployId);
    void queries.invalidateQueries({ queryKey: ['environments'] });
  };
  const deploy = useMutation({
    mutationFn: () => applicationsApi.deploy(api, env.id, commit.trim() || undefined),
    onSuccess: (queued) => {
      setCommit('');
      done(queued.id);
    },
  });
  const extend = useMutation({ mutationFn: () => applicationsApi.extendEnvironment(api, env.id, ttl), onSuccess: () => done() });
  // Pause stops its services, data kept; resume answers once they are ready again.
  const pause = useMutation({ mutationFn: () => applicationsApi.pauseEnvironment(api, env.id), onSuccess: () => done() });
  const resume = useMutation({ mutationFn: () => applicationsApi.resumeEnvironment(api, env.id), onSuccess: () => done() });
  const paused = env.status === 'paused';
  const pausable = env.status === 'ready' || env.status === 'failed' || env.status === 'errored';
  const remove = useMutation({
    mutationFn: () => {
      onDelete();
      return applicationsApi.deleteEnvironment(api, env.id);
    },
    onSuccess: (answer) => done(answer.deploy.id),
  });
  const refusal = useRefusal('developer', 'deploying, extending, pausing or deleting an environment');
  const locked = env.status === 'deleting' || env.status === 'deleted' || !!refusal;
  const submitDeploy = (event: FormEvent) => {
    event.preventDefault();
    deploy.mutate();
  };
  const submitExtend = (event: FormEvent) => {
    event.preventDefault();
    extend.mutate();
  };
  const failed = [deploy.isError && { error: deploy.error, failed: 'Could not deploy' }, extend.isError && { error: extend.error, failed: 'Could not extend the environment' }, pause.isError && { error: pause.error, failed: 'Could not pause the environment' }, resume.isError && { error: resume.error, failed: 'Could not resume the environment' }, remove.isError && { error: remove.error, failed: 'Could not delete the environment' }].filter(
    (x) => !!x,
  );

  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Actions</h2>
      {refusal ? <p className="hint">{refusal}</p> : null}
      <div className="actions">
        <form className="actions" onSubmit={submitDeploy}>
          <div className="field">
            <label htmlFor={`${id}-commit`}>Commit to deploy</label>
            <input id={`${id}-commit`} value={commit} onChange={(e) => setCommit(e.target.value)} placeholder={`head of ${env.branch}`} pattern="[0-9a-f]{4,40}" title="a commit sha (hex); empty for the branch's head" size={16} />
          </div>
          <button type="submit" disabled={locked || deploy.isPending}>
            {deploy.isPending ? 'Deploying…' : 'Deploy'}
          </button>
        </form>
        {env.kind === 'ephemeral' ? (
          <form className="actions" onSubmit={submitExtend}>
            <div className="field">
              <label htmlFor={`${id}-ttl`}>Expire in</label>
              <select id={`${id}-ttl`} value={ttl} onChange={(e) => setTtl(e.target.value)}>
                {TTLS.map((t) => (
                  <option key={t} value={t}>
                    {t} from now
                  </option>
                ))}
              </select>
            </div>
            <button type="submit" className="secondary" disabled={locked || extend.isPending}>
              Extend
            </button>
          </form>
        ) : null}
        {paused ? (
          <button type="button" className="secondary" disabled={locked || resume.isPending} onClick={() => resume.mutate()} title="start its services again (no job runs) and route to them once ready">
            {resume.isPending ? 'Resuming…' : 'Resume'}
          </button>
        ) : (
          <button type="button" className="secondary" disabled={locked || !pausable || pause.isPending} onClick={() => pause.mutate()} title="stop its services, keeping their data; its URLs answer a paused page until it is resumed">
            {pause.isPending ? 'Pausing…' : 'Pause'}
          </button>
        )}
        <span className="spacer" />
        <button type="button" className="danger" disabled={locked || remove.isPending} onClick={() => dialog.current?.showModal()}>
          Delete environment
        </button>
      </div>
      {failed.map((f) => (
        <ErrorMessage key={f.failed} error={f.error} failed={f.failed} />
      ))}
      <dialog ref={dialog} aria-labelledby={`${id}-confirm`}>
        <form method="dialog" onSubmit={(e) => e.preventDefault()}>
          <p id={`${id}-confirm`}>
            Delete environment <strong>{env.id}</strong>? Its services stop and its data is removed.
          </p>
          <div className="actions">
            <button
              type="button"
              className="danger"
              onClick={() => {
                dialog.current?.close();
                remove.mutate();
              }}
            >
              Delete {env.id}
            </button>
            <button type="button" className="secondary" onClick={() => dialog.current?.close()} autoFocus>
              Cancel
            </button>
          </div>
        </form>
      </dialog>
    </section>
  );
}

function Instances({ env, onLogs }: { env: EnvironmentResponse; onLogs: (name: string) => void }) {
  const id = useId();
  const instances = env.instances ?? [];
  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Services and instances</h2>
      {instances.length === 0 ? (
        <p className="empty">No instances run{env.status === 'deploying' || env.status === 'queued' ? ' yet' : ''}. Static sites are served by the router and have none.</p>
      ) : (
        <StackedTable
          labelledBy={`${id}-heading`}
          rows={instances}
          rowKey={(instance) => instance.name}
          columns={[
            {
              label: 'Instance',
              cell: (instance) => (
                <>
                  {instance.name}
                  <div className="meta">service {instance.service}</div>
                  {instance.message ? <div className="meta">{instance.message}</div> : null}
                </>
              ),
            },
            { label: 'State', cell: (instance) => <StatusBadge status={instance.state} /> },
            { label: 'Restarts', cell: (instance) => instance.restarts },
            { label: 'Started', cell: (instance) => <RelativeTime at={instance.startedAt} /> },
            {
              label: 'Log',
              hidden: true,
              cell: (instance) => (
                <button type="button" className="secondary" onClick={() => onLogs(instance.name)} aria-label={`Show the log of ${instance.name}`}>
                  Log
                </button>
              ),
            },
          ]}
        />
      )}
    </section>
  );
}
