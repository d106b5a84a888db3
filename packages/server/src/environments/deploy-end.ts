import type { EnvironmentStore } from '../store/environments.ts';
import type { WorkflowEngine } from '../workflows/workflow-engine.ts';

// Long-polling for a deploy's end (GET /api/v1/deploys/{id}?wait=<seconds>): a client learns the
// end as it is stored, instead of at its next poll. This server's engine says at once when it ends
// a deploy; a deploy another server runs (several servers on one PostgreSQL) is seen in the store,
// read every STORE_POLL_MS.

const STORE_POLL_MS = 250;
const ACTIVE = new Set(['queued', 'running']);

/** Resolves once the deploy is no longer queued or running (or does not exist), or after `ms`. */
export async function deployEnd(store: Pick<EnvironmentStore, 'getDeploy'>, engine: Pick<WorkflowEngine, 'onDeploy'>, deployId: string, ms: number): Promise<void> {
  let wake!: () => void;
  const woken = new Promise<void>((resolve) => (wake = resolve));
  // Listening before the first read: an end between the read and the wait is not missed.
  const stop = engine.onDeploy((event) => {
    if (event.type === 'ended' && event.deploy.id === deployId) wake();
  });
  const deadline = Date.now() + ms;
  let timer: NodeJS.Timeout | undefined;
  try {
    for (;;) {
      const deploy = await store.getDeploy(deployId);
      if (!deploy || !ACTIVE.has(deploy.state)) return;
      const left = deadline - Date.now();
      if (left <= 0) return;
      const ended = await Promise.race([woken.then(() => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.min(STORE_POLL_MS, left))))]);
      clearTimeout(timer);
      if (ended) return;
    }
  } finally {
    clearTimeout(timer);
    stop();
  }
}
