import type { GovernanceCatalog } from '@slipway/core';
import type { Db } from '../store/database-schema.ts';
import { EnvironmentProtections } from '../store/environment-protections.ts';
import { ManagedReleaseStore } from '../store/managed-releases.ts';
import { ReleaseCatalog } from '../store/release-catalog.ts';
import type { Governance } from './environment-service.ts';

/**
 * Which environments releases govern, read from what the workspace registered: its release tracks
 * and the sets that follow them, its release plan admissions, and the environments an admin marked
 * protected. Read at each change, so a track
 * registered a moment ago protects its environments at once.
 */
export class RegisteredGovernance implements Governance {
  private readonly catalog: ReleaseCatalog;
  private readonly managed: ManagedReleaseStore;
  private readonly marks: EnvironmentProtections;

  constructor(db: Db) {
    this.catalog = new ReleaseCatalog(db);
    this.managed = new ManagedReleaseStore(db);
    this.marks = new EnvironmentProtections(db);
  }

  async catalogOf(workspace: string): Promise<GovernanceCatalog> {
    const [tracks, sets, admissions, marks] = await Promise.all([this.catalog.listTracks(workspace), this.catalog.listSets(workspace), this.managed.admissions(workspace), this.marks.list(workspace)]);
    return {
      tracks,
      sets,
      // Admissions registered before they could name environments have none.
      admissions: admissions.map((a) => ({ name: a.name, environments: a.spec.environments ?? [] })),
      marks: marks.map((m) => ({ environment: m.envId, by: m.by, reason: m.reason })),
    };
  }
}
