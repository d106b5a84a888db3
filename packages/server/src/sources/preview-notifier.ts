// Tells the source provider how deploys go: a commit status when a deploy starts (pending) and ends
// (success, failure, error), linking to the environment's first URL, and for a pull request one
// comment listing the environment's URLs, created once and edited in place afterwards. It is a
// reconcile(environment) on the keyed worker: a deploy event is kept as the environment's latest and
// its key queued, and a run reports the latest — so reports of one environment go one at a time and
// in order, and a `started` overtaken by its end is not sent at all. No lease: a deploy's events come
// from the server that runs it, under the environment's lease. The comment itself is one per pull
// request, written through PullRequestComments (a reconcile per comment).

import type { StoredDeploy, StoredEnvironment } from '../store/environments.ts';
import type { PreviewLink, PreviewStore, WatchedApplication } from '../store/previews.ts';
import type { DeployEvent } from '../workflows/workflow-engine.ts';
import { noOutputMasking, type OutputMasking } from '../secrets/output-masking.ts';
import { githubRepositoryOf } from './github/github-events.ts';
import { KeyedWorker } from '../worker/keyed-worker.ts';
import { commentBody, type PullRequestComments } from './pull-request-comments.ts';
import type { PreviewLogger } from './preview-coordinator.ts';
import { boundDescription, type CommitState, type ProviderName, type SourceReporter } from './source-provider.ts';

export interface PreviewNotifierOptions {
  previews: PreviewStore;
  /** The pull request's one comment, shared with pre-releases. */
  comments: PullRequestComments;
  reporters: Partial<Record<ProviderName, SourceReporter>>;
  logger?: PreviewLogger;
  /** Masks the workspace's secrets in commit statuses and comments (a deploy's reason may quote output). */
  masking?: OutputMasking;
}

/** Where an environment's deploys are reported: its link's pull request, or its application's repository. */
interface Target {
  provider: ProviderName;
  repository: string;
  link?: PreviewLink;
}

export type PreviewCommentState = 'deploying' | 'ready' | 'failed' | 'errored' | 'removed';

export function commitStateOf(event: DeployEvent): CommitState {
  if (event.type === 'started') return 'pending';
  if (event.deploy.state === 'succeeded') return 'success';
  if (event.deploy.state === 'failed') return 'failure';
  return 'error';
}

export function statusDescription(event: DeployEvent): string {
  const { environment: env, deploy } = event;
  if (event.type === 'started') return `Deploying ${env.envId} (${deploy.workflow})…`;
  if (deploy.state === 'succeeded') return `${env.envId} is ready`;
  if (deploy.state === 'cancelled') return `${env.envId}: the deploy was cancelled`;
  return boundDescription(`${env.envId} ${deploy.state}: ${deploy.reason ?? 'see slipway deploys get'}`, 140);
}

/** The environment's first URL, as its deploy renders it. */
export function firstUrl(env: StoredEnvironment, deploy: StoredDeploy): string | undefined {
  return Object.values(deploy.rendered.urls ?? {})[0] ?? Object.values(env.urls)[0];
}

type PreviewCommentInput = { app: string; envId: string; state: PreviewCommentState; commit?: string; urls: Record<string, string>; reason?: string };

/** The comment's text when it holds the preview alone: a hidden marker, the state, and the URLs. */
export function previewComment(input: PreviewCommentInput): string {
  return commentBody(input.app, { previewBody: previewCommentPart(input) });
}

/** The preview's part of the pull request's comment: the state and the URLs. */
export function previewCommentPart(input: PreviewCommentInput): string {
  const heading: Record<PreviewCommentState, string> = {
    deploying: '🔄 deploying',
    ready: '✅ ready',
    failed: '❌ failed',
    errored: '⚠️ errored (a platform fault)',
    removed: '🗑️ removed',
  };
  const lines = [
    `**Slipway preview** of \`${input.app}\`: environment \`${input.envId}\` ${heading[input.state]}${input.commit ? ` at ${input.commit.slice(0, 12)}` : ''}`,
    '',
  ];
  if (input.reason && (input.state === 'failed' || input.state === 'errored')) lines.push(`> ${input.reason.replace(/\s+/g, ' ').slice(0, 500)}`, '');
  const urls = Object.entries(input.urls);
  if (input.state === 'removed') lines.push('The environment was torn down.');
  else if (urls.length) lines.push('| service | URL |', '| --- | --- |', ...urls.map(([service, url]) => `| ${service} | ${url} |`));
  else lines.push('No service of it has a public URL.');
  lines.push('', `<sub>Updated in place on every deploy · \`slipway envs get ${input.envId}\`</sub>`);
  return lines.join('\n');
}

type ErrorReport = { provider: ProviderName; repository: string; sha: string; app: string; description: string };

export class PreviewNotifier {
  private readonly worker: KeyedWorker;
  /** What each key has to report: an environment's latest deploy event, or a commit's error. */
  private readonly latest = new Map<string, { deploy: DeployEvent } | { error: ErrorReport }>();

  constructor(private readonly options: PreviewNotifierOptions) {
    this.worker = new KeyedWorker({ name: 'deploy-reports', reconcile: (key) => this.reconcile(key), ...(options.logger ? { logger: options.logger } : {}) });
    void this.worker.start();
  }

  /** The engine's deploy listener: keeps the event as its environment's latest and queues the environment. */
  readonly onDeploy = (event: DeployEvent): void => {
    const key = `env|${event.environment.id}`;
    this.latest.set(key, { deploy: event });
    this.worker.enqueue(key);
  };

  /** Resolves once every report queued so far was sent (tests). */
  idle(): Promise<void> {
    return this.worker.drained();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
  }

  /** Reports an error on a commit for an application, outside any deploy (an environment that could not be created). */
  async reportError(input: ErrorReport): Promise<void> {
    if (!this.options.reporters[input.provider]) return;
    const key = `commit|${input.provider}|${input.repository}|${input.sha}|${input.app}`;
    this.latest.set(key, { error: input });
    await this.worker.settle(key);
  }

  private async reconcile(key: string): Promise<void> {
    const latest = this.latest.get(key);
    if (!latest) return;
    await this.send(latest);
    // Forgotten once sent (a run that threw is tried again); an event that came meanwhile has queued the key once more.
    if (this.latest.get(key) === latest) this.latest.delete(key);
  }

  private async send(latest: { deploy: DeployEvent } | { error: ErrorReport }): Promise<void> {
    if ('error' in latest) {
      const input = latest.error;
      await this.options.reporters[input.provider]
        ?.setCommitStatus({ repository: input.repository, sha: input.sha, state: 'error', context: `slipway/${input.app}`, description: input.description })
        .catch((error: Error) => this.log(`commit status for ${input.app} at ${input.sha.slice(0, 12)}: ${error.message}`));
      return;
    }
    const event = latest.deploy;
    const target = await this.targetOf(event.environment);
    const reporter = target && this.options.reporters[target.provider];
    if (!target || !reporter) return;
    await this.report(event, target, reporter);
  }

  private async report(event: DeployEvent, target: Target, reporter: SourceReporter): Promise<void> {
    const { environment: env, deploy } = event;
    const commit = deploy.commit ?? deploy.source?.commit ?? env.commit;
    const masker = await (this.options.masking ?? noOutputMasking).maskerOf(env.workspace);
    if (deploy.workflow !== 'teardown' && commit) {
      const targetUrl = firstUrl(env, deploy);
      await reporter
        .setCommitStatus({
          repository: target.repository,
          sha: commit,
          state: commitStateOf(event),
          context: target.link || env.kind === 'ephemeral' ? `slipway/${env.app}` : `slipway/${env.app}/${env.envId}`,
          description: masker.mask(statusDescription(event)),
          ...(targetUrl ? { targetUrl } : {}),
        })
        .catch((error: Error) => this.log(`commit status for ${env.app}/${env.envId} at ${commit.slice(0, 12)}: ${error.message}`));
    }
    const link = target.link && (await this.options.previews.getLink(target.link.id));
    if (!link?.pullRequest) return;
    if (deploy.workflow === 'teardown' && event.type === 'started') return;
    const state: PreviewCommentState =
      deploy.workflow === 'teardown' ? 'removed' : event.type === 'started' ? 'deploying' : deploy.state === 'succeeded' ? 'ready' : deploy.state === 'failed' ? 'failed' : 'errored';
    const text = masker.mask(previewCommentPart({ app: env.app, envId: env.envId, state, urls: deploy.rendered.urls ?? env.urls, ...(commit ? { commit } : {}), ...(deploy.reason ? { reason: deploy.reason } : {}) }));
    try {
      const commentId = await this.options.comments.write({ applicationId: link.applicationId, provider: link.provider, repository: link.repository, pullRequest: link.pullRequest, app: env.app, part: 'preview', text, reporter });
      if (commentId && commentId !== link.commentId) await this.options.previews.updateLink(link.id, { commentId });
    } catch (error) {
      this.log(`comment on pull request #${link.pullRequest} of ${link.repository}: ${(error as Error).message}`);
    }
  }

  private async targetOf(env: StoredEnvironment): Promise<Target | undefined> {
    const { previews } = this.options;
    const link = await previews.linkOfEnvironment(env);
    if (link) return { provider: link.provider as ProviderName, repository: link.repository, link };
    // Permanent environments follow a branch, not a pull request: their deploys are reported on the commit.
    if (env.kind !== 'permanent' || !this.options.reporters.github) return undefined;
    const app = (await previews.applicationsWithRepository()).find((a: WatchedApplication) => a.id === env.applicationId);
    const repository = app && githubRepositoryOf(app);
    return repository ? { provider: 'github', repository } : undefined;
  }

  private log(message: string): void {
    this.options.logger?.error(message);
  }
}
