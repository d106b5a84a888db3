import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { useApi } from '../api/session.tsx';
import { useRefusal } from '../api/whoami.ts';
import { ErrorMessage, Loading } from '../shell/feedback.tsx';
import { applicationsApi } from './applications-api.ts';

const TTLS = ['4h', '24h', '72h', '7d'];

/** New ephemeral environment of a branch: the branch picker lists the repository's branches. */
export function CreateEnvironment({ app }: { app: string }) {
  const api = useApi();
  const navigate = useNavigate();
  const queries = useQueryClient();
  const id = useId();
  const branches = useQuery({ queryKey: ['branches', app], queryFn: () => applicationsApi.branches(api, app) });
  const [branch, setBranch] = useState('');
  const [ttl, setTtl] = useState('72h');
  const create = useMutation({
    mutationFn: (chosen: string) => applicationsApi.createEnvironment(api, { app, branch: chosen, ttl }),
    onSuccess: async ({ environment, deploy }) => {
      // An environment of the same id may have been deleted before: forget what was known of that one.
      queries.removeQueries({ queryKey: ['environment', environment.id] });
      await queries.invalidateQueries({ queryKey: ['environments'] });
      void navigate(`/applications/${encodeURIComponent(app)}/environments/${encodeURIComponent(environment.id)}`, { state: { deployId: deploy.id } });
    },
  });
  const refusal = useRefusal('developer', 'creating an environment');
  const chosen = branch || branches.data?.defaultBranch || branches.data?.items[0]?.name || '';
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (chosen) create.mutate(chosen);
  };

  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>New environment</h2>
      {branches.isPending ? <Loading what="branches" /> : null}
      {branches.isError ? <ErrorMessage error={branches.error} what="the branches" retry={() => void branches.refetch()} /> : null}
      {branches.data ? (
        <form className="actions" onSubmit={submit}>
          <div className="field">
            <label htmlFor={`${id}-branch`}>Branch</label>
            <select id={`${id}-branch`} value={chosen} onChange={(e) => setBranch(e.target.value)}>
              {branches.data.items.map((b) => (
                <option key={b.name} value={b.name}>
                  {b.name}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-ttl`}>Time to live</label>
            <select id={`${id}-ttl`} value={ttl} onChange={(e) => setTtl(e.target.value)}>
              {TTLS.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" disabled={!chosen || create.isPending || !!refusal}>
            {create.isPending ? 'Creating…' : 'Create environment'}
          </button>
        </form>
      ) : null}
      {refusal ? <p className="hint">{refusal}</p> : null}
      {create.isError ? <ErrorMessage error={create.error} failed="Could not create the environment" /> : null}
    </section>
  );
}
