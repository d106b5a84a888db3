import { createHash } from 'node:crypto';
import type { CreateSnapshotRequest, Manifest, SnapshotComponent } from '@slipway/contract';
import { createSnapshotRequest } from '@slipway/contract';
import { didYouMean, InputError, NotFoundError, parentOf, snapshotAlias, snapshotContent } from '@slipway/core';
import type { Repositories } from '../git/repositories.ts';
import { getApplication, getTemplateVersion, listApplications, type StoredApplication } from '../store/applications.ts';
import type { Db } from '../store/database-schema.ts';
import type { ReleaseCatalog, StoredApplicationSet, StoredSnapshot } from '../store/release-catalog.ts';
import { imagesOfCommit } from '../store/commit-images.ts';
import { imageFields } from './snapshot-images.ts';
import type { AuditHook } from '../store/audit-ledger.ts';

// Snapshots: the exact version of each application of a set, fixed once. A release snapshot reads
// every member at the head of its tracking branch (or a branch or commit given for it); a
// pre-release snapshot holds one application at a branch or pull request. The id is the hash of the
// content, so asking twice for the same versions gives the same snapshot.

export interface SnapshotServiceOptions {
  db: Db;
  catalog: ReleaseCatalog;
  repositories: Repositories;
}

export class SnapshotService {
  constructor(private readonly options: SnapshotServiceOptions) {}

  async create(workspace: string, request: CreateSnapshotRequest, createdBy: string, now = new Date(), audit?: AuditHook<StoredSnapshot>): Promise<{ snapshot: StoredSnapshot; created: boolean }> {
    const body = createSnapshotRequest.parse(request);
    const set = await this.set(workspace, body.set);
    const members = await this.members(workspace, set);
    if (members.length === 0) throw new InputError(`application set ${set.name} has no applications: list them in spec.applications, or name the set as the parent of each application`);

    let components: SnapshotComponent[];
    if (body.kind === 'pre-release') {
      const app = members.find((a) => a.name === body.app);
      if (!app) throw new InputError(`application ${body.app} is not a member of set ${set.name}${didYouMean(body.app!, members.map((a) => a.name))}; its members are ${members.map((a) => a.name).join(', ')}`);
      const repository = this.repositoryOf(app);
      let commit: string;
      if (body.pullRequest !== undefined) {
        const sha = await this.options.repositories.resolveRef(repository, `refs/pull/${body.pullRequest}/head`);
        if (!sha) throw new InputError(`${repository} has no pull request #${body.pullRequest} (no refs/pull/${body.pullRequest}/head)`);
        commit = sha;
      } else commit = await this.options.repositories.resolveBranch(repository, body.branch!);
      components = [
        {
          app: app.name,
          commit,
          ...(body.branch ? { branch: body.branch } : {}),
          ...(body.pullRequest !== undefined ? { pullRequest: body.pullRequest } : {}),
          templateVersion: app.currentVersion,
          ...imageFields(await imagesOfCommit(this.options.db, workspace, app.id, commit)),
        },
      ];
    } else {
      for (const name of [...Object.keys(body.branches ?? {}), ...Object.keys(body.commits ?? {})]) {
        if (!members.some((a) => a.name === name)) throw new InputError(`application ${name} is not a member of set ${set.name}; its members are ${members.map((a) => a.name).join(', ')}`);
      }
      components = [];
      for (const app of members) {
        const repository = this.repositoryOf(app);
        const pinned = body.commits?.[app.name];
        const heads = await this.options.repositories.heads(repository);
        const branch = body.branches?.[app.name] ?? app.trackingBranch ?? heads.defaultBranch;
        if (!branch && !pinned) throw new InputError(`${app.name}'s repository ${repository} has no default branch and the application names no tracking branch`);
        let commit = pinned;
        if (!commit) {
          commit = heads.branches.get(branch!);
          if (!commit) throw new InputError(`branch "${branch}" does not exist in ${repository} (application ${app.name})${didYouMean(branch!, [...heads.branches.keys()])}`);
        }
        components.push({ app: app.name, commit, ...(branch ? { branch } : {}), templateVersion: app.currentVersion, ...imageFields(await imagesOfCommit(this.options.db, workspace, app.id, commit)) });
      }
    }

    const id = createHash('sha256').update(snapshotContent({ workspace, set: set.name, kind: body.kind, components })).digest('hex');
    return this.options.catalog.putSnapshot({ id, workspace, set: set.name, kind: body.kind, components, createdBy }, (taken) => snapshotAlias(now, taken), now, audit);
  }

  /**
   * The pre-release snapshot of a pull request at the head commit its provider reported (a webhook
   * says which commit it is; reading refs/pull/<n>/head could still see the previous one).
   */
  async createForPullRequest(workspace: string, input: { set: string; app: string; pullRequest: number; commit: string; branch: string }, createdBy: string, now = new Date()): Promise<StoredSnapshot> {
    const set = await this.set(workspace, input.set);
    const app = (await this.members(workspace, set)).find((a) => a.name === input.app);
    if (!app) throw new InputError(`application ${input.app} is not a member of set ${set.name}`);
    const components: SnapshotComponent[] = [
      {
        app: app.name,
        commit: input.commit,
        branch: input.branch,
        pullRequest: input.pullRequest,
        templateVersion: app.currentVersion,
        ...imageFields(await imagesOfCommit(this.options.db, workspace, app.id, input.commit)),
      },
    ];
    const id = createHash('sha256').update(snapshotContent({ workspace, set: set.name, kind: 'pre-release', components })).digest('hex');
    const { snapshot } = await this.options.catalog.putSnapshot({ id, workspace, set: set.name, kind: 'pre-release', components, createdBy }, (taken) => snapshotAlias(now, taken), now);
    return snapshot;
  }

  async get(workspace: string, ref: string): Promise<StoredSnapshot> {
    const found = await this.options.catalog.findSnapshot(workspace, ref);
    if (found === 'ambiguous') throw new InputError(`more than one snapshot id starts with "${ref}"; give more of it, or the alias`);
    if (found) return found;
    const recent = (await this.options.catalog.listSnapshots(workspace, undefined, 20)).map((s) => s.alias);
    throw new NotFoundError(`no snapshot "${ref}" in workspace ${workspace}${didYouMean(ref, recent)}${recent.length ? `; recent ones: ${recent.slice(0, 5).join(', ')}` : ''}`);
  }

  async set(workspace: string, name: string): Promise<StoredApplicationSet> {
    const set = await this.options.catalog.getSet(workspace, name);
    if (set) return set;
    const names = (await this.options.catalog.listSets(workspace)).map((s) => s.name);
    throw new NotFoundError(`no application set "${name}" in workspace ${workspace}${didYouMean(name, names)}; register it with \`slipway sets create\``);
  }

  /**
   * The set's applications: those it lists, and every registered application whose manifest names
   * the set as its parent (lowops.manifests.v1). Each must be registered.
   */
  async members(workspace: string, set: StoredApplicationSet): Promise<StoredApplication[]> {
    const registered = await listApplications(this.options.db, workspace);
    const names = new Set(set.applications);
    for (const app of registered) {
      if (names.has(app.name)) continue;
      const manifest = await getTemplateVersion(this.options.db, app.id, app.currentVersion);
      if (manifest && parentOf(manifest as Manifest) === set.name) names.add(app.name);
    }
    const members: StoredApplication[] = [];
    for (const name of [...names].sort()) {
      const app = await getApplication(this.options.db, workspace, name);
      if (!app) throw new InputError(`application set ${set.name} names application ${name}, which is not registered in workspace ${workspace}; register it with \`slipway apps create --repo <path-or-url>\``);
      members.push(app);
    }
    return members;
  }

  private repositoryOf(app: StoredApplication): string {
    if (!app.repositoryUrl) throw new InputError(`application ${app.name} was registered from a manifest without a git repository; register it from its repository so snapshots can name its commits`);
    return app.repositoryUrl;
  }
}
