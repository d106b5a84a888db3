import { useEffect, useState } from 'react';
import { useApi } from '../api/session.tsx';
import { ErrorMessage } from '../shell/feedback.tsx';

/** A deploy's output (task starts and ends, build and job output), streamed until the deploy has finished. */
export function DeployLog({ deployId, seq }: { deployId: string; seq: number }) {
  const api = useApi();
  const [lines, setLines] = useState<string[]>([]);
  const [done, setDone] = useState(false);
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    const abort = new AbortController();
    setLines([]);
    setDone(false);
    void (async () => {
      try {
        for await (const line of api.lines(`/api/v1/deploys/${encodeURIComponent(deployId)}/log`, { query: { follow: 'true' }, signal: abort.signal })) {
          setLines((current) => [...current, line].slice(-5_000));
        }
        if (!abort.signal.aborted) setDone(true);
      } catch (e) {
        if (!abort.signal.aborted) setError(e);
      }
    })();
    return () => abort.abort();
  }, [api, deployId]);

  if (error) return <ErrorMessage error={error} what={`the output of deploy #${seq}`} />;
  return (
    <pre className="log" role="log" aria-label={`Output of deploy #${seq}`} tabIndex={0}>
      {lines.length ? lines.join('\n') : done ? 'No output.' : 'Loading…'}
    </pre>
  );
}
