import type { DeployResponse } from '@slipway/contract';
import { useEffect, useEffectEvent, useId, useState } from 'react';
import { useApi } from '../api/session.tsx';
import { ErrorMessage, Loading } from '../shell/feedback.tsx';
import { RelativeTime, StatusBadge, duration } from '../shell/format.tsx';
import { applicationsApi } from './applications-api.ts';
import { DeployLog } from './DeployLog.tsx';

type Task = NonNullable<DeployResponse['tasks']>[number];

/**
 * A deploy as a timeline of its steps, live: it follows the deploy's server-sent events until the
 * deploy has finished, then calls onEnd (the page reloads the environment).
 */
export function DeployTimeline({ deployId, onEnd }: { deployId: string; onEnd?: () => void }) {
  const api = useApi();
  const id = useId();
  const [deploy, setDeploy] = useState<DeployResponse | undefined>();
  const [error, setError] = useState<unknown>();
  const [attempt, setAttempt] = useState(0);
  const [output, setOutput] = useState(false);
  const ended = useEffectEvent(() => onEnd?.());

  useEffect(() => {
    const abort = new AbortController();
    void (async () => {
      try {
        for await (const message of applicationsApi.deployEvents(api, deployId, abort.signal)) {
          if (message.event === 'deploy') setDeploy(JSON.parse(message.data) as DeployResponse);
          else if (message.event === 'end') ended();
          else if (message.event === 'error') setError(new Error((JSON.parse(message.data) as { message: string }).message));
        }
      } catch (e) {
        if (!abort.signal.aborted) setError(e);
      }
    })();
    return () => abort.abort();
  }, [api, deployId, attempt]);

  if (error && !deploy) return <ErrorMessage error={error} what="the deploy's progress" retry={() => (setError(undefined), setAttempt((n) => n + 1))} />;
  if (!deploy) return <Loading what="the deploy's progress" />;
  const tasks = [...(deploy.tasks ?? [])].sort((a, b) => a.step - b.step);
  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <div className="row">
        <h2 id={`${id}-heading`}>
          Deploy #{deploy.seq} · {deploy.workflow}
        </h2>
        <span role="status" aria-live="polite">
          <StatusBadge status={deploy.state} label={deploy.state === 'running' ? 'running…' : deploy.state} />
        </span>
        <span className="spacer" />
        <span className="meta">
          {deploy.requestedBy ? `by ${deploy.requestedBy} · ` : ''}
          <RelativeTime at={deploy.createdAt} />
          {deploy.finishedAt ? ` · took ${duration(deploy.startedAt ?? deploy.createdAt, deploy.finishedAt)}` : ''}
        </span>
      </div>
      {deploy.reason ? <p className="error">{deploy.reason}</p> : null}
      {tasks.length === 0 ? (
        <p className="hint">Waiting for the workflow engine to plan the deploy…</p>
      ) : (
        <ol className="timeline" aria-label={`Steps of deploy #${deploy.seq}`}>
          {tasks.map((task) => (
            <TimelineItem key={task.key} task={task} />
          ))}
        </ol>
      )}
      <button type="button" className="secondary" aria-expanded={output} onClick={() => setOutput(!output)}>
        {output ? 'Hide output' : 'Show output'}
      </button>
      {output ? <DeployLog deployId={deploy.id} seq={deploy.seq} /> : null}
      {error ? <ErrorMessage error={error} what="further progress" retry={() => (setError(undefined), setAttempt((n) => n + 1))} /> : null}
    </section>
  );
}

function TimelineItem({ task }: { task: Task }) {
  const label = task.kind === 'source' ? 'Check out and build' : `${task.stepName}: ${task.kind === 'remove-environment' ? 'remove the environment' : `${task.kind} ${task.name ?? ''}`}`;
  const took = duration(task.startedAt, task.finishedAt);
  return (
    <li>
      <span className={`dot ${task.state}`} aria-hidden="true" />
      <div>
        <div>{label}</div>
        {task.reason ? <div className="reason">{task.reason}</div> : null}
      </div>
      <div className="meta">
        <StatusBadge status={task.state} />
        {took && task.state !== 'pending' ? <span className="hide-narrow"> {took}</span> : null}
      </div>
    </li>
  );
}
