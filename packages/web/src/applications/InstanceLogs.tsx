import { Fragment, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { useApi } from '../api/session.tsx';
import { ErrorMessage } from '../shell/feedback.tsx';
import { applicationsApi } from './applications-api.ts';

const TAIL = 500;
const KEEP = 5_000;

/** An instance's log: the last lines, then (when following) new lines live; a search filters and marks lines. */
export function InstanceLogs({ envId, instance, onClose }: { envId: string; instance: string; onClose: () => void }) {
  const api = useApi();
  const id = useId();
  const [lines, setLines] = useState<string[]>([]);
  const [follow, setFollow] = useState(true);
  const [search, setSearch] = useState('');
  const [state, setState] = useState<'loading' | 'streaming' | 'ended'>('loading');
  const [error, setError] = useState<unknown>();
  const [attempt, setAttempt] = useState(0);
  const logRef = useRef<HTMLPreElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    setLines([]);
    setError(undefined);
    setState('loading');
    void (async () => {
      try {
        // Lines come in bursts; gather 50 ms of them before rendering.
        let pending: string[] = [];
        let scheduled = false;
        const flush = () => {
          scheduled = false;
          const batch = pending;
          pending = [];
          setLines((current) => [...current, ...batch].slice(-KEEP));
        };
        setState('streaming');
        for await (const line of applicationsApi.instanceLogs(api, envId, instance, { follow, tail: TAIL, signal: abort.signal })) {
          pending.push(line);
          if (!scheduled) {
            scheduled = true;
            setTimeout(flush, 50);
          }
        }
        flush();
        if (!abort.signal.aborted) setState('ended');
      } catch (e) {
        if (!abort.signal.aborted) {
          setError(e);
          setState('ended');
        }
      }
    })();
    return () => abort.abort();
  }, [api, envId, instance, follow, attempt]);

  // Keep the newest line in view while following, unless the reader scrolled up.
  useEffect(() => {
    const log = logRef.current;
    if (log && follow && log.scrollHeight - log.scrollTop - log.clientHeight < 80) log.scrollTop = log.scrollHeight;
  }, [lines, follow]);

  const needle = search.trim().toLowerCase();
  const shown = needle ? lines.filter((line) => line.toLowerCase().includes(needle)) : lines;
  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <div className="row">
        <h2 id={`${id}-heading`}>Log of {instance}</h2>
        <span className="meta" role="status" aria-live="polite">
          {state === 'loading' ? 'connecting…' : state === 'streaming' && follow ? 'following' : 'not following'} · {needle ? `${shown.length} of ${lines.length}` : lines.length} lines
        </span>
        <span className="spacer" />
        <button type="button" className="secondary" onClick={onClose}>
          Close log
        </button>
      </div>
      <div className="actions">
        <div className="field">
          <label htmlFor={`${id}-search`}>Search the log</label>
          <input id={`${id}-search`} type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="text to find" />
        </div>
        <label className="row">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow new lines
        </label>
        {state === 'ended' && !error ? (
          <button type="button" className="secondary" onClick={() => setAttempt((n) => n + 1)}>
            Reload log
          </button>
        ) : null}
      </div>
      {error ? <ErrorMessage error={error} what={`the log of ${instance}`} retry={() => setAttempt((n) => n + 1)} /> : null}
      <pre className="log" ref={logRef} role="log" aria-label={`Log lines of ${instance}`} tabIndex={0}>
        {shown.length === 0 ? (state === 'loading' ? 'Loading…' : needle ? 'No line matches.' : 'No lines yet.') : shown.map((line, i) => <LogLine key={i} line={line} needle={needle} />)}
      </pre>
    </section>
  );
}

function LogLine({ line, needle }: { line: string; needle: string }) {
  if (!needle) return <>{line + '\n'}</>;
  const parts: ReactNode[] = [];
  const lower = line.toLowerCase();
  let from = 0;
  for (let at = lower.indexOf(needle); at >= 0; at = lower.indexOf(needle, from)) {
    parts.push(line.slice(from, at), <mark key={at}>{line.slice(at, at + needle.length)}</mark>);
    from = at + needle.length;
  }
  parts.push(`${line.slice(from)}\n`);
  return <Fragment>{parts}</Fragment>;
}
