import type { EnvironmentStore } from '../store/environments.ts';
import type { WorkflowEngine } from '../workflows/workflow-engine.ts';
import type { ServerMetrics } from './server-metrics.ts';

/**
 * Records every deploy that ends, and its tasks, from the engine's deploy events: the engine itself
 * knows nothing of metrics, and the one read of the tasks runs beside it (listeners never hold a
 * deploy up). Returns the function that stops following.
 */
export function observeDeploys(engine: Pick<WorkflowEngine, 'onDeploy'>, store: Pick<EnvironmentStore, 'tasks'>, metrics: Pick<ServerMetrics, 'observeDeploy'>): () => void {
  return engine.onDeploy(async (event) => {
    if (event.type !== 'ended') return;
    metrics.observeDeploy(event.deploy, await store.tasks(event.deploy.id));
  });
}
