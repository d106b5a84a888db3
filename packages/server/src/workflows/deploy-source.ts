import type { RuntimeDriver, SecretValues } from '@slipway/core';
import { DeployEnded, type DeployRecord } from './deploy-record.ts';
import { refOf } from './environment-ref.ts';
import type { DeploySource } from './static-builds.ts';

// The `source` task every step waits for: check out the deploy's commit (or its branch's head) and
// run the install and build commands — except static sites built in tasks of their own
// (static-builds.ts). Its result, the resolved commit and the static roots, is stored on the deploy,
// so a deploy resumed after a crash does not check out again.

export interface SourceCheckout {
  driver: RuntimeDriver;
  /** The application's git repository, undefined when it has none. */
  repository: string | undefined;
  secrets: SecretValues;
  /** Static services whose builds run in their own tasks. */
  buildsInTasks: ReadonlySet<string>;
}

/** The deploy's source as stored, else checked out and built now; throws DeployEnded when that fails. */
export async function checkOutSource(record: DeployRecord, checkout: SourceCheckout): Promise<DeploySource> {
  const { env, deploy } = record;
  if (deploy.source) return deploy.source;
  const rendered = deploy.rendered;
  if (!checkout.repository) {
    const message = `application ${env.app} has no git repository to check out; register it from one (slipway apps create --repo <path-or-url>)`;
    await record.task({ key: 'source', step: -1, state: 'failed', reason: message });
    throw new DeployEnded('failed', message);
  }
  await record.task({ key: 'source', step: -1, state: 'running' });
  const wanted = deploy.commit ?? env.branch;
  record.line(`▸ source · checking out ${/^[0-9a-f]{40}$/.test(wanted) ? wanted.slice(0, 12) : wanted} and building`);
  const output = record.output();
  const prepared = await checkout.driver.prepareSource({
    env: refOf(env),
    repository: checkout.repository,
    commit: wanted,
    services: rendered.services.filter((s) => !checkout.buildsInTasks.has(s.name)),
    secrets: checkout.secrets,
    ...(output ? { onOutput: output } : {}),
  });
  record.signal.throwIfAborted();
  if (prepared.outcome !== 'succeeded') {
    record.line(`✗ source ${prepared.outcome}: ${prepared.reason}`);
    await record.task({ key: 'source', step: -1, state: prepared.outcome, reason: prepared.reason, ...(prepared.logTail ? { logTail: prepared.logTail } : {}) });
    throw new DeployEnded(prepared.outcome, `checking out and building the source ${prepared.outcome}: ${prepared.reason}`);
  }
  record.line(`✓ source succeeded: ${prepared.commit.slice(0, 12)}`);
  const source: DeploySource = { commit: prepared.commit, staticRoots: prepared.staticRoots, ...(prepared.images ? { images: prepared.images } : {}) };
  await record.saveDeploy({ source, commit: prepared.commit });
  await record.task({ key: 'source', step: -1, state: 'succeeded' });
  return source;
}
