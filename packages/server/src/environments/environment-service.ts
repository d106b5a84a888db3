import {
  durationToMs,
  formatDiagnostic,
  type ApplicationManifest,
  type CreateEnvironmentRequest,
  type RenderedEnvironment,
  type RenderSettings,
} from '@slipway/contract';
import {
  ConflictError,
  didYouMean,
  InputError,
  NotAllowedError,
  NotFoundError,
  protectedRefusal,
  renderEnvironment,
  withoutServices,
  guardianOf,
  secretNamesOf,
  type EnvironmentGuardian,
  type GovernanceCatalog,
  type ImportedAddress,
  type ProtectedAction,
  type RuntimeDriver,
} from '@slipway/core';
import type { Repositories } from '../git/repositories.ts';
import { CommitManifests } from './commit-manifests.ts';
import { deployEnd } from './deploy-end.ts';
import type { RouteHub } from '../routing/route-hub.ts';
import { addTemplateVersion, getApplication, getTemplateVersion, listApplications, type StoredApplication } from '../store/applications.ts';
import type { AuditHook } from '../store/audit-ledger.ts';
import type { Db } from '../store/database-schema.ts';
import type { EnvironmentStore, StoredDeploy, StoredEnvironment } from '../store/environments.ts';
import type { WorkflowEngine } from '../workflows/workflow-engine.ts';

// What users ask of environments — create, patch, change config, extend, delete — checked fully
// before anything is written, so bad input changes nothing; then one transaction writes the
// environment and its queued deploy, and the engine takes it from there.

export interface EnvironmentServiceOptions {
  db: Db;
  store: EnvironmentStore;
  repositories: Repositories;
  engine: WorkflowEngine;
  routes: RouteHub;
  settings: RenderSettings;
  drivers: Readonly<Record<string, RuntimeDriver>>;
  /** Which environments releases govern (none without it). */
  governance?: Governance;
  /** Told when an environment's expiry moved without a deploy (extend), so the scheduler reads its deadlines again. */
  lifecycle?: { changed(): void };
}

/** What a workspace registered that governs environments: tracks, sets, admissions (environments/governance.ts). */
export interface Governance {
  catalogOf(workspace: string): Promise<GovernanceCatalog>;
}

/**
 * What a change of an environment carries beyond the caller's role: the authority that may change a
 * governed environment, and the audit entry written in the change's transaction.
 */
export interface EnvironmentWrite<T> {
  /**
   * What authorises a change of a governed environment besides break-glass: a release deploying it
   * (`release #3`: a promotion, rollback, hotfix or pre-release), or the server undoing its own
   * half-made change.
   */
  authority?: string;
  /** An admin breaks glass, with a reason (the route checks the role; the audit entry records it). */
  breakGlass?: { reason: string };
  audit?: AuditHook<T>;
  /**
   * Checked inside the change's transaction before it commits (a controller's `worker.fence`): when
   * it throws — the controller's server lost its lease (LeaseLostError) — nothing is written.
   */
  fence?: (tx: Db) => Promise<void>;
}

/** The write's audit hook, preceded by its fence: both run inside the change's transaction. */
function fencedAudit<T>(write: Pick<EnvironmentWrite<T>, 'audit' | 'fence'>): AuditHook<T> | undefined {
  const { audit, fence } = write;
  if (!fence) return audit;
  return async (tx, result) => {
    await fence(tx);
    return audit?.(tx, result);
  };
}

type Created = { environment: StoredEnvironment; deploy: StoredDeploy };

const breakGlassCommands: Record<ProtectedAction, (envId: string) => string> = {
  create: (envId) => `slipway envs create --permanent --id ${envId} …`,
  deploy: (envId) => `slipway deploys create ${envId}`,
  'config-set': (envId) => `slipway envs config-set ${envId} …`,
  extend: (envId) => `slipway envs extend ${envId} …`,
  delete: (envId) => `slipway envs delete ${envId}`,
  exec: (envId) => `slipway instances exec ${envId} …`,
  pause: (envId) => `slipway envs pause ${envId}`,
  resume: (envId) => `slipway envs resume ${envId}`,
};

const MAX_TTL_MS = 365 * 24 * 3600 * 1000;

export interface ManifestFailureOptions {
  /**
   * What invalid manifests at the commit do: `reject` (default) refuses the request with the errors
   * and changes nothing — for people at a terminal; `fail-environment` records a failed deploy that
   * carries them — for previews, whose pull request must show why.
   */
  invalidManifest?: 'reject' | 'fail-environment';
}

/** An environment id from a branch name: feature/Login_page → feature-login-page. */
export function envIdFromBranch(branch: string): string {
  const slug = branch
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return slug || 'env';
}

interface EnvironmentPlan {
  app: StoredApplication;
  kind: 'ephemeral' | 'permanent';
  branch: string;
  commit: string;
  envId: string;
  template?: string;
  variables: Record<string, string>;
  templateVersion: string;
  rendered: RenderedEnvironment;
  ttlMs?: number;
  /** The commit's manifests are invalid: the environment is recorded failed with these errors. */
  invalid?: InputError;
  /** Services the App Import that plans it leaves out. */
  excludedServices?: string[];
  imports: ImportPlan[];
}

/** An App Import: an environment to create, or one that runs already. */
interface ImportPlan {
  plan?: EnvironmentPlan;
  existing?: StoredEnvironment;
  urls: Record<string, string>;
}

export class EnvironmentService {
  /** The .slipway/ manifests of commits, read and validated once each. */
  private readonly manifests: CommitManifests;

  constructor(private readonly options: EnvironmentServiceOptions) {
    this.manifests = new CommitManifests(options.repositories);
  }

  /** Resolves once the deploy has ended, or after `ms` at the latest (GET /api/v1/deploys/{id}?wait=). */
  deployEnd(deployId: string, ms: number): Promise<void> {
    return deployEnd(this.options.store, this.options.engine, deployId, ms);
  }

  async create(
    workspace: string,
    request: CreateEnvironmentRequest,
    requestedBy: string,
    options: ManifestFailureOptions & EnvironmentWrite<Created> = {},
  ): Promise<Created> {
    // Everything is checked, imports included, before anything is written.
    const plan = await this.plan(workspace, request, options, [request.app]);
    await this.refuseGoverned(workspace, plan.envId, plan.app.name, 'create', options);
    if (plan.kind === 'ephemeral' && plan.rendered.maxEnvironments !== undefined) await this.makeRoom(workspace, plan.app.name, plan.rendered.maxEnvironments);
    return this.carryOut(workspace, plan, requestedBy, undefined, fencedAudit(options));
  }

  /**
   * Refuses a change of an environment that a release track or an admission governs, unless a
   * release makes it or an admin breaks glass: a 403 naming who governs it and what changes it.
   */
  async refuseGoverned(workspace: string, envId: string, app: string, action: ProtectedAction, write: Pick<EnvironmentWrite<unknown>, 'authority' | 'breakGlass'>): Promise<void> {
    if (write.authority || write.breakGlass) return;
    const guardian = await this.guardianOf(workspace, envId, app);
    if (guardian) throw new NotAllowedError(protectedRefusal(envId, guardian, action, breakGlassCommands[action](envId)));
  }

  /** Who governs the environment, if anyone (the portal's lock, the API's `protectedBy`). */
  async guardianOf(workspace: string, envId: string, app: string): Promise<EnvironmentGuardian | undefined> {
    const { governance } = this.options;
    return governance ? guardianOf(envId, app, await governance.catalogOf(workspace)) : undefined;
  }

  /** Who governs each environment of the workspace, read once for many (the API's `protectedBy` of a list). */
  async guardiansOf(workspace: string): Promise<(env: Pick<StoredEnvironment, 'envId' | 'app'>) => EnvironmentGuardian | undefined> {
    const { governance } = this.options;
    if (!governance) return () => undefined;
    const catalog = await governance.catalogOf(workspace);
    return (env) => guardianOf(env.envId, env.app, catalog);
  }

  /** The governed environments that read workspace secret `name`, each with who governs it. */
  async governedReaders(workspace: string, name: string): Promise<{ envId: string; guardian: EnvironmentGuardian }[]> {
    const { governance, store } = this.options;
    if (!governance) return [];
    const catalog = await governance.catalogOf(workspace);
    const readers: { envId: string; guardian: EnvironmentGuardian }[] = [];
    for (const env of await store.listLive(workspace)) {
      const guardian = guardianOf(env.envId, env.app, catalog);
      if (guardian && secretNamesOf(await this.currentSpec(env)).includes(name)) readers.push({ envId: env.envId, guardian });
    }
    return readers;
  }

  /** What creating an environment would do: its rendered spec and, recursively, its App Imports'. */
  private async plan(workspace: string, request: CreateEnvironmentRequest & { excludeServices?: string[] }, options: ManifestFailureOptions, chain: string[]): Promise<EnvironmentPlan> {
    const { store, repositories } = this.options;
    const app = await this.application(workspace, request.app);
    const kind = request.kind ?? 'ephemeral';
    if (kind === 'permanent' && !request.id) throw new InputError('a permanent environment needs a name: give "id" (slipway envs create --permanent --id staging)');
    if (kind === 'permanent' && request.ttl) throw new InputError('a permanent environment has no TTL; leave out "ttl" or create an ephemeral environment');
    if (!app.repositoryUrl) throw new InputError(`application ${app.name} was registered from a manifest without a git repository; register it from its repository (slipway apps create --repo <path-or-url>) to run environments of it`);
    const heads = await repositories.heads(app.repositoryUrl);
    const branch = request.branch ?? app.trackingBranch ?? heads.defaultBranch;
    if (!branch) throw new InputError(`the repository ${app.repositoryUrl} has no default branch; give "branch"`);
    const head = heads.branches.get(branch);
    if (!head) {
      const names = [...heads.branches.keys()].sort();
      throw new InputError(`branch "${branch}" does not exist in ${app.repositoryUrl}${didYouMean(branch, names)}; it has ${names.slice(0, 20).join(', ') || 'no branches'}`);
    }
    const commit = request.commit ?? head;
    const envId = request.id ?? envIdFromBranch(branch);
    const taken = await store.getLive(workspace, envId);
    if (taken) throw new ConflictError(`environment id "${envId}" is already used by ${taken.app} (branch ${taken.branch}); choose another with "id" (--id)`);

    const variables = request.variables ?? {};
    const identity = { id: envId, kind, branch, commit, ...(request.template ? { template: request.template } : {}) };
    let manifest: ApplicationManifest;
    let templateVersion: string;
    let invalid: InputError | undefined;
    try {
      const atCommit = await this.manifestAtCommit(app, commit);
      manifest = atCommit.manifest;
      templateVersion = atCommit.version;
    } catch (error) {
      if (!(error instanceof InputError) || options.invalidManifest !== 'fail-environment') throw error;
      // A preview of a branch whose manifests are broken: the environment exists, failed, and says why.
      invalid = error;
      templateVersion = app.currentVersion;
      manifest = await this.manifestOf(app, app.currentVersion);
    }
    // App Imports: plan each imported application's environment first, for the URLs it gives this one.
    const first = this.render(manifest, identity, variables);
    const imports: ImportPlan[] = [];
    const imported: Record<string, { url: string; host: string }> = {};
    if (!invalid) {
      for (const declared of first.appImports) {
        if (chain.includes(declared.app)) throw new InputError(`App Imports go round in a circle: ${[...chain, declared.app].join(' → ')}`);
        const planned = await this.planImport(workspace, declared, { envId, kind, branch, ...(request.ttl ? { ttl: request.ttl } : {}) }, options, [...chain, declared.app]);
        imports.push(planned);
        for (const [service, url] of Object.entries(planned.urls)) imported[service] = { url, host: new URL(url).hostname };
      }
    }
    let rendered = Object.keys(imported).length ? this.render(manifest, identity, variables, imported) : first;
    rendered = withoutServices(rendered, request.excludeServices ?? []);
    this.checkRuntime(rendered);
    this.checkHosts(rendered);
    const ttlMs = kind === 'ephemeral' ? (request.ttl ? this.ttl(request.ttl) : rendered.ttlMs) : undefined;
    return {
      app,
      kind,
      branch,
      commit,
      envId,
      variables,
      templateVersion,
      rendered,
      ...(ttlMs !== undefined ? { ttlMs } : {}),
      ...(request.template ? { template: request.template } : {}),
      ...(invalid ? { invalid } : {}),
      ...(request.excludeServices?.length ? { excludedServices: request.excludeServices } : {}),
      imports,
    };
  }

  /**
   * An imported application's environment for a parent: the branch named in the import, else the
   * parent's branch when the imported repository has it, else its tracking branch, else its default
   * branch. An environment of it that runs already under the id it would get is used as it is.
   */
  private async planImport(
    workspace: string,
    declared: { app: string; branch?: string; excludeServices: string[] },
    parent: { envId: string; kind: 'ephemeral' | 'permanent'; branch: string; ttl?: string },
    options: ManifestFailureOptions,
    chain: string[],
  ): Promise<ImportPlan> {
    const app = await this.application(workspace, declared.app);
    const envId = `${parent.envId}-${app.name}`.slice(0, 63).replace(/-+$/, '');
    const existing = await this.options.store.getLive(workspace, envId);
    if (existing) {
      if (existing.app !== app.name) throw new ConflictError(`environment id "${envId}", which the import of ${app.name} needs, is used by ${existing.app}`);
      return { existing, urls: existing.urls };
    }
    if (!app.repositoryUrl) throw new InputError(`imported application ${app.name} has no git repository; register it from one`);
    const heads = await this.options.repositories.heads(app.repositoryUrl);
    const branch = declared.branch ?? (heads.branches.has(parent.branch) ? parent.branch : (app.trackingBranch ?? heads.defaultBranch));
    if (!branch) throw new InputError(`imported application ${app.name}: its repository has no default branch; name one in the import`);
    const plan = await this.plan(
      workspace,
      { app: app.name, branch, kind: parent.kind, id: envId, ...(parent.ttl ? { ttl: parent.ttl } : {}), excludeServices: declared.excludeServices },
      options,
      chain,
    );
    return { plan, urls: plan.rendered.urls };
  }

  /** Writes a planned environment (and its imports' environments) and starts their deploys. */
  private async carryOut(workspace: string, plan: EnvironmentPlan, requestedBy: string, parentId?: string, audit?: AuditHook<Created>): Promise<Created> {
    const { store } = this.options;
    const result = await store.createEnvironment({
      workspace,
      applicationId: plan.app.id,
      app: plan.app.name,
      envId: plan.envId,
      kind: plan.kind,
      branch: plan.branch,
      commit: plan.commit,
      ...(plan.template ? { template: plan.template } : {}),
      templateVersion: plan.templateVersion,
      variables: plan.variables,
      rendered: plan.rendered,
      ...(plan.ttlMs !== undefined ? { ttlMs: plan.ttlMs } : {}),
      ...(plan.rendered.idleTimeoutMs !== undefined ? { idleTimeoutMs: plan.rendered.idleTimeoutMs } : {}),
      ...(parentId ? { parentId } : {}),
      ...(plan.excludedServices ? { excludedServices: plan.excludedServices } : {}),
      requestedBy,
      ...(audit ? { audit } : {}),
    });
    if (plan.invalid) return this.failedByManifest(result.environment, result.deploy, plan.invalid);
    try {
      for (const imported of plan.imports) {
        if (imported.existing) await store.linkToParent(imported.existing.id, result.environment.id);
        else await this.carryOut(workspace, imported.plan!, `${requestedBy} (App Import of ${plan.app.name}/${plan.envId})`, result.environment.id);
      }
    } catch (error) {
      // Never leave half an environment: what was made for this one goes with it.
      await this.delete(workspace, plan.envId, `${requestedBy} (its App Imports could not be created)`, { authority: 'undoing its own creation' }).catch(() => undefined);
      throw error;
    }
    this.options.engine.kick(result.environment.id);
    return result;
  }

  /** A patch deploy of the branch's new head (or a given commit), with the environment's own template and variables. */
  async patch(workspace: string, envId: string, commit: string | undefined, requestedBy: string, options: ManifestFailureOptions & EnvironmentWrite<StoredDeploy> = {}): Promise<StoredDeploy> {
    const env = await this.live(workspace, envId);
    await this.refuseGoverned(workspace, env.envId, env.app, 'deploy', options);
    this.refuseWhenDeleting(env);
    const app = await this.applicationById(env);
    const target = commit ?? (await this.options.repositories.resolveBranch(app.repositoryUrl!, env.branch));
    const identity = { id: env.envId, kind: env.kind, branch: env.branch, commit: target, ...(env.template ? { template: env.template } : {}) };
    try {
      // The manifests travel with the code: a new commit brings its own .slipway/.
      const atCommit = await this.manifestAtCommit(app, target);
      const rendered = withoutServices(this.render(atCommit.manifest, identity, env.variables, await this.importedOf(env)), env.excludedServices ?? []);
      this.checkRuntime(rendered);
      const renderInputs = { templateVersion: atCommit.version, variables: env.variables };
      const deploy = await this.options.store.transact(async (store, tx) => {
        const queued = await store.queueDeploy({ environmentId: env.id, workflow: 'patch', commit: target, rendered, renderInputs, requestedBy });
        if (atCommit.version !== env.templateVersion) await store.updateEnvironment(env.id, { templateVersion: atCommit.version });
        await fencedAudit(options)?.(tx, queued);
        return queued;
      });
      this.options.engine.kick(env.id);
      return deploy;
    } catch (error) {
      if (!(error instanceof InputError) || options.invalidManifest !== 'fail-environment') throw error;
      const rendered = withoutServices(this.render(await this.manifestOf(app, env.templateVersion), identity, env.variables), env.excludedServices ?? []);
      // The failed deploy is a write like the patch it stands for: in one transaction, fenced and audited as that would have been.
      const failed = await this.options.store.transact(async (store, tx) => {
        const queued = await store.queueDeploy({ environmentId: env.id, workflow: 'patch', commit: target, rendered, requestedBy });
        const ended = await this.writeManifestFailure(store, env, queued, error);
        await fencedAudit(options)?.(tx, ended.deploy);
        return ended;
      });
      this.options.engine.announce(failed.environment, failed.deploy);
      return failed.deploy;
    }
  }

  /** Replaces the environment's own variables and re-runs setup with them. */
  async setConfig(workspace: string, envId: string, variables: Record<string, string>, requestedBy: string, options: EnvironmentWrite<Created & { before: StoredEnvironment }> = {}): Promise<Created> {
    const env = await this.live(workspace, envId);
    await this.refuseGoverned(workspace, env.envId, env.app, 'config-set', options);
    this.refuseWhenDeleting(env);
    const app = await this.applicationById(env);
    const manifest = await this.manifestOf(app, env.templateVersion);
    const commit = env.commit ?? (await this.options.repositories.resolveBranch(app.repositoryUrl!, env.branch));
    const identity = { id: env.envId, kind: env.kind, branch: env.branch, commit, ...(env.template ? { template: env.template } : {}) };
    const rendered = withoutServices(this.render(manifest, identity, variables, await this.importedOf(env)), env.excludedServices ?? []);
    const renderInputs = { templateVersion: env.templateVersion, variables };
    const result = await this.options.store.transact(async (store, tx) => {
      await store.updateEnvironment(env.id, { variables });
      const deploy = await store.queueDeploy({ environmentId: env.id, workflow: 'setup', commit, rendered, renderInputs, requestedBy });
      const changed = { environment: (await store.getById(env.id))!, deploy };
      await options.audit?.(tx, { ...changed, before: env });
      return changed;
    });
    this.options.engine.kick(env.id);
    return result;
  }

  async extend(workspace: string, envId: string, ttl: string, options: EnvironmentWrite<StoredEnvironment> = {}): Promise<StoredEnvironment> {
    const env = await this.live(workspace, envId);
    await this.refuseGoverned(workspace, env.envId, env.app, 'extend', options);
    if (env.kind === 'permanent') throw new InputError(`environment ${envId} is permanent and never expires; only ephemeral environments can be extended`);
    this.refuseWhenDeleting(env);
    const ttlMs = this.ttl(ttl);
    const extended = await this.options.store.transact(async (store, tx) => {
      await store.updateEnvironment(env.id, { ttlMs, expiresAt: new Date(Date.now() + ttlMs).toISOString() });
      const changed = (await store.getById(env.id))!;
      await options.audit?.(tx, changed);
      return changed;
    });
    this.options.lifecycle?.changed();
    return extended;
  }

  async delete(workspace: string, envId: string, requestedBy: string, options: EnvironmentWrite<Created> = {}): Promise<Created> {
    const env = await this.live(workspace, envId);
    await this.refuseGoverned(workspace, env.envId, env.app, 'delete', options);
    const { result, queued } = await this.options.store.transact(async (store, tx) => {
      const teardown = (await store.queueTeardown(env, requestedBy))!;
      if (teardown.queued) await store.updateEnvironment(env.id, { status: 'deleting' });
      const deleting = { environment: teardown.queued ? (await store.getById(env.id))! : env, deploy: teardown.deploy };
      await options.audit?.(tx, deleting);
      return { result: deleting, queued: teardown.queued };
    });
    if (queued) this.options.engine.kick(env.id);
    return result;
  }

  /** The live environment, or a not-found naming the ones there are. */
  async live(workspace: string, envId: string): Promise<StoredEnvironment> {
    const env = await this.options.store.getLive(workspace, envId);
    if (env) return env;
    const ids = (await this.options.store.listLive(workspace)).map((e) => e.envId);
    throw new NotFoundError(`no environment "${envId}" in workspace ${workspace}${didYouMean(envId, ids)}`);
  }

  /**
   * The rendered spec of the environment's latest setup or patch, whatever its outcome: what its
   * configuration says now (a failed deploy's variables included), as `envs vars-get` shows.
   */
  async currentSpec(env: StoredEnvironment): Promise<RenderedEnvironment> {
    const deploys = await this.options.store.listDeploys(env.id, 50);
    return (deploys.find((d) => d.workflow !== 'teardown') ?? deploys[0]!).rendered;
  }

  /**
   * Keeps an application within its most ephemeral environments: when one more would exceed it, the
   * least recently used idle one (no deploy under way) is torn down; when none is idle, creating is refused.
   */
  private async makeRoom(workspace: string, app: string, max: number): Promise<void> {
    const { store } = this.options;
    const live = (await store.listLive(workspace, app)).filter((e) => e.kind === 'ephemeral' && e.status !== 'deleting');
    if (live.length < max) return;
    const idle: StoredEnvironment[] = [];
    for (const env of live) if (!(await store.hasActiveDeploy(env.id))) idle.push(env);
    idle.sort((a, b) => (a.lastActivityAt ?? a.createdAt).localeCompare(b.lastActivityAt ?? b.createdAt));
    const excess = live.length - max + 1;
    if (idle.length < excess) {
      throw new ConflictError(`${app} already has ${live.length} ephemeral environments, the most its lifecycle.maxEnvironments (${max}) allows, and not enough of them are idle to make room; delete one first`);
    }
    for (const env of idle.slice(0, excess)) await this.delete(workspace, env.envId, `lifecycle: ${app} keeps at most ${max} ephemeral environments (least recently used)`);
  }

  private refuseWhenDeleting(env: StoredEnvironment): void {
    if (env.status === 'deleting') throw new ConflictError(`environment ${env.envId} is being deleted`);
  }

  private async application(workspace: string, name: string): Promise<StoredApplication> {
    const app = await getApplication(this.options.db, workspace, name);
    if (app) return app;
    const names = (await listApplications(this.options.db, workspace)).map((a) => a.name);
    throw new NotFoundError(`no application "${name}" in workspace ${workspace}${didYouMean(name, names)}`);
  }

  private async applicationById(env: StoredEnvironment): Promise<StoredApplication> {
    return this.application(env.workspace, env.app);
  }

  /**
   * The application's manifest as the commit's `.slipway/` has it, stored as a template version (not
   * made current). A commit without the folder, or without this application in it, runs the
   * application's current version; invalid manifests are an InputError with located diagnostics.
   */
  private async manifestAtCommit(app: StoredApplication, commit: string): Promise<{ manifest: ApplicationManifest; version: string }> {
    const { files, errors, manifests } = await this.manifests.at(app.repositoryUrl!, commit);
    if (files === 0) return { manifest: await this.manifestOf(app, app.currentVersion), version: app.currentVersion };
    if (errors.length) throw new InputError(`the .slipway/ manifests at commit ${commit.slice(0, 12)} are not valid`, errors);
    const manifest = manifests.find((m): m is ApplicationManifest => m.kind === 'Application' && m.metadata.name === app.name);
    if (!manifest) return { manifest: await this.manifestOf(app, app.currentVersion), version: app.currentVersion };
    return { manifest, version: await addTemplateVersion(this.options.db, app.id, manifest, commit) };
  }

  /** Ends a deploy that cannot start because the commit's manifests are invalid, with every error located. */
  private async failedByManifest(env: StoredEnvironment, deploy: StoredDeploy, error: InputError): Promise<{ environment: StoredEnvironment; deploy: StoredDeploy }> {
    const ended = await this.writeManifestFailure(this.options.store, env, deploy, error);
    this.options.engine.announce(ended.environment, ended.deploy);
    return ended;
  }

  /** The writes of failedByManifest, in `store` (bound to the caller's transaction, when it has one). */
  private async writeManifestFailure(store: EnvironmentStore, env: StoredEnvironment, deploy: StoredDeploy, error: InputError): Promise<{ environment: StoredEnvironment; deploy: StoredDeploy }> {
    const details = error.diagnostics.map(formatDiagnostic).join('\n');
    const first = error.diagnostics[0];
    const reason = `${error.message}${first ? `: ${formatDiagnostic(first)}` : ''}`;
    const at = new Date().toISOString();
    await store.setTask(deploy.id, { key: 'source', step: -1, state: 'failed', reason: error.message, logTail: details.slice(-16_000) });
    await store.updateDeploy(deploy.id, { state: 'failed', outcome: 'failed', reason, startedAt: at, finishedAt: at });
    await store.updateEnvironment(env.id, { status: 'failed', reason });
    const environment = await store.getById(env.id);
    const ended = await store.getDeploy(deploy.id);
    return { environment: environment!, deploy: ended! };
  }

  private async manifestOf(app: StoredApplication, version: string): Promise<ApplicationManifest> {
    const manifest = await getTemplateVersion(this.options.db, app.id, version);
    if (!manifest) throw new Error(`template version ${version} of ${app.name} is missing from the store`);
    return manifest;
  }

  /**
   * A deploy's spec rendered again with its App Imports' addresses once they are linked (direct ones
   * where the runtime gives them): from the same template version, variables and commit as when it
   * was queued, so env.mapping reads the direct addresses and every precedence of rendering holds.
   */
  async renderWithImports(env: StoredEnvironment, deploy: StoredDeploy, imported: Record<string, ImportedAddress>): Promise<RenderedEnvironment> {
    const app = await this.applicationById(env);
    const inputs = deploy.renderInputs ?? { templateVersion: env.templateVersion, variables: env.variables };
    const manifest = await this.manifestOf(app, inputs.templateVersion);
    const commit = deploy.rendered.commit ?? deploy.commit ?? env.commit;
    const identity = { id: env.envId, kind: env.kind, branch: env.branch, ...(commit ? { commit } : {}), ...(env.template ? { template: env.template } : {}) };
    return withoutServices(this.render(manifest, identity, inputs.variables, imported), env.excludedServices ?? []);
  }

  /** The URLs of the services of the environments it imports (App Imports), for a patch or a change of variables. */
  private async importedOf(env: StoredEnvironment): Promise<Record<string, { url: string; host: string }> | undefined> {
    const imported: Record<string, { url: string; host: string }> = {};
    for (const child of await this.options.store.children(env.id)) {
      for (const [service, url] of Object.entries(child.urls)) imported[service] ??= { url, host: new URL(url).hostname };
    }
    return Object.keys(imported).length ? imported : undefined;
  }

  private render(
    manifest: ApplicationManifest,
    identity: Parameters<typeof renderEnvironment>[1],
    variables: Record<string, string>,
    imported?: Record<string, ImportedAddress>,
  ): RenderedEnvironment {
    const result = renderEnvironment(manifest, identity, this.options.settings, { variables, ...(imported ? { imported } : {}) });
    if (result.errors.length || !result.value) throw new InputError(`cannot render environment ${identity.id} of ${manifest.metadata.name}`, result.errors);
    return result.value;
  }

  private checkRuntime(rendered: RenderedEnvironment): void {
    if (!this.options.drivers[rendered.runtime]) {
      const how = { kubernetes: '; set SLIPWAY_KUBECONFIG to a kubeconfig (or in-cluster) to offer it', docker: '; start a Docker or Podman engine (DOCKER_HOST) to offer it' }[rendered.runtime as string] ?? '';
      throw new InputError(`application ${rendered.app} runs on the "${rendered.runtime}" runtime, which this server does not have (it has ${Object.keys(this.options.drivers).join(', ')})${how}`);
    }
  }

  private checkHosts(rendered: RenderedEnvironment): void {
    for (const route of rendered.routes) {
      const owner = this.options.routes.ownerOfHost(route.host);
      if (owner && (owner.app !== rendered.app || owner.envId !== rendered.envId)) {
        throw new ConflictError(`hostname ${route.host} is already served by environment ${owner.envId} of ${owner.app}; choose another environment id (--id)`);
      }
    }
  }

  private ttl(ttl: string): number {
    const ms = durationToMs(ttl);
    if (ms <= 0 || ms > MAX_TTL_MS) throw new InputError(`ttl ${ttl} is out of range: expected more than 0 and at most 365d`);
    return ms;
  }
}
