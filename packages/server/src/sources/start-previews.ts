// Wiring of the source providers, chosen from the server's configuration: GitHub webhooks when a
// webhook secret is set (and statuses and comments when a token is too), and the polling watcher
// for every application whose manifest asks for it.

import { setTimeout as sleep } from 'node:timers/promises';
import type { EnvironmentService } from '../environments/environment-service.ts';
import type { Repositories } from '../git/repositories.ts';
import type { Db } from '../store/database-schema.ts';
import type { EnvironmentStore } from '../store/environments.ts';
import { Leases } from '../store/leases.ts';
import { PreviewStore } from '../store/previews.ts';
import type { WorkflowEngine } from '../workflows/workflow-engine.ts';
import { GitPoller } from './git-poller.ts';
import { GithubReporter } from './github/github-reporter.ts';
import { GithubWebhooks } from './github/github-webhooks.ts';
import { PreviewCoordinator, type PreviewLogger } from './preview-coordinator.ts';
import { PreviewNotifier } from './preview-notifier.ts';
import { PullRequestComments } from './pull-request-comments.ts';
import type { OutputMasking } from '../secrets/output-masking.ts';
import type { ProviderName, SourceReporter } from './source-provider.ts';

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';
export const DEFAULT_POLL_INTERVAL_MS = 30_000;

export interface PreviewSettingsOfServer {
  githubWebhookSecret?: string | undefined;
  githubToken?: string | undefined;
  githubApiUrl?: string | undefined;
  pollIntervalMs?: number | undefined;
}

export interface Previews {
  store: PreviewStore;
  coordinator: PreviewCoordinator;
  notifier: PreviewNotifier;
  /** Each pull request's one comment per application, which pre-releases write their part of too. */
  comments: PullRequestComments;
  /** The providers that show commit statuses (GitHub when SLIPWAY_GITHUB_TOKEN is set): releases report pre-releases there. */
  reporters: Partial<Record<ProviderName, SourceReporter>>;
  /** Present when SLIPWAY_GITHUB_WEBHOOK_SECRET is set. */
  github?: GithubWebhooks;
  poller: GitPoller;
  /** Handles the deliveries a stopped server received and did not handle: called once everything that follows events is wired. */
  resume(): void;
  /** Resolves once every delivery, poll change and report under way has been handled (tests). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export function startPreviews(
  settings: PreviewSettingsOfServer,
  deps: { db: Db; service: EnvironmentService; environments: EnvironmentStore; engine: WorkflowEngine; repositories: Repositories; logger?: PreviewLogger; masking?: OutputMasking },
): Previews {
  const store = new PreviewStore(deps.db);
  const coordinator = new PreviewCoordinator({ service: deps.service, environments: deps.environments, previews: store, ...(deps.logger ? { logger: deps.logger } : {}) });
  const reporters: { github?: SourceReporter } = {};
  if (settings.githubToken) reporters.github = new GithubReporter({ token: settings.githubToken, baseUrl: settings.githubApiUrl ?? DEFAULT_GITHUB_API_URL });
  const leases = new Leases(deps.db);
  const comments = new PullRequestComments({ db: deps.db, leases, ...(deps.logger ? { logger: deps.logger } : {}) });
  const notifier = new PreviewNotifier({ previews: store, comments, reporters, ...(deps.logger ? { logger: deps.logger } : {}), ...(deps.masking ? { masking: deps.masking } : {}) });
  const unsubscribe = deps.engine.onDeploy(notifier.onDeploy);
  // A pull request whose environment could not even be created still gets a status saying why.
  const stopFailures = coordinator.onActionFailed(({ app, event, error }) =>
    event.type === 'pull-request' ? notifier.reportError({ provider: event.provider, repository: event.repository, sha: event.headSha, app: app.name, description: error.message }) : undefined,
  );
  const github = settings.githubWebhookSecret
    ? new GithubWebhooks({ secret: settings.githubWebhookSecret, previews: store, coordinator, leases, ...(deps.logger ? { logger: deps.logger } : {}) })
    : undefined;
  if (github) deps.logger?.info(`GitHub webhooks at /api/v1/webhooks/github; ${reporters.github ? `statuses and comments through ${settings.githubApiUrl ?? DEFAULT_GITHUB_API_URL}` : 'no statuses or comments (SLIPWAY_GITHUB_TOKEN is not set)'}`);
  const poller = new GitPoller({
    previews: store,
    coordinator,
    repositories: deps.repositories,
    leases,
    intervalMs: settings.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  poller.start();
  return {
    store,
    coordinator,
    notifier,
    comments,
    reporters,
    ...(github ? { github } : {}),
    poller,
    resume() {
      void github?.resume().catch((error: Error) => deps.logger?.error(`resuming GitHub deliveries: ${error.message}`));
    },
    async idle() {
      await github?.idle();
      await notifier.idle();
      await comments.idle();
    },
    async stop() {
      await poller.stop();
      unsubscribe();
      stopFailures();
      // What is under way finishes, within reason; a delivery not handled yet is handled at the next start.
      await Promise.race([Promise.all([github?.stop(), notifier.stop(), comments.stop()]), sleep(5_000)]);
    },
  };
}
