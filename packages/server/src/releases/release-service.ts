import type { CreateReleaseRequest, ReleaseStage, TrackViewResponse } from '@slipway/contract';
import { createReleaseRequest } from '@slipway/contract';
import {
  ConflictError,
  decisionRefusal,
  didYouMean,
  InputError,
  isActiveStage,
  isEnded,
  NotAllowedError,
  NotFoundError,
  stageName,
  stagesFor,
  type ApprovalPolicy,
  type Approver,
  type DecisionRefusal,
  type DecisionSubject,
  type ReleaseDecision,
} from '@slipway/core';
import type { ReleaseCatalog, StoredReleaseTrack } from '../store/release-catalog.ts';
import type { ReleaseStore, StoredDecision, StoredRelease, StoredStage } from '../store/releases.ts';
import type { ReleaseAudit } from './release-audit.ts';
import type { ReleaseController } from './release-controller.ts';
import { trackViewOf, type ReleaseRecords } from './release-views.ts';
import type { SnapshotService } from './snapshot-service.ts';
import { retryOnUniqueConflict } from '../store/transact.ts';
import type { KeysetPage, PageRequest } from '../store/keyset-page.ts';

// What people do with releases — create, approve, reject, promote, abort, roll back — each checked in
// full before anything is written, then handed to the controller, which takes the release as far as
// it can go at once (so the answer already shows the next stage deploying).

export interface ReleaseServiceOptions {
  releases: ReleaseStore;
  catalog: ReleaseCatalog;
  snapshots: SnapshotService;
  controller: ReleaseController;
  audit: ReleaseAudit;
}

/** Whether a person may approve or reject a release now (undefined: they may), for the portal. */
export interface ReleaseDecisions {
  release: StoredRelease;
  stage?: { index: number; name: string; state: StoredStage['state']; policy?: ApprovalPolicy };
  approve?: DecisionRefusal;
  reject?: DecisionRefusal;
  /** Their latest approval of the current stage. */
  myApproval?: StoredDecision;
}

/** Why a release can no longer be promoted or aborted (409), or undefined while it is under way. */
export function endedRefusal(release: Pick<StoredRelease, 'number' | 'state'>): string | undefined {
  return isEnded(release.state) ? `release #${release.number} has already ended (${release.state})` : undefined;
}

/** Why a release of `kind` cannot follow the track (400: it has no stages for it), or undefined when it can. */
export function laneRefusal(track: Pick<StoredReleaseTrack, 'name' | 'spec'>, kind: 'release' | 'hotfix' | 'pre-release'): string | undefined {
  if (stagesFor(track.spec, kind).length) return undefined;
  const list = kind === 'pre-release' ? 'preReleaseStages' : kind === 'hotfix' ? 'hotfixStages' : 'releaseStages';
  return `release track ${track.name} has no ${list}, so a ${kind} cannot follow it`;
}

/** A stage of a release that can be rolled back, and the version it goes back to. */
export interface RollbackChoice {
  index: number;
  name: string;
  environments: string[];
  /** The release that promoted the stage's previous version, and that version's snapshot alias. */
  to: { release: number; snapshot: string };
}

/** The stage a release waits to enter while a rollback holds it: lifting the hold is promoting it (ReleaseService.promote). */
export interface HeldEntry {
  index: number;
  name: string;
  environments: string[];
  /** Who put the hold, and the rollback release that did. */
  by: string;
  rollback?: number;
}

const ACTIVE = ['Deploying', 'Verifying', 'AwaitingApproval'] as const;
const envKey = (environments: string[]) => [...environments].sort().join('+');

export class ReleaseService {
  constructor(private readonly options: ReleaseServiceOptions) {}

  /** `origin` says what asked for it when no person did (a pull request), for the transition and the audit entry. */
  async create(workspace: string, request: CreateReleaseRequest, author: string, origin?: { reason: string; details: Record<string, unknown> }): Promise<ReleaseRecords> {
    const body = createReleaseRequest.parse(request);
    const { releases } = this.options;
    const snapshot = await this.options.snapshots.get(workspace, body.snapshot);
    const track = await this.trackFor(workspace, snapshot.set, body.track);
    if (snapshot.kind === 'pre-release' && body.hotfix) throw new InputError(`snapshot ${snapshot.alias} is a pre-release (one branch of ${snapshot.components[0]?.app}); a hotfix releases a release snapshot`);
    const kind = snapshot.kind === 'pre-release' ? 'pre-release' : body.hotfix ? 'hotfix' : 'release';
    const stages = stagesFor(track.spec, kind);
    const refused = laneRefusal(track, kind);
    if (refused) throw new InputError(refused);
    const release = await retryOnUniqueConflict(() => releases.transact(async (store, tx) => {
      const created = await store.createRelease({
        workspace,
        kind,
        track: track.name,
        set: snapshot.set,
        snapshotId: snapshot.id,
        author,
        stages,
        reason: `${kind} of snapshot ${snapshot.alias} created by ${author}${origin ? ` ${origin.reason}` : ''}`,
      });
      await this.options.audit({ workspace, actor: author, kind: 'release.create', subject: `release #${created.number}`, details: { kind, track: track.name, set: snapshot.set, snapshot: snapshot.alias, snapshotId: snapshot.id, ...origin?.details } }, tx);
      return created;
    }));
    await this.options.controller.settle(release.id);
    return this.records(release.id);
  }

  async list(workspace: string, filter: { track?: string; set?: string; active?: boolean }): Promise<ReleaseRecords[]> {
    const found = await this.options.releases.listReleases(workspace, filter);
    return Promise.all(found.map((r) => this.records(r.id)));
  }

  /** One page of `list`. */
  async page(workspace: string, filter: { track?: string; set?: string; active?: boolean }, page: PageRequest): Promise<KeysetPage<ReleaseRecords>> {
    const found = await this.options.releases.pageReleases(workspace, filter, page);
    return { ...found, items: await Promise.all(found.items.map((r) => this.records(r.id))) };
  }

  async get(workspace: string, ref: string, withTransitions = true): Promise<ReleaseRecords> {
    return this.records((await this.find(workspace, ref)).id, withTransitions);
  }

  /** Records an approval of the release's current stage and lets the release move on at once. */
  async approve(workspace: string, ref: string, approver: Approver, comment?: string): Promise<ReleaseRecords> {
    const { release, record, stage } = await this.decidable(workspace, ref, 'approve', approver);
    const policy = stage.gates!.approvals!;
    const required = new Set(policy.required.map((r) => r.role));
    const roles = approver.roles.filter((r) => required.has(r));
    await this.options.releases.transact(async (store, tx) => {
      await store.addDecision({ releaseId: release.id, stage: record.index, user: approver.user, decision: 'approve', roles, ...(comment ? { comment } : {}) });
      await this.options.audit({ workspace, actor: approver.user, kind: 'release.approve', subject: `release #${release.number}`, details: { stage: record.name, roles, ...(comment ? { comment } : {}) } }, tx);
    });
    await this.options.controller.settle(release.id);
    return this.records(release.id);
  }

  /** Rejects the release in its current stage: it ends Rejected. Approvers of the stage and release managers may. */
  async reject(workspace: string, ref: string, approver: Approver, reason: string): Promise<ReleaseRecords> {
    const { release, record } = await this.decidable(workspace, ref, 'reject', approver);
    const why = `rejected by ${approver.user}: ${reason}`;
    await this.options.releases.transact(async (releases, tx) => {
      await releases.addDecision({ releaseId: release.id, stage: record.index, user: approver.user, decision: 'reject', roles: approver.roles, comment: reason });
      const moved = await releases.moveStage(release.id, record.index, record.state, 'Rejected', approver.user, why, { reason: why, finishedAt: new Date().toISOString() });
      if (!moved) throw new ConflictError(`release #${release.number} moved on while rejecting; look at it again (slipway releases get ${release.number})`);
      await releases.endRelease(release.id, 'Rejected', approver.user, `${record.name}: ${why}`);
      await releases.updateRelease(release.id, { currentStage: record.index });
      await this.options.audit({ workspace, actor: approver.user, kind: 'release.reject', subject: `release #${release.number}`, details: { stage: record.name, reason } }, tx);
    });
    await this.options.controller.kickWaiting(workspace, release.set);
    return this.records(release.id);
  }

  /**
   * Whether `approver` may approve or reject the release now, and why not: the same answer approve
   * and reject give (both ask `decisionRefusal`), plus their own latest approval of the stage.
   */
  async decisions(workspace: string, ref: string, approver: Approver): Promise<ReleaseDecisions> {
    const release = await this.find(workspace, ref);
    const subject = await this.decisionSubject(release);
    const { records, stage } = subject;
    const mine = records ? (await this.options.releases.decisions(release.id)).filter((d) => d.stage === records.index && d.user === approver.user && d.decision === 'approve').at(-1) : undefined;
    return {
      release,
      ...(records ? { stage: { index: records.index, name: records.name, state: records.state, ...(stage?.gates?.approvals ? { policy: stage.gates.approvals } : {}) } } : {}),
      approve: decisionRefusal('approve', subject.subject, approver),
      reject: decisionRefusal('reject', subject.subject, approver),
      ...(mine ? { myApproval: mine } : {}),
    };
  }

  /** Stops the release where it is: deploys already under way finish, nothing more is started. */
  async abort(workspace: string, ref: string, actor: string, reason?: string, details: Record<string, unknown> = {}): Promise<ReleaseRecords> {
    const release = await this.find(workspace, ref);
    const ended = endedRefusal(release);
    if (ended) throw new ConflictError(ended);
    await this.options.releases.transact(async (releases, tx) => {
      await stopRelease(releases, release, actor, `aborted by ${actor}${reason ? `: ${reason}` : ''}`);
      await this.options.audit({ workspace, actor, kind: 'release.abort', subject: `release #${release.number}`, details: { ...(reason ? { reason } : {}), ...details } }, tx);
    });
    await this.options.controller.kickWaiting(workspace, release.set);
    return this.records(release.id);
  }

  /**
   * Deliberately promotes the release into its next stage when a rollback holds that stage (the hold
   * is lifted), or out of a stage whose promotion is manual once every gate holds; otherwise it
   * answers why the release cannot move yet. Gates are never skipped.
   */
  async promote(workspace: string, ref: string, actor: string, reason?: string): Promise<ReleaseRecords> {
    const { releases, controller } = this.options;
    const release = await this.find(workspace, ref);
    const ended = endedRefusal(release);
    if (ended) throw new ConflictError(ended);
    await controller.settle(release.id);
    const record = (await releases.stages(release.id)).at(-1);
    if (record?.state === 'Pending') {
      const held = (await releases.holds(workspace, release.set)).filter((h) => record.environments.includes(h.environment));
      if (held.length) {
        await releases.transact(async (store, tx) => {
          await store.releaseHolds(workspace, release.set, held.map((h) => h.environment));
          await store.updateStage(release.id, record.index, { reason: `hold lifted by ${actor}${reason ? `: ${reason}` : ''}` });
          await this.options.audit({ workspace, actor, kind: 'release.promote', subject: `release #${release.number}`, details: { stage: record.name, liftedHold: held.map((h) => h.environment), ...(reason ? { reason } : {}) } }, tx);
        });
        await controller.settle(release.id);
        return this.records(release.id);
      }
    }
    const waiting = await controller.awaitingPromotion(release.id);
    if (record && waiting === record.index) {
      await releases.transact(async (store, tx) => {
        // Checked again inside the write: two promotions at once, or an abort in between, record one or none.
        // The stage row is written first, so on PostgreSQL a second promotion waits here for the first
        // to commit and then reads its decision (each statement sees what committed before it).
        await store.updateStage(release.id, record.index, {});
        const now = (await store.stages(release.id)).find((s) => s.index === record.index);
        const promotedAlready = (await store.decisions(release.id)).some((d) => d.stage === record.index && d.decision === 'promote');
        if (now?.state !== 'AwaitingApproval' || promotedAlready || isEnded((await store.getRelease(release.id))!.state)) {
          throw new ConflictError(`release #${release.number} is no longer waiting for a promotion out of ${record.name}${promotedAlready ? ': someone promoted it a moment ago' : ''}`);
        }
        await store.addDecision({ releaseId: release.id, stage: record.index, user: actor, decision: 'promote', roles: [], ...(reason ? { comment: reason } : {}) });
        await this.options.audit({ workspace, actor, kind: 'release.promote', subject: `release #${release.number}`, details: { stage: record.name, manual: true, ...(reason ? { reason } : {}) } }, tx);
      });
      await controller.settle(release.id);
      return this.records(release.id);
    }
    const after = await this.records(release.id);
    const now = after.stages.at(-1);
    if (now && now.index === record?.index && now.state === record.state && !isEnded(after.release.state)) {
      throw new ConflictError(`release #${release.number} cannot be promoted out of ${now.name} yet: ${now.reason ?? now.state}`);
    }
    return after;
  }

  /**
   * Rolls a stage back to the snapshot promoted there before this release: a rollback release
   * redeploys it, and automatic promotion into the stage is held until someone promotes a release
   * deliberately. The release (and any other) still active in the stage is aborted.
   */
  async rollback(workspace: string, ref: string, actor: string, options: { stage?: string; reason?: string }): Promise<ReleaseRecords> {
    const { releases, catalog } = this.options;
    const release = await this.find(workspace, ref);
    const records = await releases.stages(release.id);
    let index: number;
    if (options.stage !== undefined) {
      index = release.stages.findIndex((s) => stageName(s) === options.stage || s.environments.includes(options.stage!));
      if (index < 0) throw new InputError(`release #${release.number} has no stage "${options.stage}"${didYouMean(options.stage, release.stages.map(stageName))}; its stages are ${release.stages.map(stageName).join(', ')}`);
    } else {
      const last = records.filter((r) => r.enteredAt).at(-1);
      if (!last) throw new ConflictError(`release #${release.number} has not deployed anywhere yet; there is nothing to roll back`);
      index = last.index;
    }
    const stage = release.stages[index]!;
    const record = records.find((r) => r.index === index);
    const target = await this.rollbackTarget(release, records, index);
    if (typeof target === 'string') throw new ConflictError(target);
    const { previous } = target;
    const snapshot = await catalog.getSnapshot(previous.release.snapshotId);
    const why = `${stageName(stage)} rolled back to ${snapshot?.alias ?? previous.release.snapshotId} (release #${previous.release.number}) by ${actor}${options.reason ? `: ${options.reason}` : ''}`;

    const rollbackStage: ReleaseStage = { ...(stage.name ? { name: stage.name } : {}), environments: stage.environments, gates: { healthy: true, tests: [], windows: [] } };
    const rollback = await retryOnUniqueConflict(() => releases.transact(async (store, tx) => {
      // What is under way in the stage stops: the rolled-back release and any other there.
      for (const { release: other, stage: otherStage } of await store.stagesOfSet(workspace, release.set, [...ACTIVE])) {
        if (otherStage.environments.some((e) => stage.environments.includes(e))) await stopRelease(store, other, actor, `stopped: ${why}`);
      }
      if (!isEnded((await store.getRelease(release.id))!.state) && record && (record.state === 'Pending' || isActiveStage(record.state))) await stopRelease(store, release, actor, `stopped: ${why}`);
      const created = await store.createRelease({
        workspace,
        kind: 'rollback',
        track: release.track,
        set: release.set,
        snapshotId: previous.release.snapshotId,
        author: actor,
        stages: [rollbackStage],
        rollbackOf: release.id,
        reason: why,
      });
      await store.putHolds({ workspace, set: release.set, releaseId: created.id, actor, reason: why }, stage.environments);
      await this.options.audit(
        {
          workspace,
          actor,
          kind: 'release.rollback',
          subject: `release #${release.number}`,
          details: { stage: stageName(stage), to: snapshot?.alias, rollbackRelease: created.number, ...(options.reason ? { reason: options.reason } : {}) },
        },
        tx,
      );
      return created;
    }));
    await this.options.controller.settle(rollback.id);
    return this.records(rollback.id);
  }

  /**
   * The stages of the release a rollback may take back now, each with the version it would go back
   * to — the same search rollback makes — and, when there is none, what rolling back without a
   * stage would answer (409).
   */
  async rollbackChoices(workspace: string, ref: string): Promise<{ stages: RollbackChoice[]; refusal?: string }> {
    const release = await this.find(workspace, ref);
    const records = await this.options.releases.stages(release.id);
    const stages: RollbackChoice[] = [];
    let refusal: string | undefined;
    for (const record of records.filter((r) => r.enteredAt)) {
      const target = await this.rollbackTarget(release, records, record.index);
      if (typeof target === 'string') {
        refusal = target;
        continue;
      }
      const snapshot = await this.options.catalog.getSnapshot(target.previous.release.snapshotId);
      stages.push({ index: record.index, name: record.name, environments: record.environments, to: { release: target.previous.release.number, snapshot: snapshot?.alias ?? target.previous.release.snapshotId.slice(0, 12) } });
    }
    if (records.every((r) => !r.enteredAt)) refusal = `release #${release.number} has not deployed anywhere yet; there is nothing to roll back`;
    return { stages, ...(stages.length === 0 && refusal ? { refusal } : {}) };
  }

  /**
   * The stage the release waits to enter while a rollback holds it — promoting the release lifts
   * the hold — or why there is none, as promote would find it: the release is under way and its
   * next stage is Pending with a hold on one of its environments.
   */
  async heldEntry(workspace: string, ref: string): Promise<HeldEntry | string> {
    const { releases } = this.options;
    const release = await this.find(workspace, ref);
    const ended = endedRefusal(release);
    if (ended) return ended;
    const record = (await releases.stages(release.id)).at(-1);
    if (record?.state !== 'Pending') return `release #${release.number} is not waiting to enter a held stage`;
    const held = (await releases.holds(workspace, release.set)).filter((h) => record.environments.includes(h.environment));
    if (!held.length) return `no hold stands before release #${release.number} in ${record.name}`;
    const rollback = held[0]!.releaseId ? await releases.getRelease(held[0]!.releaseId) : undefined;
    return { index: record.index, name: record.name, environments: held.map((h) => h.environment), by: held[0]!.actor, ...(rollback ? { rollback: rollback.number } : {}) };
  }

  async trackView(workspace: string, name: string): Promise<Omit<TrackViewResponse, 'actions'>> {
    const track = await this.track(workspace, name);
    const found = await this.options.releases.listReleases(workspace, { track: name, limit: 100 });
    const records = await Promise.all(found.map((r) => this.records(r.id, false)));
    const sets = new Set([...(track.applicationSet ? [track.applicationSet] : []), ...found.map((r) => r.set)]);
    const holds = (await Promise.all([...sets].map((s) => this.options.releases.holds(workspace, s)))).flat();
    return trackViewOf(track, records, holds);
  }

  async track(workspace: string, name: string): Promise<StoredReleaseTrack> {
    const track = await this.options.catalog.getTrack(workspace, name);
    if (track) return track;
    const names = (await this.options.catalog.listTracks(workspace)).map((t) => t.name);
    throw new NotFoundError(`no release track "${name}" in workspace ${workspace}${didYouMean(name, names)}${names.length ? `; there are ${names.join(', ')}` : '; register one with `slipway tracks create`'}`);
  }

  /** The track a set's releases follow: the one asked for, the set's own, or the one naming the set. */
  async trackFor(workspace: string, set: string, asked?: string): Promise<StoredReleaseTrack> {
    if (asked) return this.track(workspace, asked);
    const stored = await this.options.catalog.getSet(workspace, set);
    if (stored?.releaseTrack) return this.track(workspace, stored.releaseTrack);
    const naming = (await this.options.catalog.listTracks(workspace)).filter((t) => t.applicationSet === set);
    if (naming.length === 1) return naming[0]!;
    if (naming.length > 1) throw new InputError(`tracks ${naming.map((t) => t.name).join(' and ')} both name set ${set}; give "track"`);
    throw new InputError(`application set ${set} follows no release track: name one in the set (spec.releaseTrack, or metadata.parent), in the track (spec.applicationSet), or give "track"`);
  }

  private async find(workspace: string, ref: string): Promise<StoredRelease> {
    const release = await this.options.releases.findRelease(workspace, ref);
    if (release) return release;
    const recent = (await this.options.releases.listReleases(workspace, { limit: 5 })).map((r) => `#${r.number}`);
    throw new NotFoundError(`no release "${ref}" in workspace ${workspace}${recent.length ? `; the latest are ${recent.join(', ')}` : ''}`);
  }

  /** The release with the stage it stands in now, as the decision rule reads it. */
  private async decisionSubject(release: StoredRelease): Promise<{ subject: DecisionSubject; records?: StoredStage; stage?: ReleaseStage }> {
    const records = (await this.options.releases.stages(release.id)).at(-1);
    const stage = records ? release.stages[records.index] : undefined;
    const policy = stage?.gates?.approvals;
    const subject: DecisionSubject = {
      number: release.number,
      state: release.state,
      author: release.author,
      ...(records ? { current: { name: records.name, state: records.state, ...(records.reason ? { reason: records.reason } : {}) } } : {}),
      firstStage: stageName(release.stages[0]!),
      ...(policy ? { policy } : {}),
    };
    return { subject, ...(records ? { records } : {}), ...(stage ? { stage } : {}) };
  }

  /** The release and its current stage, when `approver` may approve or reject it now; otherwise the refusal, as a 409 or 403. */
  private async decidable(workspace: string, ref: string, decision: ReleaseDecision, approver: Approver): Promise<{ release: StoredRelease; record: StoredStage; stage: ReleaseStage }> {
    const release = await this.find(workspace, ref);
    const { subject, records, stage } = await this.decisionSubject(release);
    const refusal = decisionRefusal(decision, subject, approver);
    if (refusal) throw refusal.kind === 'conflict' ? new ConflictError(refusal.message) : new NotAllowedError(refusal.message);
    return { release, record: records!, stage: stage! };
  }

  /**
   * The release promoted into stage `index` of `release` before it — the version rolling that stage
   * back redeploys — or, when there is none, why (rollback answers it as a 409).
   */
  private async rollbackTarget(release: StoredRelease, records: StoredStage[], index: number): Promise<{ previous: { release: StoredRelease; record: StoredStage } } | string> {
    const { releases } = this.options;
    const stage = release.stages[index]!;
    const record = records.find((r) => r.index === index);
    if (!record?.enteredAt) return `release #${release.number} never reached ${stageName(stage)}; there is nothing to roll back there`;
    const key = envKey(stage.environments);
    for (const candidate of await releases.listReleases(release.workspace, { set: release.set, limit: 500 })) {
      if (candidate.number >= release.number || candidate.snapshotId === release.snapshotId) continue;
      const promoted = (await releases.stages(candidate.id)).find((s) => envKey(s.environments) === key && s.state === 'Promoted');
      if (promoted) return { previous: { release: candidate, record: promoted } };
    }
    return `nothing was promoted to ${stageName(stage)} before release #${release.number}, so there is no earlier version to roll back to`;
  }


  private async records(id: string, withTransitions = true): Promise<ReleaseRecords> {
    const { releases, catalog } = this.options;
    const release = (await releases.getRelease(id))!;
    const [stages, decisions, snapshot, transitions, rolledBack] = await Promise.all([
      releases.stages(id),
      releases.decisions(id),
      catalog.getSnapshot(release.snapshotId),
      withTransitions ? releases.transitions(id) : Promise.resolve(undefined),
      release.rollbackOf ? releases.getRelease(release.rollbackOf) : Promise.resolve(undefined),
    ]);
    return {
      release,
      stages,
      decisions,
      snapshot: { id: release.snapshotId, alias: snapshot?.alias ?? release.snapshotId.slice(0, 12) },
      ...(transitions ? { transitions } : {}),
      ...(rolledBack ? { rollbackOf: rolledBack.number } : {}),
    };
  }
}

/** Ends a release Aborted where it is (its current stage too), through `releases` (a transaction's). */
async function stopRelease(releases: ReleaseStore, release: StoredRelease, actor: string, reason: string): Promise<void> {
  const record = (await releases.stages(release.id)).at(-1);
  if (record && (record.state === 'Pending' || isActiveStage(record.state))) {
    await releases.moveStage(release.id, record.index, record.state, 'Aborted', actor, reason, { reason, finishedAt: new Date().toISOString() });
  }
  await releases.endRelease(release.id, 'Aborted', actor, reason);
}
