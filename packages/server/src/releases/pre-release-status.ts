// A pre-release's result as the pull request's commit status. While the pre-release is under way
// its commit shows `pending`; when it ends, `success` (Promoted), `failure` (Failed, Rejected — the
// description names the failing gate or test job) or `error` (Errored, Aborted), linking to the
// application's environment in the stage. It goes through the source provider of previews
// (GitHub, when SLIPWAY_GITHUB_TOKEN is set and the application names a GitHub repository);
// whatever was sent — or why nothing could be — is recorded in the release, so `releases get`
// shows it either way. It is a reconcile(release id) on the keyed worker, under the
// `pre-release-status:<id>` lease: reports for one release go one at a time (on one server or
// several), and only when the state or the description changed, so a release stepping through its
// stage sends pending once.

import type { ReleaseCommitStatus } from '@slipway/contract';
import { isEnded } from '@slipway/core';
import type { ApplicationManifest } from '@slipway/contract';
import { githubRepositoryOf } from '../sources/github/github-events.ts';
import type { PullRequestComments } from '../sources/pull-request-comments.ts';
import { boundDescription, type CommitState, type ProviderName, type SourceReporter } from '../sources/source-provider.ts';
import { getApplication, getTemplateVersion } from '../store/applications.ts';
import type { Db } from '../store/database-schema.ts';
import type { EnvironmentStore } from '../store/environments.ts';
import type { ReleaseCatalog } from '../store/release-catalog.ts';
import type { Leases } from '../store/leases.ts';
import type { ReleaseStore, StoredRelease, StoredStage } from '../store/releases.ts';
import { KeyedWorker } from '../worker/keyed-worker.ts';
import type { EngineLogger } from '../workflows/workflow-engine.ts';

export interface PreReleaseStatusOptions {
  db: Db;
  releases: ReleaseStore;
  catalog: ReleaseCatalog;
  environments: EnvironmentStore;
  /** The source providers that can show commit statuses (previews' reporters). */
  reporters: Partial<Record<ProviderName, SourceReporter>>;
  /** The pull request's one comment (previews'), which a pull request's pre-release writes its part of. */
  comments?: PullRequestComments;
  leases: Leases;
  logger?: EngineLogger;
}

type Desired = Pick<ReleaseCommitStatus, 'state' | 'description' | 'context' | 'sha' | 'targetUrl'> & { pullRequest?: number };

export class PreReleaseStatus {
  private readonly worker: KeyedWorker;

  constructor(private readonly options: PreReleaseStatusOptions) {
    this.worker = new KeyedWorker({
      name: 'pre-release-status',
      reconcile: (releaseId) => this.report(releaseId),
      lease: { per: 'key', leases: options.leases },
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  /** Brings the pre-release's commit status in line with where it stands (queued; returns at once). */
  sync(releaseId: string): void {
    this.worker.enqueue(releaseId);
  }

  /** Starts reporting, beginning with the endings a stopped server did not report (pre-releases that ended in the last day). */
  async resume(): Promise<void> {
    await this.worker.start();
    for (const id of await this.options.releases.preReleasesToReport(new Date(Date.now() - 24 * 3600_000).toISOString())) this.worker.enqueue(id);
  }

  /** Resolves once every report queued so far was sent (tests). */
  idle(): Promise<void> {
    return this.worker.drained();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
  }

  private async report(releaseId: string): Promise<void> {
    const { releases } = this.options;
    const release = await releases.getRelease(releaseId);
    if (!release || release.kind !== 'pre-release') return;
    const found = await this.desired(release);
    if (!found) return;
    const { pullRequest, ...desired } = found;
    const last = release.commitStatus;
    const same = last && last.state === desired.state && last.description === desired.description && last.sha === desired.sha && last.targetUrl === desired.targetUrl;
    // Sent already, or recorded with nowhere to send it: nothing to do. A send that failed is tried again.
    if (same && (last.reportedTo || !last.repository)) return;
    const app = desired.context.split('/')[1]!;
    const where = await this.whereTo(release.workspace, app);
    const at = new Date().toISOString();
    if ('note' in where) {
      await releases.setCommitStatus(release.id, { ...desired, note: where.note, at });
      return;
    }
    try {
      await where.reporter.setCommitStatus({ repository: where.repository, ...desired });
      await releases.setCommitStatus(release.id, { ...desired, repository: where.repository, reportedTo: where.reporter.provider, at });
    } catch (error) {
      const note = `sending to ${where.reporter.provider} failed: ${(error as Error).message}`;
      this.options.logger?.error(`release #${release.number}: commit status ${desired.state} on ${where.repository}@${desired.sha.slice(0, 12)}: ${note}`);
      await releases.setCommitStatus(release.id, { ...desired, repository: where.repository, note, at });
      return;
    }
    // A pull request's pre-release also says where it stands in the pull request's one comment.
    if (pullRequest !== undefined && this.options.comments) {
      const text = preReleaseCommentPart({ app, number: release.number, ...desired });
      await this.options.comments
        .write({ applicationId: where.applicationId, provider: where.reporter.provider, repository: where.repository, pullRequest, app, part: 'preRelease', text, reporter: where.reporter })
        .catch((error: Error) => this.options.logger?.error(`release #${release.number}: comment on pull request #${pullRequest} of ${where.repository}: ${error.message}`));
    }
  }

  /** What the commit should show now. */
  private async desired(release: StoredRelease): Promise<Desired | undefined> {
    const snapshot = await this.options.catalog.getSnapshot(release.snapshotId);
    const component = snapshot?.components[0];
    if (!component) return undefined;
    const records = await this.options.releases.stages(release.id);
    const record = records.find((r) => r.index === release.currentStage) ?? records.at(-1);
    const stageLabel = record?.name ?? release.stages[0]?.environments.join(', ') ?? 'its stage';
    const targetUrl = await this.urlOf(record, component.app);
    const what = `pre-release #${release.number}`;
    let state: CommitState;
    let description: string;
    if (!isEnded(release.state)) {
      state = 'pending';
      const tests = release.stages[record?.index ?? 0]?.gates?.tests ?? [];
      // Waiting for its environments (another release is in them, or a hold): say so, and behind what —
      // in words that stay the same while it waits, so the provider is told once.
      if (!record || record.state === 'Pending') {
        const held = record?.reason?.startsWith('held');
        const behind = /release #(\d+)/.exec(record?.reason ?? '')?.[1];
        description = `${what}: waiting to enter ${stageLabel}${held ? ' (held after a rollback)' : behind ? ` behind release #${behind}` : ''}`;
      }
      else description = `${what}: deploying into ${stageLabel}${tests.length ? ` and running ${tests.join(', ')}` : ''}`;
    } else if (release.state === 'Promoted') {
      state = 'success';
      const passed = (record?.tests ?? []).filter((t) => t.state === 'succeeded').map((t) => `${t.job} in ${t.envId ?? stageLabel}`);
      description = `${what} passed ${stageLabel}${passed.length ? `: ${passed.join(', ')} succeeded` : ''}`;
    } else {
      state = release.state === 'Failed' || release.state === 'Rejected' ? 'failure' : 'error';
      description = `${what} ${release.state.toLowerCase()} in ${stageLabel}: ${failingGate(record) ?? stripStage(release.reason, stageLabel) ?? release.state}`;
    }
    return {
      state,
      description: boundDescription(description, 140),
      context: `slipway/${component.app}/pre-release`,
      sha: component.commit,
      ...(targetUrl ? { targetUrl } : {}),
      ...(component.pullRequest !== undefined ? { pullRequest: component.pullRequest } : {}),
    };
  }

  /** The first URL of the application's environment in the stage. */
  private async urlOf(record: StoredStage | undefined, app: string): Promise<string | undefined> {
    const target = record?.targets.find((t) => t.app === app && t.environmentId);
    const env = target?.environmentId ? await this.options.environments.getById(target.environmentId) : undefined;
    return env ? Object.values(env.urls)[0] : undefined;
  }

  /** The provider and repository the application's commits are reported to, or why there is none. */
  private async whereTo(workspace: string, appName: string): Promise<{ reporter: SourceReporter; repository: string; applicationId: string } | { note: string }> {
    const app = await getApplication(this.options.db, workspace, appName);
    if (!app?.repositoryUrl) return { note: `application ${appName} has no repository` };
    const manifest = (await getTemplateVersion(this.options.db, app.id, app.currentVersion)) as ApplicationManifest | undefined;
    const repository = githubRepositoryOf({ repositoryUrl: app.repositoryUrl, ...(manifest ? { manifest } : {}) });
    if (!repository) return { note: `recorded here only: application ${appName} names no GitHub repository (spec.repository.github)` };
    const reporter = this.options.reporters.github;
    if (!reporter) return { note: `recorded here only: the server has no GitHub token (SLIPWAY_GITHUB_TOKEN) to report to ${repository}` };
    return { reporter, repository, applicationId: app.id };
  }
}

const ICONS: Record<CommitState, string> = { pending: '🔄', success: '✅', failure: '❌', error: '⚠️' };

/** The pre-release's part of the pull request's comment: its state, what it says, and where it runs. */
export function preReleaseCommentPart(input: { app: string; number: number; state: CommitState; description: string; sha: string; targetUrl?: string }): string {
  const word: Record<CommitState, string> = { pending: 'under way', success: 'passed', failure: 'failed', error: 'errored' };
  return [
    `**Slipway pre-release** of \`${input.app}\`: ${ICONS[input.state]} ${word[input.state]} at ${input.sha.slice(0, 12)}`,
    '',
    `> ${input.description}`,
    ...(input.targetUrl ? ['', `Environment: ${input.targetUrl}`] : []),
    '',
    `<sub>\`slipway releases get ${input.number}\`</sub>`,
  ].join('\n');
}

/** The gate that failed the stage: a test job (with its environment and reason), or a deploy. */
function failingGate(record: StoredStage | undefined): string | undefined {
  if (!record) return undefined;
  const test = record.tests.find((t) => t.state === 'failed' || t.state === 'errored');
  if (test) return `test job ${test.job}${test.envId ? ` in ${test.envId}` : ''} ${test.state}${test.reason ? ` (${test.reason})` : ''}`;
  const deploy = record.targets.find((t) => t.state === 'failed' || t.state === 'errored');
  if (deploy) return `deploy ${deploy.state}: ${deploy.reason ?? `${deploy.app} in ${deploy.envId}`}`;
  return record.reason;
}

function stripStage(reason: string | undefined, stage: string): string | undefined {
  return reason?.startsWith(`${stage}: `) ? reason.slice(stage.length + 2) : reason;
}
