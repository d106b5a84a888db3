import type { GovernanceCatalog } from '@slipway/core';
import type { Kysely } from 'kysely';
import type { Database } from '../store/database-schema.ts';
import { ManagedReleaseStore } from '../store/managed-releases.ts';
import { ReleaseCatalog } from '../store/release-catalog.ts';
import type { Governance } from './environment-service.ts';

/**
 * Which environments releases govern, read from what the workspace registered: its release tracks
 * and the sets that follow them, and its release plan admissions. Read at each change, so a track
 * registered a moment ago protects its environments at once.
 */
export class RegisteredGovernance implements Governance {
  private readonly catalog: ReleaseCatalog;
  private readonly managed: ManagedReleaseStore;

  constructor(db: Kysely<Database>) {
    this.catalog = new ReleaseCatalog(db);
    this.managed = new ManagedReleaseStore(db);
  }

  async catalogOf(workspace: string): Promise<GovernanceCatalog> {
    const [tracks, sets, admissions] = await Promise.all([this.catalog.listTracks(workspace), this.catalog.listSets(workspace), this.managed.admissions(workspace)]);
    // Admissions registered before they could name environments have none.
    return { tracks, sets, admissions: admissions.map((a) => ({ name: a.name, environments: a.spec.environments ?? [] })) };
  }
}
