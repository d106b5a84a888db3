import type { StoredDeploy, StoredEnvironment } from '../store/environments.ts';

/** A deploy started or ended; `environment` and `deploy` are as stored at that moment. */
export interface DeployEvent {
  type: 'started' | 'ended';
  environment: StoredEnvironment;
  deploy: StoredDeploy;
}
export type DeployListener = (event: DeployEvent) => void | Promise<void>;

/**
 * Who hears of deploys starting and ending (commit statuses, notifications, the release
 * controller, expiry). Each listener runs beside the engine: a slow or failing one never holds a
 * deploy up.
 */
export class DeployEvents {
  private readonly listeners = new Set<DeployListener>();

  constructor(private readonly onError: (message: string) => void) {}

  listen(listener: DeployListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: DeployEvent): void {
    for (const listener of this.listeners) {
      Promise.resolve()
        .then(() => listener(event))
        .catch((error: Error) => this.onError(`deploy listener: ${error.message}`));
    }
  }
}
