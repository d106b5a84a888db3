import type { EnvironmentRef } from '@slipway/core';

/** Who `RuntimeDriver.onInstanceChange` tells: a listener that throws is the listener's problem, never the supervisor's. */
export class InstanceChangeListeners {
  private readonly listeners = new Set<(env: EnvironmentRef) => void>();

  listen(listener: (env: EnvironmentRef) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  tell(env: EnvironmentRef): void {
    for (const listener of this.listeners) {
      try {
        listener({ ...env });
      } catch {
        // A listener's failure must not stop an instance's supervision.
      }
    }
  }
}
