import type { RuntimeDriver } from '@slipway/core';
import type { EnvironmentStore, StoredEnvironment } from '../store/environments.ts';
import type { EngineLogger } from './deploy-record.ts';
import { refOf } from './environment-ref.ts';

/**
 * Removes whatever the runtimes hold for environments that no longer exist (leftovers of a crash,
 * or of a teardown that failed half-way). Deploys wait while a sweep runs (`settled`): an
 * environment created after the sweep read its list must not have its first resources taken for
 * leftovers.
 */
export class RuntimeSweep {
  private sweeping: Promise<void> = Promise.resolve();

  constructor(private readonly options: { store: EnvironmentStore; drivers: Readonly<Record<string, RuntimeDriver>>; logger: EngineLogger }) {}

  /** Resolves once no sweep is under way. */
  settled(): Promise<void> {
    return this.sweeping;
  }

  /** Sweeps every runtime; returns the live environments it kept. */
  async sweep(): Promise<StoredEnvironment[]> {
    let done!: () => void;
    const previous = this.sweeping;
    this.sweeping = new Promise((resolve) => (done = resolve));
    try {
      await previous;
      const live = await this.options.store.listLive();
      const refs = live.map(refOf);
      for (const [name, driver] of Object.entries(this.options.drivers)) {
        const report = await driver.sweep(refs);
        if (report.removed.length) this.options.logger.info(`${name} runtime: removed ${report.removed.length} leftover resources of deleted environments`);
      }
      return live;
    } finally {
      done();
    }
  }
}
