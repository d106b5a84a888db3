import type { RuntimeDriver } from '@slipway/core';
import type { EnvironmentService } from '../environments/environment-service.ts';
import type { Repositories } from '../git/repositories.ts';
import type { Db } from '../store/database-schema.ts';
import type { EnvironmentStore } from '../store/environments.ts';
import { Leases } from '../store/leases.ts';
import { ManagedReleaseStore } from '../store/managed-releases.ts';
import { ReleaseCatalog } from '../store/release-catalog.ts';
import { ReleaseStore } from '../store/releases.ts';
import type { EngineLogger, WorkflowEngine } from '../workflows/workflow-engine.ts';
import { approverFromPrincipal, type ApproverIdentity } from './approver-identity.ts';
import type { OneOffContainerRequest, OneOffContainerResult } from '@slipway/drivers';
import type { PullRequestComments } from '../sources/pull-request-comments.ts';
import type { ProviderName, SourceReporter } from '../sources/source-provider.ts';
import { ManagedReleases } from './managed-releases.ts';
import { PreReleaseStatus } from './pre-release-status.ts';
import { PullRequestPreReleases } from './pull-request-pre-releases.ts';
import { noAudit, type ReleaseAudit } from './release-audit.ts';
import { ReleaseController } from './release-controller.ts';
import { MANAGED_RELEASE_CHANNEL, PostgresReleaseSignals } from '../store/release-signals.ts';
import { ReleaseService } from './release-service.ts';
import { SnapshotService } from './snapshot-service.ts';

// Wiring of the release flow: the catalog of sets, tracks and snapshots, the releases store, the
// controller that moves releases (started here, after the workflow engine), and the service the API
// calls. Who may approve comes from `identity`; what is audited goes to `audit`.

export interface Releases {
  catalog: ReleaseCatalog;
  store: ReleaseStore;
  snapshots: SnapshotService;
  controller: ReleaseController;
  service: ReleaseService;
  identity: ApproverIdentity;
  audit: ReleaseAudit;
  repositories: Repositories;
  /** Releases into managed workspaces: plans, admissions and their runs. */
  managed: ManagedReleases;
  managedStore: ManagedReleaseStore;
  /** Pre-releases' commit statuses. */
  statuses: PreReleaseStatus;
  /** Pre-releases started by pull requests opening, moving and closing. */
  pullRequests: PullRequestPreReleases;
  stop(): Promise<void>;
}

export interface ReleaseSettings {
  /** The approver roles of a principal (default: what the principal carries; see approver-identity.ts). */
  identity?: ApproverIdentity;
  /** Appends to the audit ledger (default: nothing is recorded). */
  audit?: ReleaseAudit;
  tickMs?: number;
  healthRecheckMs?: number;
}

export async function startReleases(
  deps: {
    db: Db;
    environments: EnvironmentStore;
    service: EnvironmentService;
    engine: WorkflowEngine;
    drivers: Readonly<Record<string, RuntimeDriver>>;
    repositories: Repositories;
    /** Clear value of a workspace's secret: managed workflows get the managed workspace's. */
    revealSecret(workspace: string, name: string): Promise<string | undefined>;
    /** Where managed workflow steps run (a folder per release). */
    workDir: string;
    /** Where managed workflow steps that name an image run (the docker runtime's engine), or why nowhere. */
    containers?: { run(request: OneOffContainerRequest): Promise<OneOffContainerResult> } | { unavailable: string };
    /** The store's PostgreSQL, when it is one: servers sharing it wake the release lease holder with NOTIFY. */
    databaseUrl?: string;
    /** Source providers that show commit statuses (previews'): a pre-release's result goes there. */
    reporters?: Partial<Record<ProviderName, SourceReporter>>;
    /** The pull requests' comments (previews'): a pull request's pre-release writes its part there. */
    comments?: PullRequestComments;
    logger?: EngineLogger;
  },
  settings: ReleaseSettings = {},
): Promise<Releases> {
  const catalog = new ReleaseCatalog(deps.db);
  const store = new ReleaseStore(deps.db);
  const audit = settings.audit ?? noAudit;
  const snapshots = new SnapshotService({ db: deps.db, catalog, repositories: deps.repositories });
  const statuses = new PreReleaseStatus({ db: deps.db, releases: store, catalog, environments: deps.environments, reporters: deps.reporters ?? {}, leases: new Leases(deps.db), ...(deps.comments ? { comments: deps.comments } : {}), ...(deps.logger ? { logger: deps.logger } : {}) });
  const controller = new ReleaseController({
    statuses,
    ...(deps.databaseUrl ? { signals: new PostgresReleaseSignals({ db: deps.db, databaseUrl: deps.databaseUrl, ...(deps.logger ? { logger: deps.logger } : {}) }) } : {}),
    releases: store,
    catalog,
    environments: deps.environments,
    service: deps.service,
    engine: deps.engine,
    drivers: deps.drivers,
    leases: new Leases(deps.db),
    audit,
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(settings.tickMs !== undefined ? { tickMs: settings.tickMs } : {}),
    ...(settings.healthRecheckMs !== undefined ? { healthRecheckMs: settings.healthRecheckMs } : {}),
  });
  const service = new ReleaseService({ releases: store, catalog, snapshots, controller, audit });
  const pullRequests = new PullRequestPreReleases({ catalog, releases: store, snapshots, service, ...(deps.logger ? { logger: deps.logger } : {}) });
  const managedStore = new ManagedReleaseStore(deps.db);
  const managed = new ManagedReleases({
    db: deps.db,
    store: managedStore,
    catalog,
    releases: store,
    snapshots,
    revealSecret: deps.revealSecret,
    workDir: deps.workDir,
    ...(deps.containers ? { containers: deps.containers } : {}),
    leases: new Leases(deps.db),
    ...(deps.databaseUrl ? { signals: new PostgresReleaseSignals({ db: deps.db, databaseUrl: deps.databaseUrl, channel: MANAGED_RELEASE_CHANNEL, ...(deps.logger ? { logger: deps.logger } : {}) }) } : {}),
    audit,
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(settings.tickMs !== undefined ? { tickMs: settings.tickMs } : {}),
  });
  controller.onCompleted((release) => managed.autoRelease(release));
  await controller.start();
  await managed.start();
  await statuses.resume().catch((error: Error) => deps.logger?.error(`pre-release commit statuses: ${error.message}`));
  return {
    catalog,
    store,
    snapshots,
    controller,
    service,
    identity: settings.identity ?? approverFromPrincipal,
    audit,
    repositories: deps.repositories,
    managed,
    managedStore,
    statuses,
    pullRequests,
    stop: async () => {
      await managed.stop();
      await controller.stop();
      await statuses.stop();
    },
  };
}
