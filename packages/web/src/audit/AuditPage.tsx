import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { knownAuditKinds, type AuditEntryResponse, type AuditVerifyResponse } from '@slipway/contract';
import { useId, useState, type FormEvent } from 'react';
import { useApi } from '../api/session.tsx';
import { ErrorMessage, Loading, QueryView } from '../shell/feedback.tsx';
import { auditApi, type AuditFilter } from './audit-api.ts';
import { BreakGlassBadge, BreakGlassReason, isBreakGlass } from './BreakGlass.tsx';
import './audit.css';

const kinds = Object.keys(knownAuditKinds);
const prefixes = [...new Set(kinds.map((k) => k.split('.')[0]!))].map((p) => `${p}.*`);

/** A datetime-local value (the reader's local time) as ISO-8601, or undefined when empty or invalid. */
function isoOf(local: string): string | undefined {
  if (!local) return undefined;
  const time = new Date(local);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}

function Verification() {
  const api = useApi();
  const verify = useQuery({ queryKey: ['audit-verify'], queryFn: () => auditApi.verify(api) });
  return (
    <section className="verification" aria-labelledby="ledger-verification">
      <h2 id="ledger-verification">Ledger verification</h2>
      <QueryView query={verify} what="the ledger's verification">
        {(v: AuditVerifyResponse) => (
          <div className={v.ok ? 'verified' : 'broken'} role="status">
            {v.ok ? (
              <p>
                <span aria-hidden="true">✓ </span>
                <strong>Ledger intact:</strong> {v.entries} entries checked, chain unbroken up to #{v.headSeq} (head hash <code title={v.headHash}>{v.headHash.slice(0, 16)}…</code>), in {v.durationMs} ms.
              </p>
            ) : (
              <>
                <p>
                  <span aria-hidden="true">✗ </span>
                  <strong>Ledger verification failed:</strong> {v.problems.length} problem{v.problems.length === 1 ? '' : 's'} in {v.entries} entries.
                </p>
                <ul>
                  {v.problems.map((p) => (
                    <li key={`${p.seq}/${p.problem}`}>
                      #{p.seq} {p.problem}: {p.message}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </div>
        )}
      </QueryView>
      <button type="button" className="secondary" onClick={() => void verify.refetch()} disabled={verify.isFetching}>
        {verify.isFetching ? 'Verifying…' : 'Verify again'}
      </button>
    </section>
  );
}

function Entry({ entry }: { entry: AuditEntryResponse }) {
  const breakGlass = isBreakGlass(entry);
  // A break-glass entry's reason and action are shown on their own line, not among the details.
  const details = Object.entries(entry.details).filter(([key]) => !breakGlass || (key !== 'reason' && key !== 'action'));
  return (
    <li className={breakGlass ? 'audit-entry break-glass' : 'audit-entry'}>
      <div>
        {breakGlass ? (
          <>
            <BreakGlassBadge />{' '}
          </>
        ) : null}
        <span className="seq">#{entry.seq}</span>{' '}
        <time dateTime={entry.at} title={entry.at}>
          {new Date(entry.at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })}
        </time>{' '}
        · <strong>{entry.actor}</strong> · <code>{entry.kind}</code> · {entry.subject}
      </div>
      {breakGlass ? <BreakGlassReason entry={entry} /> : null}
      {details.length ? (
        <div className="details">
          {details.map(([key, value]) => (
            <span key={key}>
              {key}: {typeof value === 'string' ? value : JSON.stringify(value)}{' '}
            </span>
          ))}
        </div>
      ) : null}
    </li>
  );
}

/** The audit log: filter by actor, kind and time, page back through older entries, and the ledger's verification state. */
export function AuditPage() {
  const api = useApi();
  const ids = { actor: useId(), kind: useId(), since: useId(), until: useId() };
  const [form, setForm] = useState({ actor: '', kind: '', since: '', until: '' });
  const [filter, setFilter] = useState<AuditFilter>({});
  const [formError, setFormError] = useState<string | undefined>();
  const entries = useInfiniteQuery({
    queryKey: ['audit', filter],
    queryFn: ({ pageParam }) => auditApi.list(api, filter, pageParam),
    initialPageParam: undefined as number | undefined,
    getNextPageParam: (page) => page.nextBefore,
  });

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const since = isoOf(form.since);
    const until = isoOf(form.until);
    if (since && until && since >= until) {
      setFormError('"From" must be before "to".');
      return;
    }
    setFormError(undefined);
    setFilter({ ...(form.actor.trim() ? { actor: form.actor.trim() } : {}), ...(form.kind ? { kind: form.kind } : {}), ...(since ? { since } : {}), ...(until ? { until } : {}) });
  };
  const clear = () => {
    setForm({ actor: '', kind: '', since: '', until: '' });
    setFormError(undefined);
    setFilter({});
  };

  return (
    <>
      <h1>Audit log</h1>
      <Verification />
      <form className="audit-filter" onSubmit={apply} aria-label="Filter the audit log">
        <div>
          <label htmlFor={ids.actor}>Actor</label>
          <input id={ids.actor} value={form.actor} maxLength={100} placeholder="any" onChange={(e) => setForm({ ...form, actor: e.target.value })} />
        </div>
        <div>
          <label htmlFor={ids.kind}>Kind</label>
          <select id={ids.kind} value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value })}>
            <option value="">any kind</option>
            <optgroup label="Groups">
              {prefixes.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </optgroup>
            <optgroup label="Kinds">
              {kinds.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </optgroup>
          </select>
        </div>
        <div>
          <label htmlFor={ids.since}>From</label>
          <input id={ids.since} type="datetime-local" step={1} value={form.since} onChange={(e) => setForm({ ...form, since: e.target.value })} />
        </div>
        <div>
          <label htmlFor={ids.until}>To</label>
          <input id={ids.until} type="datetime-local" step={1} value={form.until} onChange={(e) => setForm({ ...form, until: e.target.value })} />
        </div>
        <div className="filter-buttons">
          <button type="submit">Apply filter</button>
          <button type="button" className="secondary" onClick={clear}>
            Clear
          </button>
        </div>
        {formError ? (
          <p className="error" role="alert">
            {formError}
          </p>
        ) : null}
      </form>
      <section aria-labelledby="audit-entries">
        <h2 id="audit-entries">Entries</h2>
        {entries.isPending ? (
          <Loading what="audit entries" />
        ) : entries.isError ? (
          <ErrorMessage error={entries.error} what="audit entries" retry={() => void entries.refetch()} />
        ) : entries.data.pages[0]!.items.length === 0 ? (
          <p className="empty">No entries match.</p>
        ) : (
          <>
            <ol className="audit-entries">
              {entries.data.pages.flatMap((page) => page.items).map((entry) => (
                <Entry key={entry.seq} entry={entry} />
              ))}
            </ol>
            {entries.hasNextPage ? (
              <button type="button" className="secondary" onClick={() => void entries.fetchNextPage()} disabled={entries.isFetchingNextPage}>
                {entries.isFetchingNextPage ? 'Loading older entries…' : 'Show older entries'}
              </button>
            ) : null}
          </>
        )}
      </section>
    </>
  );
}
